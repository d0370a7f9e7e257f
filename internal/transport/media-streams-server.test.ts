// The media-streams endpoint's socket edge with real sockets: refusals before
// the upgrade (401, 400, 404, 503), the subprotocol, frame limits, the shared
// heartbeat and drain of the Connections registry, and a call from start to
// the 1000 close after stop. Session logic runs on the virtual clock of
// test/support/kernel-sim.ts; only the sockets are real.
import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { KernelSim } from '../../test/support/kernel-sim.js';
import { Tenants } from '../tenancy/tenants.js';
import { createRootLogger } from '../observe/logger.js';
import { Metrics } from '../observe/metrics.js';
import { Connections } from './connections.js';
import { MediaStreamsServer, TWILIO_SUBPROTOCOL, isMediaStreamsRequest } from './media-streams.js';

const KEY = 'media-streams-test-key-0123456789';
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'media-streams');
const fixtureText = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const cleanup: (() => void)[] = [];
afterEach(() => {
  while (cleanup.length > 0) cleanup.pop()!();
});

async function endpoint(opts: { maxFrameBytes?: number; heartbeatMs?: number; maxPerTenant?: number } = {}) {
  const sim = new KernelSim();
  const metrics = new Metrics();
  const connections = new Connections({ maxPerTenant: opts.maxPerTenant ?? 100, heartbeatMs: opts.heartbeatMs ?? 60_000, metrics });
  const state = { accepting: true };
  const server = new MediaStreamsServer({
    sessions: sim.manager,
    pipelines: sim.registry,
    tenants: new Tenants([{ name: 'dev', key: KEY }]),
    connections,
    clock: sim.clock,
    metrics,
    logger: createRootLogger({ level: 'silent' }),
    maxFrameBytes: opts.maxFrameBytes ?? 1024 * 1024,
    egressBufferBytes: 256 * 1024,
    accepting: () => state.accepting,
  });
  const http: Server = createServer((_req, res) => res.end());
  http.on('upgrade', (req, socket, head) => server.handleUpgrade(req, socket, head));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  cleanup.push(() => {
    connections.stop();
    http.closeAllConnections();
    http.close();
  });
  const base = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { sim, metrics, connections, state, base };
}

/** Connects and resolves with the open socket, or with the HTTP status of a refused upgrade. */
function connect(url: string, options: { headers?: Record<string, string>; protocols?: string[]; autoPong?: boolean } = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {}, autoPong: options.autoPong ?? true });
    cleanup.push(() => ws.terminate());
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

