// Authority contract (lease, epoch, backend interface): holds no state and never decides.

/** One session's lease. `epoch` is the fencing token; `expires_at_ms` is on the backend's clock. */
export interface Lease {
  session_id: string;
  holder: string;
  epoch: number;
  expires_at_ms: number;
}

export type AuthorityErrorCode = 'not_found' | 'held_by_other' | 'stale_epoch' | 'unavailable';

/** Failures are values; `lease` is the current lease when one exists (who holds it, at which epoch). */
export type AuthorityResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: AuthorityErrorCode; message: string; lease?: Lease };

/**
 * A lease store. Epochs are strictly increasing per session id over its whole
 * life (release and re-acquire included), and a lease whose `expires_at_ms` is
 * at or before the backend's now is free. For one epoch, `expires_at_ms` never
 * moves backwards. A `ttl_ms` that is not a positive finite number, or an empty
 * session id or holder, is a caller bug and rejects with a RangeError.
 */
export interface AuthorityBackend {
  /** 'memory' | 'etcd' */
  readonly name: string;
  /**
   * Creates the lease if absent or takes over an expired one, with a new epoch.
   * The same live holder acquiring again keeps its epoch and extends the lease;
   * another live holder answers `held_by_other` with its lease.
   */
  acquire(session_id: string, holder: string, ttl_ms: number): Promise<AuthorityResult<Lease>>;
  /** Extends the lease; only the current epoch renews (`stale_epoch` otherwise, `not_found` when free). */
  renew(session_id: string, epoch: number, ttl_ms: number): Promise<AuthorityResult<Lease>>;
  /** Frees the lease held at `epoch` and returns it. */
  release(session_id: string, epoch: number): Promise<AuthorityResult<Lease>>;
  /** Gives the lease to `holder` at once with a new epoch, whoever held it (free included). */
  transfer(session_id: string, holder: string, ttl_ms: number): Promise<AuthorityResult<Lease>>;
  get(session_id: string): Promise<AuthorityResult<Lease>>;
  /**
   * Observes every change of holder or epoch of any lease (`undefined` = the
   * lease is gone: released, expired or dropped), so an old holder is fenced at
   * once. Renewals are not changes. Returns an unsubscribe function.
   */
  watch(listener: (session_id: string, lease: Lease | undefined) => void): () => void;
  close(): Promise<void>;
}

export type LeaseLossReason = 'expired' | 'superseded' | 'released';
