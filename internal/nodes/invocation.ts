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
  private closed = false;

  constructor(
    readonly node: Readonly<NodeSpec>,
    private readonly startedAt: number,
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
    return this.closed;
  }

  /** The record, once; later calls return undefined so an invocation is never recorded twice. */
  close(outcome: string, now: number): NodeInvocationRecord | undefined {
    if (this.closed) return undefined;
    this.closed = true;
    const output = new Uint8Array(this.outputBytes);
    let offset = 0;
    for (const chunk of this.output) {
      output.set(chunk, offset);
      offset += chunk.length;
    }
    this.output.length = 0;
    return {
      node_id: this.node.id,
      node_kind: nodeKindOf(this.node),
      input_sha256: new Uint8Array(this.hash.digest()),
      output,
      outcome,
      // Whole ms: the timeline field is a uint64, and the real clock is fractional.
      duration_ms: Math.max(0, Math.round(now - this.startedAt)),
    };
  }
}
