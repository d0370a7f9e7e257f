import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type AnyEnvelope, anyEnvelope } from '../../api/eventabi/index.js';
import { EgressFence, type FenceClosing, type TurnCancellation } from './fence.js';

const held = { isAuthoritative: () => true };
const lost = { isAuthoritative: () => false };

function fenceWithLog(): { fence: EgressFence; log: string[]; closings: FenceClosing[]; clock: { t: number } } {
  const clock = { t: 0 };
  const log: string[] = [];
  const closings: FenceClosing[] = [];
  const fence = new EgressFence({
    now: () => clock.t,
    onClosing: (closing) => {
      closings.push(closing);
      log.push(`recorded ${closing.scope}:${closing.turn_id}:${closing.reason}`);
    },
  });
  return { fence, log, closings, clock };
}

function audioOut(turn_id: string): AnyEnvelope {
  return anyEnvelope('audio.out', { audio: new Uint8Array(4) }, { turn_id });
}

describe('turn cancel scope', () => {
  test('the decision is recorded before the fence closes and before the signal aborts, in one call', () => {
    const { fence, log } = fenceWithLog();
    const scope = fence.openTurn('t-1');
    scope.signal.addEventListener('abort', () => {
      log.push(`aborted fenced=${String(scope.fenced)}`);
      expect(fence.egressVerdict(audioOut('t-1'), held)).toEqual({ ok: false, reason: 'late_after_cancel' });
    });
    expect(scope.cancel('barge_in')).toBe(true);
    expect(log).toEqual(['recorded turn:t-1:barge_in', 'aborted fenced=true']);
    expect((scope.signal.reason as TurnCancellation).abort_reason).toBe('cancelled');
  });

  test('a repeated cancel reports false and records nothing', () => {
    const { fence, closings } = fenceWithLog();
    const scope = fence.openTurn('t-1');
    expect(scope.cancel('barge_in')).toBe(true);
    expect(scope.cancel('barge_in')).toBe(false);
    expect(scope.cancel('other', { scope: 'session' })).toBe(false);
    expect(closings).toHaveLength(1);
  });

  test('a scope closed normally aborts its signal without fencing and cannot be cancelled after', () => {
    const { fence, closings } = fenceWithLog();
    const scope = fence.openTurn('t-1');
    scope.close();
    expect(scope.signal.aborted).toBe(true);
    expect(scope.cancelled).toBeUndefined();
    expect(scope.fenced).toBe(false);
    expect(scope.cancel('late')).toBe(false);
    expect(closings).toEqual([]);
  });

  test('a node scope aborts with its turn, and alone without fencing the turn', () => {
    const { fence, closings } = fenceWithLog();
    const turn = fence.openTurn('t-1');
    const a = turn.node('llm');
    const b = turn.node('tts');
    expect(a.cancel('deadline')).toBe(true);
    expect(a.cancel('deadline')).toBe(false);
    expect(a.signal.aborted).toBe(true);
    expect(b.signal.aborted).toBe(false);
    expect(turn.fenced).toBe(false);
    expect(closings).toEqual([{ scope: 'node', turn_id: 't-1', node_id: 'llm', reason: 'deadline', detail: {} }]);
    turn.cancel('barge_in');
    expect(b.signal.aborted).toBe(true);
    expect(turn.node('late').signal.aborted).toBe(true);
  });
});

describe('egress verdict', () => {
  test('only the speaking turn may speak: output of a closed turn is turn_closed, of a fenced one late_after_cancel', () => {
    const { fence, clock } = fenceWithLog();
    const first = fence.openTurn('t-1');
    expect(fence.egressVerdict(audioOut('t-1'), held)).toEqual({ ok: true });
    first.close();
    clock.t = 10;
    expect(fence.egressVerdict(audioOut('t-1'), held)).toEqual({ ok: false, reason: 'turn_closed' });
    const second = fence.openTurn('t-2');
    expect(fence.egressVerdict(audioOut('t-1'), held)).toEqual({ ok: false, reason: 'turn_closed' });
    second.cancel('barge_in');
    expect(fence.egressVerdict(audioOut('t-2'), held)).toEqual({ ok: false, reason: 'late_after_cancel' });
    expect(fence.lateAfterCancel).toBe(1);
    // Stop events of a fenced turn still pass: they tell the gateway to stop.
    expect(fence.egressVerdict(anyEnvelope('output.clear', { reason: 'barge_in' }, { turn_id: 't-2' }), held)).toEqual({ ok: true });
  });

  test('without authority nothing but the stop events passes', () => {
    const { fence } = fenceWithLog();
    fence.openTurn('t-1');
    expect(fence.egressVerdict(audioOut('t-1'), lost)).toEqual({ ok: false, reason: 'stale_epoch' });
    expect(fence.egressVerdict(anyEnvelope('session.ended', { reason: 'authority_moved' }), lost)).toEqual({ ok: true });
  });

  test('a session fence records once, aborts the speaking turn with its reason, and fences every later turn', () => {
    const { fence, closings } = fenceWithLog();
    const turn = fence.openTurn('t-1');
    expect(fence.fenceSession('authority_lost', { owner: 'k2' })).toBe(true);
    expect(fence.fenceSession('authority_lost')).toBe(false);
    expect(closings).toEqual([{ scope: 'session', turn_id: 't-1', reason: 'authority_lost', detail: { owner: 'k2' } }]);
    expect(turn.signal.aborted).toBe(true);
    expect(turn.cancelled).toEqual({ reason: 'authority_lost', abort_reason: 'authority_lost' });
    // The turn's own cancel after the session fence is a repeat: nothing more is recorded.
    expect(turn.cancel('barge_in')).toBe(false);
    expect(closings).toHaveLength(1);
    const later = fence.openTurn('t-2');
    expect(later.fenced).toBe(true);
  });
});

describe('fence registry', () => {
  test('stays bounded over any sequence of opened, cancelled and closed turns', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ cancel: fc.boolean(), gapMs: fc.integer({ min: 0, max: 3000 }) }), { maxLength: 400 }), (turns) => {
        const { fence, clock } = fenceWithLog();
        let closedWithinTail = 0;
        const closedAt: number[] = [];
        turns.forEach((t, i) => {
          const scope = fence.openTurn(`t-${i + 1}`);
          if (t.cancel) scope.cancel('barge_in');
          clock.t += t.gapMs;
          scope.close();
          if (t.cancel) closedAt.push(clock.t);
          closedWithinTail = closedAt.filter((at) => clock.t - at < 5000).length;
          // Entries of turns closed within the tail may remain, plus at most one sweep's worth (64).
          expect(fence.size).toBeLessThanOrEqual(Math.max(closedWithinTail, 65));
        });
      }),
    );
  });
});
