// The decision table is what the kernel writes: a real run on the virtual
// clock (a committed turn, a stale and a refused proposal, a cancel, a
// confirmed barge-in, the VAD, a lane flood, an ended session, a deferred
// admission) reads back only decisions whose kind, outcome, reason and detail
// keys the table names, and the closed reason sets agree with their owners.
import { describe, expect, test } from 'vitest';
import { PRE_TURN_REASONS } from '../../api/eventabi/vocabulary.js';
import { anyEnvelope, encodeBinary } from '../../api/eventabi/index.js';
import { ADMISSION_REASONS } from '../../internal/admission/admission.js';
import type { LeaseLossReason } from '../../internal/authority/types.js';
import type { EgressVerdict } from '../../internal/fence/fence.js';
import { DROP_REASONS } from '../../internal/lanes/session-lanes.js';
import { DEMO_PIPELINE } from '../../internal/plan/embedded.js';
import type { PipelineSpec } from '../../internal/plan/types.js';
import type { SessionRecorder, TimelineSessionRecorder } from '../../internal/session/recorder.js';
import { KernelSim, type SimSession } from '../support/kernel-sim.js';
import { DECISIONS, type DecisionKind, decisionProblem } from '../../internal/observe/timeline/decisions.js';
import { type Decision, decodeRecord } from '../../internal/observe/timeline/records.js';

// The demo's mock chain, with confirmed barge-in, and behind an energy VAD that proposes turns.
const PIPELINES: PipelineSpec[] = [
  { ...DEMO_PIPELINE, name: 'confirmed', barge_in: { mode: 'confirmed', min_speech_ms: 300 } },
  {
    ...DEMO_PIPELINE,
    name: 'vad-demo',
    turn_detection: 'node',
    nodes: [{ id: 'vad', kind: 'vad', builtin: 'vad_energy' }, ...DEMO_PIPELINE.nodes],
    edges: [{ from: 'vad', to: 'stt' }, ...DEMO_PIPELINE.edges],
  },
];

function tone(amplitude: number): Buffer {
  const frame = Buffer.alloc(640);
  for (let i = 0; i < 320; i++) frame.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * 300 * i) / 16000)), i * 2);
  return frame;
}

function decisionsOf(s: SimSession): Decision[] {
  const { timeline } = s.session.recorder as TimelineSessionRecorder;
  return timeline
    .window()
    .map((stored) => decodeRecord(stored.bytes).body)
    .flatMap((body) => (body.case === 'decision' ? [body.value] : []));
}

async function openedTurn(sim: KernelSim, s: SimSession, text: string): Promise<string> {
  s.send('turn.request', { text });
  await sim.advance(60);
  return s.last('turn.opened')!.turn_id;
}

/** Every session the run drives, each ending in the state its decisions describe. */
async function run(): Promise<SimSession[]> {
  const sim = new KernelSim({ timelineMemoryRecords: 100_000, pipelines: PIPELINES });

  // A committed turn with a regressed mark, then a stale proposal, a proposal during a turn and a cancel.
  const turns = await sim.open();
  const committed = await openedTurn(sim, turns, 'hello baton');
  await sim.advance(3000);
  const generated = turns.last('output.end')!.payload.generated_ms;
  turns.send('playback.mark', { played_ms: 100 }, { turn_id: committed });
  turns.send('playback.mark', { played_ms: 50 }, { turn_id: committed });
  turns.send('playback.completed', { played_ms: generated }, { turn_id: committed });
  await sim.settle();
  turns.send('turn.request', { text: 'from another epoch' }, { epoch: turns.session.epoch + 5 });
  const cancelled = await openedTurn(sim, turns, 'tell me a long story about the sea');
  turns.send('turn.request', { text: 'while a turn is open' });
  turns.send('cancel', { scope: 'turn', reason: 'user_hung_up' }, { turn_id: cancelled });
  await sim.settle();

  // Confirmed barge-in: a short backchannel resumes, longer speech cancels.
  const barge = await sim.open('confirmed');
  await openedTurn(sim, barge, 'tell me a long story about the sea and the lighthouse keeper');
  barge.send('speech.started', {});
  await sim.advance(100);
  barge.send('speech.stopped', {});
  await sim.advance(100);
  barge.send('speech.started', {});
  await sim.advance(400);

  // Node turn detection: the VAD hears speech start and stop.
  const vad = await sim.open('vad-demo');
  for (let i = 0; i < 25; i++) vad.send('audio.in', { audio: tone(10000) });
  await sim.settle();
  for (let i = 0; i < 40; i++) vad.send('audio.in', { audio: tone(0) });
  await sim.settle();

  // A flood the scheduler does not drain: the Data lane drops, crosses its watermarks and recovers.
  const flood = await sim.open();
  for (let seq = 1; seq <= 300; seq++) {
    const frame = encodeBinary(anyEnvelope('audio.in', { audio: Buffer.alloc(640) }, { id: `g${seq}`, session_id: flood.id, epoch: flood.session.epoch, seq }));
    const admitted = flood.session.admit(frame, 'proto');
    if (!admitted.ok) throw new Error(admitted.error.message);
    flood.session.ingest(admitted.event);
  }
  await sim.settle();

  // A session ended while its turn speaks fences the turn.
  const ended = await sim.open();
  await openedTurn(sim, ended, 'a long answer please about many things');
  ended.session.end('closed_by_control_plane');
  await sim.settle();

  // One turn at a time in the whole kernel: a second session's proposal is deferred.
  const pool = new KernelSim({ timelineMemoryRecords: 100_000, limits: { max_concurrent_turns: 1 } });
  const first = await pool.open();
  const second = await pool.open();
  await openedTurn(pool, first, 'a long answer please about many things');
  second.send('turn.request', { text: 'me too' });
  await pool.settle();

  return [turns, barge, vad, flood, ended, first, second];
}

