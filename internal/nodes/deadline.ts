// Node deadlines and waits on the kernel clock: a budget that counts only the time a node is working, plus abortable sleeps and races; it never reads wall time.
import type { Clock, TimerHandle } from '../determinism/clock.js';

/**
 * A node's budget. Time the node spends held (waiting for credits from the
 * playback pacer, or for its upstream to produce text) is not the node's
 * slowness, so `hold()`/`release()` stop the budget from running down.
 * Holds nest. `onExpire` runs at most once, from a clock timer.
 */
export class WorkDeadline {
  private readonly start: number;
  private holds = 0;
  private heldSince = 0;
  private heldTotal = 0;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    readonly budgetMs: number,
    private readonly onExpire: () => void,
  ) {
    this.start = clock.now();
    this.timer = clock.setTimer(budgetMs, this.check);
  }

  /** Budget left in ms (constant while held). */
  remaining(): number {
    const now = this.clock.now();
    const heldNow = this.holds > 0 ? now - this.heldSince : 0;
    return this.start + this.budgetMs + this.heldTotal + heldNow - now;
  }

  /**
   * True while the node is still working with no budget left: not held, not
   * stopped, and its own timer, due at this very instant, not run yet (another
   * timer due at the same instant, such as the turn's active budget, ran first).
   */
  get overrun(): boolean {
    return !this.stopped && this.holds === 0 && this.remaining() <= 0;
  }

  hold(): void {
    if (this.stopped) return;
    if (this.holds++ === 0) this.heldSince = this.clock.now();
  }

  release(): void {
    if (this.stopped || this.holds === 0) return;
    if (--this.holds > 0) return;
    this.heldTotal += this.clock.now() - this.heldSince;
    // A timer that fired while held found time left and went quiet; re-arm it for what remains.
    if (!this.timer) this.check();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  // The timer is armed for the budget as first known and extended lazily, so holds that
  // resolve at once (the common case for credits) cost no timer churn.
  private readonly check = (): void => {
    this.timer = undefined;
    if (this.stopped || this.holds > 0) return;
    const left = this.remaining();
    if (left > 0) {
      this.timer = this.clock.setTimer(left, this.check);
      return;
    }
    this.stopped = true;
    this.onExpire();
  };
}

/** Resolves after `ms` on `clock`; rejects with the signal's reason if it aborts first. */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimer(timer);
      reject(signal.reason);
    };
    const timer = clock.setTimer(ms, () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Follows `promise`, but rejects with the signal's reason as soon as it aborts, so no caller waits on a stuck node. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Calls `fn` and turns a synchronous throw into a rejection, so one path handles both. */
export function invoke<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}
