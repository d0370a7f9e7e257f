// mock_tts: text to 20 ms frames of tone bursts, one burst per word, a pure function of the text, the format and the config; it never paces by wall time.
import { createHash } from 'node:crypto';
import { type AudioFormat, audioBytes } from '../../../api/eventabi/audio-format.js';
import type { TtsCall, TtsNode, TtsStream } from '../node.js';
import { encodeSamples } from './pcm.js';
import { numberSetting, required, throwIfConfigured } from './settings.js';

export const FRAME_MS = 20;
/** Silence at the end of each word, so words stay apart for a VAD listening to the output. */
const WORD_GAP_MS = 40;
/** One absurdly long "word" must not become minutes of audio. */
const MAX_WORD_MS = 3000;
const FADE_MS = 5;
/** About -12 dBFS peak: loud enough for any VAD threshold, far from clipping after mu-law. */
const AMPLITUDE = 0.25 * 32767;

export interface ToneSettings {
  ms_per_char: number;
  min_word_ms: number;
}

export const DEFAULT_TONE: Readonly<ToneSettings> = { ms_per_char: 60, min_word_ms: 200 };

export function toneSettings(config: Readonly<Record<string, string>>): ToneSettings {
  return {
    ms_per_char: required(numberSetting(config, 'ms_per_char', DEFAULT_TONE.ms_per_char, 1, 1000)),
    min_word_ms: required(numberSetting(config, 'min_word_ms', DEFAULT_TONE.min_word_ms, WORD_GAP_MS + FRAME_MS, MAX_WORD_MS)),
  };
}

/** A word's length in ms: per character, at least the minimum, whole frames, capped. */
export function wordMs(word: string, settings: ToneSettings): number {
  const raw = Math.max(settings.min_word_ms, settings.ms_per_char * [...word].length);
  return Math.min(MAX_WORD_MS, Math.ceil(raw / FRAME_MS) * FRAME_MS);
}

/** Synthesized words by (format, settings, word), least recently used first; bounded by bytes. */
const wordCache = new Map<string, { frames: Uint8Array[]; bytes: number }>();
const WORD_CACHE_MAX_BYTES = 8 * 1024 * 1024;
let wordCacheBytes = 0;

/**
 * The frames of one word: a tone whose pitch comes from the word's hash, then
 * a short silence. A pure function, so results are memoized (callers never
 * mutate frames: they are only encoded onto the wire).
 */
export function wordFrames(word: string, format: AudioFormat, settings: ToneSettings): Uint8Array[] {
  const key = `${format.codec}:${format.sample_rate}:${settings.ms_per_char}:${settings.min_word_ms}:${word}`;
  const hit = wordCache.get(key);
  if (hit) {
    wordCache.delete(key);
    wordCache.set(key, hit);
    return hit.frames;
  }
  const frames = synthesizeWord(word, format, settings);
  const bytes = frames.reduce((n, f) => n + f.length, 0);
  wordCache.set(key, { frames, bytes });
  wordCacheBytes += bytes;
  for (const [oldest, entry] of wordCache) {
    if (wordCacheBytes <= WORD_CACHE_MAX_BYTES) break;
    wordCache.delete(oldest);
    wordCacheBytes -= entry.bytes;
  }
  return frames;
}

function synthesizeWord(word: string, format: AudioFormat, settings: ToneSettings): Uint8Array[] {
  const rate = format.sample_rate;
  const frameSamples = audioBytes(format, FRAME_MS) / (format.codec === 'pcm16' ? 2 : 1);
  const frames = wordMs(word, settings) / FRAME_MS;
  const total = frames * frameSamples;
  const toneSamples = total - Math.round((WORD_GAP_MS * rate) / 1000);
  const fade = Math.max(1, Math.round((FADE_MS * rate) / 1000));
  const digest = createHash('sha256').update(word, 'utf8').digest();
  // 200..775 Hz: inside telephone bandwidth at 8 kHz, distinct enough between words.
  const frequency = 200 + (digest[0]! % 24) * 25;
  const samples = new Int16Array(total);
  for (let i = 0; i < toneSamples; i++) {
    const envelope = Math.min(1, i / fade, (toneSamples - 1 - i) / fade);
    samples[i] = Math.round(AMPLITUDE * envelope * Math.sin((2 * Math.PI * frequency * i) / rate));
  }
  const bytes = encodeSamples(samples, format.codec);
  const frameBytes = bytes.length / frames;
  const out: Uint8Array[] = [];
  for (let f = 0; f < frames; f++) out.push(bytes.slice(f * frameBytes, (f + 1) * frameBytes));
  return out;
}

/** Every frame of `text`, word by word: how the text is split into pushes never changes the audio. */
export function speechFrames(text: string, format: AudioFormat, settings: ToneSettings = DEFAULT_TONE): Uint8Array[] {
  return words(text).flatMap((word) => wordFrames(word, format, settings));
}

function words(text: string): string[] {
  return text.split(/\s+/u).filter((word) => word !== '');
}

export const mockTts: TtsNode = {
  kind: 'tts',
  open(call: TtsCall): TtsStream {
    throwIfConfigured(call.config);
    const settings = toneSettings(call.config);
    const interval = required(numberSetting(call.config, 'frame_interval_ms', 0, 0, 60_000));
    let pending = '';
    let framesOut = 0;

    const speak = async (word: string): Promise<void> => {
      for (const frame of wordFrames(word, call.format, settings)) {
        if (framesOut > 0 && interval > 0) await call.sleep(interval);
        await call.credit();
        call.audio(frame, FRAME_MS);
        framesOut++;
      }
    };

    return {
      async push(text: string): Promise<void> {
        pending += text;
        // Only words followed by whitespace are complete; the tail may still grow.
        let cut = pending.length;
        while (cut > 0 && !/\s/u.test(pending[cut - 1]!)) cut--;
        if (cut === 0) return;
        const complete = pending.slice(0, cut);
        pending = pending.slice(cut);
        for (const word of words(complete)) await speak(word);
      },
      async end(): Promise<void> {
        const rest = pending;
        pending = '';
        for (const word of words(rest)) await speak(word);
      },
    };
  },
};
