// Property tests of the kernel invariants (DESIGN 4, 4.1, 6, 7, 8, 9, 10, 12,
// 14) over random interleavings of gateway events, cancels, playback
// acknowledgements, clock steps, connection drops, lease transfers and lease
// expiries, on one or two sessions of `demo` pipeline variants (some with
// failing providers or throwing nodes, one with confirmed barge-in). The
// kernel is the real one on a virtual clock (test/support/invariant-kernel.ts);
// every check reads what left the session's last hop and what the gateway's
// connections received.
//
// Properties that currently fail on a kernel defect keep the shrunk
// counterexample as their first example (fast-check runs it before the
// random ones) and again as a plain example test, so the failure is
// deterministic and names the defect; each defect is described where its
// counterexample is defined below.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeBinary } from '../../api/eventabi/index.js';
import { type Command, type Scenario, type Step, TEST_PIPELINES, type World, runScenario, scenarioArb } from '../support/commands.js';
import { abortReasonViolations, invariantViolations, kindsOf, streamViolations, unclosedTurns, undecodableFrames } from '../support/egress-invariants.js';
import { type Gateway, InvariantKernel, type Observed } from '../support/invariant-kernel.js';
import { commandResponseViolations, playedAccountingViolations, staleProposalViolations } from '../support/responses.js';

/** Runs per property; one run (up to 60 commands, then a drain) takes about 8 ms here, so all of them pass in about 25 s. */
const RUNS = {
  invariants: 800,
  abortReasons: 500,
  decodable: 300,
  determinism: 150,
  staleProposals: 300,
  responses: 500,
  playedAccounting: 400,
} as const;

type StepCheck = (world: World, step: Step) => string[];

/**
 * Runs `scenario`, applying `perStep` after every command and `atEnd` once
 * the run is drained; returns the first violations found, each prefixed with
 * the command that revealed it.
 */
async function violations(scenario: Scenario, perStep: StepCheck, atEnd: (world: World) => string[] = () => []): Promise<string[]> {
  const found: string[] = [];
  const world = await runScenario(scenario, (w, step) => {
    if (found.length > 0) return;
    for (const v of perStep(w, step)) found.push(`after command ${step.index} ${JSON.stringify(step.cmd)}: ${v}`);
  });
  if (found.length === 0) found.push(...atEnd(world));
  return found.slice(0, 8);
}

const none: StepCheck = () => [];

function property(check: (scenario: Scenario) => Promise<string[]>, numRuns: number, examples: Scenario[] = []): Promise<void> {
  return fc.assert(
    fc.asyncProperty(scenarioArb(), async (scenario) => {
      expect(await check(scenario)).toEqual([]);
    }),
    { numRuns, examples: examples.map((e) => [e] as [Scenario]) },
  );
}

const S = (commands: Command[], sessions: Scenario['sessions'] = ['demo']): Scenario => ({ sessions, commands });

// ---------------------------------------------------------------- shrunk counterexamples of current kernel defects

/**
 * Defect 1: a connection's close that reaches the session after the session
 * is already detached (a replaced socket closing late) arms a second
 * reconnect-grace timer over the first; the orphaned timer cannot be cleared
 * by the next attach and aborts the next turn `transport_lost` while a stream
 * is attached (Session.detach overwrites `graceTimer` without clearing it).
 */
const STALE_CLOSE_ORPHANS_GRACE_TIMER = S([
  { t: 'attach', s: 0 },
  { t: 'detach', s: 0, which: 'current' },
  { t: 'detach', s: 0, which: 'stale' },
  { t: 'attach', s: 0 },
  { t: 'advance', ms: 4000 },
  { t: 'turn.request', s: 0, epoch: 'current', text: 'hello' },
  { t: 'advance', ms: 1500 },
]);

/**
 * Defect 2: a turn proposal whose epoch is stale is answered
 * `turn.rejected{turn_active}` (turn.request) or not at all (speech.stopped)
 * while a turn is active, instead of `turn.stale_epoch`: Session.decide checks
 * the active turn before the epoch, and onSpeechStopped ignores a proposal
 * while a turn is active without looking at its epoch.
 */
const STALE_PROPOSAL_DURING_TURN = S([
  { t: 'turn.request', s: 0, epoch: 'current' },
  { t: 'turn.request', s: 0, epoch: 'zero' },
]);
const STALE_SPEECH_STOPPED_DURING_TURN = S([
  { t: 'turn.request', s: 0, epoch: 'current' },
  { t: 'speech.stopped', s: 0, epoch: 'next' },
]);

/**
 * Defect 3: `playback.completed` before `output.end` is accepted (no error,
 * and it moves the ack baseline in TurnRuntime) but the arbiter drops it
 * (PLAYBACK_COMPLETED is handled only in active.awaitingPlayback), so the
 * terminal reports a played_ms lower than the last acknowledged value.
 */
