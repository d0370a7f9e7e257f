// Path coverage of the turn arbiter. xstate's graph utilities enumerate the
// machine's paths under a representative event set (activation, generated
// audio, output end, playback marks and completion, aborts with several
// reasons, and the three timeouts); every path is then replayed through the
// real actor (`startTurnActor`) on a VirtualClock, with timeouts reached by
// advancing the clock, never by sending xstate's internal events. Checked:
// the replay agrees with the machine's pure transitions step by step, each
// timeout fires exactly at its budget and not a millisecond earlier, the
// emitted events keep the lifecycle shape with exactly one terminal once
// closed, and the paths together cover every state and every transition the
// machine defines (computed from the machine, not listed by hand).
import { type AnyStateNode, type TransitionDefinition, getMicrosteps, initialTransition, transition } from 'xstate';
import { getShortestPaths, getSimplePaths, getStateNodes } from 'xstate/graph';
import { describe, expect, test } from 'vitest';
import { type AbortReason, strongestAbortReason } from '../../api/eventabi/vocabulary.js';
import { VirtualClock } from '../determinism/clock.js';
import { DEFAULT_BUDGETS, type TurnBudgets } from '../plan/types.js';
import { type TurnArbiterInput, type TurnEmitted, type TurnEvent, type TurnSnapshot, startTurnActor, turnMachine } from './arbiter.js';

/** A machine event: one of the arbiter's own, or xstate's delayed-transition event (`xstate.after.<delay>.<state id>`). */
type PathEvent = TurnEvent | { type: `xstate.after.${string}` };

const GENERATED_MS = 400;

/** The representative payloads of each event type the arbiter handles. */
const REPRESENTATIVE: Readonly<Record<TurnEvent['type'], readonly TurnEvent[]>> = {
  ACTIVATE: [{ type: 'ACTIVATE' }],
  GENERATED: [{ type: 'GENERATED', ms: GENERATED_MS }],
  // Output end reports what was generated (filtered below to the generated total so far).
  OUTPUT_END: [
    { type: 'OUTPUT_END', generated_ms: 0 },
    { type: 'OUTPUT_END', generated_ms: GENERATED_MS },
  ],
  PLAYBACK_MARK: [
    { type: 'PLAYBACK_MARK', played_ms: 200 },
    { type: 'PLAYBACK_MARK', played_ms: 5000 },
  ],
  PLAYBACK_COMPLETED: [
    { type: 'PLAYBACK_COMPLETED', played_ms: 300 },
    { type: 'PLAYBACK_COMPLETED', played_ms: 5000 },
  ],
  ABORT: [
    { type: 'ABORT', reasons: ['cancelled'] },
    { type: 'ABORT', reasons: ['transport_lost', 'cancelled', 'authority_lost'] },
    { type: 'ABORT', reasons: ['node_failure', 'provider_failure', 'evidence_unavailable'] },
    { type: 'ABORT', reasons: [] },
  ],
};

function isTurnEventType(type: string): type is TurnEvent['type'] {
  return type in REPRESENTATIVE;
}

/** The events the machine can take from `snapshot`: its own event descriptors, with representative payloads. */
function eventsFor(snapshot: TurnSnapshot): PathEvent[] {
  if (snapshot.status !== 'active') return [];
  const types = new Set<string>();
  for (const node of snapshot._nodes) for (const [type] of node.transitions) types.add(type);
  const { context } = snapshot;
  return [...types].flatMap((type): PathEvent[] => {
    if (!isTurnEventType(type)) return [{ type: type as `xstate.after.${string}` }];
    return REPRESENTATIVE[type].filter((event) => {
      // The kernel reports GENERATED per frame and OUTPUT_END with the total: keep the model consistent.
      if (event.type === 'GENERATED') return context.generated_so_far_ms === 0;
      if (event.type === 'OUTPUT_END') return event.generated_ms === context.generated_so_far_ms;
      return true;
    });
  });
}

