// The turn arbiter: one xstate v5 actor per accepted turn. It owns the turn's
// lifecycle (open -> active -> committed | aborted -> closed), its per-state
// timeouts from the frozen plan and the abort-reason precedence. Its emitted
// events are the only source of `turn.*` egress and timeline records; it never
// touches sockets, lanes or nodes.
import { type ActorRefFrom, type SnapshotFrom, assign, createActor, emit, setup } from 'xstate';
import { type AbortReason, strongestAbortReason } from '../../api/eventabi/vocabulary.js';
import type { Clock, TimerHandle } from '../determinism/clock.js';
import type { TurnBudgets } from '../plan/types.js';

export interface TurnArbiterInput {
  turn_id: string;
  plan_hash: string;
  seed: number;
  budgets: TurnBudgets;
  /**
   * Whether this kernel may still speak. Checked at the moment of commit: a
   * commit that coincides with losing the lease becomes authority_lost, so
   * the terminal is never one the egress would refuse.
   */
  authoritative?: () => boolean;
}

interface TurnContext extends TurnArbiterInput {
  generated_ms: number;
  /** Generated so far; caps played_ms before output.end is known. */
  generated_so_far_ms: number;
  played_ms: number;
  abort_reason: AbortReason | undefined;
}

export type TurnEvent =
  | { type: 'ACTIVATE' }
  | { type: 'GENERATED'; ms: number }
  | { type: 'OUTPUT_END'; generated_ms: number }
  | { type: 'PLAYBACK_MARK'; played_ms: number }
  | { type: 'PLAYBACK_COMPLETED'; played_ms: number }
  | { type: 'ABORT'; reasons: AbortReason[] };

export type TurnEmitted =
  | { type: 'turn.opened'; plan_hash: string; seed: number }
  | { type: 'turn.active' }
  | { type: 'turn.committed'; generated_ms: number; played_ms: number }
  | { type: 'turn.aborted'; reason: AbortReason; played_ms: number }
  | { type: 'turn.closed' };

export type TurnState = 'open' | 'active' | 'committed' | 'aborted' | 'closed';

/** Playback acknowledgements never claim more than was generated. */
function capPlayed(context: TurnContext, played: number): number {
  const cap = context.generated_ms > 0 ? context.generated_ms : context.generated_so_far_ms;
  return Math.max(context.played_ms, Math.min(played, cap));
}

export const turnMachine = setup({
  types: {
    context: {} as TurnContext,
    input: {} as TurnArbiterInput,
    events: {} as TurnEvent,
    emitted: {} as TurnEmitted,
  },
  delays: {
    openingTimeout: ({ context }) => context.budgets.opening_ms,
    activeTimeout: ({ context }) => context.budgets.active_ms,
    playbackTimeout: ({ context }) =>
      context.budgets.playback_timeout_ms > 0 ? context.budgets.playback_timeout_ms : context.generated_ms + 2000,
  },
  actions: {
    recordMark: assign({
      played_ms: ({ context, event }) =>
        event.type === 'PLAYBACK_MARK' || event.type === 'PLAYBACK_COMPLETED' ? capPlayed(context, event.played_ms) : context.played_ms,
    }),
    recordGenerated: assign({
      generated_so_far_ms: ({ context, event }) => (event.type === 'GENERATED' ? context.generated_so_far_ms + event.ms : context.generated_so_far_ms),
    }),
    chooseAbortReason: assign({
      abort_reason: ({ context, event }) =>
        event.type === 'ABORT' ? (strongestAbortReason(event.reasons) ?? 'node_failure') : context.abort_reason,
    }),
    budgetExhausted: assign({ abort_reason: () => 'budget_exhausted' as AbortReason }),
    authorityLost: assign({ abort_reason: () => 'authority_lost' as AbortReason }),
  },
  guards: {
    mayCommit: ({ context }) => context.authoritative?.() ?? true,
  },
}).createMachine({
  id: 'turn',
  context: ({ input }) => ({ ...input, generated_ms: 0, generated_so_far_ms: 0, played_ms: 0, abort_reason: undefined }),
  initial: 'open',
  on: {
    ABORT: { target: '.aborted', actions: 'chooseAbortReason' },
  },
  states: {
    open: {
      entry: emit(({ context }) => ({ type: 'turn.opened' as const, plan_hash: context.plan_hash, seed: context.seed })),
      on: { ACTIVATE: 'active' },
      after: { openingTimeout: { target: 'aborted', actions: 'budgetExhausted' } },
    },
    active: {
      entry: emit({ type: 'turn.active' as const }),
      initial: 'generating',
      on: {
        PLAYBACK_MARK: { actions: 'recordMark' },
      },
      states: {
        generating: {
          on: {
            GENERATED: { actions: 'recordGenerated' },
            // Completed before output.end: the gateway played all it had; keep the ack, keep generating.
            PLAYBACK_COMPLETED: { actions: 'recordMark' },
            OUTPUT_END: {
              target: 'awaitingPlayback',
              actions: assign({
                generated_ms: ({ event }) => event.generated_ms,
                played_ms: ({ context, event }) => Math.min(context.played_ms, event.generated_ms),
              }),
            },
          },
          after: { activeTimeout: { target: '#turn.aborted', actions: 'budgetExhausted' } },
        },
        awaitingPlayback: {
          on: {
            PLAYBACK_COMPLETED: [
              { guard: 'mayCommit', target: '#turn.committed', actions: 'recordMark' },
              { target: '#turn.aborted', actions: ['recordMark', 'authorityLost'] },
            ],
          },
          after: {
            playbackTimeout: [{ guard: 'mayCommit', target: '#turn.committed' }, { target: '#turn.aborted', actions: 'authorityLost' }],
          },
        },
      },
    },
    committed: {
      entry: emit(({ context }) => ({
        type: 'turn.committed' as const,
        generated_ms: context.generated_ms,
        played_ms: context.played_ms,
      })),
      always: 'closed',
    },
    aborted: {
      entry: emit(({ context }) => ({
        type: 'turn.aborted' as const,
        reason: context.abort_reason ?? 'node_failure',
        played_ms: context.played_ms,
      })),
      always: 'closed',
    },
    closed: {
      type: 'final',
      entry: emit({ type: 'turn.closed' as const }),
    },
  },
});

export type TurnActor = ActorRefFrom<typeof turnMachine>;
export type TurnSnapshot = SnapshotFrom<typeof turnMachine>;

/** Adapts the kernel clock to xstate's scheduler so `after` delays run on virtual time in tests and replay. */
export function xstateClock(clock: Clock): { setTimeout: (fn: (...args: unknown[]) => void, ms: number) => TimerHandle; clearTimeout: (handle: TimerHandle) => void } {
  return {
    setTimeout: (fn, ms) => clock.setTimer(ms, () => fn()),
    clearTimeout: (handle) => clock.clearTimer(handle),
  };
}

/**
 * Starts a turn actor. `onEmit` receives every emitted event synchronously, in
 * order; it is subscribed before start so `turn.opened` is never missed.
 */
export function startTurnActor(input: TurnArbiterInput, clock: Clock, onEmit: (event: TurnEmitted) => void): TurnActor {
  const actor = createActor(turnMachine, { input, clock: xstateClock(clock) as never });
  actor.on('*', (event) => onEmit(event as TurnEmitted));
  actor.start();
  return actor;
}

/** The arbiter state of a snapshot, flattened. */
export function turnState(snapshot: TurnSnapshot): TurnState {
  const value = snapshot.value;
  return (typeof value === 'string' ? value : Object.keys(value)[0]) as TurnState;
}
