// gRPC `baton.v1.Authority`: the control plane's view of, and hand on, the
// leases of its tenant's sessions (running on this kernel or ended here
// recently). Moving or freeing the lease of a session this kernel runs fences
// that session before the answer leaves. Leases live in the authority backend
// and sessions in the manager; this service holds no state of its own.
// Decisions (docs/control-plane.md#authority): acquire and transfer to this
// kernel's own identity never revive an ended session; transfer to the
// current holder is a no-op; a free lease reads as holder "" and epoch 0.
import * as grpc from '@grpc/grpc-js';
import { MAX_ID_LENGTH } from '../../api/eventabi/validate.js';
import { staleEpochMessage } from '../../api/eventabi/vocabulary.js';
import type { AuthorityBackend, AuthorityResult, Lease } from '../authority/types.js';
import { KEYS } from '../config/keys.js';
import type { Clock } from '../determinism/clock.js';
import { type Logger, sessionLogger } from '../observe/logger.js';
import type { KnownSession, SessionManager } from '../session/manager.js';
import { type CallContext, ServiceError, type ServiceHandlers } from './grpc-server.js';

export interface AuthorityServiceOptions {
  sessions: SessionManager;
  authority: AuthorityBackend;
  /** Lifetime of leases granted or renewed through this service: the kernel's lease_ttl_ms. */
  leaseTtlMs: number;
  /** The clock the backend measures leases on; `expires_at_ms` is turned into unix ms with it. */
  clock: Clock;
  logger?: Logger;
}

/** The proto-loader shape of `baton.v1.Lease`. */
export interface LeaseMessage {
  session_id: string;
  holder: string;
  epoch: number;
  expires_at_ms: number;
}

function requireField(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ServiceError(grpc.status.INVALID_ARGUMENT, `${name} is required`);
  return value;
}

/** No session id is longer than the Event ABI allows, and a huge one must not be echoed into a status message. */
function requireSessionId(value: unknown): string {
  const session_id = requireField(value, 'session_id');
  if (session_id.length > MAX_ID_LENGTH) throw new ServiceError(grpc.status.INVALID_ARGUMENT, `session_id is longer than ${MAX_ID_LENGTH} characters`);
  return session_id;
}

/** A holder is a kernel instance identity, held to the same rule as the instance_id setting. */
function requireHolder(value: unknown): string {
  const holder = requireField(value, 'holder');
  const parsed = KEYS.instance_id.rule.parse(holder);
  if (!parsed.ok) throw new ServiceError(grpc.status.INVALID_ARGUMENT, `holder ${parsed.problems.join('; ')}`);
  return holder;
}

/** Epoch 0 (or a value no lease can have) is never current: stale, like any other non-current epoch. */
function requireEpoch(value: unknown, session_id: string): number {
  const epoch = typeof value === 'number' ? value : Number.NaN;
  if (!Number.isSafeInteger(epoch) || epoch <= 0) {
    throw new ServiceError(grpc.status.ABORTED, `epoch ${String(value)} is never the current epoch of session ${session_id}; GetLease for the current one`);
  }
  return epoch;
}

