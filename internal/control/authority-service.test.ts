// The Authority control plane (DESIGN 5.1, 5.2, 9; docs/control-plane.md#authority)
// over real gRPC against in-process kernels on the virtual clock: every
// method's answer and documented error status, tenancy, credentials, the
// decisions for free leases and for this kernel's own holder, and the fence a
// transfer puts on the session before its answer leaves.
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AnyEnvelope } from '../../api/eventabi/index.js';
import { KernelSim, type SimSession } from '../../test/support/kernel-sim.js';
import type { Lease } from '../authority/types.js';
import { type ControlHarness, DEV_KEY, OTHER_KEY, startControlHarness } from '../../test/support/control-harness.js';
import { type LeaseMessage, authorityService } from './authority-service.js';
import type { CallContext, ServiceHandlers } from './grpc-server.js';

const SELF = 'sim-kernel';
const TTL = 10_000;
const LONG_TEXT = Array.from({ length: 12 }, () => 'a long answer keeps the mock pipeline speaking while the lease moves').join(' ');
const METHODS = ['AcquireLease', 'RenewLease', 'ReleaseLease', 'TransferLease', 'GetLease'] as const;
type Method = (typeof METHODS)[number];

type Answer = { ok: true; lease: LeaseMessage } | { ok: false; code: string; details: string };

/** The handlers of one in-process kernel, reachable over gRPC and directly. */
interface World {
  sim: KernelSim;
  handlers: ServiceHandlers;
  call(method: Method, request: Record<string, unknown>, key?: string | null): Promise<Answer>;
}

let harness: ControlHarness<'Authority'>;

beforeAll(async () => {
  harness = await startControlHarness({ Authority: METHODS });
});

afterAll(() => harness?.close());

function world(sim = new KernelSim({ leaseTtlMs: TTL })): World {
  const handlers = authorityService({ sessions: sim.manager, authority: sim.authority, leaseTtlMs: TTL, clock: sim.clock });
  harness.serve({ Authority: handlers });
  const call = async (method: Method, request: Record<string, unknown>, key: string | null = DEV_KEY): Promise<Answer> => {
    const answer = await harness.rpc<LeaseMessage>('Authority', method, request, { key });
    return answer.ok ? { ok: true, lease: answer.value } : answer;
  };
  return { sim, handlers, call };
}

function leaseOf(answer: Answer): LeaseMessage {
  if (!answer.ok) throw new Error(`expected a lease, got ${answer.code}: ${answer.details}`);
  return answer.lease;
}

/** A session of tenant dev speaking a long answer: turn t-1 is active with audio already sent. */
async function speaking(w: World): Promise<SimSession> {
  const g = await w.sim.open();
  g.send('turn.request', { text: LONG_TEXT });
  await w.sim.advance(300);
  expect(g.kinds((e) => e.kind === 'audio.out').length).toBeGreaterThan(0);
  expect(g.session.snapshot().active_turn?.turn_id).toBe('t-1');
  return g;
}

/** What the gateway saw from output.clear on; asserts the DESIGN 5.1 authority-loss sequence. */
function expectAuthorityLossTail(g: SimSession, heldEpoch: number, owner: string | undefined): AnyEnvelope[] {
  const clear = g.out.findIndex((e) => e.kind === 'output.clear');
  expect(clear).toBeGreaterThan(0);
  const tail = g.out.slice(clear);
  expect(tail.map((e) => e.kind)).toEqual(['output.clear', 'turn.aborted', 'turn.closed', 'session.ended']);
  expect(tail[1]!.payload).toMatchObject({ reason: 'authority_lost' });
  expect(tail[3]!.payload).toEqual(owner ? { reason: 'authority_moved', owner } : { reason: 'authority_moved' });
  // The last Control events carry the epoch this kernel held (DESIGN 4.1).
  expect(new Set(tail.map((e) => e.epoch))).toEqual(new Set([heldEpoch]));
  expect(g.closes).toEqual([{ code: 4009, reason: owner ? `owner=${owner}` : 'authority lost' }]);
  expect(g.session.ended).toBe(true);
  return tail;
}

