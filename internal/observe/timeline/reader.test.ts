// Protects the readers: length-delimited streams parse in order, truncation and corruption are refused with the byte offset.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { VirtualClock } from '../../determinism/clock.js';
import { MAX_RECORD_BYTES, parseTimeline, readTimelineFile, readTimelineFrames } from './reader.js';
import { type RecordBody, type TimelineRecord, TimelineFormatError, encodeRecord } from './records.js';
import { TimelineRecorder } from './recorder.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'baton-timeline-reader-'));
  dirs.push(d);
  return d;
}

function inputBody(i: number, size = 8): RecordBody {
  return { case: 'input', value: { name: `n${i}`, value: new Uint8Array(size).fill(i & 0xff) } };
}

/** A memory-only timeline of `n` records and the records it should parse back to. */
function timeline(n: number, size = 8): { bytes: Uint8Array; records: TimelineRecord[] } {
  const clock = new VirtualClock();
  const rec = new TimelineRecorder({ session_id: 's', memoryRecords: n + 1, clock });
  const records: TimelineRecord[] = [];
  for (let i = 0; i < n; i++) {
    clock.advance(3);
    const body = inputBody(i, size);
    rec.append(body, i % 2 ? 't1' : '');
    records.push({ index: i, at_ms: 3 * (i + 1), session_id: 's', turn_id: i % 2 ? 't1' : '', body });
  }
  return { bytes: rec.bytes(), records };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('timeline reader', () => {
  test('parseTimeline returns every record of a length-delimited stream in order', () => {
    const { bytes, records } = timeline(20);
    expect(parseTimeline(bytes)).toEqual(records);
    expect(parseTimeline(new Uint8Array(0))).toEqual([]);
  });

  test('a stream cut inside a record is refused, naming the offset of that record', () => {
    const { bytes } = timeline(3);
    const firstFrame = 1 + encodeRecord(parseTimeline(bytes)[0]!).length;
    const secondFrame = 1 + encodeRecord(parseTimeline(bytes)[1]!).length;
    const cut = bytes.subarray(0, firstFrame + secondFrame - 2);
    expect(() => parseTimeline(cut)).toThrow(TimelineFormatError);
    expect(() => parseTimeline(cut)).toThrow(`truncated timeline: record of ${secondFrame - 1} bytes has only ${secondFrame - 3} (at byte offset ${firstFrame})`);
  });

  test('a stream cut inside a length prefix is refused, naming the offset of the prefix', () => {
    const { bytes } = timeline(1);
    const withHalfPrefix = Buffer.concat([bytes, Buffer.from([0x80])]);
    expect(() => parseTimeline(withHalfPrefix)).toThrow(`stream ends inside a record length prefix (at byte offset ${bytes.length})`);
  });

  test('a length prefix above the record limit is refused before anything is buffered', () => {
    const huge = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => parseTimeline(huge)).toThrow(new RegExp(`exceeds ${MAX_RECORD_BYTES}`));
  });

  test('a corrupt record names its own byte offset, not the start of the stream', () => {
    const { bytes } = timeline(2);
    const firstFrame = 1 + encodeRecord(parseTimeline(bytes)[0]!).length;
    const corrupt = Buffer.concat([bytes, Buffer.from([0x02, 0x28, 0x01])]); // a record holding unknown field 5
    const err = (() => {
      try {
        parseTimeline(corrupt);
      } catch (e) {
        return e as TimelineFormatError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TimelineFormatError);
    expect(err?.offset).toBe(bytes.length + 1);
    expect(firstFrame).toBeLessThan(bytes.length);
  });

  test('readTimelineFile streams a file larger than one read chunk across chunk boundaries', async () => {
    const { bytes, records } = timeline(2000, 300); // about 620 KB, several 256 KB chunks
    const path = join(tempDir(), 'big.timeline');
    writeFileSync(path, bytes);
    expect(await collect(readTimelineFile(path))).toEqual(records);
    expect((await collect(readTimelineFrames(path))).length).toBe(2000);
  });

  test('readTimelineFile rejects a truncated file with the offset of the cut record', async () => {
    const { bytes, records } = timeline(5);
    const path = join(tempDir(), 'cut.timeline');
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    const lastFrameAt = bytes.length - (1 + encodeRecord(records[4]!).length);
    await expect(collect(readTimelineFile(path))).rejects.toThrow(`(at byte offset ${lastFrameAt})`);
  });
});
