// The Timelines control plane (DESIGN 5.2, 12; docs/control-plane.md#timelines)
// over real gRPC against in-process kernels that write real timeline files:
// ExportTimeline gives every record from the first, across the file and the
// memory window, for running and ended sessions; follows the client's pace;
// stops on cancel and deadline; and answers every documented error status.
import { rmSync, truncateSync, statSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { loadControlPlane } from '../../api/controlplane/loader.js';
import type { TimelineRecord__Output } from '../../api/controlplane/generated/baton/v1/TimelineRecord.js';
import type { TimelinesClient } from '../../api/controlplane/generated/baton/v1/Timelines.js';
import { MemoryAuthority } from '../authority/memory.js';
import { VirtualClock } from '../determinism/clock.js';
import { createRootLogger } from '../observe/logger.js';
import { Metrics } from '../observe/metrics.js';
import { TimelineRecorder } from '../observe/timeline/recorder.js';
import { decodeRecord } from '../observe/timeline/records.js';
import { SimulatedGateway, SimulationKernel } from '../kernel/simulation.js';
import type { Session } from '../session/session.js';
import { Tenants } from '../tenancy/tenants.js';
import { ControlServer } from './grpc-server.js';
import { REPLAY_PENDING, type RecordSink, streamRecords, timelinesService } from './timelines-service.js';

const DEV_KEY = 'dev-tenant-key-0123456789';
const OTHER_KEY = 'other-tenant-key-0123456789';
const TIMELINES = loadControlPlane().grpcObject.baton.v1.Timelines;
const toObject = (bytes: Uint8Array): TimelineRecord__Output => TIMELINES.service.ExportTimeline.responseDeserialize(Buffer.from(bytes));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Exported {
  records: TimelineRecord__Output[];
  status: string;
  details: string;
}

/** One in-process kernel writing timelines to a temporary directory, served over gRPC. */
async function kernel(opts: { memoryRecords?: number; dir?: boolean; endedSessionsKept?: number } = {}) {
  const dir = opts.dir === false ? undefined : mkdtempSync(join(tmpdir(), 'baton-export-'));
  if (dir) cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const sim = new SimulationKernel<MemoryAuthority>({
    holder: 'kernel-a',
    tenantSeed: 'test',
    limits: { max_sessions: 1000, max_sessions_per_tenant: 1000, max_concurrent_turns: 1000, max_concurrent_turns_per_tenant: 1000, max_turns_per_session_per_minute: 100_000 },
    timeline: { memoryRecords: opts.memoryRecords ?? 8, ...(dir ? { dir } : {}) },
    ...(opts.endedSessionsKept !== undefined ? { endedSessionsKept: opts.endedSessionsKept } : {}),
  });
  const sessions = sim.sessions;
  /** Each session's gateway, with no connection: the tests read what the timeline kept, not egress. */
  const gateways = new Map<Session, SimulatedGateway>();
  const tenants = new Tenants([
    { name: 'dev', key: DEV_KEY },
    { name: 'other', key: OTHER_KEY },
  ]);
  const server = new ControlServer({
    tenants,
    handlers: { Timelines: timelinesService({ sessions }) },
    metrics: new Metrics(),
    logger: createRootLogger({ level: 'silent' }),
    maxDeadlineMs: 10_000,
  });
  const port = await server.bind('127.0.0.1', 0);
  server.setServing(true);
  const client = new TIMELINES(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as TimelinesClient;
  cleanups.push(async () => {
    client.close();
    await server.shutdown(1000);
  });

  const metadata = (key: string | null): grpc.Metadata => {
    const m = new grpc.Metadata();
    if (key !== null) m.set('authorization', `Bearer ${key}`);
    return m;
  };

  return {
    clock: sim.clock,
    authority: sim.authority,
    sessions,
    client,
    metadata,
    async open(tenant = 'dev'): Promise<Session> {
      const session = await sim.openSession({ tenant });
      gateways.set(session, new SimulatedGateway(sim, session));
      return session;
    },
    /** Sends `count` text.in events of `size` characters through the session's real ingress gate. */
    feed(session: Session, count: number, size = 16): void {
      const gateway = gateways.get(session)!;
      for (let i = 1; i <= count; i++) {
        const { result } = gateway.send('text.in', { text: 'x'.repeat(size) });
        if (!result.ok) throw new Error(result.error.message);
      }
    },
    /** Runs ExportTimeline to its end and collects the records and the final status. */
    export(session_id: string, key: string | null = DEV_KEY): Promise<Exported> {
      return new Promise((resolve) => {
        const records: TimelineRecord__Output[] = [];
        const call = client.ExportTimeline({ session_id }, metadata(key), { deadline: Date.now() + 20_000 });
        call.on('data', (r: TimelineRecord__Output) => records.push(r));
        call.on('error', (err: grpc.ServiceError) => resolve({ records, status: grpc.status[err.code], details: err.details }));
        call.on('end', () => resolve({ records, status: 'OK', details: '' }));
      });
    },
  };
}

/** Wraps every live export so a test sees how far the server has read and when it let go of the source. */
function watchExports(): { pulled: () => number; released: Promise<void> } {
  const original = TimelineRecorder.prototype.export;
  let pulled = 0;
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  vi.spyOn(TimelineRecorder.prototype, 'export').mockImplementation(function (this: TimelineRecorder) {
    const inner = original.call(this);
    return (async function* counted() {
      try {
        for await (const record of inner) {
          pulled++;
          yield record;
        }
      } finally {
        release();
      }
    })();
  });
  return { pulled: () => pulled, released };
}

/** Lets I/O and timers of the event loop run `turns` times (no clock is read). */
async function loopTurns(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function indices(records: TimelineRecord__Output[]): number[] {
  return records.map((r) => r.index);
}

describe('ExportTimeline of a running session', () => {
  test('every record from index 0, the flushed file part then the memory window, in order, equal to the recorder', async () => {
    const k = await kernel({ memoryRecords: 8 });
    const s = await k.open();
    k.feed(s, 40);
    const recorder = k.sessions.lookup('dev', s.id);
    if (recorder?.state !== 'live') throw new Error('expected a live session');
    expect(recorder.timeline.window()[0]!.index).toBeGreaterThan(0); // part of it is only in the file
    const expected: Uint8Array[] = [];
    for await (const bytes of recorder.timeline.export()) expected.push(bytes);

    const out = await k.export(s.id);
    expect(out.status).toBe('OK');
    expect(indices(out.records)).toEqual(expected.map((_, i) => i));
    for (const [i, record] of out.records.entries()) {
      const mine = decodeRecord(expected[i]!);
      expect(record, `record ${i}`).toMatchObject({ index: mine.index, at_ms: mine.at_ms, session_id: s.id, turn_id: mine.turn_id, body: mine.body.case });
    }
    expect(out.records[0]).toMatchObject({ body: 'header', header: { tenant: 'dev', pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 } });
    const ingress = out.records.find((r) => r.body === 'ingress')!;
    expect(ingress.ingress).toMatchObject({ kind: 'text.in', session_id: s.id, payload: 'text_in', text_in: { text: 'x'.repeat(16) } });
    expect(s.ended).toBe(false);
  });

  test('for any window size and record count, the export has no gap and no repeat', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 30 }), async (memoryRecords, events) => {
        const k = await kernel({ memoryRecords });
        const s = await k.open();
        k.feed(s, events);
        const found = k.sessions.lookup('dev', s.id);
        const length = found?.state === 'live' ? found.timeline.length : -1;
        const out = await k.export(s.id);
        expect(out.status).toBe('OK');
        expect(indices(out.records)).toEqual(Array.from({ length }, (_, i) => i));
        for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
      }),
      { numRuns: 15 },
    );
  });
});

