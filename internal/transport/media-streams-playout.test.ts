import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FRAME_BYTES, MARK_INTERVAL_MS, Playout, endMarkName, progressMarkName } from './media-streams-playout.js';

const SID = 'MZ00000000000000000000000000000001';

type Out = { event: 'media'; bytes: Buffer } | { event: 'mark'; name: string } | { event: 'clear' };

/** A playout writing into a list, with a switch to refuse audio as a slow socket would. */
function harness(markIntervalMs?: number) {
  const out: Out[] = [];
  const state = { refuseData: false };
  const playout = new Playout({
    streamSid: SID,
    ...(markIntervalMs !== undefined ? { markIntervalMs } : {}),
    write: (text, lane) => {
      if (lane === 'data' && state.refuseData) return false;
      const frame = JSON.parse(text) as { event: string; streamSid: string; media?: { payload: string }; mark?: { name: string } };
      expect(frame.streamSid).toBe(SID);
      if (frame.event === 'media') out.push({ event: 'media', bytes: Buffer.from(frame.media!.payload, 'base64') });
      else if (frame.event === 'mark') out.push({ event: 'mark', name: frame.mark!.name });
      else out.push({ event: 'clear' });
      return true;
    },
  });
  return { out, state, playout };
}

function bytes(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe('re-framing a turn into 20 ms media frames', () => {
  test('property: whatever the audio.out sizes, every media frame is 160 bytes but the last, the bytes are unchanged, and the turn ends with its end mark', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        const { out, playout } = harness();
        const chunks = sizes.map((n, i) => bytes(n, i));
        for (const chunk of chunks) playout.audio('t-1', chunk);
        playout.end('t-1');
        const media = out.filter((o): o is Extract<Out, { event: 'media' }> => o.event === 'media');
        expect(Buffer.concat(media.map((m) => m.bytes)).equals(Buffer.concat(chunks))).toBe(true);
        for (const m of media.slice(0, -1)) expect(m.bytes.length).toBe(FRAME_BYTES);
        expect(media[media.length - 1]!.bytes.length).toBeGreaterThan(0);
        expect(media[media.length - 1]!.bytes.length).toBeLessThanOrEqual(FRAME_BYTES);
        expect(out[out.length - 1]).toEqual({ event: 'mark', name: endMarkName('t-1') });
        expect(playout.mediaFramesSent).toBe(media.length);
      }),
    );
  });

  test('property: each mark stands for exactly the audio written before it, and its echo acknowledges that many ms', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 20, max: 1000 }), (sizes, interval) => {
        const { out, playout } = harness(interval);
        for (const [i, n] of sizes.entries()) playout.audio('t-7', bytes(n, i));
        playout.end('t-7');
        let written = 0;
        let lastPlayed = -1;
        const marks = out.filter((o) => o.event === 'mark').length;
        for (const o of out) {
          if (o.event === 'media') {
            written += o.bytes.length;
            continue;
          }
          if (o.event !== 'mark') continue;
          const ack = playout.echo(o.name)!;
          expect(ack.turn_id).toBe('t-7');
          expect(ack.played_ms).toBe(Math.floor(written / 8));
          expect(ack.kind).toBe(o.name === endMarkName('t-7') ? 'playback.completed' : 'playback.mark');
          // Progress marks strictly advance; the end mark may repeat the last one when no audio followed it.
          if (ack.kind === 'playback.mark') expect(ack.played_ms).toBeGreaterThan(lastPlayed);
          else expect(ack.played_ms).toBeGreaterThanOrEqual(lastPlayed);
          lastPlayed = ack.played_ms;
          if (ack.kind === 'playback.mark') expect(o.name).toBe(progressMarkName('t-7', ack.played_ms));
        }
        // Progress marks come at least `interval` ms of audio apart, so their number is bounded by the audio.
        expect(marks - 1).toBeLessThanOrEqual(Math.floor(written / 8 / interval));
        expect(playout.outstandingMarks).toBe(0);
        // An echo is consumed once: a repeated one acknowledges nothing.
        expect(playout.echo(endMarkName('t-7'))).toBeUndefined();
      }),
    );
  });

  test('a second of audio in 20 ms frames gets a progress mark every 200 ms and the end mark', () => {
    const { out, playout } = harness();
    for (let i = 0; i < 50; i++) playout.audio('t-2', bytes(FRAME_BYTES, i));
    playout.end('t-2');
    const names = out.filter((o): o is Extract<Out, { event: 'mark' }> => o.event === 'mark').map((o) => o.name);
    expect(MARK_INTERVAL_MS).toBe(200);
    expect(names).toEqual(['baton:t-2:200', 'baton:t-2:400', 'baton:t-2:600', 'baton:t-2:800', 'baton:t-2:1000', 'baton:t-2:end']);
    expect(out.filter((o) => o.event === 'media')).toHaveLength(50);
  });

  test('a turn with no audio still ends with a mark that completes it at 0 ms', () => {
    const { out, playout } = harness();
    playout.end('t-3');
    expect(out).toEqual([{ event: 'mark', name: 'baton:t-3:end' }]);
    expect(playout.echo('baton:t-3:end')).toEqual({ kind: 'playback.completed', turn_id: 't-3', played_ms: 0 });
  });

  test('audio a slow socket refused is not counted as played', () => {
    const { out, state, playout } = harness();
    for (let i = 0; i < 10; i++) playout.audio('t-4', bytes(FRAME_BYTES));
    state.refuseData = true;
    for (let i = 0; i < 10; i++) playout.audio('t-4', bytes(FRAME_BYTES));
    state.refuseData = false;
    playout.end('t-4');
    expect(out.filter((o) => o.event === 'media')).toHaveLength(10);
    expect(playout.echo('baton:t-4:end')).toEqual({ kind: 'playback.completed', turn_id: 't-4', played_ms: 200 });
  });
});

