// Gateway and operator commands for the kernel invariant properties: what
// they are, how fast-check generates them, and how one is applied to an
// InvariantKernel. A command names its target loosely ("the active turn",
// "a closed turn"); the runner resolves it against what the session has
// emitted so far and records the resolution, so the checks know exactly what
// was sent.
import fc from 'fast-check';
import { type AnyEnvelope, audioMs } from '../../api/eventabi/index.js';
import { DEMO_PIPELINE } from '../../internal/plan/embedded.js';
import type { PipelineSpec } from '../../internal/plan/types.js';
import { type Gateway, InvariantKernel, type Observed, type StallMode } from './invariant-kernel.js';

// ------------------------------------------------------------------ pipelines

/** Variants of `demo` a session may run: the same nodes, different failure and barge-in behaviour. */
export const VARIANTS = ['demo', 'demo-slow', 'demo-provider-fail', 'demo-node-throw', 'demo-flaky', 'demo-confirmed'] as const;
export type Variant = (typeof VARIANTS)[number];

function demoWith(name: string, llm: { config?: Record<string, string>; provider?: string }, extra: Partial<PipelineSpec> = {}): PipelineSpec {
  return {
    ...DEMO_PIPELINE,
    name,
    nodes: DEMO_PIPELINE.nodes.map((node) => (node.id === 'llm' ? { ...node, ...llm } : { ...node })),
    edges: DEMO_PIPELINE.edges.map((edge) => ({ ...edge })),
    ...extra,
  };
}

const PROVIDERS = [
  { name: 'primary', kind: 'mock', max_retries: 1, fallbacks: ['backup'] },
  { name: 'backup', kind: 'mock' },
];

export const TEST_PIPELINES: PipelineSpec[] = [
  demoWith('demo-slow', { config: { latency_ms: '400', token_interval_ms: '60' } }),
  // Every attempt fails: provider_failure after retry and fallback.
  demoWith('demo-provider-fail', { provider: 'primary', config: { fail: 'unavailable', latency_ms: '100' } }, { providers: PROVIDERS }),
  // The node throws: node_failure.
  demoWith('demo-node-throw', { config: { throw: 'true' } }),
  // The first attempt fails, the retry answers.
  demoWith('demo-flaky', { provider: 'primary', config: { fail: 'unavailable', fail_attempts: '1' } }, { providers: PROVIDERS }),
  demoWith('demo-confirmed', {}, { barge_in: { mode: 'confirmed', min_speech_ms: 300 } }),
];

export const FORMAT = { codec: 'pcm16', sample_rate: 16000 } as const;
export const FRAME_BYTES = 640;
export const RECONNECT_GRACE_MS = 5000;

// ------------------------------------------------------------------ commands

export type EpochChoice = 'current' | 'zero' | 'next';
export type TurnTarget = 'active' | 'closed' | 'unknown';
export type PlayedChoice = { kind: 'fraction'; f: number } | { kind: 'over'; extra: number } | { kind: 'abs'; ms: number };

export type Command =
  | { t: 'text.in'; s: number; text: string }
  | { t: 'audio.in'; s: number; frames: number; tone: number }
  | { t: 'speech.started'; s: number }
  | { t: 'speech.stopped'; s: number; epoch: EpochChoice }
  | { t: 'turn.request'; s: number; epoch: EpochChoice; text?: string }
  | { t: 'cancel.turn'; s: number; target: TurnTarget }
  | { t: 'cancel.session'; s: number }
  | { t: 'playback.mark' | 'playback.completed'; s: number; target: TurnTarget; played: PlayedChoice }
  | { t: 'advance'; ms: number }
  | { t: 'lease.transfer'; s: number }
  | { t: 'lease.expire'; s: number; mode: StallMode }
  | { t: 'detach'; s: number; which: 'current' | 'stale' }
  | { t: 'attach'; s: number }
  | { t: 'session.end'; s: number };

export interface Scenario {
  sessions: Variant[];
  commands: Command[];
}

const WORDS = ['hello', 'baton', 'what time is it', 'book a table for two', 'tell me a joke', 'yes', 'no thanks'] as const;

