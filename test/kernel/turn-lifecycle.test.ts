import { describe, expect, test } from 'vitest';
import { KernelSim } from '../support/kernel-sim.js';

describe('a turn end to end on the virtual clock', () => {
  test('typed text then turn.request commits after playback.completed', async () => {
    const sim = new KernelSim();
    const s = await sim.open();
    expect(s.kinds()).toEqual(['session.started']);
    s.send('text.in', { text: 'hello baton' });
    s.send('turn.request', {});
    await sim.settle();
    const opened = s.last('turn.opened')!;
    expect(opened).toBeDefined();
    await sim.advance(3000);
    const end = s.last('output.end')!;
    expect(end).toBeDefined();
    s.send('playback.completed', { played_ms: end.payload.generated_ms }, { turn_id: opened.turn_id });
    await sim.settle();
    const turnKinds = s.ofTurn(opened.turn_id).map((e) => e.kind).filter((k) => k.startsWith('turn.'));
    expect(turnKinds).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
    console.log(s.kinds().join(' '));
  });
});
