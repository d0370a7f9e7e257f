// Single-process lease store: owns the lease table and epoch counter; never reuses or lowers an epoch, never keeps dead leases.
import { staleEpochMessage } from '../../api/eventabi/vocabulary.js';
import type { Clock } from '../determinism/clock.js';
import type { AuthorityBackend, AuthorityResult, Lease } from './types.js';

type Listener = (session_id: string, lease: Lease | undefined) => void;

/**
 * A full sweep of expired leases runs once the operations since the last sweep
 * reach max(this, the table size the last sweep left): amortized O(1) per
 * operation, and the table never holds more than about twice its live leases.
 */
const SWEEP_MIN_OPS = 64;

/**
 * Leases in a map, epochs from one backend-wide counter (like etcd revisions):
 * every new epoch of any session is larger than every earlier one, so a session
 * that was released and forgotten can never get an epoch it had before, with no
 * per-session history kept. Change notifications are delivered synchronously,
 * before the operation's promise settles, so an in-process holder is fenced
 * before the caller of `transfer` even sees the answer.
 */
export class MemoryAuthority implements AuthorityBackend {
  readonly name = 'memory';
  private readonly leases = new Map<string, Lease>();
  private readonly listeners = new Set<Listener>();
  private revision = 0;
  private opsSinceSweep = 0;
  private sizeAfterSweep = 0;
  private closed = false;

  constructor(private readonly clock: Clock) {}

  /** Leases currently stored (live, or expired and not yet swept). */
  get leaseCount(): number {
    return this.leases.size;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  async acquire(session_id: string, holder: string, ttl_ms: number): Promise<AuthorityResult<Lease>> {
    checkId('session_id', session_id);
    checkId('holder', holder);
    checkTtl(ttl_ms);
    if (this.closed) return unavailable();
    this.maybeSweep();
    const current = this.live(session_id);
    if (current && current.holder !== holder) {
      return { ok: false, code: 'held_by_other', message: `session ${session_id} is held by ${current.holder} at epoch ${current.epoch}`, lease: { ...current } };
    }
    if (current) return { ok: true, value: this.extend(current, ttl_ms) };
    return { ok: true, value: this.grant(session_id, holder, ttl_ms) };
  }

  async renew(session_id: string, epoch: number, ttl_ms: number): Promise<AuthorityResult<Lease>> {
    checkId('session_id', session_id);
    checkTtl(ttl_ms);
    if (this.closed) return unavailable();
    this.maybeSweep();
    const current = this.current(session_id, epoch);
    if (!current.ok) return current;
    return { ok: true, value: this.extend(current.value, ttl_ms) };
  }

  async release(session_id: string, epoch: number): Promise<AuthorityResult<Lease>> {
    checkId('session_id', session_id);
    if (this.closed) return unavailable();
    this.maybeSweep();
    const current = this.current(session_id, epoch);
    if (!current.ok) return current;
    this.leases.delete(session_id);
    this.notify(session_id, undefined);
    return { ok: true, value: { ...current.value } };
  }

  async transfer(session_id: string, holder: string, ttl_ms: number): Promise<AuthorityResult<Lease>> {
    checkId('session_id', session_id);
    checkId('holder', holder);
    checkTtl(ttl_ms);
    if (this.closed) return unavailable();
    this.maybeSweep();
    // Always a new epoch, even to the same holder: a transfer fences every earlier epoch.
    return { ok: true, value: this.grant(session_id, holder, ttl_ms) };
  }

  async get(session_id: string): Promise<AuthorityResult<Lease>> {
    checkId('session_id', session_id);
    if (this.closed) return unavailable();
    this.maybeSweep();
    const current = this.live(session_id);
    if (!current) return notFound(session_id);
    return { ok: true, value: { ...current } };
  }

  watch(listener: Listener): () => void {
    if (this.closed) return () => {};
    // Wrapped so the same function subscribed twice unsubscribes independently.
    const entry: Listener = (s, l) => listener(s, l);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Drops every lease and listener without notifying: holders find out when their renewals fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.leases.clear();
    this.listeners.clear();
  }

  // ------------------------------------------------------------ internals

  /** The live lease of `session_id`; an expired one is removed (and announced) on the way. */
  private live(session_id: string): Lease | undefined {
    const lease = this.leases.get(session_id);
    if (!lease) return undefined;
    if (lease.expires_at_ms > this.clock.now()) return lease;
    this.leases.delete(session_id);
    this.notify(session_id, undefined);
    return undefined;
  }

  /** The live lease when `epoch` is its epoch: the precondition of renew and release. */
  private current(session_id: string, epoch: number): AuthorityResult<Lease> {
    const lease = this.live(session_id);
    if (!lease) return notFound(session_id);
    if (lease.epoch !== epoch) {
      return { ok: false, code: 'stale_epoch', message: staleEpochMessage(epoch, lease.epoch, { session_id }), lease: { ...lease } };
    }
    return { ok: true, value: lease };
  }

  private grant(session_id: string, holder: string, ttl_ms: number): Lease {
    const lease: Lease = { session_id, holder, epoch: ++this.revision, expires_at_ms: this.clock.now() + ttl_ms };
    this.leases.set(session_id, lease);
    this.notify(session_id, lease);
    return { ...lease };
  }

  /**
   * Never shortens a lease: another keeper of the same holder and epoch may rely
   * on the later expiry. Not announced: holder and epoch are unchanged, so no
   * one needs fencing (etcd keep-alives do not touch the key either).
   */
  private extend(lease: Lease, ttl_ms: number): Lease {
    lease.expires_at_ms = Math.max(lease.expires_at_ms, this.clock.now() + ttl_ms);
    return { ...lease };
  }

  private notify(session_id: string, lease: Lease | undefined): void {
    // Each listener gets its own copy and runs even if an earlier one threw; the
    // first error is rethrown once the change is fully announced (a listener bug
    // surfaces to the caller instead of leaving some holders unfenced).
    let failure: { error: unknown } | undefined;
    for (const listener of [...this.listeners]) {
      try {
        listener(session_id, lease ? { ...lease } : undefined);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }

  /** Removes expired leases so sessions that were never released do not accumulate. */
  private maybeSweep(): void {
    if (++this.opsSinceSweep < Math.max(SWEEP_MIN_OPS, this.sizeAfterSweep)) return;
    this.opsSinceSweep = 0;
    const now = this.clock.now();
    const expired: string[] = [];
    for (const [session_id, lease] of this.leases) if (lease.expires_at_ms <= now) expired.push(session_id);
    this.sizeAfterSweep = this.leases.size - expired.length;
    for (const session_id of expired) this.live(session_id);
  }
}

function checkId(field: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new RangeError(`${field} must be a non-empty string`);
}

function checkTtl(ttl_ms: number): void {
  if (!Number.isFinite(ttl_ms) || ttl_ms <= 0) throw new RangeError(`ttl_ms must be a positive finite number (got ${ttl_ms})`);
}

function notFound(session_id: string): AuthorityResult<Lease> {
  return { ok: false, code: 'not_found', message: `session ${session_id} has no live lease` };
}

function unavailable(): AuthorityResult<Lease> {
  return { ok: false, code: 'unavailable', message: 'memory authority is closed' };
}
