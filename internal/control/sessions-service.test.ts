// The Sessions control plane (DESIGN 5.2) over real gRPC against an in-process
// kernel on the virtual clock: every method's answer and documented error
// status, credentials, tenancy, client deadlines and cancellation, and the
// WatchSession stream.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadControlPlane } from '../../api/controlplane/loader.js';
import { KernelSim, type SimSession } from '../../test/support/kernel-sim.js';
import { createRootLogger } from '../observe/logger.js';
import { Metrics } from '../observe/metrics.js';
import { Tenants } from '../tenancy/tenants.js';
import { type CallContext, ControlServer, type ServiceHandlers } from './grpc-server.js';
import { sessionsService } from './sessions-service.js';

const DEV_KEY = 'dev-tenant-key-0123456789';
const OTHER_KEY = 'other-tenant-key-0123456789';
const LONG_TEXT = Array.from({ length: 12 }, () => 'a long answer keeps the mock pipeline speaking for a while').join(' ');
const UNARY = ['OpenSession', 'GetSession', 'ListSessions', 'CloseSession', 'ProposeTurn', 'CancelTurn'] as const;
type Unary = (typeof UNARY)[number];
type Answer = { ok: true; value: any } | { ok: false; code: string; details: string };

let server: ControlServer;
let client: grpc.Client;
let serving: ServiceHandlers = {};
let tenants: Tenants;

beforeAll(async () => {
  tenants = new Tenants([
    { name: 'dev', key: DEV_KEY },
    { name: 'other', key: OTHER_KEY },
  ]);
  const forward: ServiceHandlers = Object.fromEntries(
    UNARY.map((m) => [m, { unary: (ctx: CallContext, req: unknown) => (serving[m] as { unary: (c: CallContext, r: unknown) => unknown }).unary(ctx, req) }]),
  );
  forward['WatchSession'] = {
    serverStream: (ctx, req, call) => (serving['WatchSession'] as { serverStream: (c: CallContext, r: unknown, s: typeof call) => Promise<void> }).serverStream(ctx, req, call),
  };
  server = new ControlServer({ tenants, handlers: { Sessions: forward }, metrics: new Metrics(), logger: createRootLogger({ level: 'silent' }), maxDeadlineMs: 10_000 });
  const port = await server.bind('127.0.0.1', 0);
  server.setServing(true);
  const Sessions = loadControlPlane().grpcObject.baton.v1.Sessions as unknown as grpc.ServiceClientConstructor;
  client = new Sessions(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await server?.shutdown(1000);
});

function metadata(key: string | null): grpc.Metadata {
  const md = new grpc.Metadata();
  if (key !== null) md.set('authorization', `Bearer ${key}`);
  return md;
}

function world(sim = new KernelSim()) {
  serving = sessionsService({ sessions: sim.manager, tenants, publicUrl: () => 'ws://kernel.test:8080', wallNow: () => sim.clock.wallNow(), tokenTtlMs: 60_000 });
  const call = (method: Unary, request: Record<string, unknown>, key: string | null = DEV_KEY, deadlineMs = 10_000): Promise<Answer> =>
    new Promise((resolve) => {
      const unary = (client as unknown as Record<Unary, (...args: unknown[]) => void>)[method].bind(client);
      unary(request, metadata(key), { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, value: unknown) => {
        resolve(err ? { ok: false, code: grpc.status[err.code], details: err.details } : { ok: true, value });
      });
    });
  return { sim, call };
}

const codeOf = (answer: Answer) => (answer.ok ? 'OK' : answer.code);
const valueOf = (answer: Answer) => {
  if (!answer.ok) throw new Error(`expected OK, got ${answer.code}: ${answer.details}`);
  return answer.value;
};

async function opened(w: ReturnType<typeof world>): Promise<SimSession> {
  const g = await w.sim.open();
  return g;
}

describe('OpenSession', () => {
  test('answers a session id, its epoch, a session token valid for that session and the stream URL', async () => {
    const w = world();
    const res = valueOf(await w.call('OpenSession', { pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 }));
    expect(res.session_id).toMatch(/^s-/);
    expect(Number(res.epoch)).toBeGreaterThanOrEqual(1);
    expect(res.stream_url).toBe(`ws://kernel.test:8080/v1/sessions/${res.session_id}/stream`);
    expect(tenants.verifySessionToken(res.session_token, res.session_id, w.sim.clock.wallNow())).toEqual({ ok: true, tenant: 'dev' });
    expect(tenants.verifySessionToken(res.session_token, 's-other', w.sim.clock.wallNow()).ok).toBe(false);
    // Defaults: the demo pipeline, pcm16 at 16 kHz.
    const defaults = valueOf(await w.call('OpenSession', {}));
    const session = w.sim.manager.find('dev', defaults.session_id)!;
    expect([session.version.name, session.codec, session.sample_rate]).toEqual(['demo', 'pcm16', 16000]);
  });

  test('an unknown codec or a rate the codec does not support is INVALID_ARGUMENT; an unknown pipeline NOT_FOUND; over quota RESOURCE_EXHAUSTED', async () => {
    const w = world(new KernelSim({ limits: { max_sessions_per_tenant: 1 } }));
    const codec = await w.call('OpenSession', { pipeline: 'demo', codec: 'opus', sample_rate: 16000 });
    expect([codeOf(codec), codec.ok ? '' : codec.details]).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/codec/)]);
    expect(codeOf(await w.call('OpenSession', { pipeline: 'demo', codec: 'mulaw', sample_rate: 16000 }))).toBe('INVALID_ARGUMENT');
    const missing = await w.call('OpenSession', { pipeline: 'no-such-pipeline' });
    expect([codeOf(missing), missing.ok ? '' : missing.details]).toEqual(['NOT_FOUND', expect.stringMatching(/no-such-pipeline/)]);
    expect(codeOf(await w.call('OpenSession', {}))).toBe('OK');
    expect(codeOf(await w.call('OpenSession', {}))).toBe('RESOURCE_EXHAUSTED');
    // The quota is per tenant.
    expect(codeOf(await w.call('OpenSession', {}, OTHER_KEY))).toBe('OK');
  });
});