async function open(url: string, options: Parameters<typeof connect>[1] = {}): Promise<WebSocket> {
  const ws = await connect(url, options);
  if (typeof ws === 'number') throw new Error(`upgrade refused with ${ws}`);
  return ws;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

describe('GET /v1/media-streams', () => {
  test('isMediaStreamsRequest picks the endpoint by path, whatever the query', () => {
    expect(isMediaStreamsRequest({ url: '/v1/media-streams?pipeline=demo&token=x' } as never)).toBe(true);
    expect(isMediaStreamsRequest({ url: '/v1/media-streams' } as never)).toBe(true);
    expect(isMediaStreamsRequest({ url: '/v1/stream' } as never)).toBe(false);
    expect(isMediaStreamsRequest({ url: '/v1/media-streams/x' } as never)).toBe(false);
  });

  test('the tenant key is required before the upgrade, as a Bearer header or ?token=; the pipeline must exist', async () => {
    const { base } = await endpoint();
    expect(await connect(`${base}/v1/media-streams`)).toBe(401);
    expect(await connect(`${base}/v1/media-streams?token=wrong-key-0123456789`)).toBe(401);
    expect(await connect(`${base}/v1/media-streams`, { headers: { authorization: 'Bearer wrong-key-0123456789' } })).toBe(401);
    expect(await connect(`${base}/v1/media-streams?pipeline=nope&token=${KEY}`)).toBe(404);
    expect(await connect(`${base}/v1/media-streams?pipeline=&token=${KEY}`)).toBe(400);
    expect(await connect(`${base}/v1/media-streams?pipeline=${'p'.repeat(129)}&token=${KEY}`)).toBe(400);
    expect(await connect(`${base}/v1/media-streams?token=${KEY}`)).toBeInstanceOf(WebSocket);
    expect(await connect(`${base}/v1/media-streams?pipeline=voice`, { headers: { authorization: `Bearer ${KEY}` } })).toBeInstanceOf(WebSocket);
  });

  test('a draining kernel refuses with 503; a tenant at its stream limit with 429', async () => {
    const draining = await endpoint();
    draining.state.accepting = false;
    expect(await connect(`${draining.base}/v1/media-streams?token=${KEY}`)).toBe(503);
    const limited = await endpoint({ maxPerTenant: 1 });
    await open(`${limited.base}/v1/media-streams?token=${KEY}`);
    expect(await connect(`${limited.base}/v1/media-streams?token=${KEY}`)).toBe(429);
  });

  test('audio.twilio.com is selected when offered; no subprotocol is needed, and other offers are not refused', async () => {
    const { base } = await endpoint();
    expect((await open(`${base}/v1/media-streams?token=${KEY}`, { protocols: [TWILIO_SUBPROTOCOL] })).protocol).toBe(TWILIO_SUBPROTOCOL);
    expect((await open(`${base}/v1/media-streams?token=${KEY}`)).protocol).toBe('');
  });

  test('a call: start opens the session, stop ends it and the kernel closes with 1000', async () => {
    const { sim, base, connections } = await endpoint();
    const ws = await open(`${base}/v1/media-streams?pipeline=demo&token=${KEY}`);
    await until(() => connections.size === 1);
    ws.send(fixtureText('connected.json'));
    ws.send(fixtureText('start.json'));
    await until(() => sim.manager.size === 1);
    const done = closed(ws);
    ws.send(fixtureText('stop.json'));
    await until(() => sim.scheduler.hasWork());
    await sim.settle();
    expect(await done).toEqual({ code: 1000, reason: 'stream_stopped' });
    expect(sim.manager.size).toBe(0);
    await until(() => connections.size === 0);
  });

  test('binary frames close with 1003, malformed JSON with 1008, a frame over the limit with 1009; the process keeps serving', async () => {
    const { base } = await endpoint({ maxFrameBytes: 4096 });
    const binary = await open(`${base}/v1/media-streams?token=${KEY}`);
    const binaryClosed = closed(binary);
    binary.send(Buffer.from([0x7b, 0x7d]));
    expect((await binaryClosed).code).toBe(1003);

    const malformed = await open(`${base}/v1/media-streams?token=${KEY}`);
    const malformedClosed = closed(malformed);
    malformed.send('{"event":');
    expect(await malformedClosed).toEqual({ code: 1008, reason: 'frame is not JSON' });

    const large = await open(`${base}/v1/media-streams?token=${KEY}`);
    const largeClosed = closed(large);
    large.send(JSON.stringify({ event: 'media', media: { payload: 'A'.repeat(8192) } }));
    expect((await largeClosed).code).toBe(1009);

    expect(await connect(`${base}/v1/media-streams?token=${KEY}`)).toBeInstanceOf(WebSocket);
  });

  test('media-streams sockets are in the kernel-wide heartbeat (a peer that stops answering pings is cut off) and drain (1001)', async () => {
    const { base, connections, sim } = await endpoint();
    const silent = await open(`${base}/v1/media-streams?token=${KEY}`, { autoPong: false });
    const silentClosed = closed(silent);
    const live = await open(`${base}/v1/media-streams?token=${KEY}`);
    live.send(fixtureText('start.json'));
    await until(() => connections.size === 2);
    await until(() => sim.manager.size === 1);
    const pinged = once(live, 'ping');
    connections.beat();
    await pinged;
    // The live peer's pong is on the wire before this frame; once the session has the frame, the pong was read.
    live.send(fixtureText('dtmf.json'));
    await until(() => sim.scheduler.hasWork());
    connections.beat();
    expect((await silentClosed).code).toBe(1006);
    await until(() => connections.size === 1);

    const liveClosed = closed(live);
    connections.closeAll(1001, 'kernel draining');
    expect(await liveClosed).toEqual({ code: 1001, reason: 'kernel draining' });
    await until(() => connections.size === 0);
  });
});
