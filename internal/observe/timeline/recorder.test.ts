// Protects the recorder's promises: bounded memory, ordered and complete export, terminal reservation, degraded mode, safe file names, byte-identical timelines.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import fc from 'fast-check';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { anyEnvelope, encodeBinary } from '../../../api/eventabi/index.js';
import { VirtualClock } from '../../determinism/clock.js';
import { parseTimeline } from './reader.js';
import { type RecordBody, type TimelineRecord, decodeRecord } from './records.js';
import { TimelineRecorder, TimelineUnavailableError } from './recorder.js';
import { timelineFileName } from './sink.js';

const dirs: string[] = [];
const open: TimelineRecorder[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'baton-timeline-'));
  dirs.push(d);
  return d;
}
function recorder(opts: Partial<ConstructorParameters<typeof TimelineRecorder>[0]> & { clock?: VirtualClock } = {}): TimelineRecorder {
  const r = new TimelineRecorder({ session_id: 'sess-1', memoryRecords: 8, clock: new VirtualClock(), ...opts });
  open.push(r);
  return r;
}

const envelope = anyEnvelope('audio.in', { audio: new Uint8Array(320).fill(7) }, { id: 'a1', session_id: 'sess-1', epoch: 1, seq: 1, media_ms: 20 });
const INGRESS = new Uint8Array(encodeBinary(envelope));

function decision(i: number): RecordBody {
  return { case: 'decision', value: { kind: 'lane', outcome: 'queued', reason: '', detail: { seq: String(i) } } };
}
const ABORT: RecordBody = { case: 'decision', value: { kind: 'terminal', outcome: 'aborted', reason: 'evidence_unavailable', detail: {} } };

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Garbage collection on demand, without starting the worker with --expose-gc. */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('timeline recorder, memory only', () => {
  test('indexes count from 0 and at_ms is whole ms since the recorder was created', () => {
    const clock = new VirtualClock();
    clock.advance(500); // the session clock has been running; the timeline starts at 0
    const r = recorder({ clock });
    expect(r.append(decision(0))).toEqual({ ok: true, index: 0 });
    clock.advance(12.6);
    expect(r.append(decision(1), 'turn-1')).toEqual({ ok: true, index: 1 });
    expect(r.length).toBe(2);
    expect(parseTimeline(r.bytes()).map((x) => [x.index, x.at_ms, x.turn_id])).toEqual([
      [0, 0, ''],
      [1, 13, 'turn-1'],
    ]);
  });

  test('a million appends keep the window at memoryRecords and the heap flat', () => {
    const gc = gcFunction();
    const memoryRecords = 256;
    const clock = new VirtualClock();
    const r = recorder({ memoryRecords, clock });
    const turn = (i: number): void => {
      clock.advance(20);
      r.append(i % 2 === 0 ? { case: 'ingress', value: INGRESS } : decision(i), `turn-${i % 1000}`);
    };
    let i = 0;
    for (; i < 100_000; i++) turn(i);
    gc();
    const heapAfterWarmup = process.memoryUsage().heapUsed;
    for (; i < 1_000_000; i++) turn(i);
    gc();
    const growth = process.memoryUsage().heapUsed - heapAfterWarmup;

    expect(r.length).toBe(1_000_000);
    expect(r.window().length).toBe(memoryRecords);
    expect(r.window()[0]!.index).toBe(1_000_000 - memoryRecords);
    expect(r.stats.discardedRecords).toBe(1_000_000 - memoryRecords);
    expect(r.stats.droppedNonTerminal).toBe(0);
    // 900,000 more records of about 400 bytes would be ~360 MB if anything kept them.
    expect(growth).toBeLessThan(8 * 1024 * 1024);
  });

  test('bytes() refuses once records have left the window, export() rejects with what was lost', async () => {
    const r = recorder({ memoryRecords: 2 });
    for (let i = 0; i < 3; i++) r.append(decision(i));
    expect(() => r.bytes()).toThrow(/records 0\.\.0 left the window/);
    await expect(collect(r.export())).rejects.toThrow(TimelineUnavailableError);
  });

  test('export() of a timeline still in memory yields every record in order', async () => {
    const r = recorder();
    for (let i = 0; i < 5; i++) r.append(decision(i));
    const exported = await collect(r.export());
    expect(exported.map((b) => decodeRecord(b).index)).toEqual([0, 1, 2, 3, 4]);
    expect(Buffer.concat(r.window().map((s) => s.frame)).equals(Buffer.from(r.bytes()))).toBe(true);
  });

  test('a malformed body is refused as evidence_unavailable and never throws', () => {
    const r = recorder();
    const bad = { case: 'plan_frozen', value: { seed: 'x' } } as unknown as RecordBody;
    expect(r.append(bad)).toEqual({ ok: false, reason: 'evidence_unavailable' });
    expect(r.appendTerminal({ case: 'nope' } as unknown as RecordBody)).toEqual({ ok: false, reason: 'evidence_unavailable' });
    expect(r.stats.invalidRecords).toBe(2);
    expect(r.length).toBe(0);
  });

  test('appends after close fail', async () => {
    const r = recorder();
    await r.close();
    expect(r.append(decision(0)).ok).toBe(false);
    expect(r.appendTerminal(ABORT).ok).toBe(false);
  });
});