const sArb = fc.integer({ min: 0, max: 1 });
const epochArb: fc.Arbitrary<EpochChoice> = fc.constantFrom<EpochChoice>('current', 'current', 'current', 'zero', 'next');
const targetArb: fc.Arbitrary<TurnTarget> = fc.constantFrom<TurnTarget>('active', 'active', 'active', 'closed', 'unknown');
const playedArb: fc.Arbitrary<PlayedChoice> = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((f) => ({ kind: 'fraction' as const, f })) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 5000 }).map((extra) => ({ kind: 'over' as const, extra })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 10_000 }).map((ms) => ({ kind: 'abs' as const, ms })) },
);
const advanceArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 200 }) },
  { weight: 4, arbitrary: fc.integer({ min: 200, max: 1500 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1500, max: 5000 }) },
);

export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('text.in' as const), s: sArb, text: fc.constantFrom(...WORDS) }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('audio.in' as const), s: sArb, frames: fc.integer({ min: 1, max: 5 }), tone: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('speech.started' as const), s: sArb }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('speech.stopped' as const), s: sArb, epoch: epochArb }) },
  {
    weight: 12,
    arbitrary: fc.record(
      { t: fc.constant('turn.request' as const), s: sArb, epoch: epochArb, text: fc.constantFrom(...WORDS) },
      { requiredKeys: ['t', 's', 'epoch'] },
    ),
  },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('cancel.turn' as const), s: sArb, target: targetArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('cancel.session' as const), s: sArb }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('playback.mark' as const), s: sArb, target: targetArb, played: playedArb }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('playback.completed' as const), s: sArb, target: targetArb, played: playedArb }) },
  { weight: 20, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: advanceArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('lease.transfer' as const), s: sArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('lease.expire' as const), s: sArb, mode: fc.constantFrom<StallMode>('hang', 'unavailable') }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('detach' as const), s: sArb, which: fc.constantFrom<'current' | 'stale'>('current', 'current', 'stale') }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('attach' as const), s: sArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('session.end' as const), s: sArb }) },
);

export function scenarioArb(maxCommands = 60): fc.Arbitrary<Scenario> {
  return fc.record({
    sessions: fc.array(fc.constantFrom<Variant>(...VARIANTS), { minLength: 1, maxLength: 2 }),
    commands: fc.array(commandArb, { minLength: 1, maxLength: maxCommands, size: 'max' }),
  });
}

// ------------------------------------------------------------------ what the stream says about turns

export interface TurnView {
  readonly id: string;
  /** Index in `passed` of each turn.* event of this turn, in order. */
  readonly lifecycle: { kind: string; index: number }[];
  audioMs: number;
  outputEnd: number | undefined;
  closed: boolean;
}

/** The turns a session has opened, from every event that passed its last hop. */
export function turnsOf(passed: readonly Observed[]): Map<string, TurnView> {
  const turns = new Map<string, TurnView>();
  passed.forEach(({ event }, index) => {
    if (!event.turn_id) return;
    let turn = turns.get(event.turn_id);
    if (!turn) {
      turn = { id: event.turn_id, lifecycle: [], audioMs: 0, outputEnd: undefined, closed: false };
      turns.set(event.turn_id, turn);
    }
    if (event.kind.startsWith('turn.')) turn.lifecycle.push({ kind: event.kind, index });
    if (event.kind === 'turn.closed') turn.closed = true;
    if (event.kind === 'audio.out') turn.audioMs += audioMs(FORMAT, event.payload.audio.length);
    if (event.kind === 'output.end') turn.outputEnd = event.payload.generated_ms;
  });
  return turns;
}

export function activeTurn(passed: readonly Observed[]): TurnView | undefined {
  for (const turn of turnsOf(passed).values()) if (!turn.closed && turn.lifecycle[0]?.kind === 'turn.opened') return turn;
  return undefined;
}

// ------------------------------------------------------------------ running

/** Per session, what the run did to it that the checks need to know. */
export interface SessionNotes {
  readonly variant: Variant;
  /** Index into `passed` from which this kernel no longer held the lease (transfer), or the lease's local deadline (expiry). */
  lost: { how: 'transfer'; index: number } | { how: 'expire'; deadline: number } | undefined;
  /** Last acknowledgement the kernel accepted, per turn. */
  readonly acks: Map<string, number>;
}

