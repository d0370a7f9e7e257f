import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Metrics } from '../observe/metrics.js';
import { SocketBackpressure } from './socket-backpressure.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  while (cleanup.length > 0) cleanup.pop()!();
});

type Paused = { _socket: { pause(): void; resume(): void } };

/** A server-side socket whose client has stopped reading. */
async function stalledPair(): Promise<{ server: WebSocket; client: WebSocket }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  cleanup.push(() => wss.close());
  const accepted = once(wss, 'connection');
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  client.on('error', () => undefined);
  cleanup.push(() => client.terminate());
  const [server] = (await accepted) as [WebSocket];
  server.on('error', () => undefined);
  await once(client, 'open');
  (client as unknown as Paused)._socket.pause();
  return { server, client };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

const HIGH = 64 * 1024;
const CHUNK = Buffer.alloc(16 * 1024);

describe('SocketBackpressure', () => {
  test('a reader that stops reading makes the socket unwritable; producers are resumed once it reads again', async () => {
    const metrics = new Metrics();
    const { server, client } = await stalledPair();
    const bound = new SocketBackpressure(server, HIGH, metrics);
    // Fill past the mark; the kernel's socket buffers fill first, then ws's own count grows.
    while (bound.writable) {
      server.send(CHUNK);
      await new Promise((resolve) => setImmediate(resolve));
    }
    let resumed = 0;
    bound.onceWritable(() => (resumed += 1));
    bound.onceWritable(() => (resumed += 1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(resumed).toBe(0);
    (client as unknown as Paused)._socket.resume();
    await until(() => resumed === 2);
    expect(bound.writable).toBe(true);
    expect(await metrics.registry.getSingleMetricAsString('baton_egress_backpressure_total')).toMatch(/ 2$/m);
  });

  test('above twice the mark Data is refused and Control still goes; above four times the reader is cut off', async () => {
    const metrics = new Metrics();
    const { server } = await stalledPair();
    const bound = new SocketBackpressure(server, HIGH, metrics);
    const fill = async (bytes: number) => {
      while (server.bufferedAmount <= bytes) {
        server.send(CHUNK);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await fill(2 * HIGH);
    expect(bound.admit('data')).toBe(false);
    expect(bound.admit('telemetry')).toBe(false);
    expect(bound.admit('control')).toBe(true);
    await fill(4 * HIGH);
    const closed = once(server, 'close');
    expect(bound.admit('control')).toBe(false);
    await closed;
    expect(await metrics.registry.getSingleMetricAsString('baton_socket_closes_total')).toContain('code="slow_reader"');
  });

  test('a writable socket resumes a waiter on a later tick, never synchronously', async () => {
    const { server, client } = await stalledPair();
    (client as unknown as Paused)._socket.resume();
    const bound = new SocketBackpressure(server, HIGH, new Metrics());
    let resumed = false;
    bound.onceWritable(() => (resumed = true));
    expect(resumed).toBe(false);
    await Promise.resolve();
    expect(resumed).toBe(true);
  });

  test('dispose drops waiters: a closed socket resumes nobody', async () => {
    const { server, client } = await stalledPair();
    const bound = new SocketBackpressure(server, HIGH, new Metrics());
    while (bound.writable) {
      server.send(CHUNK);
      await new Promise((resolve) => setImmediate(resolve));
    }
    let resumed = false;
    bound.onceWritable(() => (resumed = true));
    bound.dispose();
    (client as unknown as Paused)._socket.resume();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(resumed).toBe(false);
  });
});
