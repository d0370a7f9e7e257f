// Keeps one session's lease from this kernel's own clock: never trusts the backend's clock, never re-authorizes after a loss.
import type { Clock, TimerHandle } from '../determinism/clock.js';
import type { AuthorityBackend, AuthorityResult, Lease, LeaseLossReason } from './types.js';

export interface LeaseKeeperOptions {
  backend: AuthorityBackend;
  clock: Clock;
  session_id: string;
  holder: string;
  ttl_ms: number;
  /**
   * Called once, synchronously, when a held lease is lost (never for `stop()`,
   * never when `start()` fails). `lease` is the lease that superseded this one,
   * when known. Must not throw: it runs inside timers and backend notifications.
   */
  onLost: (reason: LeaseLossReason, lease?: Lease) => void;
}

type KeeperState = 'idle' | 'starting' | 'held' | 'lost' | 'stopped';

/**
 * One keeper per session this kernel holds, single use. The local deadline is
 * the START of the last successful acquire/renew request plus the TTL: the
 * backend granted at least that much after the request started, so the keeper
 * stops speaking no later than the backend frees the lease, whatever the
 * network delay or the backend's clock says. A renew that fails transiently or
 * stalls is retried every TTL/8 until the deadline; a stalled promise is simply
 * abandoned, so a hung backend cannot keep the keeper authoritative.
 */
export class LeaseKeeper {
  private state: KeeperState = 'idle';
  private heldEpoch = 0;
  private deadline = 0;
  private renewTimer: TimerHandle | undefined;
  private deadlineTimer: TimerHandle | undefined;
  private unwatch: (() => void) | undefined;
  private starting: Promise<AuthorityResult<Lease>> | undefined;
  /** The newest lease of this session announced while the acquire was in flight. */
  private seenWhileStarting: Lease | undefined;
  private readonly retryMs: number;

  constructor(private readonly opts: LeaseKeeperOptions) {
    if (!Number.isFinite(opts.ttl_ms) || opts.ttl_ms <= 0) throw new RangeError(`ttl_ms must be a positive finite number (got ${opts.ttl_ms})`);
    this.retryMs = Math.max(1, opts.ttl_ms / 8);
  }

  /** The held epoch; 0 when not held (before start, after loss or stop, or past the local deadline). */
  get epoch(): number {
    return this.isAuthoritative() ? this.heldEpoch : 0;
  }

  /** Held, not past the local deadline, and (when given) `epoch` is the held epoch. Purely local and synchronous. */
  isAuthoritative(epoch?: number): boolean {
    if (this.state !== 'held' || this.opts.clock.now() >= this.deadline) return false;
    return epoch === undefined || epoch === this.heldEpoch;
  }

  /** Acquires the lease. A keeper starts once; a second call answers `unavailable`. */
  start(): Promise<AuthorityResult<Lease>> {
    if (this.state !== 'idle') {
      return Promise.resolve({ ok: false, code: 'unavailable', message: `lease keeper for session ${this.opts.session_id} was already started; keepers are single use` });
    }
    this.state = 'starting';
    this.starting = this.acquire();
    return this.starting;
  }

  /**
   * Applies a change of this session's lease that the kernel learned without
   * the backend's watch: the answer of a transfer or release it made itself.
   * A backend whose watch lags (etcd) would otherwise leave the old holder
   * speaking until the notification arrives. Same rules as a watched change:
   * a newer epoch or another holder supersedes, `undefined` releases, older or
   * identical news changes nothing.
   */
  observe(lease: Lease | undefined): void {
    if (this.state !== 'held') return;
    this.onChange(lease?.session_id ?? this.opts.session_id, lease);
  }

  /** Cancels every timer and the watch at once, then releases the lease (best effort). Never calls onLost. */
  async stop(): Promise<void> {
    const prior = this.state;
    if (prior === 'stopped') return;
    this.state = 'stopped';
    this.disarm();
    // An acquire in flight releases what it gets once it sees the keeper stopped.
    if (prior === 'starting') await this.starting;
    else if (this.heldEpoch > 0) await this.releaseQuietly(this.heldEpoch);
  }

  // ------------------------------------------------------------ acquire

  private async acquire(): Promise<AuthorityResult<Lease>> {
    const { backend, clock, session_id, holder, ttl_ms } = this.opts;
    this.unwatch = backend.watch((s, lease) => this.onChange(s, lease));
    const requestedAt = clock.now();
    let result: AuthorityResult<Lease>;
    try {
      result = await backend.acquire(session_id, holder, ttl_ms);
    } catch (error) {
      result = { ok: false, code: 'unavailable', message: `acquire failed: ${describe(error)}` };
    }
    if (!result.ok) {
      this.abandonStart();
      return result;
    }
    const lease = result.value;
    const refusal = this.refuseGrant(lease, requestedAt);
    if (refusal) {
      this.abandonStart();
      await this.releaseQuietly(lease.epoch);
      return refusal;
    }
    this.state = 'held';
    this.heldEpoch = lease.epoch;
    this.setDeadline(requestedAt + ttl_ms);
    this.scheduleRenew(requestedAt + ttl_ms / 2);
    return result;
  }

