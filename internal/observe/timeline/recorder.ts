// Owns one session's timeline: index and time assignment, the bounded in-memory window, rotation to the file sink and the terminal reservation; it never throws from append, never blocks on I/O and never grows without bound.
import type { AbortReason } from '../../../api/eventabi/vocabulary.js';
import type { Clock } from '../../determinism/clock.js';
import { readTimelineFrames } from './reader.js';
import { type BodyCase, type RecordBody, encodeFrame } from './records.js';
import { FileSink, timelineFileName } from './sink.js';

export interface TimelineOptions {
  session_id: string;
  /** Where records leaving the window are written; undefined keeps the timeline in memory only (tests). */
  dir?: string;
  /** Records kept in memory (default 2048). */
  memoryRecords?: number;
  /**
   * Bytes of records kept in memory (default 1 MiB): large records (a 1 MiB
   * telemetry event) leave the window early, so a session's memory is bounded
   * by bytes as well as by count. The newest record always stays.
   */
  memoryBytes?: number;
  /** Terminal appends that may still succeed once the sink is behind or failed (default 16). */
  reservedTerminalRecords?: number;
  /** Bytes waiting for the disk above which non-terminal appends fail (default 4 MiB). */
  maxPendingBytes?: number;
  clock: Clock;
}

export type AppendResult = { ok: true; index: number } | { ok: false; reason: Extract<AbortReason, 'evidence_unavailable'> };

/** One record in the window. `bytes` (the encoded TimelineRecord) is the evidence; decode it with decodeRecord for the body. */
export interface StoredRecord {
  readonly index: number;
  readonly at_ms: number;
  readonly turn_id: string;
  readonly case: BodyCase;
  readonly bytes: Uint8Array;
  /** The same record with its varint length prefix, as it is written to the file. */
  readonly frame: Uint8Array;
}

export interface TimelineStats {
  /** Records confirmed written to the file. */
  flushedRecords: number;
  /** Non-terminal appends refused with evidence_unavailable. */
  droppedNonTerminal: number;
  /** Terminal appends refused because the reservation was used up. */
  droppedTerminal: number;
  /** Bytes confirmed written to the file. */
  fileBytes: number;
  /** Records that left the window and exist nowhere (memory-only mode, or lost to a sink failure). */
  discardedRecords: number;
  /** Appends refused because the body could not be encoded (a caller bug). */
  invalidRecords: number;
  /** Bytes waiting for the disk. */
  pendingBytes: number;
  /** The file sink's first error; set means degraded. */
  sinkError: string | undefined;
}

export const DEFAULT_MEMORY_RECORDS = 2048;
export const DEFAULT_MEMORY_BYTES = 1024 * 1024;
export const DEFAULT_RESERVED_TERMINAL_RECORDS = 16;
export const DEFAULT_MAX_PENDING_BYTES = 4 * 1024 * 1024;

const UNAVAILABLE: AppendResult = Object.freeze({ ok: false, reason: 'evidence_unavailable' });

/** Thrown by export() when the timeline cannot be produced from the start. */
export class TimelineUnavailableError extends Error {
  override readonly name = 'TimelineUnavailableError';
}