describe('timeline recorder, file mode', () => {
  test('export() yields every record in index order across the file and the window', async () => {
    const dir = tempDir();
    const r = recorder({ dir, memoryRecords: 8 });
    const bodies: RecordBody[] = [];
    for (let i = 0; i < 100; i++) {
      const body = i % 3 === 0 ? { case: 'ingress' as const, value: INGRESS } : decision(i);
      bodies.push(body);
      expect(r.append(body).ok).toBe(true);
      if (i % 10 === 0) await nextTurn(); // let some batches reach the disk mid-stream
    }
    const exported = (await collect(r.export())).map((b) => decodeRecord(b));
    expect(exported.map((x) => x.index)).toEqual([...Array(100).keys()]);
    expect(exported.map((x) => x.body)).toEqual(bodies);
    expect(r.stats.flushedRecords).toBeGreaterThanOrEqual(92);
  });

  test('the window is bounded by bytes too: large records leave it early for the file, the newest always stays, and export is still complete', async () => {
    const dir = tempDir();
    const r = recorder({ dir, memoryRecords: 1000, memoryBytes: 250_000 });
    const big = (i: number) => ({ case: 'ingress' as const, value: new Uint8Array(100_000).fill(i) });
    for (let i = 0; i < 20; i++) expect(r.append(big(i)).ok).toBe(true);
    const window = r.window();
    expect(window.length).toBe(2);
    expect(window.reduce((sum, rec) => sum + rec.frame.length, 0)).toBeLessThanOrEqual(250_000);
    expect(window.map((rec) => rec.index)).toEqual([18, 19]);
    // One record larger than the whole budget is still kept, alone.
    expect(r.append({ case: 'ingress', value: new Uint8Array(400_000) }).ok).toBe(true);
    expect(r.window().map((rec) => rec.index)).toEqual([20]);
    const exported = (await collect(r.export())).map((b) => decodeRecord(b));
    expect(exported.map((x) => x.index)).toEqual([...Array(21).keys()]);
    expect((exported[7]!.body.value as Uint8Array)[0]).toBe(7);
  });

  test('the file plus the window parse back to exactly the appended sequence', async () => {
    const dir = tempDir();
    const clock = new VirtualClock();
    const r = recorder({ dir, memoryRecords: 4, clock });
    const expected: TimelineRecord[] = [];
    for (let i = 0; i < 50; i++) {
      clock.advance(7);
      const body = decision(i);
      r.append(body, 't');
      expected.push({ index: i, at_ms: 7 * (i + 1), session_id: 'sess-1', turn_id: 't', body });
    }
    await vi.waitFor(() => expect(r.stats.flushedRecords).toBe(46));
    const file = readFileSync(r.filePath!);
    expect(r.stats.fileBytes).toBe(file.length);
    const window = r.window().map((s) => decodeRecord(s.bytes));
    expect([...parseTimeline(file), ...window]).toEqual(expected);

    // close() writes the window too: the file alone is then the whole timeline.
    await r.close();
    expect(parseTimeline(readFileSync(r.filePath!))).toEqual(expected);
    expect((await collect(r.export())).length).toBe(50);
  });

  test('a second recorder for the same session id never overwrites the first file', async () => {
    const dir = tempDir();
    const a = recorder({ dir, memoryRecords: 1 });
    a.append(decision(0));
    await a.close();
    const b = recorder({ dir, memoryRecords: 1 });
    b.append(decision(1));
    await b.close();
    expect(readdirSync(dir).sort()).toEqual(['sess-1.timeline', 'sess-1~1.timeline']);
    expect(parseTimeline(readFileSync(join(dir, 'sess-1.timeline')))[0]!.body).toEqual(decision(0));
  });

  test('a sink that falls behind fails non-terminal appends, while terminal ones use the reservation and it refills', async () => {
    const dir = tempDir();
    // Any byte waiting for the disk counts as behind.
    const r = recorder({ dir, memoryRecords: 2, maxPendingBytes: 0, reservedTerminalRecords: 3 });
    expect(r.append(decision(0)).ok).toBe(true);
    expect(r.append(decision(1)).ok).toBe(true);
    expect(r.append(decision(2)).ok).toBe(true); // evicts record 0: now pending
    expect(r.append(decision(3))).toEqual({ ok: false, reason: 'evidence_unavailable' });
    for (let i = 0; i < 3; i++) expect(r.appendTerminal(ABORT).ok).toBe(true);
    expect(r.appendTerminal(ABORT)).toEqual({ ok: false, reason: 'evidence_unavailable' });
    expect(r.stats).toMatchObject({ droppedNonTerminal: 1, droppedTerminal: 1 });

    await vi.waitFor(() => expect(r.stats.pendingBytes).toBe(0));
    expect(r.append(decision(4)).ok).toBe(true); // caught up: reservation refilled
    expect(r.appendTerminal(ABORT).ok).toBe(true);
    await r.close();
    const kinds = parseTimeline(readFileSync(r.filePath!)).map((x) => (x.body.value as { outcome: string }).outcome);
    expect(kinds).toEqual(['queued', 'queued', 'queued', 'aborted', 'aborted', 'aborted', 'queued', 'aborted']);
  });

  test('an unwritable directory degrades the recorder: non-terminal appends fail, terminal ones succeed up to the reservation', async () => {
    const base = tempDir();
    const notADir = join(base, 'file');
    writeFileSync(notADir, 'x'); // root ignores permission bits; a path under a file fails for everyone
    const r = recorder({ dir: join(notADir, 'timelines'), memoryRecords: 4, reservedTerminalRecords: 16 });
    expect(r.append(decision(0)).ok).toBe(true); // the failure is only known once the open settles
    await vi.waitFor(() => expect(r.degraded).toBe(true));
    expect(r.stats.sinkError).toMatch(/^ENOTDIR/);

    expect(r.append(decision(1))).toEqual({ ok: false, reason: 'evidence_unavailable' });
    for (let i = 0; i < 16; i++) expect(r.appendTerminal(ABORT)).toEqual({ ok: true, index: 1 + i });
    expect(r.appendTerminal(ABORT)).toEqual({ ok: false, reason: 'evidence_unavailable' });
    await nextTurn();
    expect(r.append(decision(2)).ok).toBe(false); // degraded for good: no refill
    expect(r.window().length).toBe(4);
    expect(r.stats).toMatchObject({ droppedNonTerminal: 2, droppedTerminal: 1, flushedRecords: 0, fileBytes: 0 });
    await expect(collect(r.export())).rejects.toThrow(TimelineUnavailableError);
    await r.close(); // resolves, never rejects
  });

  test('a session id with path syntax becomes a safe file name inside the directory', async () => {
    const dir = tempDir();
    const hostile = '../../escape/../x';
    const r = recorder({ dir, session_id: hostile, memoryRecords: 1 });
    r.append(decision(0));
    r.append(decision(1));
    await r.close();
    const name = timelineFileName(hostile);
    expect(name).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(readdirSync(dir)).toEqual([name]);
    expect(r.filePath).toBe(join(dir, name));
    expect(readdirSync(join(dir, '..')).some((n) => n === 'escape' || n === 'x.timeline')).toBe(false); // nothing beside the directory
    expect(parseTimeline(readFileSync(r.filePath!))[0]!.session_id).toBe(hostile);
  });

  test('file names: safe ids kept, others hex-encoded or hashed, never colliding', () => {
    expect(timelineFileName('sess-1.A_b')).toBe('sess-1.A_b.timeline');
    expect(timelineFileName('..')).toBe('_2e2e.timeline');
    expect(timelineFileName('.hidden')).toBe('_2e68696464656e.timeline');
    expect(timelineFileName('a/b')).toBe('_612f62.timeline');
    expect(timelineFileName('a\\b')).toBe('_615c62.timeline');
    expect(timelineFileName('')).toBe('_.timeline');
    expect(timelineFileName('_61')).not.toBe(timelineFileName('a'));
    const long = 'é'.repeat(128);
    expect(timelineFileName(long)).toMatch(/^__[0-9a-f]{64}\.timeline$/);
    for (const id of ['../x', 'ü', 'x'.repeat(300), long, 'a b', 'a\0b', '/etc/passwd', 'C:\\x']) {
      const name = timelineFileName(id);
      expect(name).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.~-]*\.timeline$/);
      expect(name.length).toBeLessThanOrEqual(255);
    }
  });
});

