// vad_energy: an energy voice-activity and end-of-turn detector over pcm16 or mu-law frames on the audio path; it never buffers audio or reads the clock (time is the frames' media_ms).
import { type AudioFormat, audioMs } from '../../../api/eventabi/audio-format.js';
import type { Codec } from '../../../api/eventabi/kinds.js';
import { decodeSamples } from './pcm.js';
import { type Setting, numberSetting } from './settings.js';

export type VadEvent = 'speech_started' | 'speech_stopped';

export interface VadOptions {
  /** A frame at or above this RMS level (dBFS) counts as speech. */
  threshold_db: number;
  /** Speech must last this long before `speech_started`, so clicks and coughs do not open a turn. */
  min_speech_ms: number;
  /** Quiet must last this long before `speech_stopped`, so pauses between words do not end the turn. */
  hangover_ms: number;
  format: AudioFormat;
}

export const DEFAULT_VAD: Readonly<Omit<VadOptions, 'format'>> = { threshold_db: -45, min_speech_ms: 100, hangover_ms: 500 };

export interface Vad {
  /** Feeds one frame starting at `media_ms`; returns the transition it completes, if any. */
  push(frame: Uint8Array, media_ms: number): VadEvent | undefined;
  readonly speaking: boolean;
  /** Back to silence, forgetting any partial speech or quiet. */
  reset(): void;
}

/** The detector's options from a `vad_energy` node's config, defaults applied. */
export function vadOptionsFromConfig(config: Readonly<Record<string, string>> | undefined, format: AudioFormat): Setting<VadOptions> {
  const threshold = numberSetting(config, 'threshold_db', DEFAULT_VAD.threshold_db, -120, 0);
  const minSpeech = numberSetting(config, 'min_speech_ms', DEFAULT_VAD.min_speech_ms, 0, 60_000);
  const hangover = numberSetting(config, 'hangover_ms', DEFAULT_VAD.hangover_ms, 0, 60_000);
  if (!threshold.ok) return threshold;
  if (!minSpeech.ok) return minSpeech;
  if (!hangover.ok) return hangover;
  return { ok: true, value: { threshold_db: threshold.value, min_speech_ms: minSpeech.value, hangover_ms: hangover.value, format } };
}

/** RMS level of a frame in dBFS; -Infinity for digital silence or an empty frame. */
export function frameLevelDb(frame: Uint8Array, codec: Codec): number {
  const samples = decodeSamples(frame, codec);
  if (samples.length === 0) return Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  const rms = Math.sqrt(sum / samples.length) / 32768;
  return rms === 0 ? Number.NEGATIVE_INFINITY : 20 * Math.log10(rms);
}

export function createVad(options: VadOptions): Vad {
  let speaking = false;
  // Media time where the current run of loud (while silent) or quiet (while speaking) frames began.
  let runFrom: number | undefined;

  return {
    push(frame: Uint8Array, media_ms: number): VadEvent | undefined {
      const end = media_ms + audioMs(options.format, frame.length);
      const loud = frameLevelDb(frame, options.format.codec) >= options.threshold_db;
      if (loud !== speaking) {
        runFrom ??= media_ms;
        const needed = speaking ? options.hangover_ms : options.min_speech_ms;
        if (end - runFrom >= needed) {
          speaking = loud;
          runFrom = undefined;
          return speaking ? 'speech_started' : 'speech_stopped';
        }
      } else {
        runFrom = undefined;
      }
      return undefined;
    },
    get speaking() {
      return speaking;
    },
    reset() {
      speaking = false;
      runFrom = undefined;
    },
  };
}