export function authorityService(opts: AuthorityServiceOptions): ServiceHandlers {
  const { sessions, authority, leaseTtlMs, clock } = opts;
  const self = sessions.holder;

  const known = (ctx: CallContext, session_id: string): KnownSession => {
    const found = sessions.lookup(ctx.tenant, session_id);
    if (!found) throw new ServiceError(grpc.status.NOT_FOUND, `no session ${session_id}`);
    return found;
  };

  // The backend measures on the kernel's monotonic clock; the contract speaks unix ms. One offset for the
  // kernel's life keeps a lease's expiry identical across calls (no jitter, never backwards for one epoch).
  const wallOffset = clock.wallNow() - clock.now();
  const toMessage = (lease: Lease): LeaseMessage => ({
    session_id: lease.session_id,
    holder: lease.holder,
    epoch: lease.epoch,
    expires_at_ms: Math.max(0, Math.round(lease.expires_at_ms + wallOffset)),
  });

  const free = (session_id: string): LeaseMessage => ({ session_id, holder: '', epoch: 0, expires_at_ms: 0 });

  /** The lease, or the status a failed backend answer means for `session_id`. */
  const unwrap = (result: AuthorityResult<Lease>, session_id: string, epoch?: number): Lease => {
    if (result.ok) return result.value;
    switch (result.code) {
      case 'stale_epoch':
        throw new ServiceError(grpc.status.ABORTED, `${staleEpochMessage(epoch, undefined, { session_id })}; GetLease and retry with the current one`);
      case 'not_found':
        throw new ServiceError(grpc.status.ABORTED, `session ${session_id} has no live lease (released or expired), so epoch ${epoch} is stale; AcquireLease to take it`);
      case 'held_by_other': {
        const holder = result.lease ? `${result.lease.holder} at epoch ${result.lease.epoch}` : 'another holder';
        throw new ServiceError(grpc.status.FAILED_PRECONDITION, `session ${session_id} is held by ${holder}; TransferLease moves it`);
      }
      case 'unavailable':
        throw new ServiceError(grpc.status.UNAVAILABLE, `lease authority unavailable: ${result.message}`);
    }
  };

  /** A kernel never brings an ended session back: its history and stream are gone, so holding its lease would be a lie. */
  const refuseRevival = (found: KnownSession, session_id: string, method: string): void => {
    if (found.state !== 'ended') return;
    throw new ServiceError(
      grpc.status.FAILED_PRECONDITION,
      `session ${session_id} ended on this kernel (${found.ended.reason}) and cannot be revived here; ${method} to another holder, or open a new session`,
    );
  };

  const current = async (session_id: string): Promise<LeaseMessage> => {
    const result = await authority.get(session_id);
    if (!result.ok && result.code === 'not_found') return free(session_id);
    return toMessage(unwrap(result, session_id));
  };

  return {
    AcquireLease: {
      unary: async (ctx, req: { session_id: string; holder: string }) => {
        const session_id = requireSessionId(req.session_id);
        const holder = requireHolder(req.holder);
        const found = known(ctx, session_id);
        if (holder === self) refuseRevival(found, session_id, 'AcquireLease');
        const lease = unwrap(await authority.acquire(session_id, holder, leaseTtlMs), session_id);
        sessionLogger(opts.logger, session_id, lease.epoch)?.info({ holder }, 'lease acquired by the control plane');
        return toMessage(lease);
      },
    },
    RenewLease: {
      unary: async (ctx, req: { session_id: string; epoch: number }) => {
        const session_id = requireSessionId(req.session_id);
        known(ctx, session_id);
        const epoch = requireEpoch(req.epoch, session_id);
        return toMessage(unwrap(await authority.renew(session_id, epoch, leaseTtlMs), session_id, epoch));
      },
    },
    ReleaseLease: {
      unary: async (ctx, req: { session_id: string; epoch: number }) => {
        const session_id = requireSessionId(req.session_id);
        known(ctx, session_id);
        const epoch = requireEpoch(req.epoch, session_id);
        const released = unwrap(await authority.release(session_id, epoch), session_id, epoch);
        // Ours or not, the freed epoch can no longer speak: fence now, whatever the backend's watch does.
        sessions.applyLease(session_id, undefined);
        sessionLogger(opts.logger, session_id, epoch)?.info({ holder: released.holder }, 'lease released by the control plane');
        return toMessage(released);
      },
    },
    TransferLease: {
      unary: async (ctx, req: { session_id: string; holder: string }) => {
        const session_id = requireSessionId(req.session_id);
        const holder = requireHolder(req.holder);
        const found = known(ctx, session_id);
        if (holder === self) {
          refuseRevival(found, session_id, 'TransferLease');
          // Already here: bumping the epoch would only end the session this transfer wants to keep.
          return current(session_id);
        }
        const moved = unwrap(await authority.transfer(session_id, holder, leaseTtlMs), session_id);
        sessions.applyLease(session_id, moved);
        sessionLogger(opts.logger, session_id, moved.epoch)?.info({ holder }, 'lease transferred by the control plane');
        return toMessage(moved);
      },
    },
    GetLease: {
      unary: async (ctx, req: { session_id: string }) => {
        const session_id = requireSessionId(req.session_id);
        known(ctx, session_id);
        return current(session_id);
      },
    },
  };
}