// ---- determinism property ----

const str = fc.string({ unit: 'grapheme', maxLength: 12 });
const u64 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const bytes = fc.uint8Array({ maxLength: 40 }).map((b) => new Uint8Array(b));
// "__proto__" cannot survive protobufjs's plain-object map decoding; kernel detail keys are fixed names.
const detailKey = str.filter((k) => k !== '__proto__');

const bodyArb: fc.Arbitrary<RecordBody> = fc.oneof(
  fc.record({ tenant: str, pipeline: str, pipeline_version: str, seed: u64, codec: str, sample_rate: u32, kernel_version: str, opened_wall_ms: u64 }).map((value) => ({ case: 'header' as const, value })),
  bytes.map((value) => ({ case: 'ingress' as const, value })),
  fc.record({ kind: str, seq: u64, epoch: u64, sha256: bytes, size: u32 }).map((value) => ({ case: 'egress' as const, value })),
  fc.record({ kind: str, outcome: str, reason: str, detail: fc.dictionary(detailKey, str, { maxKeys: 4 }) }).map((value) => ({ case: 'decision' as const, value })),
  fc.record({ plan_hash: str, canonical_plan: bytes, seed: u64 }).map((value) => ({ case: 'plan_frozen' as const, value })),
  fc.record({ node_id: str, node_kind: str, input_sha256: bytes, output: bytes, outcome: str, duration_ms: u64 }).map((value) => ({ case: 'node_invocation' as const, value })),
  fc.record({ name: str, value: bytes }).map((value) => ({ case: 'input' as const, value })),
  fc.record({ code: str, message: str, ref_id: str }).map((value) => ({ case: 'rejection' as const, value })),
);

