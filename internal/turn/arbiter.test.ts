import { describe, expect, test } from 'vitest';
import { VirtualClock } from '../determinism/clock.js';
import { DEFAULT_BUDGETS } from '../plan/types.js';
import { type TurnEmitted, startTurnActor, turnState } from './arbiter.js';

function run(budgets = DEFAULT_BUDGETS) {
  const clock = new VirtualClock();
  const emitted: TurnEmitted[] = [];
  const actor = startTurnActor({ turn_id: 't-1', plan_hash: 'h', seed: 7, budgets }, clock, (e) => emitted.push(e));
  return { clock, emitted, actor, types: () => emitted.map((e) => e.type) };
}

describe('turn arbiter', () => {
  test('a committed turn emits opened, active, committed, closed in order', () => {
    const t = run();
    t.actor.send({ type: 'ACTIVATE' });
    t.actor.send({ type: 'GENERATED', ms: 400 });
    t.actor.send({ type: 'PLAYBACK_MARK', played_ms: 200 });
    t.actor.send({ type: 'OUTPUT_END', generated_ms: 400 });
    t.actor.send({ type: 'PLAYBACK_COMPLETED', played_ms: 900 });
    expect(t.types()).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
    expect(t.emitted[2]).toEqual({ type: 'turn.committed', generated_ms: 400, played_ms: 400 });
    expect(turnState(t.actor.getSnapshot())).toBe('closed');
  });

  test('without playback.completed the turn commits generated_ms + 2000 after output.end', () => {
    const t = run();
    t.actor.send({ type: 'ACTIVATE' });
    t.actor.send({ type: 'OUTPUT_END', generated_ms: 1000 });
    t.clock.advance(2999);
    expect(t.types()).not.toContain('turn.committed');
    t.clock.advance(1);
    expect(t.types()).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
  });

  test('the strongest abort reason wins when several hold at once', () => {
    const t = run();
    t.actor.send({ type: 'ACTIVATE' });
    t.actor.send({ type: 'ABORT', reasons: ['transport_lost', 'cancelled', 'node_failure'] });
    t.actor.send({ type: 'ABORT', reasons: ['authority_lost'] });
    expect(t.emitted.filter((e) => e.type === 'turn.aborted')).toEqual([{ type: 'turn.aborted', reason: 'cancelled', played_ms: 0 }]);
    expect(t.types().at(-1)).toBe('turn.closed');
  });

  test('a turn that never becomes active aborts budget_exhausted after opening_ms', () => {
    const t = run();
    t.clock.advance(DEFAULT_BUDGETS.opening_ms);
    expect(t.types()).toEqual(['turn.opened', 'turn.aborted', 'turn.closed']);
    expect(t.clock.pending).toBe(0);
  });
});