/** One applied command: what it resolved to and where each session's stream stood before and after it. */
export interface Step {
  readonly index: number;
  readonly cmd: Command;
  /** The session the command addressed (undefined for clock advances). */
  readonly s: number | undefined;
  /** Resolution: the ingress event id sent, the turn named, the played_ms sent, the epoch sent. */
  readonly sent?: { id: string; accepted: boolean; turn_id?: string; played_ms?: number; epoch?: number; stale?: boolean };
  /** What the session looked like when the command was applied. */
  readonly pre?: { ended: boolean; active: string | undefined; attached: boolean; turnCount: number; audioMs: number; outputEnd: number | undefined; ack: number; closes: number };
  readonly before: number[];
  readonly after: number[];
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface World {
  readonly kernel: InvariantKernel;
  readonly gateways: Gateway[];
  readonly notes: SessionNotes[];
  readonly steps: Step[];
}

export const TIMELINE_MEMORY_RECORDS = 100_000;

export async function openWorld(sessions: readonly Variant[]): Promise<World> {
  const kernel = new InvariantKernel({ pipelines: TEST_PIPELINES, timelineMemoryRecords: TIMELINE_MEMORY_RECORDS });
  const gateways: Gateway[] = [];
  const notes: SessionNotes[] = [];
  for (const variant of sessions) {
    gateways.push(await kernel.open(variant));
    notes.push({ variant, lost: undefined, acks: new Map() });
  }
  return { kernel, gateways, notes, steps: [] };
}

function frame(tone: number, i: number): Uint8Array {
  const out = new Uint8Array(FRAME_BYTES);
  for (let j = 0; j < FRAME_BYTES; j++) out[j] = (tone * 31 + i * 7 + j * 13) & 0xff;
  return out;
}

function epochFor(g: Gateway, choice: EpochChoice): number {
  const current = g.session.epoch;
  return choice === 'current' ? current : choice === 'zero' ? 0 : current + 1;
}

function resolveTurn(g: Gateway, target: TurnTarget): string {
  const turns = turnsOf(g.passed);
  if (target === 'unknown') return 't-999';
  if (target === 'active') {
    const active = activeTurn(g.passed);
    if (active) return active.id;
  }
  let lastClosed: string | undefined;
  for (const turn of turns.values()) if (turn.closed) lastClosed = turn.id;
  // No turn has closed yet: the next ordinal, which does not exist yet either.
  return lastClosed ?? `t-${turns.size + 1}`;
}

function playedFor(choice: PlayedChoice, sent: number): number {
  switch (choice.kind) {
    case 'fraction':
      return Math.floor(sent * choice.f);
    case 'over':
      return Math.floor(sent) + choice.extra;
    case 'abs':
      return choice.ms;
  }
}

/** Applies one command, then lets the kernel settle. */
export async function apply(world: World, cmd: Command): Promise<Step> {
  const { kernel, gateways, notes } = world;
  const before = gateways.map((g) => g.passed.length);
  const startedAt = kernel.clock.now();
  const s = cmd.t === 'advance' ? undefined : cmd.s % gateways.length;
  const g = s === undefined ? undefined : gateways[s]!;
  const note = s === undefined ? undefined : notes[s]!;
  let sent: Step['sent'];
  let pre: Step['pre'];
  if (g) {
    const active = activeTurn(g.passed);
    const turns = turnsOf(g.passed);
    pre = {
      ended: g.session.ended,
      active: active?.id,
      attached: g.attached,
      turnCount: turns.size,
      audioMs: active?.audioMs ?? 0,
      outputEnd: active?.outputEnd,
      ack: active ? (note!.acks.get(active.id) ?? 0) : 0,
      closes: g.closes.length,
    };
  }
  const accepted = (r: { result: { ok: boolean } }): boolean => r.result.ok;
  switch (cmd.t) {
    case 'text.in': {
      const r = g!.send('text.in', { text: cmd.text });
      sent = { id: r.id, accepted: accepted(r) };
      break;
    }
    case 'audio.in':
      for (let i = 0; i < cmd.frames; i++) {
        const r = g!.send('audio.in', { audio: frame(cmd.tone, i) });
        sent = { id: r.id, accepted: accepted(r) };
      }
      break;
    case 'speech.started': {
      const r = g!.send('speech.started', {});
      sent = { id: r.id, accepted: accepted(r) };
      break;
    }
    case 'speech.stopped': {
      const epoch = epochFor(g!, cmd.epoch);
      const r = g!.send('speech.stopped', {}, { epoch });
      sent = { id: r.id, accepted: accepted(r), epoch, stale: cmd.epoch !== 'current' };
      break;
    }
    case 'turn.request': {
      const epoch = epochFor(g!, cmd.epoch);
      const r = g!.send('turn.request', cmd.text === undefined ? {} : { text: cmd.text }, { epoch });
      sent = { id: r.id, accepted: accepted(r), epoch, stale: cmd.epoch !== 'current' };
      break;
    }
    case 'cancel.turn': {
      const turn_id = resolveTurn(g!, cmd.target);
      const r = g!.send('cancel', { scope: 'turn', reason: 'caller_cancel' }, { turn_id });
      sent = { id: r.id, accepted: accepted(r), turn_id };
      break;
    }
    case 'cancel.session': {
      const r = g!.send('cancel', { scope: 'session', reason: 'caller_cancel' });
      sent = { id: r.id, accepted: accepted(r) };
      break;
    }
    case 'playback.mark':
    case 'playback.completed': {
      const turn_id = resolveTurn(g!, cmd.target);
      const played_ms = playedFor(cmd.played, turnsOf(g!.passed).get(turn_id)?.audioMs ?? 0);
      const r = g!.send(cmd.t, { played_ms }, { turn_id });
      sent = { id: r.id, accepted: accepted(r), turn_id, played_ms };
      break;
    }
    case 'advance':
      await kernel.advance(cmd.ms);
      break;
    case 'lease.transfer':
      note!.lost ??= g!.session.ended ? undefined : { how: 'transfer', index: g!.passed.length };
      await kernel.authority.transfer(g!.id, 'other-kernel', 10_000);
      break;
    case 'lease.expire': {
      if (!g!.session.ended && !kernel.authority.isStalled(g!.id)) {
        kernel.authority.stall(g!.id, cmd.mode);
        const grantedAt = kernel.authority.lastGrantRequestedAt(g!.id)!;
        note!.lost ??= { how: 'expire', deadline: grantedAt + kernel.leaseTtlMs };
      }
      await kernel.advance(kernel.leaseTtlMs + 100);
      break;
    }
    case 'detach':
      g!.detach(cmd.which);
      break;
    case 'attach':
      g!.attach();
      break;
    case 'session.end': {
      const r = g!.send('session.end', { reason: 'caller_hung_up' });
      sent = { id: r.id, accepted: accepted(r) };
      break;
    }
  }
  await kernel.settle();
  // Record the acknowledgements the kernel accepted (no error naming them).
  if (g && note && sent?.played_ms !== undefined && sent.turn_id !== undefined && sent.accepted) {
    const refused = g.passed.slice(before[s!]).some(({ event }) => event.kind === 'error' && event.payload.ref_id === sent!.id);
    const last = note.acks.get(sent.turn_id) ?? 0;
    if (!refused && sent.played_ms >= last) note.acks.set(sent.turn_id, sent.played_ms);
  }
  const step: Step = {
    index: world.steps.length,
    cmd,
    s,
    ...(sent ? { sent } : {}),
    ...(pre ? { pre } : {}),
    before,
    after: gateways.map((x) => x.passed.length),
    startedAt,
    endedAt: kernel.clock.now(),
  };
  world.steps.push(step);
  return step;
}

/**
 * Ends the run the way a well-behaved gateway would: keeps time moving and
 * acknowledges complete playback of every turn whose output ended, then lets
 * the plan's budgets close whatever is still open.
 */
export async function finish(world: World, check?: (world: World, step: Step) => void): Promise<void> {
  const step = async (cmd: Command): Promise<void> => {
    const done = await apply(world, cmd);
    check?.(world, done);
  };
  for (let round = 0; round < 40; round++) {
    const open = world.gateways.map((g) => (g.session.ended ? undefined : activeTurn(g.passed)));
    if (open.every((turn) => turn === undefined)) return;
    for (const [s, turn] of open.entries()) {
      if (turn?.outputEnd !== undefined) await step({ t: 'playback.completed', s, target: 'active', played: { kind: 'fraction', f: 1 } });
    }
    await step({ t: 'advance', ms: 500 });
  }
  // Still open: only the plan's budgets can close it now (no turn may wedge).
  await step({ t: 'advance', ms: 45_000 });
}

/** Runs a whole scenario in a fresh kernel; `check` runs after every command. */
export async function runScenario(scenario: Scenario, check?: (world: World, step: Step) => void): Promise<World> {
  const world = await openWorld(scenario.sessions);
  for (const cmd of scenario.commands) {
    const step = await apply(world, cmd);
    check?.(world, step);
  }
  await finish(world, check);
  return world;
}

export function describeEvent(e: AnyEnvelope): string {
  const payload = JSON.stringify(e.payload, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v));
  return `#${e.seq} ${e.kind}${e.turn_id ? `(${e.turn_id})` : ''} ${payload}`;
}
