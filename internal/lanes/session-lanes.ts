// The three bounded lanes of one session: admission under each lane's overflow
// policy, watermark crossings, and the take order that keeps a turn proposal
// behind the input it covers. It reports every drop and crossing through
// `onAction` and must never drop Control, grow a lane, or read a clock itself.
import { LANES, type Lane } from '../../api/eventabi/kinds.js';
import { DROP_REASONS, type DropReason } from '../../api/eventabi/vocabulary.js';
import { LANE_OVERFLOW_ALLOWED, type LanePolicy, type OverflowPolicy } from './policy.js';
import { RingBuffer } from './ring-buffer.js';

export interface LaneItem {
  readonly lane: Lane;
  /** Per-session ingress sequence; strictly increasing in offer order. */
  readonly seq: number;
  readonly kind: string;
  /** A turn proposal: covers all queued Data with a lower seq. */
  readonly barrier?: boolean;
  /**
   * The seq of the event the session accepted just before this one, in any
   * lane. Drops are reported as one range only across items adjacent in that
   * order, so a range never spans an event that was not dropped.
   */
  readonly prevSeq?: number;
  /** Approximate memory the item holds (payload bytes); counted against `maxLaneBytes`. */
  readonly bytes?: number;
}

// The drop reasons are Event ABI values (drop.notice carries them): named in vocabulary.ts, re-exported for the lanes' users.
export { DROP_REASONS, type DropReason };

export type LaneAction =
  | {
      type: 'drop';
      lane: Lane;
      seq_from: number;
      seq_to: number;
      reason: DropReason;
      count: number;
      /** `prevSeq` of the item at `seq_from`, when items carry it. */
      prev_seq?: number;
    }
  | { type: 'xoff'; lane: Lane; depth: number }
  | { type: 'xon'; lane: Lane; depth: number };

export type OfferResult = { status: 'queued' } | { status: 'blocked'; lane: Lane } | { status: 'dropped' };

export interface SessionLanesOptions<T extends LaneItem> {
  /** Receives every drop and watermark crossing synchronously, in the order they happen. */
  readonly onAction?: (action: LaneAction) => void;
  /**
   * For `coalesce`: folds `next` into the queued `tail`, or returns undefined
   * when the two cannot merge. The result must carry the seq of one of them;
   * the other seq is reported as `coalesced`.
   */
  readonly merge?: (tail: T, next: T) => T | undefined;
  /**
   * Bytes (sum of `item.bytes`) the Data and Telemetry lanes may each hold: a
   * lane is full when its count or its bytes would overflow, so a client
   * sending maximum-size frames cannot make a count-bounded lane hold
   * capacity x max_frame_bytes. An empty lane always takes one item. Control
   * is bounded by count only: it is never dropped.
   */
  readonly maxLaneBytes?: number;
}

/** Depths at which a lane reports pressure (`xoff`) and relief (`xon`). */
export interface Watermarks {
  readonly high: number;
  readonly low: number;
}

/**
 * xoff at depth >= ceil(capacity*high%), xon at depth <= floor(capacity*low%).
 * Clamped so xoff is reachable (1..capacity) and low stays below high: without
 * that gap the two signals could fire on the same depth and flap.
 */
export function watermarks(policy: LanePolicy): Watermarks {
  const high = Math.min(policy.capacity, Math.max(1, Math.ceil((policy.capacity * policy.high_watermark_pct) / 100)));
  const low = Math.max(0, Math.min(high - 1, Math.floor((policy.capacity * policy.low_watermark_pct) / 100)));
  return { high, low };
}

/**
 * The policy a lane actually applies: the plan's when the lane allows it,
 * else the lane's first allowed one. Plans are validated before they get
 * here; this keeps the lane promises (Control never dropped, Telemetry never
 * blocks) even when one is not.
 */
export function effectiveOverflow(lane: Lane, requested: OverflowPolicy): OverflowPolicy {
  const allowed = LANE_OVERFLOW_ALLOWED[lane];
  return allowed.includes(requested) ? requested : (allowed[0] ?? 'drop_newest');
}

interface LaneState<T> {
  readonly lane: Lane;
  readonly buf: RingBuffer<T>;
  readonly policy: LanePolicy;
  readonly overflow: OverflowPolicy;
  readonly marks: Watermarks;
  xoff: boolean;
  /** A `block` refusal is outstanding: no item has been queued on this lane since. */
  blocked: boolean;
  /** When the outstanding block was first timed by `blockExpired`. */
  blockedSince: number | undefined;
  /** Sum of the queued items' `bytes`. */
  bytes: number;
}

