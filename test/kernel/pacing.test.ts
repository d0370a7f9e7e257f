// Egress pacing (DESIGN 5.4): a turn never has more than max_ahead_ms of audio
// ahead of the played position, and once it is that far ahead it sends in
// batches of about 100 ms rather than one socket write per 20 ms frame.
import { describe, expect, test } from 'vitest';
import type { AnyEnvelope } from '../../api/eventabi/index.js';
import type { EgressSink } from '../../internal/session/egress.js';
import { KernelSim } from '../support/kernel-sim.js';

const LONG = 'tell me a long story about the sea and the ships that sail on it through the night';

async function pacedTurn() {
  const sim = new KernelSim();
  const s = await sim.open();
  const audio: { at: number; ms: number }[] = [];
  const sink: EgressSink = {
    encoding: 'proto',
    write: (frame, event: AnyEnvelope) => {
      s.sink.write(frame, event);
      if (event.kind === 'audio.out') audio.push({ at: sim.clock.now(), ms: (event.payload as { audio: Uint8Array }).audio.length / 32 });
    },
    close: (code, reason) => s.sink.close(code, reason),
  };
  s.session.attach(sink);
  s.send('turn.request', { text: LONG });
  const maxAhead = s.session.snapshot().active_turn!.plan.budgets.max_ahead_ms;
  await sim.advance(20_000, 5);
  return { s, audio, maxAhead };
}

describe('egress pacing', () => {
  test('audio sent never runs more than max_ahead_ms ahead of the time since the first frame (no playback acks)', async () => {
    const { audio, maxAhead } = await pacedTurn();
    expect(audio.length).toBeGreaterThan(100);
    const first = audio[0]!.at;
    let sent = 0;
    for (const frame of audio) {
      sent += frame.ms;
      // The frame in flight may straddle the bound by its own length.
      expect(sent - (frame.at - first)).toBeLessThanOrEqual(maxAhead + frame.ms);
    }
    // And it does keep the gateway supplied: at the end, everything generated was sent.
    expect(sent).toBeGreaterThan(maxAhead * 2);
  });

  test('once max_ahead_ms is reached, frames leave in batches of about 100 ms, not one per 20 ms', async () => {
    const { audio, maxAhead } = await pacedTurn();
    const first = audio[0]!.at;
    const steady = audio.filter((f) => f.at - first > maxAhead + 100);
    expect(steady.length).toBeGreaterThan(20);
    const bursts = new Map<number, number>();
    for (const frame of steady) bursts.set(frame.at, (bursts.get(frame.at) ?? 0) + frame.ms);
    const sizes = [...bursts.values()];
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(mean).toBeGreaterThanOrEqual(80);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(120);
  });
});