/** Exact state (value, status, context) so every path is a chain of real transitions. */
function serialize(snapshot: TurnSnapshot): string {
  const { budgets: _budgets, ...context } = snapshot.context;
  return JSON.stringify({ value: snapshot.value, status: snapshot.status, context });
}

function traversal(input: TurnArbiterInput) {
  return { input, events: eventsFor, serializeState: serialize } as unknown as Parameters<typeof getSimplePaths<typeof turnMachine>>[1];
}

/** State node ids active in a snapshot value, e.g. {active: 'generating'} -> turn.active, turn.active.generating. */
function stateIds(value: TurnSnapshot['value'] | string, prefix = 'turn'): string[] {
  if (typeof value === 'string') return [`${prefix}.${value}`];
  return Object.entries(value as Record<string, string>).flatMap(([key, sub]) => [`${prefix}.${key}`, ...stateIds(sub, `${prefix}.${key}`)]);
}

type AnyTransition = TransitionDefinition<never, never>;

function transitionKey(t: Pick<AnyTransition, 'source' | 'eventType' | 'target'>): string {
  return `${t.source.id} --${t.eventType || '(always)'}--> ${t.target?.map((n) => n.id).join(',') ?? '(self)'}`;
}

/** Every state node and every transition (event, delayed and eventless) the machine defines. */
function machineDefinition(): { states: Set<string>; transitions: Set<string> } {
  const nodes: AnyStateNode[] = [turnMachine.root as unknown as AnyStateNode, ...getStateNodes(turnMachine.root as unknown as AnyStateNode)];
  const states = new Set<string>();
  const transitions = new Set<string>();
  for (const node of nodes) {
    states.add(node.id);
    for (const defs of node.transitions.values()) for (const t of defs) transitions.add(transitionKey(t as unknown as AnyTransition));
    for (const t of node.always ?? []) transitions.add(transitionKey(t as unknown as AnyTransition));
  }
  return { states, transitions };
}

/** The transitions one macrostep takes: the event's own, then any eventless ones. */
function takenTransitions(before: TurnSnapshot, event: PathEvent): string[] {
  const taken = turnMachine.getTransitionData(before, event as TurnEvent).map((t) => transitionKey(t as unknown as AnyTransition));
  const micro = getMicrosteps(turnMachine, before, event as TurnEvent).map(([snapshot]) => snapshot);
  for (let i = 1; i < micro.length; i++) {
    const from = micro[i - 1]!;
    const eventless = from._nodes.flatMap((node) => node.always ?? []);
    if (eventless[0]) taken.push(transitionKey(eventless[0] as unknown as AnyTransition));
  }
  return taken;
}

/** States passed through in one macrostep, transient ones (committed, aborted) included. */
function visitedStates(before: TurnSnapshot, event: PathEvent): string[] {
  return getMicrosteps(turnMachine, before, event as TurnEvent).flatMap(([snapshot]) => ['turn', ...stateIds(snapshot.value)]);
}

const DELAYS = turnMachine.implementations.delays as Record<string, (args: { context: TurnSnapshot['context'] }) => number>;

interface Replay {
  emitted: TurnEmitted[];
  problems: string[];
  final: TurnSnapshot;
}

/**
 * Replays `events` through the real actor on a virtual clock, comparing it
 * with the machine's pure transitions after each step. Delayed events are
 * reached by advancing the clock to one millisecond before the delay (nothing
 * may happen) and then to the delay itself.
 */
