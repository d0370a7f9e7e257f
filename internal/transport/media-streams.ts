// The media-streams endpoint, `GET /v1/media-streams?pipeline=NAME` (DESIGN
// 5.1): authenticates before the upgrade, refuses unknown pipelines, and gives
// each accepted socket a MediaStreamsBridge that maps the Twilio-style JSON
// dialect onto one Baton session. It owns the socket edge (frame limit, error
// listener, egress bound, write batching); the kernel's Connections registry
// owns every socket's heartbeat, per-tenant limit and drain. It never holds
// session state or does the mapping.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { MAX_ID_LENGTH } from '../../api/eventabi/index.js';
import { type Tenants, bearerToken } from '../tenancy/tenants.js';
import type { Clock } from '../determinism/clock.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { Connections } from './connections.js';
import { MediaStreamsBridge, type MediaStreamsSessions, type MediaStreamsTransport } from './media-streams-bridge.js';
import { refuseUpgrade } from './http-server.js';
import { SocketBackpressure } from './socket-backpressure.js';

export const MEDIA_STREAMS_PATH = '/v1/media-streams';
export const DEFAULT_MEDIA_STREAMS_PIPELINE = 'demo';
/** The subprotocol some Twilio-style gateways offer; selected when offered, never required. */
export const TWILIO_SUBPROTOCOL = 'audio.twilio.com';

export interface MediaStreamsServerOptions {
  sessions: MediaStreamsSessions;
  /** Pipeline lookup per tenant, so an unknown pipeline is refused before the upgrade. */
  pipelines: { get(tenant: string, name: string): unknown };
  tenants: Tenants;
  connections: Connections;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  maxFrameBytes: number;
  /** A socket holding more unsent bytes than this holds the turn's audio at its source. */
  egressBufferBytes: number;
  accepting: () => boolean;
}

/** True when an upgrade request is for the media-streams endpoint (the kernel's upgrade dispatch). */
export function isMediaStreamsRequest(req: IncomingMessage): boolean {
  return (req.url ?? '/').split('?', 1)[0] === MEDIA_STREAMS_PATH;
}

export class MediaStreamsServer {
  readonly wss: WebSocketServer;

  constructor(private readonly opts: MediaStreamsServerOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (offered) => (offered.has(TWILIO_SUBPROTOCOL) ? TWILIO_SUBPROTOCOL : false),
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://baton');
    if (url.pathname !== MEDIA_STREAMS_PATH) return refuseUpgrade(socket, 404, `no media-streams endpoint at ${url.pathname}`);
    if (!this.opts.accepting()) return refuseUpgrade(socket, 503, 'kernel is draining or not ready');
    const token = bearerToken(req.headers.authorization) ?? url.searchParams.get('token') ?? undefined;
    const auth = this.opts.tenants.authenticateStream(token, undefined, this.opts.clock.wallNow());
    if (!auth.ok) return refuseUpgrade(socket, 401, `unauthenticated: ${auth.reason}`);
    const pipeline = url.searchParams.get('pipeline') ?? DEFAULT_MEDIA_STREAMS_PIPELINE;
    if (pipeline === '' || pipeline.length > MAX_ID_LENGTH) return refuseUpgrade(socket, 400, `pipeline must be a name of 1 to ${MAX_ID_LENGTH} characters`);
    if (!this.opts.pipelines.get(auth.tenant, pipeline)) return refuseUpgrade(socket, 404, `no pipeline "${pipeline}"`);
    const { connections } = this.opts;
    const slot = connections.reserve(auth.tenant);
    if (!slot.ok) return refuseUpgrade(socket, slot.status, slot.message);
    let upgraded = false;
    socket.once('close', () => {
      if (!upgraded) connections.release(auth.tenant);
    });
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      const bridge = this.accept(ws, auth.tenant, pipeline);
      connections.track(ws, auth.tenant, 'media_streams', (code, reason) => bridge.close(code, reason));
    });
  }

  private accept(ws: WebSocket, tenant: string, pipeline: string): MediaStreamsBridge {
    const { metrics, logger } = this.opts;
    const transport = new SocketTransport(ws, new SocketBackpressure(ws, this.opts.egressBufferBytes, metrics));
    const bridge = new MediaStreamsBridge({
      tenant,
      pipeline,
      sessions: this.opts.sessions,
      transport,
      clock: this.opts.clock,
      accepting: this.opts.accepting,
      metrics,
      logger,
    });
    ws.on('message', (data, isBinary) => bridge.receive(toBuffer(data), isBinary));
    // Protocol errors (bad frames, oversize frames: ws closes those with 1002/1007/1009) must never reach the process.
    ws.on('error', (err) => bridge.logger?.debug({ err: err.message }, 'media-streams socket error'));
    ws.once('close', (code) => {
      metrics.socketCloses.inc({ code: String(code) });
      transport.dispose();
      bridge.transportClosed();
    });
    return bridge;
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** A ws socket as the bridge sees it: its egress bound and per-tick write batching. */
class SocketTransport implements MediaStreamsTransport {
  private corked = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly backpressure: SocketBackpressure,
  ) {}

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  admit(lane: 'data' | 'control'): boolean {
    return this.backpressure.admit(lane);
  }

  get writable(): boolean {
    return this.backpressure.writable;
  }

  onceWritable(resume: () => void): void {
    this.backpressure.onceWritable(resume);
  }

  dispose(): void {
    this.backpressure.dispose();
  }

  send(text: string): void {
    this.cork();
    this.ws.send(text);
  }

  close(code: number, reason: string): void {
    // A paused socket would never read the peer's close frame.
    if (this.ws.isPaused) this.ws.resume();
    this.ws.close(code, truncateReason(reason));
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  /** A burst of frames in one tick (a turn's first second of audio) leaves in one write instead of one each. */
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
}

/** Close reasons are limited to 123 bytes by the protocol. */
function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= 123 ? reason : bytes.subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '') + '...';
}
