// The session manager's memory of ended sessions (what the Authority and
// Timelines control planes answer from): per tenant, bounded, oldest
// forgotten first, handed over when an id is reused; the closed timeline it
// keeps; and the lease changes it applies and records.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { MemoryAuthority } from '../authority/memory.js';
import { VirtualClock } from '../determinism/clock.js';
import { exportClosedTimeline } from '../observe/timeline/closed.js';
import { decodeRecord } from '../observe/timeline/records.js';
import { SimulationKernel } from '../kernel/simulation.js';
import { ENDED_SESSIONS_KEPT, type KnownSession } from './manager.js';
import type { Session } from './session.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function kernel(opts: { endedSessionsKept?: number; dir?: string; authority?: (clock: VirtualClock) => MemoryAuthority } = {}) {
  const sim = new SimulationKernel<MemoryAuthority>({
    ...(opts.authority ? { authority: opts.authority } : {}),
    holder: 'kernel-a',
    tenantSeed: 'test',
    limits: { max_sessions: 1000, max_sessions_per_tenant: 1000, max_concurrent_turns: 1000, max_concurrent_turns_per_tenant: 1000, max_turns_per_session_per_minute: 1000 },
    timeline: { memoryRecords: 4, ...(opts.dir ? { dir: opts.dir } : {}) },
    ...(opts.endedSessionsKept !== undefined ? { endedSessionsKept: opts.endedSessionsKept } : {}),
  });
  const open = (tenant = 'dev', session_id?: string): Promise<Session> => sim.openSession({ tenant, ...(session_id !== undefined ? { session_id } : {}) });
  return { clock: sim.clock, authority: sim.authority, manager: sim.sessions, open };
}

function endedOf(found: KnownSession | undefined) {
  if (found?.state !== 'ended') throw new Error(`expected an ended session, got ${found?.state}`);
  return found.ended;
}

describe('sessions the manager knows', () => {
  test('lookup finds a running session for its own tenant only, and after it ends, what it ended with', async () => {
    const k = kernel();
    const s = await k.open('dev');
    expect(k.manager.lookup('dev', s.id)).toMatchObject({ state: 'live', session: s });
    expect(k.manager.lookup('other', s.id)).toBeUndefined();
    expect(k.manager.lookup('dev', 's-none')).toBeUndefined();
    s.end('caller_hung_up');
    expect(endedOf(k.manager.lookup('dev', s.id))).toMatchObject({ session_id: s.id, tenant: 'dev', reason: 'caller_hung_up', ended_at_ms: k.clock.wallNow() });
    expect(k.manager.lookup('other', s.id)).toBeUndefined();
    expect(k.manager.find('dev', s.id)).toBeUndefined();
  });

  test('the ended table keeps the most recent endedSessionsKept sessions, forgetting the oldest first, whatever the order of opens and ends', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5 }), fc.array(fc.boolean(), { maxLength: 30 }), async (kept, steps) => {
        const k = kernel({ endedSessionsKept: kept });
        const running: Session[] = [];
        const endedOrder: string[] = [];
        for (const openOne of steps) {
          if (openOne || running.length === 0) running.push(await k.open());
          else {
            const s = running.shift()!;
            s.end('done');
            endedOrder.push(s.id);
          }
        }
        const remembered = endedOrder.slice(Math.max(0, endedOrder.length - kept));
        expect(k.manager.endedSize).toBe(remembered.length);
        for (const id of endedOrder) expect(k.manager.lookup('dev', id)?.state).toBe(remembered.includes(id) ? 'ended' : undefined);
      }),
      { numRuns: 80 },
    );
    expect(ENDED_SESSIONS_KEPT).toBeGreaterThanOrEqual(1000);
    expect(() => kernel({ endedSessionsKept: -1 })).toThrow(RangeError);
  });

  test('an id reused by a new session (possibly of another tenant) belongs to the new session from its open', async () => {
    const k = kernel();
    const first = await k.open('dev', 'chosen-id');
    first.end('done');
    const second = await k.open('other', 'chosen-id');
    expect(k.manager.lookup('dev', 'chosen-id')).toBeUndefined();
    expect(k.manager.lookup('other', 'chosen-id')).toMatchObject({ state: 'live', session: second });
    second.end('bye');
    expect(endedOf(k.manager.lookup('other', 'chosen-id')).reason).toBe('bye');
    expect(k.manager.endedSize).toBe(1);
  });

  test("an ended session's timeline is closed into its file, the whole timeline from the header to session.ended", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-manager-'));
    dirs.push(dir);
    const k = kernel({ dir });
    const s = await k.open();
    s.propose('grpc', s.epoch, 'hello');
    s.end('done');
    const closed = await endedOf(k.manager.lookup('dev', s.id)).timeline;
    expect(closed.problem).toBeUndefined();
    expect(closed.records).toBeGreaterThan(4); // more than the memory window: the file holds them all
    const records = [];
    for await (const bytes of exportClosedTimeline(closed)) records.push(decodeRecord(bytes));
    expect(records.map((r) => r.index)).toEqual(Array.from({ length: closed.records }, (_, i) => i));
    expect(records[0]!.body.case).toBe('header');
    expect(records.at(-1)!.body).toMatchObject({ case: 'egress', value: { kind: 'session.ended' } });
  });
});