describe('GetLease, AcquireLease and RenewLease on a session this kernel runs', () => {
  test('GetLease shows this kernel as holder, the session epoch and a unix-ms expiry one TTL ahead', async () => {
    const w = world();
    const g = await w.sim.open();
    const lease = leaseOf(await w.call('GetLease', { session_id: g.id }));
    expect(lease).toEqual({ session_id: g.id, holder: SELF, epoch: g.session.epoch, expires_at_ms: w.sim.clock.wallNow() + TTL });
    expect(lease.epoch).toBeGreaterThanOrEqual(1);
  });

  test('AcquireLease by this kernel keeps the epoch and extends the lease; the session keeps speaking', async () => {
    const w = world();
    const g = await speaking(w);
    const before = leaseOf(await w.call('GetLease', { session_id: g.id }));
    await w.sim.advance(1000);
    const again = leaseOf(await w.call('AcquireLease', { session_id: g.id, holder: SELF }));
    expect(again).toMatchObject({ holder: SELF, epoch: before.epoch });
    expect(again.expires_at_ms).toBeGreaterThan(before.expires_at_ms);
    const sent = g.out.length;
    await w.sim.advance(200);
    expect(g.out.slice(sent).some((e) => e.kind === 'audio.out')).toBe(true);
    expect(g.session.ended).toBe(false);
  });

  test('AcquireLease by another holder while this kernel holds the lease is FAILED_PRECONDITION naming the holder; nothing changes', async () => {
    const w = world();
    const g = await speaking(w);
    const answer = await w.call('AcquireLease', { session_id: g.id, holder: 'kernel-b' });
    expect(answer).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
    expect((answer as { details: string }).details).toContain(`held by ${SELF} at epoch ${g.session.epoch}`);
    expect(leaseOf(await w.call('GetLease', { session_id: g.id }))).toMatchObject({ holder: SELF, epoch: g.session.epoch });
    expect(g.session.authoritative).toBe(true);
  });

  test('RenewLease with the current epoch extends the lease; a wrong or zero epoch is ABORTED and changes nothing', async () => {
    const w = world();
    const g = await w.sim.open();
    const epoch = g.session.epoch;
    const before = leaseOf(await w.call('GetLease', { session_id: g.id }));
    await w.sim.advance(3000);
    const renewed = leaseOf(await w.call('RenewLease', { session_id: g.id, epoch }));
    expect(renewed).toMatchObject({ session_id: g.id, holder: SELF, epoch });
    expect(renewed.expires_at_ms).toBe(w.sim.clock.wallNow() + TTL);
    expect(renewed.expires_at_ms).toBeGreaterThan(before.expires_at_ms);
    for (const wrong of [epoch + 1, epoch - 1, 0]) {
      const answer = await w.call('RenewLease', { session_id: g.id, epoch: wrong });
      expect(answer, `epoch ${wrong}`).toMatchObject({ ok: false, code: 'ABORTED' });
    }
    expect(g.session.authoritative).toBe(true);
  });
});

