// The one scheduler that serves every session's lanes: strict lane priority
// across sessions, round-robin with a quantum within a lane, and a time slice
// so sockets keep being read. It only decides who is served next; it must
// never queue items itself, scan all sessions per item, or run past its slice.
import { LANES, type Lane } from '../../api/eventabi/kinds.js';
import type { LaneItem, SessionLanes } from './session-lanes.js';

export interface SchedulableSession<T extends LaneItem> {
  readonly lanes: SessionLanes<T>;
  deliver(item: T): void;
}

export interface LaneSchedulerOptions {
  /** Items per session per visit. Default 8. */
  readonly quantum?: number;
  /** Longest synchronous run before yielding to the event loop. Default 2 ms. */
  readonly sliceMs?: number;
  /**
   * High-resolution time used only to end a slice; it never orders or decides
   * anything, so runs stay deterministic whatever it returns. Default `performance.now`.
   */
  readonly now?: () => number;
  /** Runs `run` on a later turn of the event loop. Default `setImmediate`. */
  readonly schedule?: (run: () => void) => void;
}

export interface LaneSchedulerStats {
  /** Slices run, scheduled or called directly. */
  readonly slices: number;
  readonly delivered: number;
  /** Slices that ended on time with work left. */
  readonly yields: number;
}

/** Lane index: 0 control, 1 data, 2 telemetry (priority order). */
type LaneIx = 0 | 1 | 2;

/**
 * A session's place in the active queues. Each lane's queue is an intrusive
 * doubly linked list through these entries, so a session is queued at most
 * once per lane and joins, leaves or is removed in O(1).
 */
interface Entry<T extends LaneItem> {
  readonly session: SchedulableSession<T>;
  readonly next: (Entry<T> | undefined)[];
  readonly prev: (Entry<T> | undefined)[];
  readonly linked: boolean[];
  removed: boolean;
}

interface ActiveQueue<T extends LaneItem> {
  head: Entry<T> | undefined;
  tail: Entry<T> | undefined;
  size: number;
}

export class LaneScheduler<T extends LaneItem> {
  private readonly quantum: number;
  private readonly sliceMs: number;
  private readonly now: () => number;
  private readonly scheduleRun: (run: () => void) => void;
  private readonly entries = new Map<SchedulableSession<T>, Entry<T>>();
  /** Sessions with work, per lane. A session with queued Control is Control work even when take() returns the Data its proposal covers. */
  private readonly active: readonly [ActiveQueue<T>, ActiveQueue<T>, ActiveQueue<T>] = [
    { head: undefined, tail: undefined, size: 0 },
    { head: undefined, tail: undefined, size: 0 },
    { head: undefined, tail: undefined, size: 0 },
  ];
  private pending = false;
  private running = false;
  /** The entry being served and the lane it is served from: it rejoins that queue only when its visit ends. */
  private serving: Entry<T> | undefined;
  private servingLane: LaneIx | undefined;
  private readonly counters = { slices: 0, delivered: 0, yields: 0 };
  private readonly runScheduled = (): void => {
    this.pending = false;
    this.runSlice();
  };

  constructor(opts: LaneSchedulerOptions = {}) {
    this.quantum = Math.max(1, Math.floor(opts.quantum ?? 8));
    this.sliceMs = Math.max(0, opts.sliceMs ?? 2);
    this.now = opts.now ?? (() => performance.now());
    this.scheduleRun = opts.schedule ?? ((run) => void setImmediate(run));
  }

  get stats(): LaneSchedulerStats {
    return this.counters;
  }

  /** Sessions registered. */
  get size(): number {
    return this.entries.size;
  }

  add(session: SchedulableSession<T>): void {
    if (this.entries.has(session)) return;
    const entry: Entry<T> = {
      session,
      next: [undefined, undefined, undefined],
      prev: [undefined, undefined, undefined],
      linked: [false, false, false],
      removed: false,
    };
    this.entries.set(session, entry);
    this.notify(session);
  }

  /** Forgets `session`, including its places in the active queues; its lanes are left as they are. */
  remove(session: SchedulableSession<T>): void {
    const entry = this.entries.get(session);
    if (!entry) return;
    for (let i = 0; i <= 2; i++) this.unlink(i as LaneIx, entry);
    entry.removed = true;
    this.entries.delete(session);
  }

  /** The session has new work: queues it where it now has work and makes sure a run is coming. Unknown sessions are ignored. */
  notify(session: SchedulableSession<T>): void {
    const entry = this.entries.get(session);
    if (!entry) return;
    this.enlist(entry);
    this.ensureRun();
  }

  /** True when some session may have queued work. */
  hasWork(): boolean {
    return this.active[0].size + this.active[1].size + this.active[2].size > 0;
  }

