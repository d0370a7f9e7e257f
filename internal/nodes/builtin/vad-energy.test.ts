// vad_energy: speech start and end of turn from frame energy, honouring min_speech_ms and the hangover.
import { describe, expect, it } from 'vitest';
import { type AudioFormat, audioBytes } from '../../../api/eventabi/audio-format.js';
import { type VadEvent, type VadOptions, createVad, frameLevelDb, vadOptionsFromConfig } from './vad-energy.js';
import { speechFrames } from './mock-tts.js';
import { encodeSamples } from './pcm.js';

const PCM16_16K: AudioFormat = { codec: 'pcm16', sample_rate: 16000 };
const MULAW_8K: AudioFormat = { codec: 'mulaw', sample_rate: 8000 };

function frame(format: AudioFormat, amplitude: number, hz = 440, ms = 20): Uint8Array {
  const samples = new Int16Array(audioBytes(format, ms) / (format.codec === 'pcm16' ? 2 : 1));
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / format.sample_rate));
  return encodeSamples(samples, format.codec);
}

/** Feeds `segments` of [loud?, ms] as 20 ms frames; returns each transition with the media time of the frame that completed it. */
function run(options: VadOptions, segments: [boolean, number][]): [VadEvent, number][] {
  const vad = createVad(options);
  const events: [VadEvent, number][] = [];
  const loud = frame(options.format, 8000);
  const quiet = frame(options.format, 0);
  let media = 0;
  for (const [isLoud, ms] of segments) {
    for (let t = 0; t < ms; t += 20) {
      const event = vad.push(isLoud ? loud : quiet, media);
      if (event) events.push([event, media]);
      media += 20;
    }
  }
  return events;
}

describe('vad_energy', () => {
  for (const format of [PCM16_16K, MULAW_8K]) {
    it(`detects a tone burst surrounded by silence (${format.codec} ${format.sample_rate})`, () => {
      const options = { threshold_db: -40, min_speech_ms: 100, hangover_ms: 300, format };
      const events = run(options, [
        [false, 500],
        [true, 500],
        [false, 1000],
      ]);
      // Start: the frame at 580 ms ends 100 ms after the burst began at 500. Stop: the frame at 1280 ms ends 300 ms after it ended at 1000.
      expect(events).toEqual([
        ['speech_started', 580],
        ['speech_stopped', 1280],
      ]);
    });
  }

  it('ignores a blip shorter than min_speech_ms', () => {
    const options = { threshold_db: -40, min_speech_ms: 100, hangover_ms: 300, format: PCM16_16K };
    expect(run(options, [[false, 200], [true, 80], [false, 500]])).toEqual([]);
  });

  it('a pause shorter than the hangover does not end the speech', () => {
    const options = { threshold_db: -40, min_speech_ms: 60, hangover_ms: 300, format: PCM16_16K };
    const events = run(options, [
      [true, 200],
      [false, 280],
      [true, 200],
      [false, 400],
    ]);
    expect(events).toEqual([
      ['speech_started', 40],
      ['speech_stopped', 960],
    ]);
  });

  it('hears mock_tts output as speech and its end as the end of the turn', () => {
    const format = MULAW_8K;
    const options = { threshold_db: -45, min_speech_ms: 100, hangover_ms: 500, format };
    const vad = createVad(options);
    const frames = [...Array.from({ length: 10 }, () => frame(format, 0)), ...speechFrames('hello there friend', format), ...Array.from({ length: 40 }, () => frame(format, 0))];
    const events: VadEvent[] = [];
    frames.forEach((f, i) => {
      const event = vad.push(f, i * 20);
      if (event) events.push(event);
    });
    expect(events).toEqual(['speech_started', 'speech_stopped']);
    expect(vad.speaking).toBe(false);
  });

  it('measures frame level in dBFS', () => {
    expect(frameLevelDb(frame(PCM16_16K, 0), 'pcm16')).toBe(Number.NEGATIVE_INFINITY);
    expect(frameLevelDb(new Uint8Array(0), 'pcm16')).toBe(Number.NEGATIVE_INFINITY);
    // A full-scale sine has an RMS of 1/sqrt(2): about -3 dBFS.
    expect(frameLevelDb(frame(PCM16_16K, 32767, 400), 'pcm16')).toBeCloseTo(-3.01, 1);
  });

  it('reads its options from node config with defaults and reports bad values', () => {
    expect(vadOptionsFromConfig(undefined, PCM16_16K)).toEqual({ ok: true, value: { threshold_db: -45, min_speech_ms: 100, hangover_ms: 500, format: PCM16_16K } });
    expect(vadOptionsFromConfig({ hangover_ms: '800', threshold_db: '-30' }, PCM16_16K)).toEqual({
      ok: true,
      value: { threshold_db: -30, min_speech_ms: 100, hangover_ms: 800, format: PCM16_16K },
    });
    const bad = vadOptionsFromConfig({ min_speech_ms: 'soon' }, PCM16_16K);
    expect(bad.ok).toBe(false);
    expect(bad.ok ? '' : bad.problem).toMatch(/min_speech_ms/);
  });
});
