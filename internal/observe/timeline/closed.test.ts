// Protects what an ended session's timeline promises: the closed file is the
// whole timeline, read back in order, and any file that is not exactly what
// the session wrote (removed, short, long, corrupt, never written) is refused
// with a reason instead of being exported as if it were complete.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { VirtualClock } from '../../determinism/clock.js';
import { type ClosedTimeline, ClosedTimelineError, closeTimeline, exportClosedTimeline } from './closed.js';
import { TimelineRecorder } from './recorder.js';
import { type RecordBody, TimelineFormatError, decodeRecord } from './records.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'baton-closed-'));
  dirs.push(d);
  return d;
}

function decision(i: number): RecordBody {
  return { case: 'decision', value: { kind: 'lane', outcome: 'queued', reason: '', detail: { i: String(i) } } };
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** A timeline of `records` decisions, closed; `dir: null` keeps it in memory only. `written` is what its live export gave. */
async function closedWith(records: number, opts: { memoryRecords?: number; dir?: string | null } = {}): Promise<{ closed: ClosedTimeline; written: Uint8Array[] }> {
  const memoryRecords = opts.memoryRecords ?? 4;
  const dir = opts.dir === undefined ? tempDir() : opts.dir;
  const recorder = new TimelineRecorder({ session_id: 'sess-1', memoryRecords, clock: new VirtualClock(), ...(dir !== null ? { dir } : {}) });
  for (let i = 0; i < records; i++) recorder.append(decision(i));
  const written = await collect(recorder.export()).catch(() => []);
  return { closed: await closeTimeline(recorder), written };
}

describe('closed timelines', () => {
  test('for any record count and window size, the closed file exports exactly what the live timeline did, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 8 }), async (records, memoryRecords) => {
        const { closed, written } = await closedWith(records, { memoryRecords });
        expect(written).toHaveLength(records);
        expect(closed).toMatchObject({ session_id: 'sess-1', records, problem: undefined });
        const exported = await collect(exportClosedTimeline(closed));
        expect(exported.map((b) => decodeRecord(b).index)).toEqual(Array.from({ length: records }, (_, i) => i));
        expect(exported.map((b) => Buffer.from(b).toString('hex'))).toEqual(written.map((b) => Buffer.from(b).toString('hex')));
      }),
      { numRuns: 40 },
    );
  });

  test('a consumer that stops early gets a finished generator and can still export again', async () => {
    const { closed } = await closedWith(10);
    const it = exportClosedTimeline(closed);
    expect(decodeRecord((await it.next()).value as Uint8Array).index).toBe(0);
    expect(await it.return(undefined)).toEqual({ done: true, value: undefined });
    expect(await collect(exportClosedTimeline(closed))).toHaveLength(10);
  });

  test('a memory-only timeline is refused as memory_only once its session ended', async () => {
    const { closed } = await closedWith(3, { memoryRecords: 8, dir: null });
    expect(closed.path).toBeUndefined();
    expect(closed.problem?.kind).toBe('memory_only');
    await expect(collect(exportClosedTimeline(closed))).rejects.toMatchObject({ kind: 'memory_only' });
  });

  test('a timeline whose file could not be written is refused as incomplete, naming the failure', async () => {
    const notADir = join(tempDir(), 'file');
    writeFileSync(notADir, 'x');
    const { closed } = await closedWith(6, { memoryRecords: 2, dir: notADir });
    expect(closed.problem).toMatchObject({ kind: 'incomplete' });
    const failure = await collect(exportClosedTimeline(closed)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ClosedTimelineError);
    expect(failure).toMatchObject({ kind: 'incomplete', message: expect.stringMatching(/incomplete: E/) });
  });

  test('a removed file is refused as removed', async () => {
    const { closed } = await closedWith(6);
    rmSync(closed.path!);
    await expect(collect(exportClosedTimeline(closed))).rejects.toMatchObject({ kind: 'removed' });
  });

  test('a file cut at a record boundary is incomplete; one cut inside a record is a format error', async () => {
    const { closed } = await closedWith(6);
    const whole = readFileSync(closed.path!);
    const frames = await collect(exportClosedTimeline(closed));
    const lastFrame = frames.at(-1)!.length + 1; // one-byte length prefix for these small records
    truncateSync(closed.path!, whole.length - lastFrame);
    await expect(collect(exportClosedTimeline(closed))).rejects.toMatchObject({ kind: 'incomplete', message: expect.stringContaining('holds 5 of 6 records') });
    truncateSync(closed.path!, whole.length - lastFrame - 3);
    await expect(collect(exportClosedTimeline(closed))).rejects.toBeInstanceOf(TimelineFormatError);
  });

  test('a file holding more records than the session wrote is refused as incomplete', async () => {
    const { closed } = await closedWith(6);
    appendFileSync(closed.path!, readFileSync(closed.path!));
    await expect(collect(exportClosedTimeline(closed))).rejects.toMatchObject({ kind: 'incomplete', message: expect.stringContaining('more than the 6 records') });
  });
});