  /**
   * Runs one slice synchronously and returns true if work remains. When work
   * remains and no run is pending it schedules one, so nothing is stranded
   * however the slice was started. Calls made from inside `deliver` do nothing.
   */
  runSlice(): boolean {
    if (this.running) return this.hasWork();
    this.running = true;
    try {
      return this.slice();
    } finally {
      this.running = false;
      this.ensureRun();
    }
  }

  /** Runs slices back to back until no session has work (tests, virtual clock). */
  drainSync(): void {
    if (this.running) return;
    this.running = true;
    try {
      while (this.slice());
    } finally {
      // Only left with work if a deliver threw; a run picks it up rather than stranding it.
      this.running = false;
      this.ensureRun();
    }
  }

  // ------------------------------------------------------------ the slice

  private slice(): boolean {
    this.counters.slices++;
    const start = this.now();
    for (;;) {
      const ix = this.topLane();
      if (ix === undefined) return false;
      const entry = this.popHead(ix);
      if (!entry) return false;
      const timeUp = this.visit(ix, entry, start);
      if (timeUp) {
        if (!this.hasWork()) return false;
        this.counters.yields++;
        return true;
      }
    }
  }

  /**
   * Serves up to one quantum of `entry`'s work in lane `ix`, stopping early
   * when higher-priority work appears anywhere (deliver may enqueue Control)
   * or the slice runs out. Returns true when the slice is over.
   */
  private visit(ix: LaneIx, entry: Entry<T>, start: number): boolean {
    const lanes = entry.session.lanes;
    let served = 0;
    let timeUp = false;
    this.serving = entry;
    this.servingLane = ix;
    try {
      while (served < this.quantum && !entry.removed) {
        if (!this.hasLaneWork(lanes, ix)) break;
        if (served > 0 && this.higherWaiting(ix)) break;
        // take() keeps the session's own lane order even for work it queued without notify.
        const item = lanes.take();
        if (item === undefined) break;
        served++;
        this.counters.delivered++;
        entry.session.deliver(item);
        if (this.now() - start >= this.sliceMs) {
          timeUp = true;
          break;
        }
      }
    } finally {
      // Back to the tail, behind every session that got work during the visit:
      // round-robin, whether the quantum ran out or something preempted it.
      this.serving = undefined;
      this.servingLane = undefined;
      if (!entry.removed) this.enlist(entry);
    }
    return timeUp;
  }

  private hasLaneWork(lanes: SessionLanes<T>, ix: LaneIx): boolean {
    return lanes.depth(LANES[ix] as Lane) > 0;
  }

  private higherWaiting(ix: LaneIx): boolean {
    if (ix === 0) return false;
    if (this.active[0].size > 0) return true;
    return ix === 2 && this.active[1].size > 0;
  }

  private topLane(): LaneIx | undefined {
    if (this.active[0].size > 0) return 0;
    if (this.active[1].size > 0) return 1;
    if (this.active[2].size > 0) return 2;
    return undefined;
  }

  private ensureRun(): void {
    if (this.pending || this.running || !this.hasWork()) return;
    this.pending = true;
    this.scheduleRun(this.runScheduled);
  }

  // ------------------------------------------------------------ active queues

  /** Links `entry` at the tail of every lane queue where its session has work and it is not already queued. */
  private enlist(entry: Entry<T>): void {
    const lanes = entry.session.lanes;
    for (let i = 0; i <= 2; i++) {
      const ix = i as LaneIx;
      // A session notifying itself mid-visit must not jump ahead of sessions that get work after it.
      if (entry === this.serving && ix === this.servingLane) continue;
      if (!entry.linked[ix] && this.hasLaneWork(lanes, ix)) this.linkTail(ix, entry);
    }
  }

  private linkTail(ix: LaneIx, entry: Entry<T>): void {
    const q = this.active[ix];
    entry.prev[ix] = q.tail;
    entry.next[ix] = undefined;
    if (q.tail) q.tail.next[ix] = entry;
    else q.head = entry;
    q.tail = entry;
    entry.linked[ix] = true;
    q.size++;
  }

  private popHead(ix: LaneIx): Entry<T> | undefined {
    const entry = this.active[ix].head;
    if (entry) this.unlink(ix, entry);
    return entry;
  }

  private unlink(ix: LaneIx, entry: Entry<T>): void {
    if (!entry.linked[ix]) return;
    const q = this.active[ix];
    const prev = entry.prev[ix];
    const next = entry.next[ix];
    if (prev) prev.next[ix] = next;
    else q.head = next;
    if (next) next.prev[ix] = prev;
    else q.tail = prev;
    entry.prev[ix] = undefined;
    entry.next[ix] = undefined;
    entry.linked[ix] = false;
    q.size--;
  }
}