const COMPLETED_BEFORE_OUTPUT_END = S([
  { t: 'turn.request', s: 0, epoch: 'current', text: 'book a table for two' },
  { t: 'playback.completed', s: 0, target: 'active', played: { kind: 'fraction', f: 1 } },
  { t: 'cancel.turn', s: 0, target: 'active' },
]);

/**
 * Defect 4: a turn proposed with no pending input sends
 * transcript{role: user, text: ""}, which the Event ABI's own decoder refuses
 * (`invalid_payload`: transcript requires a non-empty text).
 */
const EMPTY_USER_TRANSCRIPT = S([{ t: 'turn.request', s: 0, epoch: 'current' }]);

// ---------------------------------------------------------------- properties

describe('kernel invariants under random interleavings', () => {
  test(
    'every stream keeps the turn lifecycle shape, the fence, seq and epoch stamping, the lease stop rule and bounded lanes; every opened turn closes',
    async () => {
      await property((scenario) => violations(scenario, invariantViolations, unclosedTurns), RUNS.invariants);
    },
  );

  test('turns abort only for a reason that holds, authority_lost first; transport_lost only after the reconnect grace without a stream', async () => {
    await property((scenario) => violations(scenario, abortReasonViolations), RUNS.abortReasons, [STALE_CLOSE_ORPHANS_GRACE_TIMER]);
  });

  test('every frame a gateway receives decodes under the Event ABI', async () => {
    await property((scenario) => violations(scenario, none, undecodableFrames), RUNS.decodable, [EMPTY_USER_TRANSCRIPT]);
  });

  test('a proposal with a stale epoch is answered turn.stale_epoch and nothing else, whatever the session state', async () => {
    await property((scenario) => violations(scenario, staleProposalViolations), RUNS.staleProposals, [STALE_PROPOSAL_DURING_TURN]);
  });

  test('cancels, acknowledgements, current proposals and lease losses get exactly the answer the contract gives them', async () => {
    await property((scenario) => violations(scenario, commandResponseViolations), RUNS.responses);
  });

  test('a terminal reports the last acknowledged played_ms, capped at what was generated', async () => {
    await property((scenario) => violations(scenario, none, playedAccountingViolations), RUNS.playedAccounting, [COMPLETED_BEFORE_OUTPUT_END]);
  });

  test('the same commands in two fresh kernels give byte-identical timelines and egress', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb(), async (scenario) => {
        const a = await runScenario(scenario);
        const b = await runScenario(scenario);
        expect(a.gateways.length).toBe(b.gateways.length);
        a.gateways.forEach((ga, i) => {
          const gb = b.gateways[i]!;
          expect(Buffer.from(ga.timeline).equals(Buffer.from(gb.timeline)), `${ga.id}: timelines differ`).toBe(true);
          expect(ga.received.map((o) => Buffer.from(o.frame).toString('base64'))).toEqual(gb.received.map((o) => Buffer.from(o.frame).toString('base64')));
          expect(ga.passed.map((o) => [o.at, Buffer.from(o.frame).toString('base64')])).toEqual(gb.passed.map((o) => [o.at, Buffer.from(o.frame).toString('base64')]));
          expect(ga.closes).toEqual(gb.closes);
        });
        expect(a.kernel.clock.now()).toBe(b.kernel.clock.now());
      }),
      { numRuns: RUNS.determinism },
    );
  });
});

// ---------------------------------------------------------------- the counterexamples as plain examples

