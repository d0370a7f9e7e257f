// Local admission (session quotas, turn execution pool, per-session rate): counts and decides; never queues, waits or keeps idle state.
import { PRE_TURN_REASONS } from '../../api/eventabi/vocabulary.js';
import type { Clock } from '../determinism/clock.js';

export interface AdmissionLimits {
  max_sessions: number;
  max_sessions_per_tenant: number;
  /** The global execution pool. */
  max_concurrent_turns: number;
  max_concurrent_turns_per_tenant: number;
  max_turns_per_session_per_minute: number;
}

/** Every reason admission gives, in one place. Deferred reasons are transient; rejected ones are policy. */
export const ADMISSION_REASONS = {
  sessionsExhausted: 'sessions_exhausted',
  tenantSessionsExhausted: 'tenant_sessions_exhausted',
  // A turn's admission reasons are pre-turn reasons the gateway reads: the Event ABI names them.
  poolExhausted: PRE_TURN_REASONS.poolExhausted,
  tenantTurnsExhausted: PRE_TURN_REASONS.tenantTurnsExhausted,
  rateLimited: PRE_TURN_REASONS.rateLimited,
} as const;

export type AdmissionReason = (typeof ADMISSION_REASONS)[keyof typeof ADMISSION_REASONS];

/** A held slot. `release` frees it exactly once; later calls do nothing. */
export interface AdmissionTicket {
  release(): void;
}

export type AdmissionOutcome =
  | { admitted: true; ticket: AdmissionTicket }
  | { admitted: false; outcome: 'rejected' | 'deferred'; reason: string };

export type SessionAdmission = { admitted: true; ticket: AdmissionTicket } | { admitted: false; reason: string };

export interface AdmissionSnapshot {
  sessions: number;
  turns: number;
  byTenant: Record<string, { sessions: number; turns: number }>;
}

interface TenantCounts {
  sessions: number;
  turns: number;
}

const LIMIT_KEYS: readonly (keyof AdmissionLimits)[] = [
  'max_sessions',
  'max_sessions_per_tenant',
  'max_concurrent_turns',
  'max_concurrent_turns_per_tenant',
  'max_turns_per_session_per_minute',
];

const RATE_WINDOW_MS = 60_000;
/**
 * Idle rate windows are swept once the turn admissions since the last sweep
 * reach max(this, the number of windows the last sweep left): amortized O(1)
 * per call, and at most about twice the active windows are ever held.
 */
const SWEEP_MIN_CALLS = 64;

/**
 * The admission times of a session's turns still inside the rate window,
 * oldest first. Expired times are dropped as time moves on, so memory follows
 * the turns of the last minute (at most `capacity`), never the session's age.
 */
class RateWindow {
  private times: number[] = [];
  private head = 0;

  constructor(private readonly capacity: number) {}

