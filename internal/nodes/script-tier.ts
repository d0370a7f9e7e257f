// The contract between the graph executor and a tier that runs text-node
// scripts (DESIGN 11.1): the QuickJS worker pool, and the child-process tier
// of external nodes for text kinds. One invocation in, a stream of text deltas
// and one result out, cancelled only through the turn scope's signal. A tier
// never sees the turn, the egress or the timeline; it only runs code.
import type { NodeErrorCode } from './types.js';

/** One entry of the session's heard history, as a script sees it. */
export interface ScriptHistoryEntry {
  readonly role: 'user' | 'assistant';
  readonly text: string;
}

/** `input` of `handle(input, ctx)`. */
export interface ScriptInput {
  readonly text: string;
  /** Oldest first, at most the last 32 entries, not including the current input. */
  readonly history: readonly ScriptHistoryEntry[];
}

/** `ctx` of `handle(input, ctx)`. */
export interface ScriptContext {
  readonly node_id: string;
  readonly config: Readonly<Record<string, string>>;
  /** `seed` is the turn seed as a decimal string (the value of turn.opened.seed). */
  readonly turn: { readonly ordinal: number; readonly seed: string };
}

/** A script and every module it imports, by the bare names the code uses, each pinned by content hash. */
export interface LinkedScript {
  readonly tenant: string;
  /** The node script's name (`NodeSpec.script`). */
  readonly entry: string;
  /** name -> pinned source, for the entry and every module it imports (transitively). */
  readonly sources: ReadonlyMap<string, { readonly hash: string; readonly source: string }>;
}

/** JSON values a script may keep across its session's turns (baton:state). */
export type StateValue = null | boolean | number | string | readonly StateValue[] | { readonly [key: string]: StateValue };

/** What the host answers for the script while it runs. */
export interface ScriptHost {
  /** baton:host emit(text): one text delta, in order. */
  emit(text: string): void;
  /** baton:host log(level, message): rate-limited by the host; the message is personal data (logged under `pii`). */
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  /**
   * baton:provider call(binding, request): the plan's binding with its
   * retries and fallbacks. Refused (`security_violation`) for a binding the
   * node's spec does not name.
   */
  providerCall(binding: string, request: unknown): Promise<unknown>;
}

export interface ScriptInvocation {
  readonly script: LinkedScript;
  readonly input: ScriptInput;
  readonly ctx: ScriptContext;
  /** Seeds Math.random inside the script: derived from the turn seed and the node id, so reruns are identical. */
  readonly randomSeed: string;
  /** baton:clock now() at the start of the invocation, ms since session start on the kernel clock. */
  readonly nowMs: number;
  /** CPU budget of this call; past it the script is interrupted (`timeout`). */
  readonly budgetMs: number;
  /** The session's baton:state as loaded before the invocation. */
  readonly state: Readonly<Record<string, StateValue>>;
  /** The turn's (or the node's) cancel scope signal: aborting it interrupts the script within 20 ms (`canceled`). */
  readonly signal: AbortSignal;
  readonly host: ScriptHost;
}

export type ScriptResult =
  | {
      readonly ok: true;
      /** The handler's string result, or the concatenation of what it emitted. */
      readonly text: string;
      /** baton:state writes, applied by the caller only because the invocation succeeded. */
      readonly stateWrites: Readonly<Record<string, StateValue | undefined>>;
      /** Peak engine memory of the call, for metrics. */
      readonly memoryBytes: number;
      /** Time this call spent compiling and linking the script and its modules; 0 when a reused context had them. */
      readonly compileMs?: number;
    }
  | { readonly ok: false; readonly code: NodeErrorCode; readonly message: string };

export interface ScriptTier {
  /** Runs one invocation; never throws: every failure is a result with a DESIGN 11 code. */
  invoke(invocation: ScriptInvocation): Promise<ScriptResult>;
  /** Stops every worker; pending invocations end `canceled`. */
  close(): Promise<void>;
}
