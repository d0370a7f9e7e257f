// The kernel's one HTTP server: /healthz, /readyz, /metrics, the WebSocket
// upgrade routes and a hook for extra read-only routes (the operator page).
// It owns routing and HTTP-level refusals only; WebSocket sessions are handled
// by the gateway server it hands upgrades to.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Metrics } from '../observe/metrics.js';

export interface HealthState {
  /** The process is up and serving (false only while shutting down). */
  live(): boolean;
  /** Authority and config are ready and the kernel is not draining. */
  ready(): boolean;
}

export interface HttpServerOptions {
  metrics: Metrics;
  health: HealthState;
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Extra read-only routes (operator page); return false when the path is not theirs. */
  routes?: (req: IncomingMessage, res: ServerResponse) => boolean;
  tls?: { cert: Buffer; key: Buffer };
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/** Runs the extra routes; an exception there is a bug answered with 500, never a crash of the process. */
function routed(routes: HttpServerOptions['routes'], req: IncomingMessage, res: ServerResponse): boolean {
  if (!routes) return false;
  try {
    return routes(req, res);
  } catch {
    if (res.headersSent) res.destroy();
    else send(res, 500, 'internal error\n');
    return true;
  }
}

export function createKernelHttpServer(opts: HttpServerOptions): Server {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/healthz':
        send(res, opts.health.live() ? 200 : 503, opts.health.live() ? 'ok\n' : 'shutting down\n');
        return;
      case '/readyz':
        send(res, opts.health.ready() ? 200 : 503, opts.health.ready() ? 'ready\n' : 'not ready\n');
        return;
      case '/metrics':
        opts.metrics.text().then(
          (text) => send(res, 200, text, opts.metrics.contentType),
          (err: Error) => send(res, 500, `metrics failed: ${err.message}\n`),
        );
        return;
      default:
        if (routed(opts.routes, req, res)) return;
        send(res, 404, 'not found\n');
    }
  };
  const server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : createHttpServer(handler);
  server.on('upgrade', opts.onUpgrade);
  // A client that sends garbage must not crash the process or leave the socket open.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return server;
}


/** Refuses an upgrade with an HTTP status before any WebSocket handshake. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const text = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 503: 'Service Unavailable' }[status] ?? 'Error';
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