  private expire(now: number): void {
    while (this.head < this.times.length && now - this.times[this.head]! >= RATE_WINDOW_MS) this.head++;
    // Compact once the dead prefix dominates: amortized O(1) per admission.
    if (this.head > 64 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  allows(now: number): boolean {
    this.expire(now);
    return this.times.length - this.head < this.capacity;
  }

  record(now: number): void {
    this.expire(now);
    this.times.push(now);
  }

  /** True when no recorded admission is still inside the window (forgetting it changes nothing). */
  idle(now: number): boolean {
    const newest = this.times[this.times.length - 1];
    return newest === undefined || now - newest >= RATE_WINDOW_MS;
  }
}

/**
 * Admission decides synchronously from counters. Turn slots are the execution
 * pool: a full pool defers (transient, try again later) while a session over
 * its rate is rejected (policy). Only admitted turns count toward the rate.
 */
export class Admission {
  private sessionCount = 0;
  private turnCount = 0;
  private readonly tenants = new Map<string, TenantCounts>();
  private readonly rates = new Map<string, RateWindow>();
  private callsSinceSweep = 0;
  private sizeAfterSweep = 0;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly clock: Clock,
  ) {
    const problems = LIMIT_KEYS.filter((key) => !Number.isSafeInteger(limits[key]) || limits[key] <= 0).map(
      (key) => `${key} must be a positive integer (got ${String(limits[key])})`,
    );
    if (problems.length > 0) throw new RangeError(`invalid admission limits: ${problems.join('; ')}`);
  }

  admitSession(tenant: string): SessionAdmission {
    const counts = this.tenants.get(tenant);
    if ((counts?.sessions ?? 0) >= this.limits.max_sessions_per_tenant) return { admitted: false, reason: ADMISSION_REASONS.tenantSessionsExhausted };
    if (this.sessionCount >= this.limits.max_sessions) return { admitted: false, reason: ADMISSION_REASONS.sessionsExhausted };
    this.sessionCount++;
    this.countsOf(tenant, counts).sessions++;
    return {
      admitted: true,
      ticket: this.ticket(() => {
        this.sessionCount--;
        this.settle(tenant, (c) => c.sessions--);
      }),
    };
  }

  admitTurn(tenant: string, session_id: string): AdmissionOutcome {
    const now = this.clock.now();
    this.maybeSweep(now);
    const rate = this.rates.get(session_id);
    if (rate && !rate.allows(now)) return { admitted: false, outcome: 'rejected', reason: ADMISSION_REASONS.rateLimited };
    // The tenant's own limit is checked first: it says when a retry can succeed more precisely than the global pool.
    const counts = this.tenants.get(tenant);
    if ((counts?.turns ?? 0) >= this.limits.max_concurrent_turns_per_tenant) return { admitted: false, outcome: 'deferred', reason: ADMISSION_REASONS.tenantTurnsExhausted };
    if (this.turnCount >= this.limits.max_concurrent_turns) return { admitted: false, outcome: 'deferred', reason: ADMISSION_REASONS.poolExhausted };
    this.turnCount++;
    this.countsOf(tenant, counts).turns++;
    this.rateOf(session_id, rate).record(now);
    return {
      admitted: true,
      ticket: this.ticket(() => {
        this.turnCount--;
        this.settle(tenant, (c) => c.turns--);
      }),
    };
  }

  /** Drops the session's rate window (its turn tickets stay valid and still release their slots). */
  forgetSession(session_id: string): void {
    this.rates.delete(session_id);
  }

  snapshot(): AdmissionSnapshot {
    return {
      sessions: this.sessionCount,
      turns: this.turnCount,
      // fromEntries defines own properties, so a tenant named "__proto__" stays data.
      byTenant: Object.fromEntries([...this.tenants].map(([tenant, c]) => [tenant, { sessions: c.sessions, turns: c.turns }])),
    };
  }

  /** Sessions with a rate window held in memory (for boundedness checks). */
  get trackedSessions(): number {
    return this.rates.size;
  }

  // ------------------------------------------------------------ internals

  private ticket(free: () => void): AdmissionTicket {
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        free();
      },
    };
  }

  private countsOf(tenant: string, existing: TenantCounts | undefined): TenantCounts {
    if (existing) return existing;
    const created = { sessions: 0, turns: 0 };
    this.tenants.set(tenant, created);
    return created;
  }

  private rateOf(session_id: string, existing: RateWindow | undefined): RateWindow {
    if (existing) return existing;
    const created = new RateWindow(this.limits.max_turns_per_session_per_minute);
    this.rates.set(session_id, created);
    return created;
  }

  /** Applies a release and drops the tenant once it holds nothing. */
  private settle(tenant: string, change: (counts: TenantCounts) => void): void {
    const counts = this.tenants.get(tenant);
    if (!counts) return;
    change(counts);
    if (counts.sessions === 0 && counts.turns === 0) this.tenants.delete(tenant);
  }

  /** Drops rate windows with nothing inside the window, so sessions never forgotten do not accumulate. */
  private maybeSweep(now: number): void {
    if (++this.callsSinceSweep < Math.max(SWEEP_MIN_CALLS, this.sizeAfterSweep)) return;
    this.callsSinceSweep = 0;
    for (const [session_id, rate] of this.rates) if (rate.idle(now)) this.rates.delete(session_id);
    this.sizeAfterSweep = this.rates.size;
  }
}
