// The gRPC server's own rules (DESIGN 4.1 order of checks, 5.2 statuses),
// over real gRPC with stand-in handlers: a body that does not decode is
// INVALID_ARGUMENT after authentication (never grpc-js's INTERNAL), also
// inside a client stream whose handler never sees it; a status message that
// echoes huge input is cut to fit a trailer, so the call still ends; and
// shutdown ends health watches (already NOT_SERVING) instead of waiting out
// the grace for them.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import fc from 'fast-check';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { afterEach, describe, expect, test } from 'vitest';
import { RawControlClient, controlMethods, encodeRequest, undecodable } from '../../test/support/hostile-grpc.js';
import { createRootLogger } from '../observe/logger.js';
import { Metrics } from '../observe/metrics.js';
import { Tenants } from '../tenancy/tenants.js';
import { type ControlHandlers, ControlServer, ServiceError } from './grpc-server.js';
import { MAX_STATUS_MESSAGE_BYTES, encodedLength } from './status-message.js';

const KEY = 'grpc-server-test-key-0123456789';
const auth = { authorization: `Bearer ${KEY}`, deadlineMs: 5000 };
const method = (name: string) => controlMethods().find((m) => m.name === name)!;
/** Unknown field 15 opened as a group 100,000 times: protobufjs overflows its stack skipping it. */
const NESTED = Buffer.concat([Buffer.alloc(100_000, 0x7b), Buffer.alloc(100_000, 0x7c)]);
/** Unknown field 15 as a varint that never ends. */
const TRUNCATED = Buffer.from([0x78, 0xff]);

let server: ControlServer | undefined;
let client: RawControlClient | undefined;

async function serve(handlers: ControlHandlers): Promise<{ server: ControlServer; client: RawControlClient; address: string }> {
  server = new ControlServer({ tenants: new Tenants([{ name: 'dev', key: KEY }]), handlers, metrics: new Metrics({ processMetrics: false }), logger: createRootLogger({ level: 'silent' }), maxDeadlineMs: 5000 });
  const port = await server.bind('127.0.0.1', 0);
  server.setServing(true);
  client = new RawControlClient(`127.0.0.1:${port}`);
  return { server, client, address: `127.0.0.1:${port}` };
}

afterEach(async () => {
  client?.close();
  await server?.shutdown(100);
  server = client = undefined;
});

describe('request bodies that do not decode', () => {
  test('a unary body that does not decode is INVALID_ARGUMENT naming the method; without credentials it is UNAUTHENTICATED first; the handler never runs', async () => {
    let ran = 0;
    const { client } = await serve({
      Sessions: {
        GetSession: {
          unary: () => {
            ran += 1;
            return {};
          },
        },
      },
    });
    for (const body of [NESTED, TRUNCATED]) {
      expect(undecodable(method('Sessions.GetSession').requestType, body)).toBe(true);
      const authed = await client.call(method('Sessions.GetSession'), [body], auth);
      expect([grpc.status[authed.code], authed.details]).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/^Sessions\.GetSession: the request is not a valid protobuf message/)]);
      const anonymous = await client.call(method('Sessions.GetSession'), [body], { deadlineMs: 5000 });
      expect(grpc.status[anonymous.code]).toBe('UNAUTHENTICATED');
    }
    expect(ran).toBe(0);
  });

  test('a server-stream request that does not decode is INVALID_ARGUMENT', async () => {
    const { client } = await serve({ Sessions: { WatchSession: { serverStream: async () => undefined } } });
    const result = await client.call(method('Sessions.WatchSession'), [NESTED], auth);
    expect(grpc.status[result.code]).toBe('INVALID_ARGUMENT');
  });

  test('a client stream with an undecodable message fails INVALID_ARGUMENT; its handler sees the messages before it and then the end, never the bad one', async () => {
    const handled: unknown[][] = [];
    const { client } = await serve({
      Timelines: {
        ReplayTimeline: {
          clientStream: async (_ctx, call) => {
            const seen: unknown[] = [];
            handled.push(seen);
            for await (const record of call) seen.push(record);
            return { records: seen.length };
          },
        },
      },
    });
    const replay = method('Timelines.ReplayTimeline');
    const good = encodeRequest(replay.requestType, { index: 1, session_id: 's-1' });
    const result = await client.call(replay, [good, NESTED, good], auth);
    expect([grpc.status[result.code], result.details]).toEqual(['INVALID_ARGUMENT', expect.stringContaining('Timelines.ReplayTimeline')]);
    // The handler's stream ends after the good message; give its loop the turn it needs to finish.
    await new Promise((r) => setImmediate(r));
    expect(handled).toHaveLength(1);
    expect(handled[0]!.every((record) => typeof record === 'object' && record !== null && (record as { session_id?: string }).session_id === 's-1')).toBe(true);
    const ok = await client.call(replay, [good, good], auth);
    expect([grpc.status[ok.code], ok.messages.length]).toEqual(['OK', 1]);
  });
});

describe('status messages', () => {
  test('for any message a handler throws, the status the client gets fits a gRPC trailer and the call ends', async () => {
    let message = '';
    const { client } = await serve({
      Sessions: {
        GetSession: {
          unary: () => {
            throw new ServiceError(grpc.status.NOT_FOUND, message);
          },
        },
      },
    });
    const get = method('Sessions.GetSession');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'grapheme', maxLength: 64 }), fc.integer({ min: 4000, max: 300_000 }).map((n) => `no session ${'x'.repeat(n)}`), fc.string({ unit: 'binary', minLength: 2000, maxLength: 5000 })),
        async (text) => {
          message = text;
          const result = await client.call(get, [encodeRequest(get.requestType, { session_id: 's' })], auth);
          expect(grpc.status[result.code]).toBe('NOT_FOUND');
          expect(encodedLength(result.details)).toBeLessThanOrEqual(MAX_STATUS_MESSAGE_BYTES);
          if (encodedLength(text) <= MAX_STATUS_MESSAGE_BYTES) expect(result.details).toBe(text);
          else expect(result.details.endsWith('...')).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('shutdown', () => {
  test('ends open health watches, which have already seen NOT_SERVING, instead of waiting out the grace for them', async () => {
    const { server, address } = await serve({});
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, { keepCase: true, enums: String })) as unknown as {
      grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client & { Watch(req: object): grpc.ClientReadableStream<{ status: string }> } } } };
    };
    const health = new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
    const statuses: string[] = [];
    const watch = health.Watch({ service: '' });
    watch.on('data', (update: { status: string }) => statuses.push(update.status));
    watch.on('error', () => undefined);
    const ended = new Promise<string>((resolve) => watch.on('status', (s: grpc.StatusObject) => resolve(grpc.status[s.code]!)));
    while (statuses.length === 0) await new Promise((r) => setTimeout(r, 5));
    server.startDraining();
    // A grace far longer than the test's timeout: only ending the watch lets shutdown return.
    await server.shutdown(600_000);
    expect(await ended).toBe('OK');
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
    health.close();
  });
});
