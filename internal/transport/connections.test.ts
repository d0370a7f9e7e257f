import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Metrics } from '../observe/metrics.js';
import { Connections } from './connections.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  while (cleanup.length > 0) cleanup.pop()!();
});

/** A server whose every accepted socket is tracked for `tenant`, and a way to connect to it. */
async function serverWith(connections: Connections, tenant = 'acme') {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const closes: [number, string][] = [];
  wss.on('connection', (ws) => {
    connections.track(ws, tenant, 'stream', (code, reason) => {
      closes.push([code, reason]);
      ws.close(code, reason);
    });
  });
  cleanup.push(() => wss.close());
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const connect = async (): Promise<WebSocket> => {
    const ws = new WebSocket(url);
    ws.on('error', () => undefined);
    cleanup.push(() => ws.terminate());
    await once(ws, 'open');
    return ws;
  };
  return { connect, closes };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

describe('Connections', () => {
  test('a tenant at its limit is refused with 429 before the upgrade; other tenants are not affected; a closed socket frees its slot', async () => {
    const metrics = new Metrics();
    const connections = new Connections({ maxPerTenant: 2, heartbeatMs: 60_000, metrics });
    cleanup.push(() => connections.stop());
    const { connect } = await serverWith(connections);
    for (let i = 0; i < 2; i++) expect(connections.reserve('acme')).toEqual({ ok: true });
    const first = await connect();
    await connect();
    await until(() => connections.countFor('acme') === 2 && connections.size === 2);
    const refused = connections.reserve('acme');
    expect(refused).toMatchObject({ ok: false, status: 429 });
    expect(refused.ok ? '' : refused.message).toMatch(/max_connections_per_tenant/);
    expect(connections.reserve('globex')).toEqual({ ok: true });
    connections.release('globex');
    first.close();
    await until(() => connections.countFor('acme') === 1);
    expect(connections.reserve('acme')).toEqual({ ok: true });
    const text = await metrics.registry.getSingleMetricAsString('baton_connections_refused_total');
    expect(text).toContain('baton_connections_refused_total{reason="tenant_limit"} 1');
  });

  test('reservations count toward the limit while handshakes are in flight, and a failed upgrade releases its slot', () => {
    const connections = new Connections({ maxPerTenant: 1, heartbeatMs: 60_000, metrics: new Metrics() });
    cleanup.push(() => connections.stop());
    expect(connections.reserve('acme').ok).toBe(true);
    expect(connections.reserve('acme').ok).toBe(false);
    connections.release('acme');
    expect(connections.countFor('acme')).toBe(0);
    expect(connections.reserve('acme').ok).toBe(true);
  });

  test('the heartbeat terminates a peer that stopped answering pings and keeps one that answers', async () => {
    const connections = new Connections({ maxPerTenant: 10, heartbeatMs: 60_000, metrics: new Metrics() });
    cleanup.push(() => connections.stop());
    const { connect } = await serverWith(connections);
    connections.reserve('acme');
    connections.reserve('acme');
    const dead = await connect();
    const live = await connect();
    await until(() => connections.size === 2);
    // A peer whose process hangs: its socket is never read, so no pong comes back.
    (dead as unknown as { _socket: { pause(): void } })._socket.pause();
    connections.beat();
    await new Promise((resolve) => setTimeout(resolve, 50));
    connections.beat();
    await until(() => connections.size === 1);
    expect(live.readyState).toBe(WebSocket.OPEN);
  });

  test('closeAll asks every socket owner to close with the drain code', async () => {
    const connections = new Connections({ maxPerTenant: 10, heartbeatMs: 60_000, metrics: new Metrics() });
    cleanup.push(() => connections.stop());
    const { connect, closes } = await serverWith(connections);
    connections.reserve('acme');
    connections.reserve('acme');
    const a = await connect();
    const b = await connect();
    await until(() => connections.size === 2);
    const codes = Promise.all([a, b].map((ws) => once(ws, 'close').then(([code]) => code as number)));
    connections.closeAll(1001, 'kernel draining');
    expect(await codes).toEqual([1001, 1001]);
    expect(closes).toEqual([
      [1001, 'kernel draining'],
      [1001, 'kernel draining'],
    ]);
    await until(() => connections.size === 0);
  });
});
