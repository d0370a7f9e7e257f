// What a stage runner may do inside one turn's graph run: start node budgets, keep invocation evidence, map node errors, emit audio; it never settles the run itself.
import type { NodeSpec } from '../plan/types.js';
import type { WorkDeadline } from './deadline.js';
import type { InvocationEvidence } from './invocation.js';
import type { NodeCall } from './node.js';
import type { GraphContext, GraphFailure } from './types.js';

/** A failure travelling up a stage's awaits to the one place that settles the run. */
export class GraphStop {
  constructor(readonly failure: GraphFailure) {}
}

export function graphFailure(reason: GraphFailure['reason'], node: Readonly<NodeSpec> | undefined, code: GraphFailure['code'], message: string): GraphFailure {
  return { type: 'failure', reason, node_id: node?.id ?? '', code, message };
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A node's budget for this turn; `done()` when the node has finished its work. */
export interface NodeWork {
  readonly deadline: WorkDeadline;
  done(): void;
}

export interface StageScope {
  readonly ctx: GraphContext;
  /** Fires once the run has settled (cancel, failure or completion): everything still working must stop. */
  readonly signal: AbortSignal;
  /** Starts a node's budget; throws GraphStop when none is left. */
  startWork(node: Readonly<NodeSpec>): NodeWork;
  /** Opens the evidence of one invocation (`kind`: what the record calls the node, default its implementation); throws the stop reason if the run has settled. */
  openInvocation(node: Readonly<NodeSpec>, kind?: string): InvocationEvidence;
  /** Records a finished invocation with its outcome. */
  close(inv: InvocationEvidence, outcome: string): void;
  /** A node's throw as node_failure (recorded `execution`); a rejection caused by the run stopping passes through. */
  nodeThrew(inv: InvocationEvidence, err: unknown): unknown;
  /** A node that broke the call contract (recorded `protocol_error`). */
  protocolError(inv: InvocationEvidence, message: string): GraphStop;
  nodeCall(node: Readonly<NodeSpec>, signal: AbortSignal): NodeCall;
  /** Emits one frame of the turn's audio and counts it toward generated_ms. */
  audio(frame: Uint8Array, ms: number): void;
}
