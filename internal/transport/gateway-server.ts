// The WebSocket gateway endpoints (`/v1/stream`, `/v1/sessions/{id}/stream`):
// authenticates before the upgrade, negotiates the subprotocol, runs each
// connection's read loop through the session's ingress gate and writes the
// session's egress with a bound on buffered bytes. It owns sockets, never
// session state.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import {
  type AbiError,
  type AnyEnvelope,
  CLOSE_CODES,
  KINDS,
  anyEnvelope,
  encodeBinary,
  encodeJson,
} from '../../api/eventabi/index.js';
import { type Tenants, bearerToken } from '../tenancy/tenants.js';
import { type Logger, sessionLogger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { EgressSink } from '../session/egress.js';
import type { Session } from '../session/session.js';
import type { Connections } from './connections.js';
import { type Encoding, IngressGate } from '../ingress/ingress-gate.js';
import { SocketBackpressure } from './socket-backpressure.js';
import { refuseUpgrade } from './http-server.js';

// A Map, not an object: an offered name such as "constructor" must not match an inherited property.
export const SUBPROTOCOLS: ReadonlyMap<string, Encoding> = new Map([
  ['baton.v1.proto', 'proto'],
  ['baton.v1.json', 'json'],
]);

/** What the gateway server needs from the session layer. */
export interface StreamSessions {
  /** Creates a session from a validated `session.start` (on /v1/stream). */
  openFromStream(tenant: string, start: AnyEnvelope & { kind: 'session.start' }): Promise<{ ok: true; session: Session } | { ok: false; error: AbiError; closeCode: number }>;
  find(tenant: string, session_id: string): Session | undefined;
}

export interface GatewayServerOptions {
  sessions: StreamSessions;
  tenants: Tenants;
  metrics: Metrics;
  logger: Logger;
  /** Sockets of every endpoint: tenant limits, heartbeat, drain. */
  connections: Connections;
  maxFrameBytes: number;
  maxAudioFrameMs: number;
  /**
   * Egress high-water mark in buffered bytes: above it the session's producer
   * waits (credits); it resumes below a quarter of it. Data and Telemetry are
   * refused above twice it, and a reader four times over is cut off.
   */
  egressBufferBytes: number;
  wallNow: () => number;
  accepting: () => boolean;
}

/** Frames a paused connection may still hold while its session's lane is blocked. */
const MAX_HELD_FRAMES = 64;

export class GatewayServer {
  readonly wss: WebSocketServer;

  constructor(private readonly opts: GatewayServerOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (offered) => {
        for (const name of offered) if (SUBPROTOCOLS.has(name)) return name;
        return false;
      },
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://baton');
    const route = matchRoute(url.pathname);
    if (!route) return refuseUpgrade(socket, 404, `no stream endpoint at ${url.pathname}`);
    if (!this.opts.accepting()) return refuseUpgrade(socket, 503, 'kernel is draining or not ready');
    const token = bearerToken(req.headers.authorization) ?? url.searchParams.get('token') ?? undefined;
    const auth = this.opts.tenants.authenticateStream(token, route.session_id, this.opts.wallNow());
    if (!auth.ok) return refuseUpgrade(socket, 401, `unauthenticated: ${auth.reason}`);
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    if (offered.length > 0 && !offered.some((p) => SUBPROTOCOLS.has(p))) {
      return refuseUpgrade(socket, 400, `unsupported subprotocol; offer one of ${[...SUBPROTOCOLS.keys()].join(', ')}`);
    }
    let session: Session | undefined;
    if (route.session_id !== undefined) {
      session = this.opts.sessions.find(auth.tenant, route.session_id);
      if (!session || session.ended) return refuseUpgrade(socket, 404, `no session ${route.session_id}`);
    }
    const { connections } = this.opts;
    const slot = connections.reserve(auth.tenant);
    if (!slot.ok) return refuseUpgrade(socket, slot.status, slot.message);
    socket.once('close', () => {
      if (!upgraded) connections.release(auth.tenant);
    });
    let upgraded = false;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      // No subprotocol offered: the primary binary format.
      const encoding: Encoding = SUBPROTOCOLS.get(ws.protocol) ?? 'proto';
      const connection = new GatewayConnection(ws, encoding, auth.tenant, this.opts);
      connections.track(ws, auth.tenant, route.session_id === undefined ? 'stream' : 'session_stream', (code, reason) => connection.close(code, reason));
      if (session) connection.bind(session);
    });
  }
}

function matchRoute(path: string): { session_id: string | undefined } | undefined {
  if (path === '/v1/stream') return { session_id: undefined };
  const match = /^\/v1\/sessions\/([^/]{1,128})\/stream$/.exec(path);
  if (!match) return undefined;
  try {
    return { session_id: decodeURIComponent(match[1]!) };
  } catch {
    return undefined;
  }
}