describe('lease changes', () => {
  test('applyLease fences a session whose move the backend never announced, and the timeline records the loss', async () => {
    let deaf = false;
    const k = kernel({
      authority: (clock) => {
        const backend = new MemoryAuthority(clock);
        const watch = backend.watch.bind(backend);
        backend.watch = (listener) => watch((s, l) => (deaf ? undefined : listener(s, l)));
        return backend;
      },
    });
    const s = await k.open();
    const held = s.epoch;
    deaf = true;
    const moved = await k.authority.transfer(s.id, 'kernel-b', 10_000);
    if (!moved.ok) throw new Error(moved.message);
    expect(s.ended).toBe(false);
    k.manager.applyLease('s-unknown', moved.value);
    expect(s.ended).toBe(false);
    k.manager.applyLease(s.id, moved.value);
    expect(s.ended).toBe(true);
    expect(k.manager.lookup('dev', s.id)?.state).toBe('ended');
    // A memory-only timeline here: the loss is among the last records, still in the window.
    const timeline = (s.recorder as unknown as { timeline: { window(): { bytes: Uint8Array }[] } }).timeline.window().map((r) => decodeRecord(r.bytes).body);
    expect(timeline).toContainEqual({
      case: 'decision',
      value: { kind: 'authority', outcome: 'lost', reason: 'superseded', detail: { held_epoch: String(held), epoch: String(moved.value.epoch), holder: 'kernel-b' } },
    });
    expect(k.manager.holder).toBe('kernel-a');
  });
});

describe('drain', () => {
  test('timelinesClosed resolves only once every ended session timeline is completely on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-drain-'));
    dirs.push(dir);
    const k = kernel({ dir });
    const sessions = await Promise.all([k.open(), k.open(), k.open()]);
    for (const session of sessions) for (let i = 0; i < 50; i++) session.recorder.decision('fence', 'fenced', `r${i}`);
    k.manager.endAll('draining', 1001);
    const written = sessions.map((session) => {
      const state = { done: false };
      void endedOf(k.manager.lookup('dev', session.id)).timeline.then(() => (state.done = true));
      return state;
    });
    // The files are still being written when the sessions have ended.
    expect(written.some((w) => w.done)).toBe(false);
    await k.manager.timelinesClosed();
    expect(written.every((w) => w.done)).toBe(true);
    for (const session of sessions) {
      const ended = endedOf(k.manager.lookup('dev', session.id));
      const closed = await ended.timeline;
      expect(closed.problem).toBeUndefined();
      const records = [];
      for await (const bytes of exportClosedTimeline(closed)) records.push(decodeRecord(bytes));
      expect(records.length).toBe(closed.records);
      expect(records.at(-1)!.body).toMatchObject({ case: 'egress', value: { kind: 'session.ended' } });
    }
    // Nothing left to wait for: a second call resolves at once.
    await k.manager.timelinesClosed();
  });
});