function positiveInt(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`TimelineOptions.${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

export class TimelineRecorder {
  readonly session_id: string;
  private readonly clock: Clock;
  private readonly origin: number;
  private readonly capacity: number;
  private readonly reserved: number;
  private readonly maxPending: number;
  private readonly sink: FileSink | undefined;

  // Ring buffer: `ring[head]` is the oldest record, `count` records follow it.
  private readonly ring: (StoredRecord | undefined)[];
  private head = 0;
  private count = 0;
  private readonly maxBytes: number;
  /** Bytes of the frames in the window. */
  private windowBytes = 0;
  private next = 0;
  private reservedUsed = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private droppedNonTerminal = 0;
  private droppedTerminal = 0;
  private discarded = 0;
  private invalid = 0;

  constructor(opts: TimelineOptions) {
    this.session_id = opts.session_id;
    this.clock = opts.clock;
    this.origin = opts.clock.now();
    this.capacity = positiveInt('memoryRecords', opts.memoryRecords ?? DEFAULT_MEMORY_RECORDS, 1);
    this.maxBytes = positiveInt('memoryBytes', opts.memoryBytes ?? DEFAULT_MEMORY_BYTES, 1);
    this.reserved = positiveInt('reservedTerminalRecords', opts.reservedTerminalRecords ?? DEFAULT_RESERVED_TERMINAL_RECORDS, 0);
    this.maxPending = positiveInt('maxPendingBytes', opts.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES, 0);
    this.ring = new Array<StoredRecord | undefined>(this.capacity).fill(undefined);
    this.sink = opts.dir === undefined ? undefined : new FileSink(opts.dir, timelineFileName(opts.session_id));
  }

  /** Records appended so far, all time; the next record's index. */
  get length(): number {
    return this.next;
  }

  /** The timeline file, once opened (memory-only recorders never have one). */
  get filePath(): string | undefined {
    return this.sink?.path;
  }

  /** True once the file sink has failed: non-terminal appends fail from then on. */
  get degraded(): boolean {
    return this.sink?.failed ?? false;
  }

  get stats(): TimelineStats {
    return {
      flushedRecords: this.sink?.writtenRecords ?? 0,
      droppedNonTerminal: this.droppedNonTerminal,
      droppedTerminal: this.droppedTerminal,
      fileBytes: this.sink?.writtenBytes ?? 0,
      discardedRecords: this.discarded + (this.sink?.lostRecords ?? 0),
      invalidRecords: this.invalid,
      pendingBytes: this.sink?.pendingBytes ?? 0,
      sinkError: this.sink?.error,
    };
  }

  /** Appends a record unless the evidence cannot be kept (sink failed or too far behind). */
  append(body: RecordBody, turn_id = ''): AppendResult {
    return this.add(body, turn_id, false);
  }

  /**
   * Appends a terminal record (abort, close). When ordinary appends would fail
   * it uses one reserved slot, so the record explaining an abort can always be
   * written; it fails only when the reservation is used up. The reservation
   * refills once the sink has caught up; after a sink failure it never does.
   */
  appendTerminal(body: RecordBody, turn_id = ''): AppendResult {
    return this.add(body, turn_id, true);
  }

  private get pressured(): boolean {
    const sink = this.sink;
    return sink !== undefined && (sink.failed || sink.pendingBytes > this.maxPending);
  }

  private add(body: RecordBody, turn_id: string, terminal: boolean): AppendResult {
    if (this.closed) return this.refuse(terminal);
    if (this.pressured) {
      if (!terminal || this.reservedUsed >= this.reserved) return this.refuse(terminal);
      this.reservedUsed++;
    } else {
      this.reservedUsed = 0;
    }
    const index = this.next;
    const at_ms = Math.max(0, Math.round(this.clock.now() - this.origin));
    let encoded: { frame: Uint8Array; recordOffset: number };
    try {
      encoded = encodeFrame({ index, at_ms, session_id: this.session_id, turn_id, body });
    } catch {
      this.invalid++;
      return UNAVAILABLE;
    }
    const { frame, recordOffset } = encoded;
    this.push({ index, at_ms, turn_id, case: body.case, frame, bytes: frame.subarray(recordOffset) });
    this.next++;
    return { ok: true, index };
  }

  private refuse(terminal: boolean): AppendResult {
    if (terminal) this.droppedTerminal++;
    else this.droppedNonTerminal++;
    return UNAVAILABLE;
  }

  private push(rec: StoredRecord): void {
    while (this.count > 0 && (this.count === this.capacity || this.windowBytes + rec.frame.length > this.maxBytes)) this.evictOldest();
    this.ring[(this.head + this.count) % this.capacity] = rec;
    this.count++;
    this.windowBytes += rec.frame.length;
  }

  /** Moves the oldest record of the window to the file (or counts it discarded without one). */
  private evictOldest(): void {
    const oldest = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    this.windowBytes -= oldest.frame.length;
    if (this.sink) this.sink.enqueue(oldest.frame);
    else this.discarded++;
  }

  /** The in-memory window, oldest first. */
  window(): readonly StoredRecord[] {
    const out: StoredRecord[] = new Array<StoredRecord>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.ring[(this.head + i) % this.capacity]!;
    return out;
  }

  /**
   * Every record from index 0 up to the length at the time of the call, as
   * encoded TimelineRecord bytes in index order: the file part (after waiting
   * for it to reach the disk), then the window. Rejects with
   * TimelineUnavailableError when earlier records were discarded or lost.
   */
  async *export(): AsyncGenerator<Uint8Array> {
    const snapshot = this.window();
    const first = snapshot[0]?.index ?? this.next;
    if (first > 0) {
      const sink = this.sink;
      if (!sink) throw new TimelineUnavailableError(`records 0..${first - 1} were discarded: memory-only timeline of ${this.session_id} keeps the last ${this.capacity}`);
      await sink.whenWritten(first);
      if (sink.writtenRecords < first || !sink.path) throw new TimelineUnavailableError(`timeline file incomplete: ${sink.error ?? 'not written'}`);
      let read = 0;
      for await (const record of readTimelineFrames(sink.path)) {
        yield record;
        // Stop exactly at the window: later records may be mid-write.
        if (++read >= first) break;
      }
      if (read < first) throw new TimelineUnavailableError(`timeline file ${sink.path} holds ${read} records, expected ${first}`);
    }
    for (const rec of snapshot) yield rec.bytes;
  }

  /**
   * The whole timeline as one length-delimited stream. Only for timelines
   * still entirely in memory (tests, determinism comparisons); throws a
   * RangeError once records have left the window.
   */
  bytes(): Uint8Array {
    const win = this.window();
    const first = win[0]?.index ?? this.next;
    if (first > 0) throw new RangeError(`bytes() needs the whole timeline in memory; records 0..${first - 1} left the window`);
    return Buffer.concat(win.map((r) => r.frame));
  }

  /**
   * Writes the window to the file too (so the file alone is the complete
   * timeline) and closes it. Appends fail afterwards. Idempotent; never rejects.
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      const sink = this.sink;
      if (sink && !sink.failed) for (const rec of this.window()) sink.enqueue(rec.frame);
      this.closing = sink ? sink.close() : Promise.resolve();
    }
    return this.closing;
  }
}