describe('TransferLease fences the session before it answers (DESIGN 5.1)', () => {
  test('to another holder mid-turn: a higher epoch; output.clear, turn.aborted{authority_lost}, turn.closed, session.ended{authority_moved, owner}, close 4009 naming the owner; then silence', async () => {
    const w = world();
    const g = await speaking(w);
    const held = g.session.epoch;
    const moved = leaseOf(await w.call('TransferLease', { session_id: g.id, holder: 'other' }));
    expect(moved).toMatchObject({ session_id: g.id, holder: 'other' });
    expect(moved.epoch).toBeGreaterThan(held);
    // No clock step and no scheduler turn between the answer and these checks.
    expectAuthorityLossTail(g, held, 'other');
    const seen = g.out.length;
    await w.sim.advance(2000);
    expect(g.out.length).toBe(seen);
    expect(leaseOf(await w.call('GetLease', { session_id: g.id }))).toMatchObject({ holder: 'other', epoch: moved.epoch });
  });

  test('with a backend whose watch never reports the move, the session is still fenced by the time TransferLease answers', async () => {
    const w = world();
    const realWatch = w.sim.authority.watch.bind(w.sim.authority);
    let deaf = false;
    w.sim.authority.watch = (listener: (s: string, l: Lease | undefined) => void) => realWatch((s, l) => (deaf ? undefined : listener(s, l)));
    const g = await speaking(w);
    const held = g.session.epoch;
    deaf = true;
    const pending = w.handlers.TransferLease as { unary: (ctx: CallContext, req: unknown) => Promise<LeaseMessage> };
    const moved = await pending.unary({ tenant: 'dev', method: 'Authority.TransferLease', signal: new AbortController().signal }, { session_id: g.id, holder: 'kernel-b' });
    expect(moved.epoch).toBeGreaterThan(held);
    expectAuthorityLossTail(g, held, 'kernel-b');
  });

  test('to this kernel itself is a no-op: the same lease comes back and the turn keeps speaking', async () => {
    const w = world();
    const g = await speaking(w);
    const before = leaseOf(await w.call('GetLease', { session_id: g.id }));
    const same = leaseOf(await w.call('TransferLease', { session_id: g.id, holder: SELF }));
    expect(same).toEqual(before);
    const sent = g.out.length;
    await w.sim.advance(200);
    expect(g.out.slice(sent).some((e) => e.kind === 'audio.out' && e.epoch === before.epoch)).toBe(true);
    expect(g.kinds()).not.toContain('output.clear');
    expect(g.session.ended).toBe(false);
  });
});