describe('kernel defects found by the properties (minimal counterexamples)', () => {
  test('a late close of a replaced connection must not abort a later turn transport_lost while a stream is attached', async () => {
    expect(await violations(STALE_CLOSE_ORPHANS_GRACE_TIMER, abortReasonViolations)).toEqual([]);
  });

  test('a stale-epoch turn.request while a turn is active is answered turn.stale_epoch, not turn.rejected', async () => {
    expect(await violations(STALE_PROPOSAL_DURING_TURN, staleProposalViolations)).toEqual([]);
  });

  test('a stale-epoch speech.stopped while a turn is active is answered turn.stale_epoch, not ignored', async () => {
    expect(await violations(STALE_SPEECH_STOPPED_DURING_TURN, staleProposalViolations)).toEqual([]);
  });

  test('a stale-epoch speech.stopped does not resume a turn paused by confirmed barge-in', async () => {
    // With nothing after speech.started the caller's speech is confirmed after min_speech_ms (300) and cancels the turn.
    const confirm = (extra: Command[]): Promise<World> =>
      runScenario(
        S([{ t: 'turn.request', s: 0, epoch: 'current', text: 'book a table for two' }, { t: 'speech.started', s: 0 }, ...extra, { t: 'advance', ms: 400 }], ['demo-confirmed']),
      );
    const abortedBargeIn = (world: World): boolean => world.gateways[0]!.passed.some((o) => o.event.kind === 'output.clear' && o.event.payload.reason === 'barge_in');
    expect(abortedBargeIn(await confirm([]))).toBe(true);
    const stale = await confirm([{ t: 'speech.stopped', s: 0, epoch: 'next' }]);
    expect(kindsOf(stale.gateways[0]!.passed.filter((o) => o.event.kind === 'turn.stale_epoch' || o.event.kind === 'error'))).toEqual(['turn.stale_epoch']);
    expect(abortedBargeIn(stale)).toBe(true);
  });

  test('playback.completed accepted before output.end counts as the last acknowledgement in the terminal played_ms', async () => {
    expect(await violations(COMPLETED_BEFORE_OUTPUT_END, none, playedAccountingViolations)).toEqual([]);
  });

  test('a turn with no pending input never sends an empty user transcript', async () => {
    expect(await violations(EMPTY_USER_TRANSCRIPT, none, undecodableFrames)).toEqual([]);
  });

  /**
   * Defect 5: in the instant between the lease's local deadline and the
   * keeper's deadline callback, the egress refuses turn.committed (not a stop
   * kind) but lets turn.closed through, so the gateway sees a turn close with
   * no terminal. On the virtual clock it takes a playback timeout due at the
   * same millisecond as the deadline (and armed before it); on a real clock,
   * any commit while the deadline timer runs late.
   */
  test('a commit due at the instant the lease deadline passes still gives the gateway exactly one terminal before turn.closed', async () => {
    const ttl = 2000;
    // Renewals go out every ttl/2 from the acquire at t=0; the playback timer of a turn
    // whose output ends at X with G ms of audio is due at X + G + 2000. Shift the turn so
    // that X + G is a renewal time R, then stall renewals after R: the deadline is R + ttl.
    const run = async (offset: number, stall: boolean): Promise<{ world: World; end: number; gen: number }> => {
      const kernel = new InvariantKernel({ leaseTtlMs: ttl, pipelines: TEST_PIPELINES, timelineMemoryRecords: 100_000 });
      const g = await kernel.open('demo');
      const world: World = { kernel, gateways: [g], notes: [{ variant: 'demo', lost: undefined, acks: new Map() }], steps: [] };
      await kernel.advance(offset, 1);
      g.send('turn.request', { text: 'hello' });
      await kernel.settle();
      let ended: Observed | undefined;
      for (let i = 0; i < 10_000 && !ended; i++) {
        ended = g.passed.find((o) => o.event.kind === 'output.end');
        if (!ended) await kernel.advance(1, 1);
      }
      const end = ended!.at;
      const gen = ended!.event.kind === 'output.end' ? ended!.event.payload.generated_ms : 0;
      if (stall) {
        const renewal = end + gen;
        await kernel.advance(renewal + 10 - kernel.clock.now(), 1);
        kernel.authority.stall(g.id, 'hang');
        const deadline = kernel.authority.lastGrantRequestedAt(g.id)! + ttl;
        world.notes[0]!.lost = { how: 'expire', deadline };
        expect(deadline, 'the lease deadline falls on the playback timeout').toBe(end + gen + 2000);
        await kernel.advance(ttl + 100, 1);
      }
      return { world, end, gen };
    };
    const probe = await run(0, false);
    const offset = (ttl / 2 - ((probe.end + probe.gen) % (ttl / 2))) % (ttl / 2);
    const { world } = await run(offset, true);
    const g = world.gateways[0]!;
    expect(g.session.ended).toBe(true);
    expect(streamViolations(world, 0)).toEqual([]);
  });
});

describe('the invariant checks are not vacuous', () => {
  /** A committed turn's stream, then the same stream with one fault injected. */
  async function committedStream(): Promise<World> {
    return runScenario(S([{ t: 'turn.request', s: 0, epoch: 'current', text: 'hello' }, { t: 'advance', ms: 1500 }]));
  }

  function tampered(world: World, edit: (passed: Observed[]) => Observed[]): World {
    const g = world.gateways[0]!;
    const passed = edit([...g.passed]).map((o, i) => ({ ...o, event: { ...o.event, seq: i + 1 } as typeof o.event }));
    const fake = { id: g.id, passed } as unknown as Gateway;
    return { ...world, gateways: [fake] };
  }

  const cases: [string, (passed: Observed[]) => Observed[], RegExp][] = [
    ['a turn closed without its terminal', (p) => p.filter((o) => o.event.kind !== 'turn.committed'), /closed only after exactly one terminal/],
    ['two terminals', (p) => p.flatMap((o) => (o.event.kind === 'turn.committed' ? [o, o] : [o])), /exactly one terminal/],
    [
      'audio after output.clear',
      (p) => {
        const audio = p.find((o) => o.event.kind === 'audio.out')!;
        const end = p.findIndex((o) => o.event.kind === 'output.end');
        const clear = { ...audio, event: { ...audio.event, kind: 'output.clear', payload: { reason: 'x' } } as Observed['event'] };
        return [...p.slice(0, end), clear, audio, ...p.slice(end)];
      },
      /after that turn's output.clear/,
    ],
    ['an event with another epoch', (p) => p.map((o, i) => (i === 3 ? { ...o, event: { ...o.event, epoch: o.event.epoch + 1 } } : o)), /is not the epoch/],
    ['a terminal for a turn never opened', (p) => p.filter((o) => o.event.kind !== 'turn.opened'), /never opened/],
  ];
  for (const [name, edit, expected] of cases) {
    test(`the lifecycle check reports ${name}`, async () => {
      const world = await committedStream();
      expect(streamViolations(world, 0)).toEqual([]);
      expect(streamViolations(tampered(world, edit), 0).join('\n')).toMatch(expected);
    });
  }
});