export class SessionLanes<T extends LaneItem> {
  private readonly lanes: Readonly<Record<Lane, LaneState<T>>>;
  private readonly onAction: (action: LaneAction) => void;
  private readonly merge: ((tail: T, next: T) => T | undefined) | undefined;
  private readonly maxLaneBytes: number | undefined;

  constructor(policies: Readonly<Record<Lane, LanePolicy>>, options: SessionLanesOptions<T> = {}) {
    const state = (lane: Lane): LaneState<T> => {
      const policy = policies[lane];
      return {
        lane,
        buf: new RingBuffer<T>(policy.capacity),
        policy,
        overflow: effectiveOverflow(lane, policy.overflow),
        marks: watermarks(policy),
        xoff: false,
        blocked: false,
        blockedSince: undefined,
        bytes: 0,
      };
    };
    this.lanes = { control: state('control'), data: state('data'), telemetry: state('telemetry') };
    this.onAction = options.onAction ?? (() => {});
    this.merge = options.merge;
    this.maxLaneBytes = options.maxLaneBytes;
  }

  // ------------------------------------------------------------ admission

  /** Queues `item` on its lane, applying the lane's overflow policy when the lane is full. */
  offer(item: T): OfferResult {
    const s = this.lanes[item.lane];
    if (this.fits(s, item) && s.buf.push(item)) {
      s.bytes += sizeOf(item);
      return this.queued(s);
    }
    switch (s.overflow) {
      case 'block':
        s.blocked = true;
        return { status: 'blocked', lane: s.lane };
      case 'drop_newest':
        this.emitDrop(item, item, 1, 'overflow_drop_newest');
        return { status: 'dropped' };
      case 'latest_only': {
        // One drop per run of items adjacent in session order: a range never covers another lane's event.
        let first: T | undefined;
        let last: T | undefined;
        let count = 0;
        s.bytes = 0;
        for (let next = s.buf.shift(); next !== undefined; next = s.buf.shift()) {
          if (first && last && next.prevSeq !== undefined && next.prevSeq !== last.seq) {
            this.emitDrop(first, last, count, 'overflow_latest_only');
            first = undefined;
            count = 0;
          }
          first ??= next;
          last = next;
          count += 1;
        }
        s.buf.push(item);
        s.bytes = sizeOf(item);
        if (first && last) this.emitDrop(first, last, count, 'overflow_latest_only');
        return this.queued(s);
      }
      case 'coalesce': {
        const tail = s.buf.peekTail();
        const merged = tail && this.merge ? this.merge(tail, item) : undefined;
        if (tail && merged !== undefined) {
          s.buf.replaceTail(merged);
          s.bytes += sizeOf(merged) - sizeOf(tail);
          const absorbed = merged.seq === item.seq ? tail : item;
          this.emitDrop(absorbed, absorbed, 1, 'coalesced');
          return this.queued(s);
        }
        return this.dropOldest(s, item);
      }
      case 'drop_oldest':
        return this.dropOldest(s, item);
    }
  }

  /**
   * Reports a refused item as dropped after its producer gave up waiting
   * (`block_timeout`). Control is never dropped: returns false and reports
   * nothing, and the caller closes the session instead.
   */
  abandonBlocked(item: T): boolean {
    if (item.lane === 'control') return false;
    this.emitDrop(item, item, 1, 'block_timeout');
    return true;
  }

  // ------------------------------------------------------------ blocking

  isBlocked(lane: Lane): boolean {
    return this.lanes[lane].blocked;
  }

  /** When the outstanding block on `lane` was first timed, if it was. */
  blockedSince(lane: Lane): number | undefined {
    return this.lanes[lane].blockedSince;
  }

  /**
   * True once the lane has stayed blocked longer than its `max_block_ms`.
   * The first call after a refusal starts the timer at `now`, so the caller's
   * Clock is the only time source.
   */
  blockExpired(lane: Lane, now: number): boolean {
    const s = this.lanes[lane];
    if (!s.blocked) return false;
    if (s.blockedSince === undefined) s.blockedSince = now;
    return now - s.blockedSince > s.policy.max_block_ms;
  }

  clearBlocked(lane: Lane): void {
    const s = this.lanes[lane];
    s.blocked = false;
    s.blockedSince = undefined;
  }

  // ------------------------------------------------------------ consumption

