// The timeline's decision vocabulary: every decision kind the kernel writes,
// its outcomes, the reasons each outcome gives (where that set is closed), its
// detail keys and what it means. The session recorder is typed by it, the
// operator page matches by it and replay reads by it. Data only: it never
// writes a record and imports nothing above the Event ABI.
import { DROP_REASONS, PRE_TURN_REASONS } from '../../../api/eventabi/vocabulary.js';

/** A decision written without a reason: the outcome says it all. */
export const NO_REASON = '';

/** An outcome whose reason is free text (a client's cancel reason, a plan's freeze problem, an epoch message). */
export const OPEN_REASONS = 'open';

export interface DecisionSpec {
  /** What a record of this kind says happened, in one line. */
  readonly meaning: string;
  /** Each outcome, with every reason it gives, or OPEN_REASONS. */
  readonly outcomes: Readonly<Record<string, readonly string[] | typeof OPEN_REASONS>>;
  /** Every key `detail` may hold; each outcome writes a subset. */
  readonly detail: readonly string[];
}

export const DECISIONS = {
  state: {
    meaning: "a proposed turn refused by the session's own state, before the pre-turn gate",
    outcomes: { rejected: [PRE_TURN_REASONS.sessionEnding, PRE_TURN_REASONS.turnActive] },
    detail: ['source'],
  },
  admission: {
    meaning: "the pre-turn gate's first step (DESIGN 6): the tenant's and the kernel's turn limits",
    outcomes: {
      admitted: [NO_REASON],
      rejected: [PRE_TURN_REASONS.rateLimited],
      deferred: [PRE_TURN_REASONS.tenantTurnsExhausted, PRE_TURN_REASONS.poolExhausted],
    },
    detail: ['source'],
  },
  authority: {
    meaning: "the session's lease: held when a turn opens, stale for a proposal from another epoch, lost when the lease ends",
    outcomes: {
      held: [NO_REASON],
      // authority_not_held, or the stale-epoch message naming both epochs.
      stale_epoch: OPEN_REASONS,
      lost: ['expired', 'superseded', 'released'],
    },
    detail: ['source', 'epoch', 'held_epoch', 'holder'],
  },
  plan: {
    meaning: "the pre-turn gate's last step: the pipeline version would not freeze into a plan (the reason is the freeze problem)",
    outcomes: { rejected: OPEN_REASONS },
    detail: ['source'],
  },
  lane: {
    meaning: 'an ingress lane gave up on events: a run of drops by the overflow policy, or a Control lane full past max_block_ms closing the session',
    outcomes: { dropped: DROP_REASONS, closed: ['control_block_timeout'] },
    detail: ['lane', 'seq_from', 'seq_to'],
  },
  flow: {
    meaning: 'flow control: an ingress lane crossed a watermark (xoff/xon), or the gateway socket stopped or resumed taking output (egress_xoff/egress_xon)',
    outcomes: { xoff: [NO_REASON], xon: [NO_REASON], egress_xoff: ['socket_buffer'], egress_xon: ['socket_buffer'] },
    detail: ['lane', 'depth'],
  },
  fence: {
    meaning: "a turn's output (or the whole session's) was fenced: nothing it produces after this reaches the gateway; the reason is the cancel's or the end's",
    outcomes: { fenced: OPEN_REASONS },
    detail: ['scope', 'owner', 'node_id'],
  },
  ack: {
    meaning: 'a playback acknowledgement the turn ignored without an error',
    outcomes: { ignored: ['played_ms_regression'] },
    detail: ['kind'],
  },
  vad: {
    meaning: "the session's voice activity detector saw the caller start or stop speaking",
    outcomes: { speech_started: [NO_REASON], speech_stopped: [NO_REASON] },
    detail: ['media_ms'],
  },
  barge_in: {
    meaning: 'confirmed barge-in: speech shorter than min_speech_ms, so the paused output resumed',
    outcomes: { resumed: ['speech_shorter_than_min_speech_ms'] },
    detail: [],
  },
  egress: {
    meaning: 'the fence refused an output event at the last hop',
    outcomes: { refused: ['late_after_cancel', 'stale_epoch', 'turn_closed'] },
    detail: ['kind'],
  },
} as const satisfies Record<string, DecisionSpec>;

export type DecisionKind = keyof typeof DECISIONS;
export type DecisionOutcome<K extends DecisionKind> = K extends DecisionKind ? keyof (typeof DECISIONS)[K]['outcomes'] & string : never;
export type DecisionDetailKey<K extends DecisionKind> = (typeof DECISIONS)[K]['detail'][number];
export type DecisionDetail<K extends DecisionKind> = Partial<Record<DecisionDetailKey<K>, string>>;

export const DECISION_KINDS = Object.keys(DECISIONS) as DecisionKind[];

/** Why a decision (as read back from a timeline) is not one the table names; undefined when it is. */
export function decisionProblem(decision: { kind: string; outcome: string; reason: string; detail: Readonly<Record<string, string>> }): string | undefined {
  if (!Object.hasOwn(DECISIONS, decision.kind)) return `unknown decision kind "${decision.kind}"`;
  const spec: DecisionSpec = DECISIONS[decision.kind as DecisionKind];
  if (!Object.hasOwn(spec.outcomes, decision.outcome)) return `${decision.kind} has no outcome "${decision.outcome}"`;
  const reasons = spec.outcomes[decision.outcome]!;
  if (reasons !== OPEN_REASONS && !reasons.includes(decision.reason)) return `${decision.kind} ${decision.outcome} has no reason "${decision.reason}"`;
  const unknown = Object.keys(decision.detail).filter((key) => !spec.detail.includes(key));
  if (unknown.length > 0) return `${decision.kind} has no detail key ${unknown.map((k) => `"${k}"`).join(', ')}`;
  return undefined;
}

/** True when a decision read back is `kind` with one of `outcomes` (any outcome when none given); the names are checked against the table at compile time. */
export function isDecision<D extends { kind: string; outcome: string }, K extends DecisionKind, O extends DecisionOutcome<K> = DecisionOutcome<K>>(
  decision: D,
  kind: K,
  ...outcomes: O[]
): decision is D & { kind: K; outcome: O } {
  if (decision.kind !== kind) return false;
  return outcomes.length === 0 || (outcomes as string[]).includes(decision.outcome);
}