function replay(input: TurnArbiterInput, events: readonly PathEvent[]): Replay {
  const clock = new VirtualClock();
  const emitted: TurnEmitted[] = [];
  const problems: string[] = [];
  const actor = startTurnActor(input, clock, (event) => emitted.push(event));
  let model = initialTransition(turnMachine, input)[0];
  let enteredAt = clock.now();
  const same = (label: string): void => {
    const real = actor.getSnapshot();
    if (JSON.stringify(real.value) !== JSON.stringify(model.value) || real.status !== model.status) {
      problems.push(`${label}: actor is in ${JSON.stringify(real.value)} (${real.status}), the machine says ${JSON.stringify(model.value)} (${model.status})`);
    } else if (JSON.stringify(real.context) !== JSON.stringify(model.context)) {
      problems.push(`${label}: actor context ${JSON.stringify(real.context)} differs from the machine's ${JSON.stringify(model.context)}`);
    }
  };
  same('start');
  for (const [i, event] of events.entries()) {
    const label = `step ${i} ${JSON.stringify(event)}`;
    if (event.type.startsWith('xstate.after.')) {
      const delay = DELAYS[event.type.split('.')[2]!]!({ context: model.context });
      const due = enteredAt + delay;
      const count = emitted.length;
      if (delay > 0) {
        clock.advanceTo(due - 1);
        same(`${label}, 1 ms before its ${delay} ms timeout`);
        if (emitted.length !== count) problems.push(`${label}: emitted ${emitted[count]?.type} before the timeout was due`);
      }
      clock.advanceTo(due);
    } else if (actor.getSnapshot().status === 'active') {
      actor.send(event as TurnEvent);
    }
    const before = model;
    model = transition(turnMachine, model, event as TurnEvent)[0];
    same(label);
    if (JSON.stringify(before.value) !== JSON.stringify(model.value)) enteredAt = clock.now();
  }
  if (actor.getSnapshot().status === 'done' && clock.pending !== 0) problems.push(`the closed turn left ${clock.pending} timers armed`);
  return { emitted, problems, final: model };
}

const TERMINALS = new Set(['turn.committed', 'turn.aborted']);

/** Lifecycle shape: turn.opened, [turn.active], at most one terminal, then turn.closed; exactly one terminal once closed. */
function shapeProblems(emitted: readonly TurnEmitted[], final: TurnSnapshot, events: readonly PathEvent[]): string[] {
  const problems: string[] = [];
  const types = emitted.map((e) => e.type);
  const shape = types.join(' ');
  if (!/^turn\.opened( turn\.active)?( turn\.(committed|aborted)( turn\.closed)?)?$/.test(shape)) problems.push(`emitted ${shape}`);
  const closed = types.includes('turn.closed');
  if (closed !== (final.status === 'done')) problems.push(`turn.closed emitted: ${closed}, machine done: ${final.status === 'done'}`);
  if (closed && types.filter((t) => TERMINALS.has(t)).length !== 1) problems.push(`closed with ${types.filter((t) => TERMINALS.has(t)).length} terminals`);
  for (const e of emitted) {
    if (e.type === 'turn.committed') {
      if (e.played_ms > e.generated_ms) problems.push(`committed played_ms ${e.played_ms} > generated_ms ${e.generated_ms}`);
      if (e.generated_ms !== final.context.generated_ms) problems.push(`committed generated_ms ${e.generated_ms}, output.end said ${final.context.generated_ms}`);
    }
    if (e.type === 'turn.aborted') {
      const last = events.at(-1);
      const byTimeout = last?.type.startsWith('xstate.after.') ?? false;
      // A commit (playback completed or its timeout) without authority becomes authority_lost.
      const commitWithoutAuthority =
        !(final.context.authoritative?.() ?? true) && (last?.type === 'PLAYBACK_COMPLETED' || (last?.type.includes('playbackTimeout') ?? false));
      const expected: AbortReason = commitWithoutAuthority ? 'authority_lost' : byTimeout ? 'budget_exhausted' : last?.type === 'ABORT' ? (strongestAbortReason((last as { reasons: AbortReason[] }).reasons) ?? 'node_failure') : 'node_failure';
      if (e.reason !== expected) problems.push(`aborted ${e.reason}, expected ${expected}`);
      if (e.played_ms > final.context.generated_so_far_ms) problems.push(`aborted played_ms ${e.played_ms} > generated ${final.context.generated_so_far_ms}`);
    }
  }
  return problems;
}

