// The operator page's view of one session timeline: pages of records turned
// into JSON items, with caller and assistant audio merged into runs and
// payloads reduced to fields that carry no personal data. It reads timelines
// (a live recorder or a closed file) and never writes or blocks one.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { type AnyEnvelope, KINDS, type Lane, decodeBinary } from '../../../api/eventabi/index.js';
import {
  MAX_NAME_ATTEMPTS,
  TimelineFormatError,
  type TimelineRecord,
  type TimelineRecorder,
  candidateName,
  decodeRecord,
  readTimelineFrames,
  timelineFileName,
} from '../../observe/timeline/index.js';

/** Consecutive audio records of one direction and turn closer than this in time form one run. */
export const AUDIO_RUN_GAP_MS = 250;

interface ItemBase {
  /** Index of the (first) record the item stands for. */
  index: number;
  at_ms: number;
  turn_id: string;
}

export type TimelineItem =
  | (ItemBase & { type: 'header'; pipeline: string; pipeline_version: string; codec: string; sample_rate: number; seed: number; kernel_version: string })
  | (ItemBase & { type: 'ingress'; kind: string; lane: Lane; seq: number; epoch: number; detail: Record<string, string | number> })
  | (ItemBase & { type: 'egress'; kind: string; lane: Lane; seq: number; epoch: number; size: number })
  | (ItemBase & {
      type: 'audio';
      direction: 'ingress' | 'egress';
      lane: 'data';
      /** Index and time of the last record in the run. */
      index_to: number;
      to_ms: number;
      count: number;
      seq_from: number;
      seq_to: number;
      bytes: number;
    })
  | (ItemBase & { type: 'decision'; kind: string; outcome: string; reason: string; detail: Record<string, string> })
  | (ItemBase & { type: 'plan'; plan_hash: string; seed: number })
  | (ItemBase & { type: 'node'; node_id: string; node_kind: string; outcome: string; duration_ms: number; output_bytes: number })
  | (ItemBase & { type: 'input'; name: string; bytes: number })
  | (ItemBase & { type: 'rejection'; code: string; message: string; ref_id: string })
  | (ItemBase & { type: 'unreadable'; problem: string });

type AudioItem = Extract<TimelineItem, { type: 'audio' }>;

/**
 * Ingress payload fields the page may show. Everything else (typed text,
 * audio, DTMF digits, requested turn text) is personal data and stays in the
 * timeline file, as the logging rule in docs/operations.md requires.
 */
const SHOWN_INGRESS_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'session.start': ['pipeline', 'codec', 'sample_rate'],
  cancel: ['scope', 'reason'],
  'playback.mark': ['played_ms'],
  'playback.completed': ['played_ms'],
  'session.end': ['reason'],
  telemetry: ['name', 'value'],
};

function ingressDetail(event: AnyEnvelope): Record<string, string | number> {
  const fields = SHOWN_INGRESS_FIELDS[event.kind];
  const detail: Record<string, string | number> = {};
  if (!fields) return detail;
  const payload = event.payload as unknown as Record<string, unknown>;
  for (const name of fields) {
    const value = payload[name];
    if (typeof value === 'string' || typeof value === 'number') detail[name] = value;
  }
  return detail;
}

function laneOf(kind: string): Lane {
  return kind in KINDS ? KINDS[kind as keyof typeof KINDS].lane : 'control';
}

export interface PageLimits {
  /** Items a page may hold. */
  maxItems: number;
  /** Records a page may read, so one request never scans a whole long session. */
  maxRecords: number;
}

export interface TimelinePage {
  items: TimelineItem[];
  /** The index to ask for next. */
  next: number;
  /** True when the page reached the end of what the timeline holds now. */
  done: boolean;
  /** Why reading stopped early (a truncated or corrupt file), when it did. */
  problem?: string;
}

/**
 * Folds records, in index order, into page items. An audio record extends the
 * open run of its direction when it belongs to the same turn and follows
 * within AUDIO_RUN_GAP_MS; any other record is one item.
 */
export class PageBuilder {
  readonly items: TimelineItem[] = [];
  private readonly runs: Partial<Record<'ingress' | 'egress', AudioItem>> = {};
  private scanned = 0;
  next: number;

