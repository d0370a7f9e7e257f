// Negotiated audio formats: which codec/rate pairs a session may use and how
// many bytes make a millisecond of audio in each.
import type { Codec } from './kinds.js';

export const SAMPLE_RATES: Readonly<Record<Codec, readonly number[]>> = {
  pcm16: [8000, 16000, 22050, 24000, 44100, 48000],
  mulaw: [8000],
};

export interface AudioFormat {
  readonly codec: Codec;
  readonly sample_rate: number;
}

export function bytesPerSample(codec: Codec): number {
  return codec === 'pcm16' ? 2 : 1;
}

/** Why a codec/rate pair cannot be negotiated, or undefined when it can. */
export function formatProblem(codec: Codec, sampleRate: number): string | undefined {
  const rates = SAMPLE_RATES[codec];
  if (!rates.includes(sampleRate)) {
    return `sample_rate ${sampleRate} is not supported for ${codec} (supported: ${rates.join(', ')})`;
  }
  return undefined;
}

/** Duration in ms (fractional) of `byteLength` bytes of audio in `format`. */
export function audioMs(format: AudioFormat, byteLength: number): number {
  return (byteLength / bytesPerSample(format.codec) / format.sample_rate) * 1000;
}

/** Bytes of audio for `ms` milliseconds in `format`, rounded down to whole samples. */
export function audioBytes(format: AudioFormat, ms: number): number {
  return Math.floor((format.sample_rate * ms) / 1000) * bytesPerSample(format.codec);
}
