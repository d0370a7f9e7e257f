// The one source of time inside the kernel. Real and virtual implementations
// share this interface so every test can run the kernel on a virtual clock and
// replays reproduce timer order exactly. Nothing in internal/ may call
// Date.now(), performance.now() or setTimeout directly for kernel decisions.

export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Monotonic milliseconds since this clock started (fractional allowed on the real clock). */
  now(): number;
  /** Calls `fn` once, `delayMs` from now. Timers due at the same time fire in creation order. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle | undefined): void;
  /** Unix wall time in ms; informational only (recorded as a nondeterministic input). */
  wallNow(): number;
  readonly virtual: boolean;
}

export class RealClock implements Clock {
  readonly virtual = false;
  private readonly origin = performance.now();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  now(): number {
    return performance.now() - this.origin;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    const timer = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, Math.max(0, delayMs));
    timer.unref?.();
    this.timers.set(id, timer);
    return { id };
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const timer = this.timers.get(handle.id);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(handle.id);
    }
  }

  wallNow(): number {
    return Date.now();
  }

  /** Timers currently pending (for leak tests). */
  get pending(): number {
    return this.timers.size;
  }
}

interface VirtualTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock that moves only when told. Timers live in a binary heap ordered by
 * (due time, creation id), so equal deadlines fire in creation order.
 */
export class VirtualClock implements Clock {
  readonly virtual = true;
  private current = 0;
  private nextId = 1;
  private heap: VirtualTimer[] = [];
  private readonly cancelled = new Set<number>();
  private readonly live = new Set<number>();

  constructor(private readonly wallOrigin = 0) {}

  now(): number {
    return this.current;
  }

  wallNow(): number {
    return this.wallOrigin + this.current;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const timer: VirtualTimer = { id: this.nextId++, at: this.current + Math.max(0, delayMs), fn };
    this.push(timer);
    this.live.add(timer.id);
    return { id: timer.id };
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (handle && this.live.delete(handle.id)) {
      this.cancelled.add(handle.id);
      // Cancelled timers leave the heap lazily; compact when they dominate so memory follows live timers.
      if (this.cancelled.size > 1024 && this.cancelled.size * 2 > this.heap.length) this.compact();
    }
  }

  private compact(): void {
    const kept = this.heap.filter((t) => !this.cancelled.has(t.id));
    this.cancelled.clear();
    this.heap = [];
    for (const timer of kept) this.push(timer);
  }

  /** Pending (not cancelled) timers. */
  get pending(): number {
    return this.live.size;
  }

  /** Time of the next pending timer, if any. */
  nextDue(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.at;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    this.advanceTo(this.current + Math.max(0, ms));
  }

  advanceTo(target: number): void {
    for (;;) {
      this.dropCancelledTop();
      const next = this.heap[0];
      if (!next || next.at > target) break;
      this.pop();
      this.live.delete(next.id);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = Math.max(this.current, target);
  }

  /** Fires timers until none is left or `limitMs` of virtual time has passed. */
  runAll(limitMs = 24 * 3600 * 1000): void {
    const stop = this.current + limitMs;
    for (;;) {
      const due = this.nextDue();
      if (due === undefined || due > stop) return;
      this.advanceTo(due);
    }
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.cancelled.has(this.heap[0]!.id)) {
      this.cancelled.delete(this.heap[0]!.id);
      this.pop();
    }
  }

  private less(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.id < b.id);
  }

  private push(timer: VirtualTimer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): VirtualTimer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < heap.length && this.less(heap[l]!, heap[smallest]!)) smallest = l;
        if (r < heap.length && this.less(heap[r]!, heap[smallest]!)) smallest = r;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}