describe('ReleaseLease and leases of sessions that ended here', () => {
  test('ReleaseLease with the current epoch answers the released lease and ends the session at once (authority_moved, 4009, no owner); the lease is then free', async () => {
    const w = world();
    const g = await speaking(w);
    const held = g.session.epoch;
    const released = leaseOf(await w.call('ReleaseLease', { session_id: g.id, epoch: held }));
    expect(released).toMatchObject({ session_id: g.id, holder: SELF, epoch: held });
    expectAuthorityLossTail(g, held, undefined);
    expect(leaseOf(await w.call('GetLease', { session_id: g.id }))).toEqual({ session_id: g.id, holder: '', epoch: 0, expires_at_ms: 0 });
    expect(await w.call('ReleaseLease', { session_id: g.id, epoch: held })).toMatchObject({ ok: false, code: 'ABORTED' });
    expect(await w.call('RenewLease', { session_id: g.id, epoch: held })).toMatchObject({ ok: false, code: 'ABORTED' });
  });

  test('ReleaseLease with a stale or zero epoch is ABORTED and the session keeps running', async () => {
    const w = world();
    const g = await w.sim.open();
    for (const wrong of [g.session.epoch + 1, 0]) {
      expect(await w.call('ReleaseLease', { session_id: g.id, epoch: wrong }), `epoch ${wrong}`).toMatchObject({ ok: false, code: 'ABORTED' });
    }
    expect(g.session.ended).toBe(false);
    expect(g.session.authoritative).toBe(true);
  });

  test('a session closed normally: its free lease can be acquired by another holder with a higher epoch, then renewed, transferred and released by epoch', async () => {
    const w = world();
    const g = await w.sim.open();
    const first = g.session.epoch;
    g.session.end('caller_hung_up');
    expect(leaseOf(await w.call('GetLease', { session_id: g.id }))).toMatchObject({ holder: '', epoch: 0 });
    const taken = leaseOf(await w.call('AcquireLease', { session_id: g.id, holder: 'kernel-b' }));
    expect(taken).toMatchObject({ holder: 'kernel-b', expires_at_ms: w.sim.clock.wallNow() + TTL });
    expect(taken.epoch).toBeGreaterThan(first);
    expect(leaseOf(await w.call('RenewLease', { session_id: g.id, epoch: taken.epoch }))).toMatchObject({ holder: 'kernel-b', epoch: taken.epoch });
    const moved = leaseOf(await w.call('TransferLease', { session_id: g.id, holder: 'kernel-c' }));
    expect(moved.epoch).toBeGreaterThan(taken.epoch);
    expect(await w.call('RenewLease', { session_id: g.id, epoch: taken.epoch })).toMatchObject({ ok: false, code: 'ABORTED' });
    expect(leaseOf(await w.call('ReleaseLease', { session_id: g.id, epoch: moved.epoch }))).toMatchObject({ holder: 'kernel-c', epoch: moved.epoch });
  });

  test('an expired lease of an ended session is free: GetLease shows it free and AcquireLease grants a higher epoch', async () => {
    const w = world();
    const g = await w.sim.open();
    g.session.end('done');
    const taken = leaseOf(await w.call('AcquireLease', { session_id: g.id, holder: 'kernel-b' }));
    w.sim.clock.advance(TTL);
    expect(leaseOf(await w.call('GetLease', { session_id: g.id }))).toMatchObject({ holder: '', epoch: 0 });
    expect(await w.call('RenewLease', { session_id: g.id, epoch: taken.epoch })).toMatchObject({ ok: false, code: 'ABORTED' });
    const again = leaseOf(await w.call('AcquireLease', { session_id: g.id, holder: 'kernel-c' }));
    expect(again.epoch).toBeGreaterThan(taken.epoch);
  });

  test('AcquireLease or TransferLease to this kernel for a session that ended here is FAILED_PRECONDITION: an ended session is never revived', async () => {
    const w = world();
    const g = await w.sim.open();
    leaseOf(await w.call('TransferLease', { session_id: g.id, holder: 'kernel-b' }));
    for (const method of ['AcquireLease', 'TransferLease'] as const) {
      const answer = await w.call(method, { session_id: g.id, holder: SELF });
      expect(answer, method).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
      expect((answer as { details: string }).details).toContain('cannot be revived');
    }
    expect(leaseOf(await w.call('GetLease', { session_id: g.id }))).toMatchObject({ holder: 'kernel-b' });
  });

  test('a session forgotten from the ended table is NOT_FOUND for every method', async () => {
    const sim = new KernelSim({ leaseTtlMs: TTL });
    const w = world(sim);
    const first = await sim.open();
    first.session.end('done');
    // The simulated kernel keeps ENDED_SESSIONS_KEPT ended sessions; end that many more.
    const { ENDED_SESSIONS_KEPT } = await import('../session/manager.js');
    for (let i = 0; i < ENDED_SESSIONS_KEPT; i++) (await sim.open()).session.end('done');
    expect(sim.manager.endedSize).toBe(ENDED_SESSIONS_KEPT);
    for (const method of METHODS) {
      expect(await w.call(method, { session_id: first.id, holder: 'kernel-b', epoch: 1 }), method).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    }
  });
});