  /** Why a granted lease must not be used after all, if it must not. */
  private refuseGrant(lease: Lease, requestedAt: number): AuthorityResult<Lease> | undefined {
    const { session_id, holder, ttl_ms, clock } = this.opts;
    if (this.state === 'stopped') return { ok: false, code: 'unavailable', message: `lease keeper for session ${session_id} was stopped during acquire`, lease };
    const newer = this.seenWhileStarting;
    if (newer && newer.epoch > lease.epoch) {
      return { ok: false, code: 'held_by_other', message: `session ${session_id} moved to ${newer.holder} at epoch ${newer.epoch} during acquire`, lease: newer };
    }
    if (lease.holder !== holder) {
      return { ok: false, code: 'held_by_other', message: `session ${session_id} is held by ${lease.holder}`, lease };
    }
    if (clock.now() >= requestedAt + ttl_ms) {
      return { ok: false, code: 'unavailable', message: `acquire of session ${session_id} answered after its local deadline`, lease };
    }
    return undefined;
  }

  private abandonStart(): void {
    if (this.state === 'starting') this.state = 'lost';
    this.disarm();
  }

  // ------------------------------------------------------------ renew

  private scheduleRenew(at: number): void {
    const { clock } = this.opts;
    clock.clearTimer(this.renewTimer);
    this.renewTimer = clock.setTimer(Math.max(0, at - clock.now()), () => {
      this.renewTimer = undefined;
      this.renew();
    });
  }

  private renew(): void {
    if (this.state !== 'held') return;
    const { backend, clock, session_id, ttl_ms } = this.opts;
    const requestedAt = clock.now();
    // Armed before the call: if this attempt stalls or fails, the next starts anyway.
    this.scheduleRenew(requestedAt + this.retryMs);
    let pending: Promise<AuthorityResult<Lease>>;
    try {
      pending = backend.renew(session_id, this.heldEpoch, ttl_ms);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (result) => this.onRenewed(requestedAt, result),
      (error: unknown) => this.onRenewed(requestedAt, { ok: false, code: 'unavailable', message: `renew failed: ${describe(error)}` }),
    );
  }

  private onRenewed(requestedAt: number, result: AuthorityResult<Lease>): void {
    if (this.state !== 'held') return; // lost or stopped: a late answer never re-authorizes
    const { clock, holder, ttl_ms } = this.opts;
    // The deadline timer may be late on a real clock; an answer after the deadline does not revive the lease.
    if (clock.now() >= this.deadline) return this.lose('expired');
    if (result.ok) {
      const lease = result.value;
      if (lease.epoch !== this.heldEpoch || lease.holder !== holder) return this.lose('superseded', lease);
      const deadline = requestedAt + ttl_ms;
      // An older attempt answering after a newer one must not pull the deadline back.
      if (deadline <= this.deadline) return;
      this.setDeadline(deadline);
      this.scheduleRenew(requestedAt + ttl_ms / 2);
      return;
    }
    switch (result.code) {
      case 'unavailable':
        return; // transient: the retry timer armed by renew() tries again
      case 'not_found':
        return this.lose('released');
      case 'stale_epoch':
      case 'held_by_other':
        return this.lose('superseded', result.lease);
    }
  }

  // ------------------------------------------------------------ loss

  private setDeadline(at: number): void {
    const { clock } = this.opts;
    this.deadline = at;
    clock.clearTimer(this.deadlineTimer);
    this.deadlineTimer = clock.setTimer(Math.max(0, at - clock.now()), () => this.onDeadline());
  }

  private onDeadline(): void {
    this.deadlineTimer = undefined;
    if (this.state !== 'held') return;
    // A real timer can fire a little early; wait out the remainder rather than lose early.
    if (this.opts.clock.now() < this.deadline) return this.setDeadline(this.deadline);
    this.lose('expired');
  }

  private onChange(session_id: string, lease: Lease | undefined): void {
    if (session_id !== this.opts.session_id) return;
    if (this.state === 'starting') {
      // Our own grant is announced before the acquire answers; only a later epoch than ours matters.
      if (lease && lease.epoch > (this.seenWhileStarting?.epoch ?? 0)) this.seenWhileStarting = lease;
      return;
    }
    if (this.state !== 'held') return;
    if (!lease) return this.lose(this.opts.clock.now() >= this.deadline ? 'expired' : 'released');
    if (lease.epoch === this.heldEpoch && lease.holder === this.opts.holder) return;
    if (lease.epoch < this.heldEpoch) return; // older news than our own grant
    this.lose('superseded', lease);
  }

  private lose(reason: LeaseLossReason, lease?: Lease): void {
    if (this.state !== 'held') return;
    this.state = 'lost';
    this.disarm();
    this.opts.onLost(reason, lease);
  }

  private disarm(): void {
    const { clock } = this.opts;
    clock.clearTimer(this.renewTimer);
    clock.clearTimer(this.deadlineTimer);
    this.renewTimer = this.deadlineTimer = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
  }

  private async releaseQuietly(epoch: number): Promise<void> {
    try {
      await this.opts.backend.release(this.opts.session_id, epoch);
    } catch {
      // Best effort: an unreleased lease still expires on the backend after its TTL.
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
