import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { linearToMulaw } from '../nodes/builtin/g711.js';
import { DEFAULT_VAD, type VadOptions } from '../nodes/builtin/vad-energy.js';
import { type CallerAudioEvent, CallerSpeech } from './media-streams-speech.js';

const FORMAT = { codec: 'mulaw', sample_rate: 8000 } as const;
const VAD: VadOptions = { ...DEFAULT_VAD, format: FORMAT };

/** 20 ms of a tone at `amplitude` (0: digital silence), tagged in its last byte pattern by `tag` so frames can be told apart. */
function frame(amplitude: number, tag = 0): Uint8Array {
  const out = new Uint8Array(160);
  for (let i = 0; i < 160; i++) out[i] = linearToMulaw(Math.round(amplitude * Math.sin((2 * Math.PI * 300 * i) / 8000)));
  if (amplitude === 0) out.fill(0xff);
  out[159] = amplitude === 0 ? 0xff - (tag % 2) : out[159]!;
  return out;
}

function audioOf(events: CallerAudioEvent[]): Uint8Array[] {
  return events.flatMap((e) => (e.type === 'audio' ? [e.audio] : []));
}

describe('caller speech on a media stream', () => {
  test('without a detector, audio passes straight through with its own timestamps', () => {
    const speech = new CallerSpeech(FORMAT);
    expect(speech.detecting).toBe(false);
    const a = frame(8000);
    expect(speech.push(a, 5)).toEqual([{ type: 'audio', audio: a, media_ms: 5 }]);
  });

  test('speech.started comes before the onset frames that made the VAD decide, so they are not discarded', () => {
    const speech = new CallerSpeech(FORMAT, VAD);
    const out: CallerAudioEvent[] = [];
    for (let i = 0; i < 20; i++) out.push(...speech.push(frame(0, i), i * 20));
    for (let i = 20; i < 40; i++) out.push(...speech.push(frame(8000, i), i * 20));
    const started = out.findIndex((e) => e.type === 'speech_started');
    expect(started).toBeGreaterThan(0);
    // Before speech.started: only the quiet frames.
    expect(out.slice(0, started).every((e) => e.type === 'audio' && e.media_ms < 400)).toBe(true);
    // Every loud frame follows speech.started: the first one included.
    const loudAfter = out.slice(started + 1).filter((e) => e.type === 'audio' && e.media_ms >= 400);
    expect(loudAfter.map((e) => e.media_ms)).toEqual(Array.from({ length: 20 }, (_, i) => 400 + i * 20));
    expect(out[started]).toEqual({ type: 'speech_started', media_ms: out[started + 1]!.media_ms });
    expect(speech.speaking).toBe(true);
    // Quiet for the hangover ends the speech, after the audio that completed it.
    for (let i = 40; i < 80; i++) out.push(...speech.push(frame(0, i), i * 20));
    const stopped = out.findIndex((e) => e.type === 'speech_stopped');
    expect(stopped).toBeGreaterThan(started);
    expect(out[stopped - 1]!.type).toBe('audio');
    expect(speech.speaking).toBe(false);
  });

  test('property: audio leaves in the order it came, none is lost or repeated, and at most about min_speech_ms is held back', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 200, 3000, 12000), { minLength: 1, maxLength: 300 }), (levels) => {
        const speech = new CallerSpeech(FORMAT, VAD);
        const frames = levels.map((level, i) => frame(level, i));
        const out: CallerAudioEvent[] = [];
        for (const [i, f] of frames.entries()) {
          out.push(...speech.push(f, i * 20));
          const released = audioOf(out).length;
          // Held back: never more than the VAD's decision window plus one frame.
          expect(i + 1 - released).toBeLessThanOrEqual(Math.ceil((VAD.min_speech_ms + 20) / 20) + 1);
        }
        const audio = audioOf(out);
        expect(audio).toEqual(frames.slice(0, audio.length));
        const stamps = out.filter((e) => e.type === 'audio').map((e) => e.media_ms);
        expect(stamps).toEqual(stamps.map((_, i) => i * 20));
        // Boundaries alternate, starting with speech.started.
        const boundaries = out.filter((e) => e.type !== 'audio').map((e) => e.type);
        boundaries.forEach((b, i) => expect(b).toBe(i % 2 === 0 ? 'speech_started' : 'speech_stopped'));
      }),
    );
  });
});