/** One gateway socket. Implements the session's egress sink. */
class GatewayConnection implements EgressSink {
  private session: Session | undefined;
  /** The kernel's logger until a session is bound, then that session's logger. */
  private log: Logger;
  private readonly preSessionGate: IngressGate;
  private opening = false;
  private closed = false;
  private held: { data: RawData; isBinary: boolean }[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private preSessionSeq = 0;
  private corked = false;
  private readonly backpressure: SocketBackpressure;

  constructor(
    private readonly ws: WebSocket,
    readonly encoding: Encoding,
    private readonly tenant: string,
    private readonly opts: GatewayServerOptions,
  ) {
    this.log = opts.logger;
    this.backpressure = new SocketBackpressure(ws, opts.egressBufferBytes, opts.metrics);
    this.preSessionGate = new IngressGate({ maxAudioFrameMs: opts.maxAudioFrameMs, currentEpoch: () => 0 });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    // Errors (malformed frames, oversize frames: ws closes those with 1002/1009) must never reach the process.
    ws.on('error', (err) => {
      this.log.debug({ err: err.message }, 'gateway socket error');
    });
    ws.on('close', (code) => {
      this.closed = true;
      clearTimeout(this.retryTimer);
      this.backpressure.dispose();
      this.opts.metrics.socketCloses.inc({ code: String(code) });
      this.session?.detach(this);
    });
  }

  bind(session: Session): void {
    this.session = session;
    this.log = sessionLogger(this.opts.logger, session.id, session.epoch);
    session.attach(this);
  }

  write(frame: Uint8Array | string, event: AnyEnvelope): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    if (!this.backpressure.admit(KINDS[event.kind].lane)) return;
    this.cork();
    this.ws.send(frame, { binary: typeof frame !== 'string' });
  }

  get writable(): boolean {
    return this.backpressure.writable;
  }

  onceWritable(resume: () => void): void {
    this.backpressure.onceWritable(resume);
  }

  /**
   * Holds this tick's writes in the socket and flushes them together on the
   * next tick: a turn's burst of frames costs one writev instead of one each.
   */
  private cork(): void {
    if (this.corked) return;
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (!socket) return;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(code, truncateReason(reason));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    if (this.opening || this.held.length > 0) {
      if (this.held.length >= MAX_HELD_FRAMES) {
        this.close(CLOSE_CODES.overloaded, 'session lanes stayed full');
        return;
      }
      this.held.push({ data, isBinary });
      return;
    }
    this.handle(data, isBinary);
  }

  private handle(data: RawData, isBinary: boolean): void {
    const frame = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const framed = this.encoding === 'proto' ? isBinary : !isBinary;
    const gate: Pick<IngressGate, 'admit' | 'refuse'> = this.session ?? this.preSessionGate;
    const result = framed
      ? gate.admit(this.encoding === 'proto' ? frame : frame.toString('utf8'), this.encoding)
      : gate.refuse({
          code: 'invalid_event',
          message: `${isBinary ? 'binary' : 'text'} frame on a ${this.encoding === 'proto' ? 'baton.v1.proto' : 'baton.v1.json'} stream`,
        });
    if (!result.ok) {
      this.opts.metrics.ingressRejected.inc({ code: result.error.code });
      this.sendError(result.error);
      if (result.close) this.close(result.close.code, result.close.reason);
      else if (!this.session) this.close(CLOSE_CODES.policy, 'the first event on /v1/stream must be a valid session.start');
      return;
    }
    this.opts.metrics.ingressEvents.inc({ kind: result.event.kind, encoding: this.encoding });
    if (!this.session) {
      this.open(result.event as AnyEnvelope & { kind: 'session.start' });
      return;
    }
    this.ingest(result.event, result.raw);
  }

  private ingest(event: AnyEnvelope, raw?: Uint8Array): void {
    const session = this.session!;
    const outcome = session.ingest(event, raw);
    if (outcome.status === 'closed') {
      this.close(outcome.code, outcome.reason);
      return;
    }
    if (outcome.status === 'blocked') {
      // Stop reading this socket and retry shortly; the lane bounds how long (max_block_ms).
      this.ws.pause();
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (!this.closed) this.ingest(event, raw);
      }, 2);
      return;
    }
    if (this.ws.isPaused) this.ws.resume();
    this.drainHeld();
  }

  private drainHeld(): void {
    while (this.held.length > 0 && !this.closed && !this.ws.isPaused && !this.opening) {
      const next = this.held.shift()!;
      this.handle(next.data, next.isBinary);
    }
  }

  private open(start: AnyEnvelope & { kind: 'session.start' }): void {
    this.opening = true;
    this.ws.pause();
    this.opts.sessions.openFromStream(this.tenant, start).then(
      (opened) => {
        this.opening = false;
        if (this.closed) {
          if (opened.ok) opened.session.detach(this);
          return;
        }
        if (!opened.ok) {
          this.sendError(opened.error);
          this.close(opened.closeCode, opened.error.message);
          return;
        }
        this.bind(opened.session);
        this.ws.resume();
        this.drainHeld();
      },
      (err: unknown) => {
        this.opening = false;
        this.log.error({ err }, 'opening a session from a stream failed');
        this.sendError({ code: 'internal', message: 'the kernel could not open the session' });
        this.close(CLOSE_CODES.internal, 'internal error');
      },
    );
  }

  /** Errors go through the session's egress (seq continues); before a session exists, with a connection-local seq. */
  private sendError(error: AbiError): void {
    const payload = error.ref_id ? { code: error.code, message: error.message, ref_id: error.ref_id } : { code: error.code, message: error.message };
    if (this.session) {
      this.session.sendError(error.code, error.message, error.ref_id);
      return;
    }
    this.preSessionSeq += 1;
    const event = anyEnvelope('error', payload, { id: `k${this.preSessionSeq}`, seq: this.preSessionSeq });
    this.write(this.encoding === 'proto' ? encodeBinary(event) : encodeJson(event), event);
  }
}

/** Close reasons are limited to 123 bytes by the protocol. */
function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= 123 ? reason : bytes.subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '') + '...';
}