const stepArb = fc.record({
  advance: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5000 }), fc.double({ min: 0, max: 50, noNaN: true })),
  body: bodyArb,
  turn_id: fc.oneof(fc.constant(''), str),
  terminal: fc.boolean(),
});

describe('timeline determinism', () => {
  test('the same bodies at the same virtual times give byte-identical timelines that parse back to the sequence', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const clocks = [new VirtualClock(), new VirtualClock(1_700_000_000_000)];
        const recs = clocks.map((clock) => new TimelineRecorder({ session_id: 'sess-p', memoryRecords: 64, clock }));
        const expected: TimelineRecord[] = [];
        for (const step of steps) {
          let index = -1;
          recs.forEach((r, i) => {
            clocks[i]!.advance(step.advance);
            const res = step.terminal ? r.appendTerminal(step.body, step.turn_id) : r.append(step.body, step.turn_id);
            if (!res.ok) throw new Error('memory-only append failed');
            index = res.index;
          });
          const at_ms = Math.round(clocks[0]!.now());
          expected.push({ index, at_ms, session_id: 'sess-p', turn_id: step.turn_id, body: step.body });
        }
        const [a, b] = recs.map((r) => Buffer.from(r.bytes()));
        expect(a!.equals(b!)).toBe(true);
        expect(parseTimeline(a!)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