  constructor(
    from: number,
    private readonly limits: PageLimits,
  ) {
    this.next = from;
  }

  /** Takes one record; false when the page is full and the record was not taken. */
  add(record: TimelineRecord): boolean {
    if (this.scanned >= this.limits.maxRecords) return false;
    const read = readRecord(record);
    if ('audio' in read) {
      const audio = read.audio;
      const run = this.runs[audio.direction];
      if (run && run.turn_id === record.turn_id && record.at_ms - run.to_ms <= AUDIO_RUN_GAP_MS) {
        run.index_to = record.index;
        run.to_ms = record.at_ms;
        run.count += 1;
        run.seq_to = audio.seq;
        run.bytes += audio.bytes;
        return this.took(record);
      }
      if (this.items.length >= this.limits.maxItems) return false;
      const item: AudioItem = {
        type: 'audio',
        index: record.index,
        at_ms: record.at_ms,
        turn_id: record.turn_id,
        direction: audio.direction,
        lane: 'data',
        index_to: record.index,
        to_ms: record.at_ms,
        count: 1,
        seq_from: audio.seq,
        seq_to: audio.seq,
        bytes: audio.bytes,
      };
      this.runs[audio.direction] = item;
      this.items.push(item);
      return this.took(record);
    }
    if (this.items.length >= this.limits.maxItems) return false;
    this.items.push(read.item);
    return this.took(record);
  }

  private took(record: TimelineRecord): boolean {
    this.scanned += 1;
    this.next = record.index + 1;
    return true;
  }
}

interface AudioRecord {
  direction: 'ingress' | 'egress';
  seq: number;
  bytes: number;
}

/** An audio record's run fields, or any other record's item; an ingress envelope is decoded once. */
function readRecord(record: TimelineRecord): { audio: AudioRecord } | { item: TimelineItem } {
  const body = record.body;
  if (body.case === 'egress' && body.value.kind === 'audio.out') return { audio: { direction: 'egress', seq: body.value.seq, bytes: body.value.size } };
  if (body.case !== 'ingress') return { item: itemOf(record) };
  const decoded = decodeBinary(body.value);
  if (decoded.ok && decoded.event.kind === 'audio.in') return { audio: { direction: 'ingress', seq: decoded.event.seq, bytes: body.value.length } };
  return { item: ingressItem(record, decoded) };
}

function ingressItem(record: TimelineRecord, decoded: ReturnType<typeof decodeBinary>): TimelineItem {
  const base = { index: record.index, at_ms: record.at_ms, turn_id: record.turn_id };
  if (!decoded.ok) return { ...base, type: 'unreadable', problem: `ingress envelope: ${decoded.error.message}` };
  const event = decoded.event;
  return { ...base, type: 'ingress', kind: event.kind, lane: laneOf(event.kind), seq: event.seq, epoch: event.epoch, detail: ingressDetail(event) };
}

/** One record as a page item. */
export function itemOf(record: TimelineRecord): TimelineItem {
  const base = { index: record.index, at_ms: record.at_ms, turn_id: record.turn_id };
  const body = record.body;
  switch (body.case) {
    case 'header': {
      const h = body.value;
      return { ...base, type: 'header', pipeline: h.pipeline, pipeline_version: h.pipeline_version, codec: h.codec, sample_rate: h.sample_rate, seed: h.seed, kernel_version: h.kernel_version };
    }
    case 'ingress':
      return ingressItem(record, decodeBinary(body.value));
    case 'egress': {
      const e = body.value;
      return { ...base, type: 'egress', kind: e.kind, lane: laneOf(e.kind), seq: e.seq, epoch: e.epoch, size: e.size };
    }
    case 'decision': {
      const d = body.value;
      return { ...base, type: 'decision', kind: d.kind, outcome: d.outcome, reason: d.reason, detail: { ...d.detail } };
    }
    case 'plan_frozen':
      return { ...base, type: 'plan', plan_hash: body.value.plan_hash, seed: body.value.seed };
    case 'node_invocation': {
      const n = body.value;
      return { ...base, type: 'node', node_id: n.node_id, node_kind: n.node_kind, outcome: n.outcome, duration_ms: n.duration_ms, output_bytes: n.output.length };
    }
    case 'input':
      return { ...base, type: 'input', name: body.value.name, bytes: body.value.value.length };
    case 'rejection':
      return { ...base, type: 'rejection', code: body.value.code, message: body.value.message, ref_id: body.value.ref_id };
  }
}