describe('GetSession, ListSessions, CloseSession', () => {
  test('GetSession describes the session; a missing id is INVALID_ARGUMENT, an unknown or foreign one NOT_FOUND', async () => {
    const w = world();
    const g = await opened(w);
    const got = valueOf(await w.call('GetSession', { session_id: g.id }));
    expect(got).toMatchObject({ session_id: g.id, pipeline: 'demo', codec: 'pcm16', sample_rate: 16000, state: 'open', holder: 'sim-kernel', connected: true });
    expect(codeOf(await w.call('GetSession', {}))).toBe('INVALID_ARGUMENT');
    expect(codeOf(await w.call('GetSession', { session_id: 's-nope' }))).toBe('NOT_FOUND');
    expect(codeOf(await w.call('GetSession', { session_id: g.id }, OTHER_KEY))).toBe('NOT_FOUND');
  });

  test('ListSessions pages through the tenant sessions only, in id order; a token it did not mint is INVALID_ARGUMENT', async () => {
    const w = world();
    const mine = [await opened(w), await opened(w), await opened(w)].map((g) => g.id).sort();
    await w.call('OpenSession', {}, OTHER_KEY);
    const seen: string[] = [];
    let token = '';
    for (let page = 0; page < 5; page++) {
      const res = valueOf(await w.call('ListSessions', { page_size: 2, page_token: token }));
      seen.push(...res.sessions.map((s: { session_id: string }) => s.session_id));
      expect(res.sessions.length).toBeLessThanOrEqual(2);
      token = res.next_page_token;
      if (!token) break;
    }
    expect(seen).toEqual(mine);
    expect(codeOf(await w.call('ListSessions', { page_token: '***not a token***' }))).toBe('INVALID_ARGUMENT');
  });

  test('CloseSession ends the session (session.ended, close 1000) and answers closed; unknown or foreign ids are NOT_FOUND', async () => {
    const w = world();
    const g = await opened(w);
    expect(codeOf(await w.call('CloseSession', { session_id: g.id }, OTHER_KEY))).toBe('NOT_FOUND');
    expect(g.session.ended).toBe(false);
    expect(valueOf(await w.call('CloseSession', { session_id: g.id, reason: 'caller_hung_up' }))).toEqual({ session_id: g.id, closed: true });
    expect(g.last('session.ended')?.payload).toEqual({ reason: 'caller_hung_up' });
    expect(g.closes).toEqual([{ code: 1000, reason: 'caller_hung_up' }]);
    expect(codeOf(await w.call('CloseSession', { session_id: g.id }))).toBe('NOT_FOUND');
    expect(codeOf(await w.call('CloseSession', {}))).toBe('INVALID_ARGUMENT');
  });
});