  /**
   * The next item in priority order: Control, then Data, then Telemetry,
   * except that a turn proposal at the head of Control first lets every queued
   * Data item with a lower seq out, so it is evaluated after the input it is
   * about. Control stays FIFO: items behind a proposal wait for it.
   */
  take(): T | undefined {
    const control = this.lanes.control.buf.peek();
    if (control) {
      if (control.barrier) {
        const data = this.lanes.data.buf.peek();
        if (data && data.seq < control.seq) return this.takeFrom('data');
      }
      return this.takeFrom('control');
    }
    if (!this.lanes.data.buf.isEmpty) return this.takeFrom('data');
    return this.takeFrom('telemetry');
  }

  /** The head of one lane, ignoring priority and the proposal rule. */
  takeFrom(lane: Lane): T | undefined {
    const s = this.lanes[lane];
    const item = s.buf.shift();
    if (item !== undefined) s.bytes -= sizeOf(item);
    if (item !== undefined && s.xoff && s.buf.length <= s.marks.low) {
      s.xoff = false;
      this.onAction({ type: 'xon', lane, depth: s.buf.length });
    }
    return item;
  }

  /**
   * Empties `lane` (or every lane) for teardown and returns what was queued,
   * oldest first. Emits nothing: a session being torn down has no one left to
   * tell, and watermark and block state start fresh.
   */
  drain(lane?: Lane): T[] {
    const out: T[] = [];
    for (const l of lane ? [lane] : LANES) {
      const s = this.lanes[l];
      for (const item of s.buf) out.push(item);
      s.buf.clear();
      s.bytes = 0;
      s.xoff = false;
      s.blocked = false;
      s.blockedSince = undefined;
    }
    return out;
  }

  // ------------------------------------------------------------ inspection

  depth(lane: Lane): number {
    return this.lanes[lane].buf.length;
  }

  /** Sum of the `bytes` of the items queued on `lane`. */
  queuedBytes(lane: Lane): number {
    return this.lanes[lane].bytes;
  }

  capacity(lane: Lane): number {
    return this.lanes[lane].buf.capacity;
  }

  get totalDepth(): number {
    return this.lanes.control.buf.length + this.lanes.data.buf.length + this.lanes.telemetry.buf.length;
  }

  hasWork(): boolean {
    return this.totalDepth > 0;
  }

  /** True between an `xoff` and the following `xon`. */
  isXoff(lane: Lane): boolean {
    return this.lanes[lane].xoff;
  }

  /** The overflow policy this lane applies (see `effectiveOverflow`). */
  overflow(lane: Lane): OverflowPolicy {
    return this.lanes[lane].overflow;
  }

  watermarks(lane: Lane): Watermarks {
    return this.lanes[lane].marks;
  }

  // ------------------------------------------------------------ internals

  private dropOldest(s: LaneState<T>, item: T): OfferResult {
    // Oldest first until the new item fits by count and by bytes; each eviction is its own drop.
    while (!s.buf.isEmpty && (s.buf.isFull || !this.fits(s, item))) {
      const evicted = s.buf.shift()!;
      s.bytes -= sizeOf(evicted);
      this.emitDrop(evicted, evicted, 1, 'overflow_drop_oldest');
    }
    s.buf.push(item);
    s.bytes += sizeOf(item);
    return this.queued(s);
  }

  /** Whether `item` fits the lane's byte budget (count is the ring's own check). */
  private fits(s: LaneState<T>, item: T): boolean {
    const max = this.maxLaneBytes;
    if (max === undefined || s.lane === 'control' || s.buf.isEmpty) return true;
    return s.bytes + sizeOf(item) <= max;
  }

  /** After an admission: lifts a block and reports the crossing the new depth makes, if any. */
  private queued(s: LaneState<T>): OfferResult {
    s.blocked = false;
    s.blockedSince = undefined;
    const depth = s.buf.length;
    if (!s.xoff && depth >= s.marks.high) {
      s.xoff = true;
      this.onAction({ type: 'xoff', lane: s.lane, depth });
    } else if (s.xoff && depth <= s.marks.low) {
      // latest_only can shrink a full lane to one item in a single offer.
      s.xoff = false;
      this.onAction({ type: 'xon', lane: s.lane, depth });
    }
    return { status: 'queued' };
  }

  private emitDrop(first: T, last: T, count: number, reason: DropReason): void {
    const drop: LaneAction = { type: 'drop', lane: first.lane, seq_from: first.seq, seq_to: last.seq, reason, count };
    this.onAction(first.prevSeq === undefined ? drop : { ...drop, prev_seq: first.prevSeq });
  }
}

function sizeOf(item: LaneItem): number {
  return item.bytes ?? 0;
}
