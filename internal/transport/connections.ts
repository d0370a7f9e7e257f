// Every WebSocket the kernel accepts, whatever its dialect: per-tenant
// connection limits checked before the upgrade, one heartbeat that
// terminates peers that stop answering pings, socket gauges, and closing
// everything on drain. Endpoints own their protocol; this owns the sockets'
// lifetimes so a limit or a drain covers all of them at once.
import type { WebSocket } from 'ws';
import type { Metrics } from '../observe/metrics.js';

export type StreamEndpoint = 'stream' | 'session_stream' | 'media_streams';

export interface ConnectionsOptions {
  /** Open sockets one tenant may hold at once (all endpoints together). */
  maxPerTenant: number;
  /** Interval between pings; a peer that has not answered the previous ping by the next one is terminated. */
  heartbeatMs: number;
  metrics: Metrics;
}

export type Admission = { ok: true } | { ok: false; status: number; message: string };

/** What a tracked socket's owner is asked to do on drain (its own close path, so it can flush and record). */
export type CloseHandler = (code: number, reason: string) => void;

interface Tracked {
  readonly tenant: string;
  readonly endpoint: StreamEndpoint;
  readonly close: CloseHandler;
  alive: boolean;
}

export class Connections {
  private readonly sockets = new Map<WebSocket, Tracked>();
  private readonly perTenant = new Map<string, number>();
  /** Upgrades admitted but not yet tracked: counted so concurrent handshakes cannot overshoot the limit. */
  private readonly pending = new Map<string, number>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly opts: ConnectionsOptions) {
    this.heartbeat = setInterval(() => this.beat(), opts.heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.sockets.size;
  }

  countFor(tenant: string): number {
    return (this.perTenant.get(tenant) ?? 0) + (this.pending.get(tenant) ?? 0);
  }

  /**
   * Reserves a slot for `tenant` before the upgrade. Call `track` with the
   * upgraded socket, or `release` when the upgrade fails, exactly once.
   */
  reserve(tenant: string): Admission {
    if (this.countFor(tenant) >= this.opts.maxPerTenant) {
      this.opts.metrics.connectionsRefused.inc({ reason: 'tenant_limit' });
      return { ok: false, status: 429, message: `tenant already holds ${this.opts.maxPerTenant} open streams (max_connections_per_tenant)` };
    }
    this.pending.set(tenant, (this.pending.get(tenant) ?? 0) + 1);
    return { ok: true };
  }

  release(tenant: string): void {
    const left = (this.pending.get(tenant) ?? 0) - 1;
    if (left > 0) this.pending.set(tenant, left);
    else this.pending.delete(tenant);
  }

  /** Takes over a reserved slot with the upgraded socket; the slot frees when the socket closes. */
  track(ws: WebSocket, tenant: string, endpoint: StreamEndpoint, close: CloseHandler): void {
    this.release(tenant);
    const tracked: Tracked = { tenant, endpoint, close, alive: true };
    this.sockets.set(ws, tracked);
    this.perTenant.set(tenant, (this.perTenant.get(tenant) ?? 0) + 1);
    this.opts.metrics.sockets.inc({ endpoint });
    ws.on('pong', () => {
      tracked.alive = true;
    });
    ws.once('close', () => {
      this.sockets.delete(ws);
      const left = (this.perTenant.get(tenant) ?? 0) - 1;
      if (left > 0) this.perTenant.set(tenant, left);
      else this.perTenant.delete(tenant);
      this.opts.metrics.sockets.dec({ endpoint });
    });
  }

  /** Asks every socket's owner to close (drain: 1001). */
  closeAll(code: number, reason: string): void {
    for (const tracked of [...this.sockets.values()]) tracked.close(code, reason);
  }

  stop(): void {
    clearInterval(this.heartbeat);
  }

  /** One heartbeat round: terminate peers that missed the last ping, ping the rest. */
  beat(): void {
    for (const [ws, tracked] of this.sockets) {
      if (!tracked.alive) {
        this.opts.metrics.socketCloses.inc({ code: 'heartbeat_timeout' });
        ws.terminate();
        continue;
      }
      tracked.alive = false;
      try {
        ws.ping();
      } catch {
        // A socket closing under us: its close handler removes it.
      }
    }
  }
}
