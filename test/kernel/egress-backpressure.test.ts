// A gateway that reads slower than the turn speaks: the session stops
// producing instead of buffering, records why, and picks up where it stopped
// once the socket drains (DESIGN 5.1 backpressure).
import { describe, expect, test, vi } from 'vitest';
import type { EgressSink } from '../../internal/session/egress.js';
import { KernelSim } from '../support/kernel-sim.js';

/** A sink whose transport can be made to look full, like a socket over its egress bound. */
function throttledSink(inner: EgressSink) {
  let resume: (() => void) | undefined;
  const state = { writable: true, waits: 0 };
  const sink: EgressSink = {
    encoding: inner.encoding,
    write: (frame, event) => inner.write(frame, event),
    close: (code, reason) => inner.close(code, reason),
    get writable() {
      return state.writable;
    },
    onceWritable(next) {
      state.waits += 1;
      resume = next;
    },
  };
  return {
    sink,
    state,
    drain() {
      state.writable = true;
      const next = resume;
      resume = undefined;
      next?.();
    },
  };
}

/** A simulated session whose connection reads through a throttled sink. */
async function throttledSession() {
  const sim = new KernelSim();
  const s = await sim.open();
  const throttle = throttledSink(s.sink);
  s.session.attach(throttle.sink);
  return { sim, s, throttle };
}

describe('egress backpressure', () => {
  test('a full socket holds the turn output at its source, records egress_xoff/xon once each, and the turn resumes and commits after the drain', async () => {
    const { sim, s, throttle } = await throttledSession();
    const decisions: string[] = [];
    const recorder = s.session.recorder;
    const original = recorder.decision.bind(recorder);
    vi.spyOn(recorder, 'decision').mockImplementation((kind, outcome, reason, detail, turn_id) => {
      if (kind === 'flow') decisions.push(outcome);
      return original(kind, outcome, reason, detail, turn_id);
    });

    s.send('turn.request', { text: 'tell me a long story about the sea' });
    await sim.advance(100);
    const turn_id = s.session.snapshot().active_turn!.turn_id;
    const before = s.kinds((e) => e.kind === 'audio.out').length;
    expect(before).toBeGreaterThan(0);

    throttle.state.writable = false;
    await sim.advance(3000);
    const held = s.kinds((e) => e.kind === 'audio.out').length;
    // At most the frame in flight when the socket filled; then nothing for three seconds.
    expect(held - before).toBeLessThanOrEqual(1);
    expect(throttle.state.waits).toBe(1);
    expect(decisions).toEqual(['egress_xoff']);
    // The node graph is held by credits, not buffered: generated audio stays within a few frames of what was sent.
    const sentMs = held * 20;
    expect(s.session.snapshot().active_turn!.generated_ms - sentMs).toBeLessThanOrEqual(8 * 20 + 20);
    expect(s.kinds()).not.toContain('turn.aborted');

    throttle.drain();
    await sim.advance(6000);
    expect(decisions).toEqual(['egress_xoff', 'egress_xon']);
    expect(s.kinds((e) => e.kind === 'audio.out').length).toBeGreaterThan(held);
    const end = s.last('output.end');
    expect(end).toBeDefined();
    s.send('playback.completed', { played_ms: end!.payload.generated_ms }, { turn_id });
    await sim.settle();
    expect(s.ofTurn(turn_id).map((e) => e.kind).filter((k) => k.startsWith('turn.'))).toEqual([
      'turn.opened',
      'turn.active',
      'turn.committed',
      'turn.closed',
    ]);
  });

  test('a barge-in while output is held still fences at once: output.clear goes out and the held audio never does', async () => {
    const { sim, s, throttle } = await throttledSession();
    s.send('turn.request', { text: 'tell me a long story about the sea' });
    await sim.advance(100);
    const turn_id = s.session.snapshot().active_turn!.turn_id;
    throttle.state.writable = false;
    await sim.advance(500);
    s.send('cancel', { scope: 'turn', reason: 'barge_in' }, { turn_id });
    const cleared = s.out.findIndex((e) => e.kind === 'output.clear');
    expect(cleared).toBeGreaterThan(-1);
    throttle.drain();
    await sim.advance(2000);
    expect(s.out.slice(cleared).filter((e) => e.turn_id === turn_id && e.kind === 'audio.out')).toEqual([]);
    expect(s.ofTurn(turn_id).map((e) => e.kind).filter((k) => k.startsWith('turn.'))).toEqual([
      'turn.opened',
      'turn.active',
      'turn.aborted',
      'turn.closed',
    ]);
  });

  test('a reconnect releases output held by the old socket', async () => {
    const { sim, s, throttle } = await throttledSession();
    s.send('turn.request', { text: 'tell me a long story about the sea' });
    await sim.advance(100);
    throttle.state.writable = false;
    await sim.advance(500);
    const held = s.kinds((e) => e.kind === 'audio.out').length;
    s.session.attach(s.sink);
    await sim.advance(500);
    expect(s.kinds((e) => e.kind === 'audio.out').length).toBeGreaterThan(held);
  });
});
