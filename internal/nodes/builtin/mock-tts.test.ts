// mock_tts: whole 20 ms frames in every negotiated format, audio a pure function of the text, credits and pacing.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type AudioFormat, SAMPLE_RATES, audioBytes } from '../../../api/eventabi/audio-format.js';
import { CODECS } from '../../../api/eventabi/kinds.js';
import { VirtualClock } from '../../determinism/clock.js';
import { sleep } from '../deadline.js';
import type { TtsCall } from '../node.js';
import { FRAME_MS, DEFAULT_TONE, mockTts, speechFrames, wordFrames, wordMs } from './mock-tts.js';
import { decodeSamples } from './pcm.js';

const PCM16_16K: AudioFormat = { codec: 'pcm16', sample_rate: 16000 };
const MULAW_8K: AudioFormat = { codec: 'mulaw', sample_rate: 8000 };

/** Comparing digests: deep equality over thousands of typed-array elements is slow and prints nothing useful. */
function digest(frames: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const frame of frames) hash.update(frame);
  return hash.digest('hex');
}

interface Sink {
  frames: Uint8Array[];
  credits: number;
  call: TtsCall;
}

function sink(format: AudioFormat, config: Record<string, string> = {}, clock = new VirtualClock()): Sink {
  const controller = new AbortController();
  const out: Sink = {
    frames: [],
    credits: 0,
    call: {
      node_id: 'tts',
      config,
      seed: 1,
      clock,
      format,
      signal: controller.signal,
      sleep: (ms) => sleep(clock, ms, controller.signal),
      credit: async () => {
        out.credits++;
      },
      audio: (frame, ms) => {
        expect(ms).toBe(FRAME_MS);
        out.frames.push(frame);
      },
    },
  };
  return out;
}

async function speak(format: AudioFormat, pieces: string[], config: Record<string, string> = {}): Promise<Sink> {
  const s = sink(format, config);
  const stream = mockTts.open(s.call);
  for (const piece of pieces) await stream.push(piece);
  await stream.end();
  return s;
}

describe('mock_tts', () => {
  it('frames are exactly 20 ms of the negotiated format', async () => {
    expect(audioBytes(PCM16_16K, 20)).toBe(640);
    expect(audioBytes(MULAW_8K, 20)).toBe(160);
    for (const codec of CODECS) {
      for (const sample_rate of SAMPLE_RATES[codec]) {
        const format = { codec, sample_rate };
        const { frames } = await speak(format, ['hello world, how are you']);
        expect(frames.length).toBeGreaterThan(0);
        for (const frame of frames) expect(frame.length).toBe(audioBytes(format, 20));
      }
    }
  });

  it('lasts 60 ms per character with a 200 ms floor per word, in whole frames', () => {
    expect(wordMs('hello', DEFAULT_TONE)).toBe(300);
    expect(wordMs('a', DEFAULT_TONE)).toBe(200);
    expect(wordMs('hello', { ms_per_char: 25, min_word_ms: 100 })).toBe(140);
    expect(wordFrames('hello', PCM16_16K, DEFAULT_TONE)).toHaveLength(15);
    expect(speechFrames('a hello', MULAW_8K)).toHaveLength(10 + 15);
  });

  it('honours config.ms_per_char', async () => {
    const { frames } = await speak(PCM16_16K, ['hello'], { ms_per_char: '100' });
    expect(frames).toHaveLength(25);
  });

  it('is a pure function of the text: the same text gives the same audio however it is split', async () => {
    const text = 'the quick brown fox jumps over the lazy dog';
    const whole = await speak(PCM16_16K, [text]);
    const split = await speak(PCM16_16K, ['the qu', 'ick bro', 'wn ', 'fox jumps over the lazy', ' dog']);
    const again = await speak(PCM16_16K, [text]);
    expect(digest(split.frames)).toBe(digest(whole.frames));
    expect(digest(again.frames)).toBe(digest(whole.frames));
    expect(digest(speechFrames(text, PCM16_16K))).toBe(digest(whole.frames));
    expect(split.frames.length).toBe(whole.frames.length);
  });

  it('speaks a tone burst then silence for each word', () => {
    for (const format of [PCM16_16K, MULAW_8K]) {
      const frames = wordFrames('hello', format, DEFAULT_TONE);
      const peak = (frame: Uint8Array) => Math.max(...decodeSamples(frame, format.codec).map(Math.abs));
      expect(peak(frames[2]!)).toBeGreaterThan(4000);
      expect(peak(frames.at(-1)!)).toBe(0);
    }
  });

  it('awaits a credit before every frame', async () => {
    const s = await speak(MULAW_8K, ['one two three']);
    expect(s.credits).toBe(s.frames.length);
  });

  it('paces frames on the clock only when config.frame_interval_ms is set', async () => {
    const clock = new VirtualClock();
    const s = sink(PCM16_16K, { frame_interval_ms: '20' }, clock);
    const stream = mockTts.open(s.call);
    const pushed = stream.push('hello ');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(s.frames).toHaveLength(1);
    clock.advance(20);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(s.frames).toHaveLength(2);
    for (let i = 0; i < 100; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const due = clock.nextDue();
      if (due === undefined) break;
      clock.advanceTo(due);
    }
    await pushed;
    expect(s.frames).toHaveLength(15);
    expect(clock.now()).toBe(14 * 20);
  });

  it('rejects a bad setting as the node own failure', () => {
    const s = sink(PCM16_16K, { ms_per_char: 'fast' });
    expect(() => mockTts.open(s.call)).toThrow(/ms_per_char/);
  });
});
