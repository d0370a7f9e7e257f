// Draining a real kernel process (DESIGN 5.1, 5.2; docs/operations.md) while
// it is busy: gateways on baton.v1.proto, baton.v1.json and no subprotocol
// stream audio and hear a long answer, a control plane holds a session with a
// gRPC-proposed turn and a WatchSession stream, and a load balancer watches
// gRPC health. Then SIGTERM. The scenario runs once in beforeAll and records
// what every client saw; each test asserts one behaviour on it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ABORT_REASONS, type AnyEnvelope } from '../../api/eventabi/index.js';
import { type TimelineRecord, readTimelineFile, timelineFileName } from '../../internal/observe/timeline/index.js';
import { RawControlClient, type RawCallResult, controlMethods, controlRoot, decodeResponse, encodeRequest } from '../support/hostile-grpc.js';
import { type Encoding, GatewayClient, eventFrame } from '../support/hostile-ws.js';
import { DEV_KEY, type KernelProcess, startKernel } from './harness.js';

const GRACE_MS = 5000;
const LONG_TEXT = 'tell me a very long story about the sea, the wind, the lighthouse keeper, his dog and the storm that came at night';

interface GatewaySeen {
  name: string;
  session_id: string;
  /** Kinds of the active turn's events from output.clear on, and the session's after them. */
  tail: string[];
  clear: { reason: string } | undefined;
  aborted: { reason: string; played_ms: number } | undefined;
  ended: { reason: string } | undefined;
  audioAfterClear: number;
  close: number | undefined;
}

interface Seen {
  gateways: GatewaySeen[];
  watch: { status: string; kinds: string[]; aborted: { reason?: string } | undefined; ended: { reason?: string } | undefined };
  health: { statuses: string[]; ended: string };
  exit: { code: number | null; ms: number };
  timelines: { session_id: string; records: TimelineRecord[] | string }[];
}

const STATUS_NAMES = Object.fromEntries(Object.entries(grpc.status).map(([k, v]) => [v, k])) as Record<number, string>;

function summarize(name: string, client: GatewayClient, session_id: string): GatewaySeen {
  const events = client.log.flatMap((r) => (r.event ? [r.event] : []));
  const clearAt = events.findIndex((e) => e.kind === 'output.clear' && e.turn_id === 't-1');
  const after = clearAt >= 0 ? events.slice(clearAt) : [];
  const find = <K extends AnyEnvelope['kind']>(kind: K) => after.find((e) => e.kind === kind) as (AnyEnvelope & { kind: K }) | undefined;
  return {
    name,
    session_id,
    tail: after.filter((e) => e.kind !== 'audio.out' && e.kind !== 'transcript').map((e) => e.kind),
    clear: find('output.clear')?.payload,
    aborted: find('turn.aborted')?.payload,
    ended: find('session.ended')?.payload,
    audioAfterClear: after.filter((e) => e.kind === 'audio.out' && e.turn_id === 't-1').length,
    close: client.closeCode,
  };
}