// ---------------------------------------------------------------- examples that pin the expected sequences

describe('kernel invariants: pinned sequences', () => {
  test('a lease transfer mid-turn: output.clear, turn.aborted{authority_lost}, turn.closed, session.ended{authority_moved, owner}, close 4009', async () => {
    const world = await runScenario(S([{ t: 'turn.request', s: 0, epoch: 'current', text: 'hello' }, { t: 'advance', ms: 200 }, { t: 'lease.transfer', s: 0 }]));
    const g = world.gateways[0]!;
    const tail = g.received.slice(-4).map((o) => o.event);
    expect(kindsOf(tail.map((event) => ({ event })))).toEqual(['output.clear(t-1)', 'turn.aborted(t-1)', 'turn.closed(t-1)', 'session.ended']);
    expect(tail[1]!.payload).toMatchObject({ reason: 'authority_lost' });
    expect(tail[3]!.payload).toEqual({ reason: 'authority_moved', owner: 'other-kernel' });
    expect(g.closes.at(-1)).toMatchObject({ code: 4009, reason: 'owner=other-kernel' });
    const held = g.received[0]!.event.epoch;
    expect(g.received.every((o) => o.event.epoch === held)).toBe(true);
  });

  test('a lease whose renewals stall expires at its local deadline: the kernel goes silent and ends the session 4009', async () => {
    const world = await runScenario(S([{ t: 'turn.request', s: 0, epoch: 'current', text: 'book a table for two' }, { t: 'lease.expire', s: 0, mode: 'hang' }]));
    const g = world.gateways[0]!;
    const lost = world.notes[0]!.lost;
    expect(lost?.how).toBe('expire');
    expect(g.session.ended).toBe(true);
    expect(g.received.at(-1)!.event).toMatchObject({ kind: 'session.ended', payload: { reason: 'authority_moved' } });
    expect(g.closes.at(-1)).toMatchObject({ code: 4009 });
    expect(await violations(S([{ t: 'turn.request', s: 0, epoch: 'current', text: 'book a table for two' }, { t: 'lease.expire', s: 0, mode: 'hang' }]), invariantViolations, unclosedTurns)).toEqual([]);
  });

  test('a turn whose provider fails aborts provider_failure, and one whose node throws aborts node_failure', async () => {
    const world = await runScenario(
      S(
        [
          { t: 'turn.request', s: 0, epoch: 'current', text: 'hello' },
          { t: 'turn.request', s: 1, epoch: 'current', text: 'hello' },
          { t: 'advance', ms: 3000 },
        ],
        ['demo-provider-fail', 'demo-node-throw'],
      ),
    );
    const reasons = world.gateways.map((g) => g.passed.find((o) => o.event.kind === 'turn.aborted')?.event.payload);
    expect(reasons).toMatchObject([{ reason: 'provider_failure' }, { reason: 'node_failure' }]);
  });

  test('the harness kernel answers like KernelSim: typed text then turn.request commits after playback.completed', async () => {
    const kernel = new InvariantKernel();
    const g = await kernel.open();
    g.send('text.in', { text: 'hello baton' });
    g.send('turn.request', {});
    await kernel.advance(3000);
    const end = g.received.find((o) => o.event.kind === 'output.end')!.event;
    expect(end.kind).toBe('output.end');
    if (end.kind === 'output.end') g.send('playback.completed', { played_ms: end.payload.generated_ms }, { turn_id: 't-1' });
    await kernel.settle();
    expect(kindsOf(g.received.filter((o) => o.event.kind.startsWith('turn.')))).toEqual(['turn.opened(t-1)', 'turn.active(t-1)', 'turn.committed(t-1)', 'turn.closed(t-1)']);
    expect(g.received.every((o) => decodeBinary(o.frame).ok)).toBe(true);
  });
});