describe('clear and closed turns', () => {
  test('output.clear sends clear; the marks the gateway then echoes for the cleared audio acknowledge nothing', () => {
    const { out, playout } = harness();
    for (let i = 0; i < 60; i++) playout.audio('t-5', bytes(FRAME_BYTES));
    playout.audio('t-5', bytes(50));
    const sentMarks = out.filter((o): o is Extract<Out, { event: 'mark' }> => o.event === 'mark').map((o) => o.name);
    expect(sentMarks.length).toBeGreaterThan(0);
    playout.clear('t-5');
    expect(out[out.length - 1]).toEqual({ event: 'clear' });
    for (const name of sentMarks) expect(playout.echo(name)).toBeUndefined();
    expect(playout.outstandingMarks).toBe(0);
    // The cleared turn's partial frame is gone: the next turn starts on a frame boundary of its own.
    out.length = 0;
    playout.audio('t-6', bytes(FRAME_BYTES, 9));
    expect(out).toEqual([{ event: 'media', bytes: Buffer.from(bytes(FRAME_BYTES, 9)) }]);
  });

  test('turn.closed forgets that turn only: a later turn keeps its marks', () => {
    const { out, playout } = harness(20);
    playout.audio('t-1', bytes(FRAME_BYTES));
    playout.end('t-1');
    playout.audio('t-2', bytes(FRAME_BYTES));
    playout.closed('t-1');
    const names = out.filter((o): o is Extract<Out, { event: 'mark' }> => o.event === 'mark').map((o) => o.name);
    expect(names).toEqual(['baton:t-1:20', 'baton:t-1:end', 'baton:t-2:20']);
    expect(playout.echo('baton:t-1:20')).toBeUndefined();
    expect(playout.echo('baton:t-1:end')).toBeUndefined();
    expect(playout.echo('baton:t-2:20')).toEqual({ kind: 'playback.mark', turn_id: 't-2', played_ms: 20 });
  });

  test('a gateway that never echoes cannot grow the mark table without bound', () => {
    const { playout } = harness(20);
    for (let i = 0; i < 5000; i++) playout.audio('t-1', bytes(FRAME_BYTES));
    expect(playout.outstandingMarks).toBeLessThanOrEqual(1024);
    // The newest marks are the ones kept.
    expect(playout.echo(progressMarkName('t-1', 5000 * 20))).toMatchObject({ played_ms: 100_000 });
  });
});
