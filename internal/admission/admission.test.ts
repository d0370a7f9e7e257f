// Admission behaviour: limits never exceeded, deferred vs rejected, sliding rate window, maps return to empty.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { VirtualClock } from '../determinism/clock.js';
import { ADMISSION_REASONS, Admission, type AdmissionLimits, type AdmissionTicket } from './admission.js';

const LIMITS: AdmissionLimits = {
  max_sessions: 4,
  max_sessions_per_tenant: 3,
  max_concurrent_turns: 3,
  max_concurrent_turns_per_tenant: 2,
  max_turns_per_session_per_minute: 100,
};

function ticketOf(outcome: { admitted: true; ticket: AdmissionTicket } | { admitted: false; reason: string }): AdmissionTicket {
  if (!outcome.admitted) throw new Error(`expected admission, got ${outcome.reason}`);
  return outcome.ticket;
}

describe('admission', () => {
  test('a full tenant share or a full global pool defers the turn (transient), with the limit named', () => {
    const admission = new Admission(LIMITS, new VirtualClock());
    ticketOf(admission.admitTurn('a', 'a1'));
    ticketOf(admission.admitTurn('a', 'a2'));
    expect(admission.admitTurn('a', 'a3')).toEqual({ admitted: false, outcome: 'deferred', reason: 'tenant_turns_exhausted' });
    const b = ticketOf(admission.admitTurn('b', 'b1'));
    expect(admission.admitTurn('c', 'c1')).toEqual({ admitted: false, outcome: 'deferred', reason: 'pool_exhausted' });
    b.release();
    expect(admission.admitTurn('c', 'c1').admitted).toBe(true);
  });

  test('a session over its per-minute rate is rejected, and the window slides on the clock', () => {
    const clock = new VirtualClock();
    const admission = new Admission({ ...LIMITS, max_turns_per_session_per_minute: 3 }, clock);
    for (const at of [0, 10, 20]) {
      clock.advanceTo(at);
      ticketOf(admission.admitTurn('a', 's1')).release();
    }
    clock.advanceTo(30);
    expect(admission.admitTurn('a', 's1')).toEqual({ admitted: false, outcome: 'rejected', reason: 'rate_limited' });
    expect(admission.admitTurn('a', 's2').admitted).toBe(true); // the rate is per session
    clock.advanceTo(59_999);
    expect(admission.admitTurn('a', 's1')).toMatchObject({ admitted: false, reason: 'rate_limited' });
    clock.advanceTo(60_000); // the turn at 0 leaves the window
    ticketOf(admission.admitTurn('a', 's1')).release();
    expect(admission.admitTurn('a', 's1')).toMatchObject({ admitted: false, reason: 'rate_limited' });
    clock.advanceTo(60_010);
    expect(admission.admitTurn('a', 's1').admitted).toBe(true);
  });

  test('deferred and rejected attempts do not count toward the rate', () => {
    const clock = new VirtualClock();
    const admission = new Admission({ ...LIMITS, max_concurrent_turns_per_tenant: 1, max_turns_per_session_per_minute: 2 }, clock);
    const held = ticketOf(admission.admitTurn('a', 'other'));
    for (let i = 0; i < 10; i++) expect(admission.admitTurn('a', 's1')).toMatchObject({ outcome: 'deferred' });
    held.release();
    ticketOf(admission.admitTurn('a', 's1')).release();
    ticketOf(admission.admitTurn('a', 's1')).release();
    for (let i = 0; i < 10; i++) expect(admission.admitTurn('a', 's1')).toMatchObject({ outcome: 'rejected' });
    clock.advance(60_000);
    expect(admission.admitTurn('a', 's1').admitted).toBe(true);
  });

  test('releasing a ticket frees its slot exactly once', () => {
    const admission = new Admission(LIMITS, new VirtualClock());
    const first = ticketOf(admission.admitTurn('a', 's1'));
    const second = ticketOf(admission.admitTurn('a', 's2'));
    first.release();
    first.release();
    expect(admission.snapshot()).toEqual({ sessions: 0, turns: 1, byTenant: { a: { sessions: 0, turns: 1 } } });
    const third = ticketOf(admission.admitTurn('a', 's3'));
    first.release(); // must not free the slot third now holds
    expect(admission.admitTurn('a', 's4')).toMatchObject({ outcome: 'deferred', reason: 'tenant_turns_exhausted' });
    second.release();
    third.release();
    expect(admission.snapshot()).toEqual({ sessions: 0, turns: 0, byTenant: {} });
  });

  test('session quotas: per tenant first, then global', () => {
    const admission = new Admission(LIMITS, new VirtualClock());
    const a = [0, 1, 2].map(() => ticketOf(admission.admitSession('a')));
    expect(admission.admitSession('a')).toEqual({ admitted: false, reason: 'tenant_sessions_exhausted' });
    const b = ticketOf(admission.admitSession('b'));
    expect(admission.admitSession('c')).toEqual({ admitted: false, reason: 'sessions_exhausted' });
    expect(admission.snapshot()).toEqual({ sessions: 4, turns: 0, byTenant: { a: { sessions: 3, turns: 0 }, b: { sessions: 1, turns: 0 } } });
    b.release();
    b.release();
    for (const t of a) t.release();
    expect(admission.snapshot()).toEqual({ sessions: 0, turns: 0, byTenant: {} });
  });

  test('concurrent admissions never exceed any limit over random admit/release/clock sequences', () => {
    const tenants = ['a', 'b', 'c'] as const;
    const sessions = ['s1', 's2', 's3', 's4'] as const;
    type Op =
      | { op: 'session'; t: number }
      | { op: 'turn'; t: number; s: number }
      | { op: 'release'; i: number }
      | { op: 'forget'; s: number }
      | { op: 'advance'; ms: number };
    const t = fc.nat({ max: tenants.length - 1 });
    const s = fc.nat({ max: sessions.length - 1 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('session' as const), t }),
      { weight: 3, arbitrary: fc.record({ op: fc.constant('turn' as const), t, s }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('release' as const), i: fc.nat() }) },
      fc.record({ op: fc.constant('forget' as const), s }),
      fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 30_000 }) }),
    );
    const limits = fc.record({
      max_sessions: fc.integer({ min: 1, max: 5 }),
      max_sessions_per_tenant: fc.integer({ min: 1, max: 5 }),
      max_concurrent_turns: fc.integer({ min: 1, max: 5 }),
      max_concurrent_turns_per_tenant: fc.integer({ min: 1, max: 5 }),
      max_turns_per_session_per_minute: fc.integer({ min: 1, max: 4 }),
    });

    fc.assert(
      fc.property(limits, fc.array(op, { maxLength: 150 }), (lim, ops) => {
        const clock = new VirtualClock();
        const admission = new Admission(lim, clock);
        // The model: outstanding tickets (each released at most once here) and admitted turn times per session.
        const held: { kind: 'session' | 'turn'; tenant: string; ticket: AdmissionTicket }[] = [];
        const admittedAt = new Map<string, number[]>();
        const count = (kind: 'session' | 'turn', tenant?: string): number =>
          held.filter((h) => h.kind === kind && (tenant === undefined || h.tenant === tenant)).length;
        for (const o of ops) {
          switch (o.op) {
            case 'advance':
              clock.advance(o.ms);
              break;
            case 'session': {
              const tenant = tenants[o.t]!;
              const result = admission.admitSession(tenant);
              const tenantFull = count('session', tenant) >= lim.max_sessions_per_tenant;
              const globalFull = count('session') >= lim.max_sessions;
              if (result.admitted) {
                expect(tenantFull || globalFull).toBe(false);
                held.push({ kind: 'session', tenant, ticket: result.ticket });
              } else {
                expect(result.reason).toBe(tenantFull ? 'tenant_sessions_exhausted' : 'sessions_exhausted');
                expect(tenantFull || globalFull).toBe(true);
              }
              break;
            }
            case 'turn': {
              const tenant = tenants[o.t]!;
              const id = sessions[o.s]!;
              const result = admission.admitTurn(tenant, id);
              const recent = (admittedAt.get(id) ?? []).filter((at) => clock.now() - at < 60_000).length;
              const rateFull = recent >= lim.max_turns_per_session_per_minute;
              const tenantFull = count('turn', tenant) >= lim.max_concurrent_turns_per_tenant;
              const poolFull = count('turn') >= lim.max_concurrent_turns;
              if (result.admitted) {
                expect(rateFull || tenantFull || poolFull).toBe(false);
                held.push({ kind: 'turn', tenant, ticket: result.ticket });
                admittedAt.set(id, [...(admittedAt.get(id) ?? []), clock.now()]);
              } else if (rateFull) {
                expect(result).toEqual({ admitted: false, outcome: 'rejected', reason: 'rate_limited' });
              } else {
                expect(result).toEqual({ admitted: false, outcome: 'deferred', reason: tenantFull ? 'tenant_turns_exhausted' : 'pool_exhausted' });
                expect(tenantFull || poolFull).toBe(true);
              }
              break;
            }
            case 'release': {
              if (held.length === 0) break;
              const [h] = held.splice(o.i % held.length, 1);
              h!.ticket.release();
              h!.ticket.release();
              break;
            }
            case 'forget':
              admission.forgetSession(sessions[o.s]!);
              admittedAt.delete(sessions[o.s]!);
              break;
          }
          const snap = admission.snapshot();
          expect(snap.sessions).toBe(count('session'));
          expect(snap.turns).toBe(count('turn'));
          expect(snap.sessions).toBeLessThanOrEqual(lim.max_sessions);
          expect(snap.turns).toBeLessThanOrEqual(lim.max_concurrent_turns);
          for (const tenant of tenants) {
            const entry = snap.byTenant[tenant];
            const expected = { sessions: count('session', tenant), turns: count('turn', tenant) };
            if (expected.sessions === 0 && expected.turns === 0) expect(entry).toBeUndefined();
            else expect(entry).toEqual(expected);
            expect(entry?.turns ?? 0).toBeLessThanOrEqual(lim.max_concurrent_turns_per_tenant);
            expect(entry?.sessions ?? 0).toBeLessThanOrEqual(lim.max_sessions_per_tenant);
          }
        }
        for (const h of held) h.ticket.release();
        for (const id of sessions) admission.forgetSession(id);
        expect(admission.snapshot()).toEqual({ sessions: 0, turns: 0, byTenant: {} });
        expect(admission.trackedSessions).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  test('maps return to empty once tickets are released and sessions forgotten', () => {
    const admission = new Admission({ ...LIMITS, max_sessions: 20_000, max_sessions_per_tenant: 20_000 }, new VirtualClock());
    for (let i = 0; i < 10_000; i++) {
      const tenant = `t-${i % 100}`;
      const session = ticketOf(admission.admitSession(tenant));
      ticketOf(admission.admitTurn(tenant, `s-${i}`)).release();
      session.release();
      admission.forgetSession(`s-${i}`);
    }
    expect(admission.snapshot()).toEqual({ sessions: 0, turns: 0, byTenant: {} });
    expect(admission.trackedSessions).toBe(0);
  });

  test('rate windows of sessions that are never forgotten are dropped once idle', () => {
    const clock = new VirtualClock();
    const admission = new Admission(LIMITS, clock);
    for (let i = 0; i < 10_000; i++) ticketOf(admission.admitTurn('a', `s-${i}`)).release();
    expect(admission.trackedSessions).toBeGreaterThan(5_000); // still inside the window: they must be kept
    clock.advance(60_000);
    for (let i = 0; i < 10_001; i++) {
      const outcome = admission.admitTurn('a', 'busy');
      if (outcome.admitted) outcome.ticket.release();
    }
    expect(admission.trackedSessions).toBeLessThanOrEqual(1);
  });

  test('a tenant named __proto__ is reported as data', () => {
    const admission = new Admission(LIMITS, new VirtualClock());
    ticketOf(admission.admitSession('__proto__'));
    const snap = admission.snapshot();
    expect(Object.keys(snap.byTenant)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(snap.byTenant)).toBe(Object.prototype);
  });

  test('reasons come from one table', () => {
    expect(Object.values(ADMISSION_REASONS).sort()).toEqual(['pool_exhausted', 'rate_limited', 'sessions_exhausted', 'tenant_sessions_exhausted', 'tenant_turns_exhausted']);
  });

  test('limits that are not positive integers are refused, every problem listed', () => {
    expect(() => new Admission({ ...LIMITS, max_sessions: 0, max_turns_per_session_per_minute: 1.5 }, new VirtualClock())).toThrow(
      /max_sessions must be a positive integer \(got 0\).*max_turns_per_session_per_minute must be a positive integer \(got 1.5\)/,
    );
  });
});
