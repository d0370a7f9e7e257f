// The evidence of one node invocation (input hash, complete output, outcome, duration) as the timeline keeps it; it never decides an outcome.
import { type Hash, createHash } from 'node:crypto';
import type { NodeSpec } from '../plan/types.js';
import type { NodeInvocationRecord } from './types.js';

const utf8 = new TextEncoder();

export function utf8Bytes(text: string): Uint8Array {
  return utf8.encode(text);
}

/** What the record calls the node: the implementation that ran, which is what replay must match. */
export function nodeKindOf(node: Readonly<NodeSpec>): string {
  return node.builtin ?? node.script ?? node.kind;
}

export class InvocationEvidence {
  private readonly hash: Hash = createHash('sha256');
  private readonly output: Uint8Array[] = [];
  private outputBytes = 0;
  private closedWith: string | undefined;

  constructor(
    readonly node: Readonly<NodeSpec>,
    private readonly startedAt: number,
    private readonly kind: string = nodeKindOf(node),
  ) {}

  /** Input may arrive in pieces (a TTS fed by a streaming LLM); the hash covers their concatenation. */
  addInput(bytes: Uint8Array): void {
    this.hash.update(bytes);
  }

  addOutput(bytes: Uint8Array): void {
    this.output.push(bytes);
    this.outputBytes += bytes.length;
  }

  get isClosed(): boolean {
    return this.closedWith !== undefined;
  }

  /** The outcome it was closed with; undefined while open. */
  get outcome(): string | undefined {
    return this.closedWith;
  }

  /** The record, once; later calls return undefined so an invocation is never recorded twice. */
  close(outcome: string, now: number): NodeInvocationRecord | undefined {
    if (this.closedWith !== undefined) return undefined;
    this.closedWith = outcome;
    const output = new Uint8Array(this.outputBytes);
    let offset = 0;
    for (const chunk of this.output) {
      output.set(chunk, offset);
      offset += chunk.length;
    }
    this.output.length = 0;
    return {
      node_id: this.node.id,
      node_kind: this.kind,
      input_sha256: new Uint8Array(this.hash.digest()),
      output,
      outcome,
      // Whole ms: the timeline field is a uint64, and the real clock is fractional.
      duration_ms: Math.max(0, Math.round(now - this.startedAt)),
    };
  }
}
