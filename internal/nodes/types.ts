// The node host's contract with the session: what a turn hands the graph, what the graph emits and records, and how it ends; it never holds state.
import type { Codec } from '../../api/eventabi/kinds.js';
import type { Clock } from '../determinism/clock.js';
import type { FrozenPlan } from '../plan/types.js';
import type { ScriptHistoryEntry } from './script-tier.js';

/** One error taxonomy for every node tier (DESIGN 11). */
export type NodeErrorCode =
  | 'compilation'
  | 'invalid_syntax'
  | 'execution'
  | 'timeout'
  | 'memory_limit'
  | 'security_violation'
  | 'not_found'
  | 'canceled'
  | 'reentrancy_forbidden'
  | 'protocol_error'
  | 'child_exit'
  | 'internal';

/** Provider outcomes, normalized across vendors (DESIGN 11). */
export type ProviderOutcome = 'ok' | 'timeout' | 'rate_limited' | 'overloaded' | 'bad_request' | 'unavailable';

export const PROVIDER_OUTCOMES: readonly ProviderOutcome[] = ['ok', 'timeout', 'rate_limited', 'overloaded', 'bad_request', 'unavailable'];

export interface TurnInput {
  text: string;
  /** Pending user audio frames in the session's format; may be empty. */
  audio: readonly Uint8Array[];
}

export type NodeOutput =
  | { type: 'transcript'; role: 'user' | 'assistant'; text: string; final: boolean }
  /** One 20 ms frame in the session's codec and rate. */
  | { type: 'audio'; audio: Uint8Array; ms: number }
  /** Generation complete: exactly once, last. */
  | { type: 'end'; generated_ms: number };

export type GraphFailure = {
  type: 'failure';
  reason: 'provider_failure' | 'node_failure' | 'budget_exhausted';
  node_id: string;
  code: NodeErrorCode | ProviderOutcome;
  message: string;
};

/**
 * What the host reports of one node call. The host owns this shape; the
 * session's recorder maps it onto the timeline's node_invocation body, so the
 * timeline's wire format can change without touching the node contract.
 */
export interface NodeInvocationRecord {
  node_id: string;
  node_kind: string;
  /** SHA-256 of the input the node was fed (the concatenation, when it came in pieces). */
  input_sha256: Uint8Array;
  /** The node's complete output. */
  output: Uint8Array;
  outcome: string;
  /** On the turn's clock; a host may report it fractional (the timeline keeps whole ms). */
  duration_ms: number;
}

/** The session a turn belongs to, as its script nodes see it (DESIGN 11.1). */
export interface TurnSession {
  tenant: string;
  session_id: string;
  /** The session's lease epoch: baton:state commits are guarded by it. */
  epoch: number;
  /** Counts the session's opened turns from 1. */
  ordinal: number;
  /** The heard conversation, oldest first, at most the last 32 entries, not including this turn's input. */
  history: readonly ScriptHistoryEntry[];
  /** When the session started, on the turn's clock: baton:clock now() counts from here. */
  started_at_ms: number;
}

export interface GraphContext {
  plan: FrozenPlan;
  /** Needed only by script nodes: a plan with one fails `internal` without it. */
  session?: TurnSession;
  /** The turn seed. */
  seed: number;
  clock: Clock;
  format: { codec: Codec; sample_rate: number };
  /** Cancel: the graph stops promptly and emits nothing more. */
  signal: AbortSignal;
  /** Called synchronously for each output, in order. */
  emit(out: NodeOutput): void;
  /** One record per node invocation, for the timeline. */
  record(inv: NodeInvocationRecord): void;
  /** Optional backpressure: awaited before each audio frame when present. */
  credits?: { wait(): Promise<void> };
}

export type GraphResult = { ok: true; generated_ms: number } | { ok: false; failure: GraphFailure } | { ok: false; canceled: true };

export interface GraphRun {
  done: Promise<GraphResult>;
}

export interface NodeHost {
  run(ctx: GraphContext, input: TurnInput): GraphRun;
}
