// The node tier interface: how the graph executor invokes any node (built-in, QuickJS script, and next the child-process tier) and gets its outputs as a stream, stopped only through the turn scope's signal; it never walks the graph or settles a turn.
import type { NodeSpec } from '../plan/types.js';
import type { StageScope } from './scope.js';
import type { Speaker } from './speaker.js';
import type { GraphContext, GraphFailure } from './types.js';

/**
 * Speech to text: all of the turn's pending audio in, one transcript out.
 * Resolves to the transcript; throws GraphStop (or the scope's stop reason) on failure.
 */
export interface SttRunner {
  readonly role: 'stt';
  readonly node: Readonly<NodeSpec>;
  transcribe(audio: Uint8Array, scope: StageScope): Promise<string>;
}

/**
 * A text node (`llm` or `custom`, built-in or script): the previous text
 * node's output in, its own output out as deltas whose concatenation is the
 * whole output. `onDelta` is never called once the runner's promise settled,
 * nor after the scope's signal fired. Throws GraphStop on failure.
 */
export interface TextRunner {
  readonly role: 'text';
  readonly node: Readonly<NodeSpec>;
  generate(text: string, scope: StageScope, onDelta: (delta: string) => void): Promise<void>;
}

export interface TtsRunner {
  readonly role: 'tts';
  readonly node: Readonly<NodeSpec>;
  /** One utterance fed the reply as it streams, its audio out through `StageScope.audio`; nothing is invoked (nor recorded) until the first `push`. */
  open(scope: StageScope): Speaker;
}

export type NodeRunner = SttRunner | TextRunner | TtsRunner;

/** The node cannot run on this tier for this turn: the plan fails the same way on every turn, before anything is emitted. */
export interface TierRefusal {
  readonly refused: GraphFailure;
}

export interface NodeTier {
  /**
   * The runner for `node` in this turn, a refusal, or undefined when the node
   * is not this tier's to run (another tier may take it). Pure: resolving
   * runs nothing and records nothing.
   */
  resolve(node: Readonly<NodeSpec>, ctx: GraphContext): NodeRunner | TierRefusal | undefined;
}

export function refusal(node: Readonly<NodeSpec>, code: 'not_found' | 'compilation' | 'internal', message: string): TierRefusal {
  return { refused: { type: 'failure', reason: 'node_failure', node_id: node.id, code, message } };
}

export function isRefusal(value: NodeRunner | TierRefusal): value is TierRefusal {
  return 'refused' in value;
}