/**
 * Records decoded between two yields to the event loop. Records from the
 * memory window arrive as resolved promises, so without the yield a large
 * page would hold the loop (and every session's lanes) for its whole decode.
 */
export const RECORDS_PER_SLICE = 256;

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Builds one page from records in index order starting at `from`. A read failure ends the page with `problem`. */
export async function buildPage(records: AsyncIterable<TimelineRecord>, from: number, limits: PageLimits): Promise<TimelinePage> {
  const page = new PageBuilder(from, limits);
  const iterator = records[Symbol.asyncIterator]();
  try {
    for (let read = 1; ; read++) {
      if (read % RECORDS_PER_SLICE === 0) await nextTick();
      const step = await iterator.next();
      if (step.done) return { items: page.items, next: page.next, done: true };
      if (!page.add(step.value)) return { items: page.items, next: page.next, done: false };
    }
  } catch (err) {
    const problem = err instanceof TimelineFormatError ? err.message : `timeline read failed: ${(err as Error).message}`;
    return { items: page.items, next: page.next, done: true, problem };
  } finally {
    // Stops a file read early: the stream behind it is closed.
    await iterator.return?.();
  }
}

/** Decoded records of an encoded stream that starts at index 0, from `from` on; earlier ones are skipped undecoded. */
export async function* skipRecords(frames: AsyncIterable<Uint8Array>, from: number): AsyncGenerator<TimelineRecord> {
  let index = 0;
  for await (const bytes of frames) {
    if (index++ < from) continue;
    yield decodeRecord(bytes);
  }
}

/** Records of a timeline file from `from` on. */
export function fileRecords(path: string, from: number): AsyncGenerator<TimelineRecord> {
  return skipRecords(readTimelineFrames(path), from);
}

/**
 * Records of a live session's timeline from `from` on. A request inside the
 * in-memory window never touches the disk; an older one reads the file part
 * through export(), which waits until those records are written. A timeline
 * that cannot go back that far (memory only, or a failed file) starts at its
 * window, and `firstAvailable` says where.
 */
export function liveRecords(timeline: TimelineRecorder, from: number): { firstAvailable: number; records: AsyncGenerator<TimelineRecord> } {
  const window = timeline.window();
  const first = window[0]?.index ?? timeline.length;
  // Records before the window exist only when nothing was discarded (memory-only timelines discard) and the file is sound.
  if (from >= first || timeline.degraded || timeline.stats.discardedRecords > 0) {
    const start = Math.max(from, first);
    return {
      firstAvailable: start,
      records: (async function* () {
        for (const stored of window) if (stored.index >= start) yield decodeRecord(stored.bytes);
      })(),
    };
  }
  return {
    firstAvailable: from,
    records: skipRecords(timeline.export(), from),
  };
}

/**
 * The newest closed timeline file of `session_id` in `dir` whose header names
 * `tenant`. Files of another tenant are never returned, so an id cannot be
 * used to read someone else's session. Names come from timelineFileName, so
 * an id never escapes `dir`.
 */
export async function findTimelineFile(dir: string, session_id: string, tenant: string): Promise<string | undefined> {
  const base = timelineFileName(session_id);
  let found: string | undefined;
  for (let attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++) {
    const path = join(dir, candidateName(base, attempt));
    const header = await readHeader(path);
    if (header === 'missing') break;
    if (header !== undefined && header.tenant === tenant && header.session_id === session_id) found = path;
  }
  return found;
}

/** True when `path` exists and this process may read it. */
export async function readable(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

async function readHeader(path: string): Promise<{ tenant: string; session_id: string } | 'missing' | undefined> {
  if (!(await readable(path))) return 'missing';
  try {
    for await (const bytes of readTimelineFrames(path)) {
      const record = decodeRecord(bytes);
      return record.body.case === 'header' ? { tenant: record.body.value.tenant, session_id: record.session_id } : undefined;
    }
  } catch {
    // A file that cannot be read or decoded belongs to no one the page can show.
  }
  return undefined;
}