const BUDGETS: Record<string, TurnBudgets> = {
  default: { ...DEFAULT_BUDGETS },
  'short, explicit playback timeout': { ...DEFAULT_BUDGETS, opening_ms: 50, active_ms: 300, playback_timeout_ms: 700 },
};

describe.each(Object.entries(BUDGETS))('turn arbiter paths (budgets: %s)', (_name, budgets) => {
  // Two worlds: the kernel holds authority throughout, or has lost it by the time the turn would commit.
  const held: TurnArbiterInput = { turn_id: 't-1', plan_hash: 'h', seed: 7, budgets };
  const lost: TurnArbiterInput = { ...held, authoritative: () => false };
  type Path = ReturnType<typeof getSimplePaths<typeof turnMachine>>[number] & { input: TurnArbiterInput };
  const withInput = (input: TurnArbiterInput, paths: ReturnType<typeof getSimplePaths<typeof turnMachine>>): Path[] =>
    paths.map((path) => Object.assign(path, { input }));
  const simple: Path[] = [held, lost].flatMap((input) => withInput(input, getSimplePaths(turnMachine, traversal(input))));
  const shortest: Path[] = [held, lost].flatMap((input) => withInput(input, getShortestPaths(turnMachine, traversal(input))));
  const pathEvents = (path: Path): PathEvent[] => path.steps.slice(1).map((step) => step.event as PathEvent);

  test('the paths cover every state and every transition the machine defines', () => {
    const defined = machineDefinition();
    const states = new Set<string>();
    const transitions = new Set<string>();
    for (const path of [...simple, ...shortest]) {
      let snapshot = initialTransition(turnMachine, path.input)[0];
      for (const id of ['turn', ...stateIds(snapshot.value)]) states.add(id);
      for (const event of pathEvents(path)) {
        for (const id of visitedStates(snapshot, event)) states.add(id);
        for (const key of takenTransitions(snapshot, event)) transitions.add(key);
        snapshot = transition(turnMachine, snapshot, event as TurnEvent)[0];
      }
    }
    expect(simple.length).toBeGreaterThan(20);
    expect([...defined.states].filter((s) => !states.has(s))).toEqual([]);
    expect([...defined.transitions].filter((t) => !transitions.has(t))).toEqual([]);
    // And the shortest paths alone reach every stable state.
    const reached = new Set(shortest.map((p) => JSON.stringify(p.state.value)));
    expect([...reached].sort()).toEqual(['"closed"', '"open"', '{"active":"awaitingPlayback"}', '{"active":"generating"}']);
  });

  test('every path replayed through the actor on a virtual clock agrees with the machine and keeps the lifecycle shape', () => {
    const failures: string[] = [];
    for (const path of [...simple, ...shortest]) {
      const events = pathEvents(path);
      const { emitted, problems, final } = replay(path.input, events);
      problems.push(...shapeProblems(emitted, final, events));
      if (problems.length > 0) failures.push(`${events.map((e) => e.type).join(' > ') || '(start)'}: ${problems.join('; ')}`);
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });

  test('every path that ends closed emitted exactly one terminal, the last event before turn.closed', () => {
    let closedPaths = 0;
    for (const path of simple) {
      if (path.state.status !== 'done') continue;
      closedPaths++;
      const { emitted } = replay(path.input, pathEvents(path));
      const types = emitted.map((e) => e.type);
      expect(types.at(-1)).toBe('turn.closed');
      expect(TERMINALS.has(types.at(-2) ?? '')).toBe(true);
      expect(types.filter((t) => TERMINALS.has(t))).toHaveLength(1);
    }
    expect(closedPaths).toBeGreaterThan(10);
  });
});