describe('the timeline decision table', () => {
  test('every decision a real run writes has a kind, outcome, reason and detail keys the table names', async () => {
    const decisions = (await run()).flatMap(decisionsOf);
    const problems = decisions.flatMap((d) => {
      const problem = decisionProblem(d);
      return problem ? [`${problem} in ${JSON.stringify(d)}`] : [];
    });
    expect(problems).toEqual([]);
    // The run reaches every kind it sets out to: a table entry nothing exercises proves nothing.
    const seen = new Set(decisions.map((d) => `${d.kind}:${d.outcome}`));
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        'ack:ignored',
        'admission:admitted',
        'admission:deferred',
        'authority:held',
        'authority:stale_epoch',
        'barge_in:resumed',
        'fence:fenced',
        'flow:xoff',
        'flow:xon',
        'lane:dropped',
        'state:rejected',
        'vad:speech_started',
        'vad:speech_stopped',
      ]),
    );
    const reasons = new Set(decisions.map((d) => d.reason));
    for (const reason of [PRE_TURN_REASONS.turnActive, PRE_TURN_REASONS.poolExhausted, 'user_hung_up', 'barge_in', 'closed_by_control_plane']) {
      expect(reasons).toContain(reason);
    }
  });

  test('a record outside the table is named as such', () => {
    expect(decisionProblem({ kind: 'terminal', outcome: 'aborted', reason: '', detail: {} })).toBe('unknown decision kind "terminal"');
    expect(decisionProblem({ kind: 'flow', outcome: 'paused', reason: '', detail: {} })).toBe('flow has no outcome "paused"');
    expect(decisionProblem({ kind: 'egress', outcome: 'refused', reason: 'late', detail: {} })).toBe('egress refused has no reason "late"');
    expect(decisionProblem({ kind: 'vad', outcome: 'speech_started', reason: '', detail: { depth: '3' } })).toBe('vad has no detail key "depth"');
    expect(decisionProblem({ kind: 'fence', outcome: 'fenced', reason: 'anything a client says', detail: { scope: 'session' } })).toBeUndefined();
  });

  test('the closed reason sets are the ones their owners give', () => {
    expect([...DECISIONS.lane.outcomes.dropped]).toEqual([...DROP_REASONS]);
    const turnAdmission = [ADMISSION_REASONS.rateLimited, ADMISSION_REASONS.tenantTurnsExhausted, ADMISSION_REASONS.poolExhausted];
    expect([...DECISIONS.admission.outcomes.rejected, ...DECISIONS.admission.outcomes.deferred]).toEqual(turnAdmission);
    // Type-level: each list is exactly its owner's union, so a reason added there fails to compile here.
    type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
    const lease: Same<LeaseLossReason, (typeof DECISIONS.authority.outcomes.lost)[number]> = true;
    const egress: Same<Extract<EgressVerdict, { ok: false }>['reason'], (typeof DECISIONS.egress.outcomes.refused)[number]> = true;
    expect([lease, egress]).toEqual([true, true]);
  });

  test('the session recorder takes only kinds, outcomes and detail keys the table names', () => {
    // Compile-time: each line below must fail to type-check (tsc runs over the tests).
    const misuse = (r: SessionRecorder): void => {
      // @ts-expect-error a kind the table does not name
      r.decision('terminal', 'aborted', '');
      // @ts-expect-error an outcome the kind does not have
      r.decision('flow', 'paused', '');
      // @ts-expect-error a detail key the kind does not have
      r.decision('vad', 'speech_started', '', { depth: '3' });
      r.decision('lane', 'dropped', 'overflow_drop_oldest', { lane: 'data', seq_from: '1', seq_to: '2' });
    };
    expect(typeof misuse).toBe('function');
    const kinds: DecisionKind[] = ['state', 'admission', 'authority', 'plan', 'lane', 'flow', 'fence', 'ack', 'vad', 'barge_in', 'egress'];
    expect(Object.keys(DECISIONS).sort()).toEqual([...kinds].sort());
  });
});
