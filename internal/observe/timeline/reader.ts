// Owns reading length-delimited timelines (bytes and files); it never accepts a truncated or oversized frame silently and never writes.
import { createReadStream } from 'node:fs';
import { TimelineFormatError, type TimelineRecord, decodeRecord } from './records.js';

/**
 * Largest record a reader accepts. A corrupt length prefix would otherwise make
 * the file reader buffer the rest of the file before reporting truncation.
 */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

type Prefix = { length: number; size: number } | 'short';

/** Reads the varint length prefix at `pos`, or 'short' when the buffer ends inside it. */
function readPrefix(buf: Uint8Array, pos: number, offset: number): Prefix {
  let length = 0;
  for (let i = 0; i < 5; i++) {
    if (pos + i >= buf.length) return 'short';
    const byte = buf[pos + i]!;
    length += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) {
      if (length > MAX_RECORD_BYTES) throw new TimelineFormatError(`record length ${length} exceeds ${MAX_RECORD_BYTES}`, offset);
      return { length, size: i + 1 };
    }
  }
  throw new TimelineFormatError('record length prefix longer than 5 bytes', offset);
}

interface Frame {
  /** Byte offset of the record (after its length prefix) in the whole stream. */
  offset: number;
  /** The record bytes, without the prefix. */
  record: Uint8Array;
}

/** Splits complete frames off `buf`; returns them and where the unconsumed tail starts. */
function splitFrames(buf: Uint8Array, base: number): { frames: Frame[]; consumed: number } {
  const frames: Frame[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const prefix = readPrefix(buf, pos, base + pos);
    if (prefix === 'short' || pos + prefix.size + prefix.length > buf.length) break;
    const start = pos + prefix.size;
    frames.push({ offset: base + start, record: buf.subarray(start, start + prefix.length) });
    pos = start + prefix.length;
  }
  return { frames, consumed: pos };
}

function truncated(tail: Uint8Array, offset: number): TimelineFormatError {
  const prefix = readPrefix(tail, 0, offset);
  if (prefix === 'short') return new TimelineFormatError('truncated timeline: stream ends inside a record length prefix', offset);
  const have = tail.length - prefix.size;
  return new TimelineFormatError(`truncated timeline: record of ${prefix.length} bytes has only ${have}`, offset);
}

/** Parses a whole length-delimited timeline. Throws TimelineFormatError naming the byte offset of the first bad frame. */
export function parseTimeline(bytes: Uint8Array): TimelineRecord[] {
  const { frames, consumed } = splitFrames(bytes, 0);
  if (consumed < bytes.length) throw truncated(bytes.subarray(consumed), consumed);
  return frames.map((f) => decodeRecord(f.record, f.offset));
}

/** Frames of a file, streamed in chunks so a long session is never read into memory whole. */
async function* fileFrames(path: string): AsyncGenerator<Frame> {
  let tail: Uint8Array = new Uint8Array(0);
  let base = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    const data = tail.length === 0 ? (chunk as Buffer) : Buffer.concat([tail, chunk as Buffer]);
    const { frames, consumed } = splitFrames(data, base);
    yield* frames;
    // Copy the tail: a view would pin the whole chunk until the next one arrives.
    tail = Uint8Array.prototype.slice.call(data, consumed);
    base += consumed;
  }
  if (tail.length > 0) throw truncated(tail, base);
}

/** The raw record bytes of a timeline file, in order. Rejects with TimelineFormatError on a truncated tail. */
export async function* readTimelineFrames(path: string): AsyncGenerator<Uint8Array> {
  for await (const f of fileFrames(path)) yield f.record;
}

/** Decoded records of a timeline file, in order. Rejects with TimelineFormatError on bad data. */
export async function* readTimelineFile(path: string): AsyncGenerator<TimelineRecord> {
  for await (const f of fileFrames(path)) yield decodeRecord(f.record, f.offset);
}