describe('ExportTimeline of an ended session', () => {
  test('reads the closed file: every record through session.ended, the same records the running session exported first', async () => {
    const k = await kernel({ memoryRecords: 8 });
    const s = await k.open();
    k.feed(s, 20);
    const before = await k.export(s.id);
    s.end('caller_hung_up');
    const after = await k.export(s.id);
    expect(after.status).toBe('OK');
    expect(indices(after.records)).toEqual(after.records.map((_, i) => i));
    expect(after.records.slice(0, before.records.length)).toEqual(before.records);
    expect(after.records.at(-1)).toMatchObject({ body: 'egress', egress: { kind: 'session.ended' } });
  });

  test('a lease moved away: the export ends with the authority loss, output fenced, and the terminal events at the old epoch', async () => {
    const k = await kernel();
    const s = await k.open();
    const held = s.epoch;
    s.propose('grpc', held, 'a long enough answer to still be speaking when the lease moves away from this kernel');
    k.clock.advance(200);
    await loopTurns(20);
    const moved = await k.authority.transfer(s.id, 'kernel-b', 10_000);
    expect(s.ended).toBe(true);
    const out = await k.export(s.id);
    expect(out.status).toBe('OK');
    const lost = out.records.findIndex((r) => r.body === 'decision' && r.decision?.kind === 'authority' && r.decision.outcome === 'lost');
    expect(out.records[lost]!.decision).toMatchObject({ outcome: 'lost', reason: 'superseded', detail: { holder: 'kernel-b', held_epoch: String(held), epoch: String(moved.ok && moved.value.epoch) } });
    const egress = out.records.slice(lost).filter((r) => r.body === 'egress').map((r) => r.egress!);
    expect(egress.map((e) => e.kind)).toEqual(['output.clear', 'turn.aborted', 'turn.closed', 'session.ended']);
    expect(new Set(egress.map((e) => e.epoch))).toEqual(new Set([held]));
  });

  test('a removed timeline file is NOT_FOUND; a truncated one DATA_LOSS; a memory-only one FAILED_PRECONDITION', async () => {
    const k = await kernel();
    const removed = await k.open();
    const cut = await k.open();
    k.feed(removed, 10);
    k.feed(cut, 10);
    removed.end('done');
    cut.end('done');
    const files = await Promise.all([removed, cut].map(async (s) => {
      const found = k.sessions.lookup('dev', s.id);
      if (found?.state !== 'ended') throw new Error('expected ended');
      return (await found.ended.timeline).path!;
    }));
    rmSync(files[0]!);
    truncateSync(files[1]!, statSync(files[1]!).size - 5);
    expect(await k.export(removed.id)).toMatchObject({ status: 'NOT_FOUND', records: [], details: expect.stringContaining('no longer exists') });
    const damaged = await k.export(cut.id);
    expect(damaged.status).toBe('DATA_LOSS');

    const memoryOnly = await kernel({ dir: false });
    const s = await memoryOnly.open();
    s.end('done');
    expect(await memoryOnly.export(s.id)).toMatchObject({ status: 'FAILED_PRECONDITION', details: expect.stringContaining('memory only') });
  });

  test('a session forgotten from the bounded ended table is NOT_FOUND', async () => {
    const k = await kernel({ endedSessionsKept: 1 });
    const first = await k.open();
    const second = await k.open();
    first.end('done');
    second.end('done');
    expect(await k.export(first.id)).toMatchObject({ status: 'NOT_FOUND', details: `no session ${first.id}` });
    expect((await k.export(second.id)).status).toBe('OK');
  });
});