describe('errors every method shares', () => {
  const requests = (session_id: string, epoch: number): Record<Method, Record<string, unknown>> => ({
    AcquireLease: { session_id, holder: SELF },
    RenewLease: { session_id, epoch },
    ReleaseLease: { session_id, epoch },
    TransferLease: { session_id, holder: 'kernel-b' },
    GetLease: { session_id },
  });

  test('an empty session_id, or one longer than any session id can be, is INVALID_ARGUMENT (and a huge one is not echoed back)', async () => {
    const w = world();
    for (const method of METHODS) {
      const answer = await w.call(method, requests('', 1)[method]);
      expect(answer, method).toEqual({ ok: false, code: 'INVALID_ARGUMENT', details: 'session_id is required' });
      for (const long of ['s'.repeat(129), 'x'.repeat(200_000)]) {
        const refused = await w.call(method, requests(long, 1)[method]);
        expect(refused, `${method} ${long.length}`).toEqual({ ok: false, code: 'INVALID_ARGUMENT', details: 'session_id is longer than 128 characters' });
      }
    }
  });

  test('an empty or malformed holder is INVALID_ARGUMENT and moves nothing', async () => {
    const w = world();
    const g = await w.sim.open();
    for (const method of ['AcquireLease', 'TransferLease'] as const) {
      expect(await w.call(method, { session_id: g.id, holder: '' }), method).toEqual({ ok: false, code: 'INVALID_ARGUMENT', details: 'holder is required' });
      for (const holder of ['has space', '-leading-dash', 'x'.repeat(129), 'owner=evil\n']) {
        const answer = await w.call(method, { session_id: g.id, holder });
        expect(answer, `${method} ${JSON.stringify(holder)}`).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
        expect((answer as { details: string }).details).toMatch(/^holder /);
      }
    }
    expect(g.session.ended).toBe(false);
  });

  test('an unknown session is NOT_FOUND', async () => {
    const w = world();
    for (const method of METHODS) {
      expect(await w.call(method, requests('s-nobody', 1)[method]), method).toEqual({ ok: false, code: 'NOT_FOUND', details: 'no session s-nobody' });
    }
  });

  test("another tenant's session, running or ended, is NOT_FOUND for every method and its lease and stream are untouched", async () => {
    const w = world();
    const g = await speaking(w);
    const ended = await w.sim.open();
    ended.session.end('done');
    const before = leaseOf(await w.call('GetLease', { session_id: g.id }));
    for (const target of [g, ended]) {
      for (const method of METHODS) {
        const answer = await w.call(method, requests(target.id, before.epoch)[method], OTHER_KEY);
        expect(answer, `${method} ${target.id}`).toEqual({ ok: false, code: 'NOT_FOUND', details: `no session ${target.id}` });
      }
    }
    expect(leaseOf(await w.call('GetLease', { session_id: g.id }))).toEqual(before);
    expect(g.kinds()).not.toContain('output.clear');
    expect(g.session.authoritative).toBe(true);
  });

  test('a lease backend that cannot answer makes every method UNAVAILABLE, and nothing is fenced on its account', async () => {
    const w = world();
    const g = await w.sim.open();
    await w.sim.authority.close();
    for (const method of METHODS) {
      const answer = await w.call(method, requests(g.id, g.session.epoch)[method]);
      expect(answer, method).toMatchObject({ ok: false, code: 'UNAVAILABLE', details: expect.stringContaining('lease authority unavailable') });
    }
    // The kernel's own keeper goes silent only at its local deadline, not because the control plane asked.
    expect(g.session.ended).toBe(false);
  });

  test('a call without the tenant key, or with a wrong one, is UNAUTHENTICATED', async () => {
    const w = world();
    const g = await w.sim.open();
    for (const method of METHODS) {
      for (const key of [null, 'not-a-tenant-key-0123456789']) {
        const answer = await w.call(method, requests(g.id, g.session.epoch)[method], key);
        expect(answer, `${method} key=${key}`).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' });
      }
    }
    expect(g.session.authoritative).toBe(true);
  });
});