describe('ProposeTurn and CancelTurn', () => {
  test('ProposeTurn opens a turn, rejects a second one while it is active, and answers a stale epoch as STALE_EPOCH (an answer, not a status)', async () => {
    const w = world();
    const g = await opened(w);
    const epoch = g.session.epoch;
    const first = valueOf(await w.call('ProposeTurn', { session_id: g.id, epoch, text: LONG_TEXT }));
    expect(first).toMatchObject({ outcome: 'TURN_OUTCOME_OPENED', turn_id: 't-1' });
    expect(first.plan_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(valueOf(await w.call('ProposeTurn', { session_id: g.id, epoch, text: 'again' }))).toMatchObject({ outcome: 'TURN_OUTCOME_REJECTED', turn_id: '', reason: 'turn_active' });
    for (const stale of [0, epoch + 1]) {
      expect(valueOf(await w.call('ProposeTurn', { session_id: g.id, epoch: stale, text: 'x' }))).toMatchObject({ outcome: 'TURN_OUTCOME_STALE_EPOCH', turn_id: '' });
    }
    expect(codeOf(await w.call('ProposeTurn', { epoch, text: 'x' }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(await w.call('ProposeTurn', { session_id: g.id, epoch, text: 'x' }, OTHER_KEY))).toBe('NOT_FOUND');
  });

  test('CancelTurn fences the active turn with its played_ms; stale epoch ABORTED, closed turn FAILED_PRECONDITION, unknown turn NOT_FOUND, missing ids INVALID_ARGUMENT', async () => {
    const w = world();
    const g = await opened(w);
    const epoch = g.session.epoch;
    valueOf(await w.call('ProposeTurn', { session_id: g.id, epoch, text: LONG_TEXT }));
    await w.sim.advance(300);
    expect(codeOf(await w.call('CancelTurn', { session_id: g.id, turn_id: 't-1', epoch: epoch + 1 }))).toBe('ABORTED');
    expect(codeOf(await w.call('CancelTurn', { session_id: g.id, turn_id: 't-1', epoch: 0 }))).toBe('ABORTED');
    expect(codeOf(await w.call('CancelTurn', { session_id: g.id, turn_id: 't-9', epoch }))).toBe('NOT_FOUND');
    const cancelled = valueOf(await w.call('CancelTurn', { session_id: g.id, turn_id: 't-1', epoch, reason: 'operator' }));
    expect(cancelled.fenced).toBe(true);
    expect(Number(cancelled.played_ms)).toBeGreaterThanOrEqual(0);
    const clear = g.out.findIndex((e) => e.kind === 'output.clear');
    expect(g.out.slice(clear).filter((e) => e.turn_id === 't-1').map((e) => e.kind)).toEqual(['output.clear', 'turn.aborted', 'turn.closed']);
    expect(codeOf(await w.call('CancelTurn', { session_id: g.id, turn_id: 't-1', epoch }))).toBe('FAILED_PRECONDITION');
    expect(codeOf(await w.call('CancelTurn', { session_id: g.id, epoch }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(await w.call('CancelTurn', { turn_id: 't-1', epoch }))).toBe('INVALID_ARGUMENT');
  });
});

describe('credentials and deadlines', () => {
  test('every method without a key or with an unknown key is UNAUTHENTICATED and changes nothing', async () => {
    const w = world();
    const g = await opened(w);
    for (const method of UNARY) {
      const request = { session_id: g.id, turn_id: 't-1', epoch: g.session.epoch, text: 'x' };
      expect(codeOf(await w.call(method, request, null)), method).toBe('UNAUTHENTICATED');
      expect(codeOf(await w.call(method, request, 'not-a-key-0123456789')), method).toBe('UNAUTHENTICATED');
    }
    expect(g.session.ended).toBe(false);
    expect(g.kinds()).not.toContain('turn.opened');
  });

  test('a call whose deadline has already passed ends DEADLINE_EXCEEDED; a call cancelled by the client ends CANCELLED', async () => {
    const w = world();
    expect(codeOf(await w.call('ListSessions', {}, DEV_KEY, -1))).toBe('DEADLINE_EXCEEDED');
    const cancelled = await new Promise<string>((resolve) => {
      const call = (client as unknown as Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>)['OpenSession']!.bind(client)(
        {},
        metadata(DEV_KEY),
        (err: grpc.ServiceError | null) => resolve(err ? grpc.status[err.code] : 'OK'),
      );
      call.cancel();
    });
    expect(cancelled).toBe('CANCELLED');
  });
});

describe('WatchSession', () => {
  function watch(session_id: string, key: string | null = DEV_KEY) {
    const events: any[] = [];
    const stream = (client as unknown as Record<string, (...args: unknown[]) => grpc.ClientReadableStream<any>>)['WatchSession']!.bind(client)({ session_id }, metadata(key));
    const ended = new Promise<string>((resolve) => {
      stream.on('data', (event) => events.push(event));
      stream.on('error', (err: grpc.ServiceError) => resolve(grpc.status[err.code]));
      stream.on('end', () => resolve('OK'));
    });
    return { events, stream, ended };
  }

  async function until(check: () => boolean): Promise<void> {
    for (let i = 0; i < 400 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(check()).toBe(true);
  }

  test('streams every event the session sends, with its payload under the oneof member, and ends OK with session.ended', async () => {
    const w = world();
    const g = await opened(w);
    const watcher = watch(g.id);
    // The stream is live once the server holds its listener.
    await until(() => (g.session as unknown as { watchers: Set<unknown> }).watchers.size === 1);
    g.send('turn.request', { text: 'hello' });
    await w.sim.advance(100);
    await until(() => watcher.events.some((e) => e.kind === 'turn.active'));
    const turnOpened = watcher.events.find((e) => e.kind === 'turn.opened');
    expect(turnOpened).toMatchObject({ session_id: g.id, turn_id: 't-1', payload: 'turn_opened' });
    expect(turnOpened.turn_opened.plan_hash).toMatch(/^[0-9a-f]{64}$/);
    const sent = g.out.filter((e) => e.kind !== 'session.started').map((e) => Number(e.seq));
    await until(() => watcher.events.length >= sent.length);
    expect(watcher.events.map((e) => Number(e.seq))).toEqual(sent.slice(0, watcher.events.length));
    w.sim.manager.close('dev', g.id, 'done');
    expect(await watcher.ended).toBe('OK');
    expect(watcher.events.at(-1).kind).toBe('session.ended');
  });

  test('a client that cancels its watch releases the server-side listener; unknown or foreign sessions are NOT_FOUND; no key UNAUTHENTICATED', async () => {
    const w = world();
    const g = await opened(w);
    const watchers = (g.session as unknown as { watchers: Set<unknown> }).watchers;
    const watcher = watch(g.id);
    await until(() => watchers.size === 1);
    watcher.stream.cancel();
    expect(await watcher.ended).toBe('CANCELLED');
    await until(() => watchers.size === 0);
    expect(await watch('s-nope').ended).toBe('NOT_FOUND');
    expect(await watch(g.id, OTHER_KEY).ended).toBe('NOT_FOUND');
    expect(await watch(g.id, null).ended).toBe('UNAUTHENTICATED');
  });
});
