// How long a session outlives its socket, as the operator configured it
// (session_idle_ms, reconnect_grace_ms; DESIGN 5.1): a real kernel process,
// a gateway that drops its socket mid-turn, and what it finds when it comes
// back within and after those times.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AnyEnvelope } from '../../api/eventabi/index.js';
import { settled } from '../support/hostile-metrics.js';
import { GatewayClient, eventFrame, startStreamSession } from '../support/hostile-ws.js';
import { DEV_KEY, type KernelProcess, startKernel } from './harness.js';

const IDLE_MS = 1500;
const GRACE_MS = 200;

/** The first event of `kind` the client logged, waiting for it. */
async function next(client: GatewayClient, kind: string): Promise<AnyEnvelope> {
  const found = await client.until(0, (r) => r.event?.kind === kind, 10_000);
  if (typeof found === 'string') throw new Error(`no ${kind}: ${found}; got ${client.log.map((r) => r.event?.kind).join(',')}`);
  return found.event!;
}

describe('session lifetime without a socket, from the kernel config', () => {
  let kernel: KernelProcess;

  beforeAll(async () => {
    kernel = await startKernel(['--session-idle-ms', String(IDLE_MS), '--reconnect-grace-ms', String(GRACE_MS)]);
  });

  afterAll(async () => {
    await kernel?.stop();
  });

  test(`a socket dropped mid-turn: the turn aborts transport_lost after reconnect_grace_ms (${GRACE_MS}) and a reconnection before session_idle_ms (${IDLE_MS}) finds the session`, async () => {
    const { client, state } = await startStreamSession(kernel.http, DEV_KEY, { encoding: 'json' });
    const request = eventFrame('turn.request', { text: 'tell me a long story about the sea and the wind' }, state);
    client.send(request.frame, false);
    const opened = await next(client, 'turn.opened');
    await next(client, 'audio.out');
    client.terminate();
    // Past the grace, well inside the idle time.
    await new Promise((r) => setTimeout(r, GRACE_MS + 400));
    const back = await GatewayClient.connect(`ws://${kernel.http}/v1/sessions/${state.session_id}/stream`, ['baton.v1.json'], { authorization: `Bearer ${DEV_KEY}` });
    if ('refused' in back) throw new Error(`reconnection refused ${back.status}`);
    await next(back, 'session.started');
    // The aborted turn is closed: a cancel of it is turn_closed, not a fence of a live turn.
    const cancel = eventFrame('cancel', { scope: 'turn', reason: 'check' }, { ...state, lastSeq: request.seq }, { turn_id: opened.turn_id });
    back.send(cancel.frame, false);
    const answer = (await next(back, 'error')) as AnyEnvelope & { kind: 'error' };
    expect(answer.payload.code).toBe('turn_closed');
    back.ws.close(1000);
  });

  test(`a session without a socket ends after session_idle_ms (${IDLE_MS}): the kernel drops it and a reconnection is 404`, async () => {
    const { client, state } = await startStreamSession(kernel.http, DEV_KEY, { encoding: 'json' });
    client.ws.close(1000);
    // Rejects unless every session and socket is gone within the idle time plus slack.
    await settled(kernel.http, IDLE_MS + 5000);
    const back = await GatewayClient.connect(`ws://${kernel.http}/v1/sessions/${state.session_id}/stream`, ['baton.v1.json'], { authorization: `Bearer ${DEV_KEY}` });
    expect('refused' in back && back.status).toBe(404);
  });
});
