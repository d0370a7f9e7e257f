// The hand-off between a streaming provider and the rest of the turn's pipeline: deltas in arrival order, read one at a time; it never drops or reorders a delta.

import { abortable } from './deadline.js';

/**
 * The provider pushes as fast as it streams (a provider stream cannot be held
 * for long, and its slot should be freed as soon as it is done); the pipeline
 * reads at the pace its TTS and credits allow. Bounded by the reply size cap
 * the pipeline enforces.
 */
export class DeltaBuffer {
  private readonly items: string[] = [];
  private head = 0;
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(private readonly signal: AbortSignal) {}

  push(delta: string): void {
    this.items.push(delta);
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  /** The next delta, or undefined once the stream has ended and every delta was read; rejects when the run stops. */
  async next(): Promise<string | undefined> {
    while (this.head === this.items.length) {
      if (this.ended) return undefined;
      await abortable(
        new Promise<void>((resolve) => {
          this.wake = resolve;
        }),
        this.signal,
      );
    }
    const item = this.items[this.head]!;
    // Drop the reference as it is read: the reply can be long, the reader needs each delta once.
    this.items[this.head++] = '';
    return item;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