describe('lease invariants over random control-plane histories', () => {
  type Op =
    | { t: 'acquire' | 'transfer'; holder: string }
    | { t: 'renew' | 'release'; epoch: 'current' | 'older' | 'newer' | 'zero' }
    | { t: 'get' }
    | { t: 'speak' }
    | { t: 'end' };
  const holder = fc.constantFrom(SELF, 'kernel-b', 'kernel-c');
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ t: fc.constantFrom('acquire' as const, 'transfer' as const), holder }),
    fc.record({ t: fc.constantFrom('renew' as const, 'release' as const), epoch: fc.constantFrom('current' as const, 'older' as const, 'newer' as const, 'zero' as const) }),
    fc.constant({ t: 'get' as const }),
    fc.constant({ t: 'speak' as const }),
    fc.constant({ t: 'end' as const }),
  );

  test('answers follow the model; granted epochs strictly increase; once the lease leaves this kernel the session is fenced and ends 4009, silent after', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        const w = world();
        const ctx: CallContext = { tenant: 'dev', method: 'property', signal: new AbortController().signal };
        const g = await w.sim.open();
        // The model: where the lease is, whether the session still runs here, the highest epoch granted.
        let lease: { holder: string; epoch: number } | undefined = { holder: SELF, epoch: g.session.epoch };
        let running = true;
        let highest = g.session.epoch;
        let endedBy: 'lease' | 'end' | undefined;
        const run = async (method: Method, request: Record<string, unknown>): Promise<Answer> => {
          try {
            return { ok: true, lease: (await (w.handlers[method] as { unary: (c: CallContext, r: unknown) => Promise<LeaseMessage> }).unary(ctx, request)) };
          } catch (err) {
            return { ok: false, code: grpc.status[(err as { status: grpc.status }).status], details: (err as Error).message };
          }
        };
        for (const o of ops) {
          if (o.t === 'speak') {
            if (running && !g.session.snapshot().active_turn) g.send('turn.request', { text: LONG_TEXT });
            await w.sim.advance(100);
            continue;
          }
          if (o.t === 'end') {
            if (running) {
              g.session.end('caller_hung_up');
              running = false;
              endedBy = 'end';
              lease = undefined; // the keeper releases the lease as the session ends
            }
            continue;
          }
          if (o.t === 'get') {
            const answer = await run('GetLease', { session_id: g.id });
            expect(answer).toEqual({ ok: true, lease: expect.objectContaining({ holder: lease?.holder ?? '', epoch: lease?.epoch ?? 0 }) });
            continue;
          }
          if (o.t === 'acquire' || o.t === 'transfer') {
            const answer = await run(o.t === 'acquire' ? 'AcquireLease' : 'TransferLease', { session_id: g.id, holder: o.holder });
            // Acquire keeps a live holder's epoch; transfer always grants a new one, except to this kernel (a no-op).
            const keeps = lease !== undefined && lease.holder === o.holder && (o.t === 'acquire' || o.holder === SELF);
            if (o.holder === SELF && !running) {
              expect(answer).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
            } else if (o.t === 'acquire' && lease && lease.holder !== o.holder) {
              expect(answer).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
            } else if (keeps) {
              expect(leaseOf(answer)).toMatchObject({ holder: o.holder, epoch: lease!.epoch });
            } else {
              const granted = leaseOf(answer);
              expect(granted.holder).toBe(o.holder);
              expect(granted.epoch).toBeGreaterThan(highest);
              highest = granted.epoch;
              lease = { holder: o.holder, epoch: granted.epoch };
              if (running) {
                running = false;
                endedBy = 'lease';
              }
            }
            continue;
          }
          if (o.t !== 'renew' && o.t !== 'release') throw new Error(`unmodelled op ${o.t}`);
          const epoch = { current: lease?.epoch ?? highest, older: highest - 1, newer: highest + 1, zero: 0 }[o.epoch];
          const answer = await run(o.t === 'renew' ? 'RenewLease' : 'ReleaseLease', { session_id: g.id, epoch });
          if (!lease || epoch !== lease.epoch) {
            expect(answer).toMatchObject({ ok: false, code: 'ABORTED' });
            continue;
          }
          expect(leaseOf(answer)).toMatchObject({ holder: lease.holder, epoch: lease.epoch });
          if (o.t === 'release') {
            lease = undefined;
            if (running) {
              running = false;
              endedBy = 'lease';
            }
          }
        }
        expect(g.session.ended).toBe(!running);
        if (endedBy === 'lease') {
          const last = g.out.at(-1)!;
          expect(last).toMatchObject({ kind: 'session.ended', payload: { reason: 'authority_moved' } });
          expect(g.closes).toEqual([expect.objectContaining({ code: 4009 })]);
          const clear = g.out.findIndex((e) => e.kind === 'output.clear');
          if (clear >= 0) expect(g.out.slice(clear + 1).filter((e) => e.kind === 'audio.out' || e.kind === 'transcript')).toEqual([]);
        }
        if (endedBy === 'end') expect(g.closes).toEqual([expect.objectContaining({ code: 1000 })]);
        const seen = g.out.length;
        await w.sim.advance(500);
        if (!running) expect(g.out.length).toBe(seen);
      }),
      { numRuns: 60 },
    );
  });
});