describe('ExportTimeline follows the client', () => {
  test('the export reads a record only once the sink took the previous one, and goes on after drain', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      const recorder = new TimelineRecorder({ session_id: 's', memoryRecords: 100, clock: new VirtualClock() });
      for (let i = 0; i < 50; i++) recorder.append({ case: 'decision', value: { kind: 'k', outcome: 'o', reason: '', detail: {} } });
      for await (const bytes of recorder.export()) {
        pulled++;
        yield bytes;
      }
    }
    const written: number[] = [];
    let room = 5;
    const listeners = new Set<() => void>();
    const sink: RecordSink = {
      write: (record) => {
        written.push(record.index);
        return --room > 0;
      },
      once: (_event, listener) => listeners.add(listener),
      removeListener: (_event, listener) => listeners.delete(listener),
    };
    const done = streamRecords(source(), sink, new AbortController().signal, toObject);
    await loopTurns(20);
    expect(written).toEqual([0, 1, 2, 3, 4]);
    expect(pulled).toBe(5);
    expect(listeners.size).toBe(1);
    for (let round = 0; round < 9; round++) {
      room = 5;
      for (const listener of [...listeners]) listener();
      await loopTurns(20);
      expect(pulled).toBe(5 * (round + 2));
    }
    expect(written).toHaveLength(50);
    for (const listener of [...listeners]) listener(); // the 50th write filled the sink too
    expect(await done).toBe(50);
    expect(written).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(listeners.size).toBe(0);
  });

  test('a record out of order is DATA_LOSS, not a silent gap', async () => {
    async function* skipping(): AsyncGenerator<Uint8Array> {
      const recorder = new TimelineRecorder({ session_id: 's', memoryRecords: 10, clock: new VirtualClock() });
      for (let i = 0; i < 3; i++) recorder.append({ case: 'decision', value: { kind: 'k', outcome: 'o', reason: '', detail: {} } });
      const all: Uint8Array[] = [];
      for await (const bytes of recorder.export()) all.push(bytes);
      yield all[0]!;
      yield all[2]!;
    }
    const sink: RecordSink = { write: () => true, once: () => undefined, removeListener: () => undefined };
    await expect(streamRecords(skipping(), sink, new AbortController().signal, toObject)).rejects.toMatchObject({ status: grpc.status.DATA_LOSS });
  });

  test('a client that stops reading holds the server to a bounded read-ahead; reading again gets every record in order', async () => {
    const k = await kernel({ memoryRecords: 64 });
    const s = await k.open();
    const total = 2000;
    k.feed(s, total - 1, 1000); // about 2 MB of timeline: far more than HTTP/2 windows and stream buffers hold
    const found = k.sessions.lookup('dev', s.id);
    const length = found?.state === 'live' ? found.timeline.length : 0;
    expect(length).toBeGreaterThanOrEqual(total);
    const seen = watchExports();
    const call = k.client.ExportTimeline({ session_id: s.id }, k.metadata(DEV_KEY), { deadline: Date.now() + 30_000 });
    const records: TimelineRecord__Output[] = [];
    const ended = new Promise<string>((resolve) => {
      call.on('error', (err: grpc.ServiceError) => resolve(grpc.status[err.code]));
      call.on('end', () => resolve('OK'));
    });
    await new Promise<void>((resolve) => {
      call.once('data', (r: TimelineRecord__Output) => {
        records.push(r);
        call.pause();
        resolve();
      });
    });
    // Let the server run until it stops reading: it waits for the client, not for the end of the timeline.
    let last = -1;
    while (seen.pulled() !== last) {
      last = seen.pulled();
      await loopTurns(50);
    }
    expect(seen.pulled()).toBeLessThan(length / 2);
    call.on('data', (r: TimelineRecord__Output) => records.push(r));
    call.resume();
    expect(await ended).toBe('OK');
    expect(indices(records)).toEqual(Array.from({ length }, (_, i) => i));
  });

  test('a client that cancels mid-stream ends the export at once and the server lets go of the timeline', async () => {
    const k = await kernel({ memoryRecords: 64 });
    const s = await k.open();
    k.feed(s, 1000, 1000);
    const seen = watchExports();
    const call = k.client.ExportTimeline({ session_id: s.id }, k.metadata(DEV_KEY));
    const status = new Promise<string>((resolve) => call.on('error', (err: grpc.ServiceError) => resolve(grpc.status[err.code])));
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    call.pause();
    call.cancel();
    expect(await status).toBe('CANCELLED');
    await seen.released;
    expect(seen.pulled()).toBeLessThan(1001);
    expect(s.ended).toBe(false);
  });

  test('a client deadline that passes while the client is not reading ends the export with DEADLINE_EXCEEDED and the server lets go', async () => {
    const k = await kernel({ memoryRecords: 64 });
    const s = await k.open();
    k.feed(s, 1000, 1000);
    const seen = watchExports();
    const call = k.client.ExportTimeline({ session_id: s.id }, k.metadata(DEV_KEY), { deadline: Date.now() + 300 });
    const status = new Promise<string>((resolve) => call.on('error', (err: grpc.ServiceError) => resolve(grpc.status[err.code])));
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    call.pause();
    expect(await status).toBe('DEADLINE_EXCEEDED');
    await seen.released;
    expect(seen.pulled()).toBeLessThan(1001);
  });
});

