// Cancellation is one scope: whichever path cancels a turn (a gateway cancel,
// barge-in, session end, lost authority), its fence decision is on the
// timeline before any of its effects, exactly once.
import { describe, expect, test } from 'vitest';
import { parseTimeline } from '../../internal/observe/timeline/index.js';
import type { TimelineSessionRecorder } from '../../internal/session/recorder.js';
import { KernelSim, type SimSession } from '../support/kernel-sim.js';

/** The session's timeline as `fence:<reason>` decisions and `egress:<kind>` records, in order, for one turn. */
function fenceAndEgress(s: SimSession, turn_id: string): string[] {
  const records = parseTimeline((s.session.recorder as TimelineSessionRecorder).timeline.bytes());
  const out: string[] = [];
  for (const r of records) {
    if (r.body.case === 'decision' && r.body.value.kind === 'fence' && r.turn_id === turn_id) out.push(`fence:${r.body.value.reason}:${r.body.value.detail['scope']}`);
    if (r.body.case === 'egress' && r.turn_id === turn_id) out.push(`egress:${r.body.value.kind}`);
  }
  return out;
}

async function speakingTurn(sim: KernelSim): Promise<{ s: SimSession; turn_id: string }> {
  const s = await sim.open();
  s.send('turn.request', { text: 'tell me a long story about the sea' });
  await sim.advance(200);
  const opened = s.last('turn.opened');
  expect(opened).toBeDefined();
  expect(s.kinds()).toContain('audio.out');
  return { s, turn_id: opened!.turn_id };
}

describe('a cancelled turn', () => {
  test('records its fence decision before output.clear, turn.aborted and turn.closed', async () => {
    const sim = new KernelSim();
    const { s, turn_id } = await speakingTurn(sim);
    s.send('cancel', { scope: 'turn', reason: 'barge_in' }, { turn_id });
    await sim.settle();
    const tail = fenceAndEgress(s, turn_id).filter((e) => !e.startsWith('egress:audio.out') && !e.startsWith('egress:transcript'));
    expect(tail.slice(-4)).toEqual(['fence:barge_in:turn', 'egress:output.clear', 'egress:turn.aborted', 'egress:turn.closed']);
  });

  test('a repeated cancel of a fenced turn succeeds again and records nothing more', async () => {
    const sim = new KernelSim();
    const { s, turn_id } = await speakingTurn(sim);
    const first = s.session.cancel('turn', turn_id, 'barge_in');
    expect(first).toMatchObject({ ok: true, fenced: true });
    await sim.settle();
    // Closed by now: a cancel of a closed turn is turn_closed and records nothing.
    expect(s.session.cancel('turn', turn_id, 'barge_in')).toMatchObject({ ok: false, code: 'turn_closed' });
    expect(fenceAndEgress(s, turn_id).filter((e) => e.startsWith('fence:'))).toEqual(['fence:barge_in:turn']);
    expect(s.kinds((e) => e.kind === 'output.clear')).toHaveLength(1);
  });

  test('ending the session fences its turn with the session scope, recorded first', async () => {
    const sim = new KernelSim();
    const { s, turn_id } = await speakingTurn(sim);
    s.send('session.end', { reason: 'caller_hung_up' });
    const tail = fenceAndEgress(s, turn_id).filter((e) => !e.startsWith('egress:audio.out') && !e.startsWith('egress:transcript'));
    expect(tail.slice(-4)).toEqual(['fence:caller_hung_up:session', 'egress:output.clear', 'egress:turn.aborted', 'egress:turn.closed']);
  });

  test('losing authority fences the session: recorded once, then output.clear, turn.aborted{authority_lost}, turn.closed', async () => {
    const sim = new KernelSim();
    const { s, turn_id } = await speakingTurn(sim);
    s.session.authorityLost({ owner: 'kernel-b', reason: 'superseded' });
    const tail = fenceAndEgress(s, turn_id).filter((e) => !e.startsWith('egress:audio.out') && !e.startsWith('egress:transcript'));
    expect(tail.slice(-4)).toEqual(['fence:authority_lost:session', 'egress:output.clear', 'egress:turn.aborted', 'egress:turn.closed']);
    expect(s.last('turn.aborted')!.payload.reason).toBe('authority_lost');
    expect(s.last('session.ended')!.payload).toEqual({ reason: 'authority_moved', owner: 'kernel-b' });
  });

  test('the node graph sees the cancel through the turn scope at once: no audio of the turn after output.clear', async () => {
    const sim = new KernelSim();
    const { s, turn_id } = await speakingTurn(sim);
    s.send('cancel', { scope: 'turn', reason: 'barge_in' }, { turn_id });
    await sim.advance(2000);
    const kinds = s.ofTurn(turn_id).map((e) => e.kind);
    expect(kinds.slice(kinds.indexOf('output.clear'))).toEqual(['output.clear', 'turn.aborted', 'turn.closed']);
    expect(s.session.snapshot().fence.late_after_cancel).toBe(0);
  });
});
