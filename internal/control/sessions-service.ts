// gRPC `baton.v1.Sessions`: maps control-plane calls onto the session
// manager. Validation order follows DESIGN 4.1: request shape, session
// existence, epoch, turn existence, turn state. It holds no state of its own.
import * as grpc from '@grpc/grpc-js';
import { type AnyEnvelope, payloadMember, staleEpochMessage } from '../../api/eventabi/index.js';
import { decodePageToken } from '../paging/page-token.js';
import type { SessionManager } from '../session/manager.js';
import type { Session } from '../session/session.js';
import type { Tenants } from '../tenancy/tenants.js';
import { type CallContext, ServiceError, type ServiceHandlers } from './grpc-server.js';

export interface SessionsServiceOptions {
  sessions: SessionManager;
  tenants: Tenants;
  /** Base URL gateways connect to, e.g. ws://127.0.0.1:8080. */
  publicUrl: () => string;
  wallNow: () => number;
  tokenTtlMs: number;
}

const OUTCOME_ENUM = {
  opened: 'TURN_OUTCOME_OPENED',
  rejected: 'TURN_OUTCOME_REJECTED',
  deferred: 'TURN_OUTCOME_DEFERRED',
  stale_epoch: 'TURN_OUTCOME_STALE_EPOCH',
} as const;

function requireField(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ServiceError(grpc.status.INVALID_ARGUMENT, `${name} is required`);
  return value;
}

function sessionOf(opts: SessionsServiceOptions, ctx: CallContext, session_id: string): Session {
  const session = opts.sessions.find(ctx.tenant, session_id);
  if (!session) throw new ServiceError(grpc.status.NOT_FOUND, `no session ${session_id}`);
  return session;
}

export function describeSession(session: Session, holder: string): Record<string, unknown> {
  const view = session.snapshot();
  const turn = view.active_turn;
  return {
    session_id: session.id,
    pipeline: session.version.name,
    pipeline_version: session.version.version,
    codec: session.codec,
    sample_rate: session.sample_rate,
    epoch: session.epoch,
    seed: session.seed,
    state: session.ended ? 'ended' : 'open',
    active_turn_id: turn?.turn_id ?? '',
    turn_state: turn?.state ?? '',
    turns: view.turns_opened,
    connected: view.connected,
    created_at_ms: session.created_at_ms,
    // The lease holder as far as this kernel knows: itself while it speaks for the session.
    holder: view.authoritative ? holder : '',
  };
}

/** The object shape proto-loader serializes: the payload under its oneof member. */
export function toGrpcEnvelope(event: AnyEnvelope): Record<string, unknown> {
  const { payload, ...envelope } = event;
  return { ...envelope, [payloadMember(event.kind)]: payload };
}

export function sessionsService(opts: SessionsServiceOptions): ServiceHandlers {
  return {
    OpenSession: {
      unary: async (ctx, req: { pipeline: string; codec: string; sample_rate: number }) => {
        const opened = await opts.sessions.open(ctx.tenant, {
          pipeline: req.pipeline || 'demo',
          codec: req.codec || 'pcm16',
          sample_rate: req.sample_rate || 16000,
        });
        if (!opened.ok) {
          const status = {
            invalid_argument: grpc.status.INVALID_ARGUMENT,
            not_found: grpc.status.NOT_FOUND,
            resource_exhausted: grpc.status.RESOURCE_EXHAUSTED,
            unavailable: grpc.status.UNAVAILABLE,
          }[opened.code];
          throw new ServiceError(status, opened.message);
        }
        const session = opened.session;
        return {
          session_id: session.id,
          epoch: session.epoch,
          session_token: opts.tenants.mintSessionToken(ctx.tenant, session.id, opts.wallNow() + opts.tokenTtlMs),
          stream_url: `${opts.publicUrl()}/v1/sessions/${encodeURIComponent(session.id)}/stream`,
        };
      },
    },
    GetSession: {
      unary: (ctx, req: { session_id: string }) => describeSession(sessionOf(opts, ctx, requireField(req.session_id, 'session_id')), opts.sessions.holder),
    },
    ListSessions: {
      unary: (ctx, req: { page_size: number; page_token: string }) => {
        if (!decodePageToken('sessions', req.page_token).ok) throw new ServiceError(grpc.status.INVALID_ARGUMENT, 'page_token is not one ListSessions returned');
        const page = opts.sessions.list(ctx.tenant, req.page_size, req.page_token);
        return { sessions: page.sessions.map((session) => describeSession(session, opts.sessions.holder)), next_page_token: page.next };
      },
    },
    CloseSession: {
      unary: (ctx, req: { session_id: string; reason: string }) => {
        const session_id = requireField(req.session_id, 'session_id');
        sessionOf(opts, ctx, session_id);
        const closed = opts.sessions.close(ctx.tenant, session_id, req.reason);
        return { session_id, closed };
      },
    },
    ProposeTurn: {
      unary: (ctx, req: { session_id: string; epoch: number; text: string }) => {
        const session = sessionOf(opts, ctx, requireField(req.session_id, 'session_id'));
        const decision = session.propose('grpc', req.epoch, req.text || undefined);
        return {
          outcome: OUTCOME_ENUM[decision.outcome],
          turn_id: decision.turn_id,
          reason: decision.reason,
          plan_hash: decision.plan_hash,
        };
      },
    },
    CancelTurn: {
      unary: (ctx, req: { session_id: string; turn_id: string; epoch: number; reason: string }) => {
        const session_id = requireField(req.session_id, 'session_id');
        const turn_id = requireField(req.turn_id, 'turn_id');
        const session = sessionOf(opts, ctx, session_id);
        if (req.epoch === 0 || req.epoch !== session.epoch || !session.authoritative) {
          throw new ServiceError(grpc.status.ABORTED, `${staleEpochMessage(req.epoch, undefined, { session_id })}; refresh authority and retry`);
        }
        const result = session.cancel('turn', turn_id, req.reason || 'cancelled_by_control_plane');
        if (!result.ok) {
          throw new ServiceError(result.code === 'turn_closed' ? grpc.status.FAILED_PRECONDITION : grpc.status.NOT_FOUND, result.message);
        }
        return { fenced: result.fenced, played_ms: result.played_ms };
      },
    },
    WatchSession: {
      serverStream: (ctx, req: { session_id: string }, call) => {
        const session = sessionOf(opts, ctx, requireField(req.session_id, 'session_id'));
        return new Promise<void>((resolve) => {
          const stop = session.watch((event) => {
            call.write(toGrpcEnvelope(event));
            if (event.kind === 'session.ended') finish();
          });
          const finish = (): void => {
            stop();
            resolve();
          };
          ctx.signal.addEventListener('abort', finish, { once: true });
          call.on('cancelled', finish);
          if (session.ended) finish();
        });
      },
    },
  };
}