describe('errors and ReplayTimeline', () => {
  test('an empty or over-long session_id is INVALID_ARGUMENT and an unknown one NOT_FOUND', async () => {
    const k = await kernel();
    expect(await k.export('')).toEqual({ records: [], status: 'INVALID_ARGUMENT', details: 'session_id is required' });
    expect(await k.export('s-nobody')).toEqual({ records: [], status: 'NOT_FOUND', details: 'no session s-nobody' });
    expect(await k.export('x'.repeat(200_000))).toEqual({ records: [], status: 'INVALID_ARGUMENT', details: 'session_id is longer than 128 characters' });
  });

  test("another tenant's session, running or ended, is NOT_FOUND", async () => {
    const k = await kernel();
    const running = await k.open();
    const ended = await k.open();
    ended.end('done');
    for (const s of [running, ended]) expect(await k.export(s.id, OTHER_KEY)).toEqual({ records: [], status: 'NOT_FOUND', details: `no session ${s.id}` });
    const own = await k.open('other');
    expect((await k.export(own.id, OTHER_KEY)).status).toBe('OK');
  });

  test('without the tenant key, or with a wrong one, ExportTimeline is UNAUTHENTICATED', async () => {
    const k = await kernel();
    const s = await k.open();
    for (const key of [null, 'not-a-tenant-key-0123456789']) expect(await k.export(s.id, key)).toMatchObject({ records: [], status: 'UNAUTHENTICATED' });
  });

  test('ReplayTimeline answers UNIMPLEMENTED, saying replay arrives with the replay issue', async () => {
    const k = await kernel();
    const answer = await new Promise<{ code: string; details: string }>((resolve) => {
      const call = k.client.ReplayTimeline(k.metadata(DEV_KEY), (err) => resolve({ code: err ? grpc.status[err.code] : 'OK', details: err?.details ?? '' }));
      call.write({ index: 0, session_id: 's', header: { tenant: 'dev' } });
      call.end();
    });
    expect(answer).toEqual({ code: 'UNIMPLEMENTED', details: REPLAY_PENDING });
    expect(REPLAY_PENDING).toContain('replay issue');
  });
});