describe('SIGTERM while sessions stream and turns speak', () => {
  let kernel: KernelProcess;
  let timelineDir: string;
  let seen: Seen;

  beforeAll(async () => {
    timelineDir = mkdtempSync(join(tmpdir(), 'baton-it-drain-'));
    kernel = await startKernel(['--drain-grace-ms', String(GRACE_MS), '--timeline-dir', timelineDir]);
    const control = new RawControlClient(kernel.grpc);
    const method = (name: string) => controlMethods().find((m) => m.name === name)!;
    const auth = { authorization: `Bearer ${DEV_KEY}`, deadlineMs: 10_000 };

    // Three gateways on /v1/stream, each streaming 20 ms of audio every 20 ms and hearing a long answer.
    const gateways: { name: string; client: GatewayClient; session_id: string; state: { encoding: Encoding; session_id: string; epoch: number; lastSeq: number } }[] = [];
    for (const [name, protocols] of [['proto', ['baton.v1.proto']], ['json', ['baton.v1.json']], ['none', []]] as const) {
      const client = await GatewayClient.connect(`ws://${kernel.http}/v1/stream`, [...protocols], { authorization: `Bearer ${DEV_KEY}` });
      if ('refused' in client) throw new Error(`refused ${client.status}`);
      const start = eventFrame('session.start', { pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 }, { encoding: client.encoding, session_id: '', epoch: 0, lastSeq: 0 });
      client.send(start.frame, client.encoding === 'proto');
      const started = await client.until(0, (r) => r.event?.kind === 'session.started');
      if (typeof started === 'string') throw new Error(`${name}: no session.started`);
      const payload = (started.event as AnyEnvelope & { kind: 'session.started' }).payload;
      const state = { encoding: client.encoding, session_id: payload.session_id, epoch: payload.epoch, lastSeq: start.seq };
      const request = eventFrame('turn.request', { text: LONG_TEXT }, state);
      state.lastSeq = request.seq;
      client.send(request.frame, client.encoding === 'proto');
      gateways.push({ name, client, session_id: payload.session_id, state });
    }
    const audio = new Uint8Array(640);
    const streaming = setInterval(() => {
      for (const { client, state } of gateways) {
        if (!client.open) continue;
        const frame = eventFrame('audio.in', { audio }, state);
        state.lastSeq = frame.seq;
        client.send(frame.frame, client.encoding === 'proto');
      }
    }, 20);

    // A control plane's session: opened and proposed over gRPC, streamed by a gateway, watched over gRPC.
    const opened = await control.call(method('Sessions.OpenSession'), [encodeRequest(method('Sessions.OpenSession').requestType, { pipeline: 'demo' })], auth);
    const session = decodeResponse<{ session_id: string; epoch: number; session_token: string; stream_url: string }>(method('Sessions.OpenSession').responseType, opened.messages[0]!);
    const streamed = await GatewayClient.connect(`${session.stream_url}?token=${encodeURIComponent(session.session_token)}`, ['baton.v1.proto']);
    if ('refused' in streamed) throw new Error(`stream_url refused ${streamed.status}`);
    await streamed.until(0, (r) => r.event?.kind === 'session.started');
    const watching: Promise<RawCallResult> = control.call(method('Sessions.WatchSession'), [encodeRequest(method('Sessions.WatchSession').requestType, { session_id: session.session_id })], {
      authorization: `Bearer ${DEV_KEY}`,
    });
    const proposed = await control.call(
      method('Sessions.ProposeTurn'),
      [encodeRequest(method('Sessions.ProposeTurn').requestType, { session_id: session.session_id, epoch: session.epoch, text: LONG_TEXT })],
      auth,
    );
    if (decodeResponse<{ outcome: string }>(method('Sessions.ProposeTurn').responseType, proposed.messages[0]!).outcome !== 'TURN_OUTCOME_OPENED') {
      throw new Error('ProposeTurn did not open a turn');
    }

    // A load balancer watching health.
    const healthPkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, { keepCase: true, enums: String })) as unknown as {
      grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client & { Watch(req: object): grpc.ClientReadableStream<{ status: string }> } } } };
    };
    const healthClient = new healthPkg.grpc.health.v1.Health(kernel.grpc, grpc.credentials.createInsecure());
    const statuses: string[] = [];
    const healthWatch = healthClient.Watch({ service: '' });
    healthWatch.on('data', (update: { status: string }) => statuses.push(update.status));
    healthWatch.on('error', () => undefined);
    const healthEnded = new Promise<string>((resolve) => healthWatch.on('status', (status: grpc.StatusObject) => resolve(STATUS_NAMES[status.code] ?? String(status.code))));

    // Every turn is speaking before the signal.
    for (const client of [...gateways.map((g) => g.client), streamed]) {
      const speaking = await client.until(0, (r) => r.event?.kind === 'audio.out');
      if (typeof speaking === 'string') throw new Error(`no audio before SIGTERM (${speaking})`);
    }
    while (statuses.length === 0) await new Promise((r) => setTimeout(r, 10));

    const exit = await kernel.stop('SIGTERM');
    clearInterval(streaming);
    const watched = await watching;
    const health = { statuses, ended: await healthEnded };
    for (const client of [...gateways.map((g) => g.client), streamed]) await client.closed();
    healthClient.close();
    control.close();

    const envelopeType = controlRoot().lookupType('baton.v1.EventEnvelope');
    const watchEvents = watched.messages.map((m) => envelopeType.toObject(envelopeType.decode(m), { longs: Number, oneofs: true }) as Record<string, unknown> & { kind: string });
    const sessionIds = [...gateways.map((g) => g.session_id), session.session_id];
    const timelines = [];
    for (const session_id of sessionIds) {
      const records: TimelineRecord[] = [];
      try {
        for await (const record of readTimelineFile(join(timelineDir, timelineFileName(session_id)))) records.push(record);
        timelines.push({ session_id, records });
      } catch (err) {
        timelines.push({ session_id, records: (err as Error).message });
      }
    }
    seen = {
      gateways: [...gateways.map((g) => summarize(g.name, g.client, g.session_id)), summarize('control-plane session', streamed, session.session_id)],
      watch: {
        status: STATUS_NAMES[watched.code] ?? String(watched.code),
        kinds: watchEvents.map((e) => e.kind).filter((k) => k !== 'audio.out' && k !== 'transcript'),
        aborted: watchEvents.find((e) => e.kind === 'turn.aborted')?.['turn_aborted'] as { reason?: string } | undefined,
        ended: watchEvents.find((e) => e.kind === 'session.ended')?.['session_ended'] as { reason?: string } | undefined,
      },
      health,
      exit,
      timelines,
    };
    console.info(`drain: exit ${exit.code} after ${exit.ms} ms (grace ${GRACE_MS} ms); ${JSON.stringify(seen.gateways.map((g) => ({ name: g.name, clear: g.clear, aborted: g.aborted, ended: g.ended, close: g.close })))}`);
    console.info(`drain: WatchSession ${seen.watch.status} ${JSON.stringify(seen.watch.kinds.slice(-5))}; health ${statuses.join(' -> ')} then ${health.ended}`);
  }, 60_000);

  afterAll(async () => {
    await kernel?.stop();
    if (timelineDir) rmSync(timelineDir, { recursive: true, force: true });
  });

  test('the process exits 0 within drain_grace_ms', () => {
    expect(seen.exit.code).toBe(0);
    expect(seen.exit.ms).toBeLessThanOrEqual(GRACE_MS);
  });

  test('every active turn is fenced and ends: output.clear{draining}, turn.aborted with a documented abort reason, turn.closed, then session.ended{draining}', () => {
    for (const gateway of seen.gateways) {
      expect(gateway.tail, gateway.name).toEqual(['output.clear', 'turn.aborted', 'turn.closed', 'session.ended']);
      expect(gateway.clear, gateway.name).toEqual({ reason: 'draining' });
      expect(ABORT_REASONS, gateway.name).toContain(gateway.aborted?.reason);
      expect(gateway.ended?.reason, gateway.name).toBe('draining');
    }
  });

  test('no audio of the turn reaches a gateway after its output.clear', () => {
    expect(seen.gateways.map((g) => [g.name, g.audioAfterClear])).toEqual(seen.gateways.map((g) => [g.name, 0]));
  });

  test('every gateway socket closes with 1001', () => {
    expect(seen.gateways.map((g) => [g.name, g.close])).toEqual(seen.gateways.map((g) => [g.name, 1001]));
  });

  test('the WatchSession stream sees the turn abort and the session end, then ends OK or UNAVAILABLE (it does not hang)', () => {
    expect(['OK', 'UNAVAILABLE']).toContain(seen.watch.status);
    expect(seen.watch.kinds.slice(-4)).toEqual(['output.clear', 'turn.aborted', 'turn.closed', 'session.ended']);
    expect(seen.watch.ended?.reason).toBe('draining');
  });

  test('gRPC health goes from SERVING to NOT_SERVING, then the server ends the watch', () => {
    expect(seen.health.statuses[0]).toBe('SERVING');
    expect(seen.health.statuses).toContain('NOT_SERVING');
    expect(seen.health.statuses.indexOf('NOT_SERVING')).toBeGreaterThan(0);
    // The watch is ended by the server once it said NOT_SERVING, not cut when the grace runs out.
    expect(seen.health.ended).toBe('OK');
  });

  test("every drained session's timeline is complete on disk and ends with the turn's fence, terminal and the session end", () => {
    for (const { session_id, records } of seen.timelines) {
      expect(typeof records === 'string' ? records : 'parsed', session_id).toBe('parsed');
      const egress = (records as TimelineRecord[]).flatMap((r) => (r.body.case === 'egress' ? [r.body.value.kind] : []));
      const tail = egress.filter((k) => k !== 'audio.out' && k !== 'transcript').slice(-4);
      expect(tail, session_id).toEqual(['output.clear', 'turn.aborted', 'turn.closed', 'session.ended']);
    }
  });

  test("every drained session's timeline records why its turn was fenced: a decision with reason draining for t-1 (DESIGN 12: fences are decisions)", () => {
    // A CancelTurn records decision{fence, fenced, <reason>}; the drain's fence (Session.end) records none today.
    for (const { session_id, records } of seen.timelines) {
      const decisions = (typeof records === 'string' ? [] : records).flatMap((r) => (r.body.case === 'decision' && r.turn_id === 't-1' ? [r.body.value] : []));
      expect(decisions.filter((d) => d.reason === 'draining').map((d) => `${d.kind}:${d.outcome}`), session_id).toEqual(['fence:fenced']);
    }
  });
});
