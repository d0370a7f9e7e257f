// How long a session outlives its socket, as the operator configured it
// (session_idle_ms, reconnect_grace_ms; DESIGN 5.1): a real kernel process,
// a gateway that drops its socket mid-turn, and what it finds when it comes
// back within and after those times.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { scrape, total } from '../support/hostile-metrics.js';
import { DEV_KEY, type KernelProcess, startKernel } from './harness.js';

const IDLE_MS = 1500;
const GRACE_MS = 200;

interface Event {
  kind: string;
  session_id: string;
  turn_id: string;
  seq: number;
  epoch: string;
  payload: Record<string, unknown>;
}

class JsonGateway {
  readonly events: Event[] = [];
  private waiters: (() => void)[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.events.push(JSON.parse(data.toString()) as Event);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Opens a socket; resolves with the HTTP status instead when the upgrade is refused. */
  static async connect(url: string): Promise<JsonGateway | number> {
    const ws = new WebSocket(url, 'baton.v1.json', { headers: { authorization: `Bearer ${DEV_KEY}` } });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new JsonGateway(ws)));
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  async next(kind: string, timeoutMs = 10_000): Promise<Event> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => e.kind === kind);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${kind} within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  send(event: Record<string, unknown>): void {
    this.ws.send(JSON.stringify({ v: '1.0', wall_ms: Date.now(), media_ms: 0, turn_id: '', ...event }));
  }
}

describe('session lifetime without a socket, from the kernel config', () => {
  let kernel: KernelProcess;

  beforeAll(async () => {
    kernel = await startKernel(['--session-idle-ms', String(IDLE_MS), '--reconnect-grace-ms', String(GRACE_MS)]);
  });

  afterAll(async () => {
    await kernel?.stop();
  });

  async function startSession(): Promise<{ gateway: JsonGateway; session_id: string; epoch: string; seq: number }> {
    const gateway = await JsonGateway.connect(`ws://${kernel.http}/v1/stream`);
    if (typeof gateway === 'number') throw new Error(`upgrade refused ${gateway}`);
    gateway.send({ id: 's1', session_id: '', epoch: '0', seq: 1, kind: 'session.start', payload: { pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 } });
    const started = await gateway.next('session.started');
    return { gateway, session_id: String(started.payload['session_id']), epoch: String(started.payload['epoch']), seq: 1 };
  }

  test(`a socket dropped mid-turn: the turn aborts transport_lost after reconnect_grace_ms (${GRACE_MS}) and a reconnection before session_idle_ms (${IDLE_MS}) finds the session`, async () => {
    const { gateway, session_id, epoch } = await startSession();
    gateway.send({ id: 'r1', session_id, epoch, seq: 2, kind: 'turn.request', payload: { text: 'tell me a long story about the sea and the wind' } });
    const opened = await gateway.next('turn.opened');
    await gateway.next('audio.out');
    gateway.ws.terminate();
    // Past the grace, well inside the idle time.
    await new Promise((r) => setTimeout(r, GRACE_MS + 400));
    const back = await JsonGateway.connect(`ws://${kernel.http}/v1/sessions/${session_id}/stream`);
    if (typeof back === 'number') throw new Error(`reconnection refused ${back}`);
    await back.next('session.started');
    // The aborted turn is closed: a cancel of it is turn_closed, not a fence of a live turn.
    back.send({ id: 'c1', session_id, epoch, seq: 3, turn_id: opened.turn_id, kind: 'cancel', payload: { scope: 'turn', reason: 'check' } });
    const answer = await back.next('error');
    expect(answer.payload['code']).toBe('turn_closed');
    back.ws.close(1000);
  });

  test(`a session without a socket ends after session_idle_ms (${IDLE_MS}): the kernel drops it and a reconnection is 404`, async () => {
    const { gateway, session_id } = await startSession();
    gateway.ws.close(1000);
    const deadline = Date.now() + IDLE_MS + 5000;
    let sessions = -1;
    while (Date.now() < deadline) {
      sessions = total(await scrape(kernel.http), 'baton_sessions');
      if (sessions === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(sessions).toBe(0);
    expect(await JsonGateway.connect(`ws://${kernel.http}/v1/sessions/${session_id}/stream`)).toBe(404);
  });
});
