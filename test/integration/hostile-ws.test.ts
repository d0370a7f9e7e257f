// The gateway WebSocket surface (DESIGN 4, 5.1, 13, 14; docs/protocol.md)
// under hostile traffic from fast-check against a real kernel process, with
// Node's `ws` client on baton.v1.proto, baton.v1.json and no subprotocol:
// 10,000 fuzzed frames (valid events, events with exactly one fault, damaged
// events, random bytes and text, deep nesting, invalid UTF-8, wrong frame
// types, huge and oversize frames) before and after session.start, bursts of
// invalid events, reconnections, connections dropped mid-frame and upgrade
// requests with bad credentials and bogus subprotocols. Every frame must get
// the answer docs/protocol.md gives it (a typed error, or a documented close
// code), the process never dies, and afterwards a clean session commits a
// turn with the kernel's RSS within a stated bound of its warmed-up baseline.
// A gateway that stops reading its socket must not grow the kernel beyond the
// per-socket egress bound.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type AnyEnvelope, ERROR_CODES } from '../../api/eventabi/index.js';
import { KEYS } from '../../internal/config/keys.js';
import { RawControlClient, controlMethods, decodeResponse, encodeRequest } from '../support/hostile-grpc.js';
import { MiB, kernelRss, mib, scrape, total } from '../support/hostile-metrics.js';
import { INSPECT_ARGS, type MemorySnapshot, memoryGrowth, settledMemory } from '../support/kernel-heap.js';
import {
  type Encoding,
  type Frame,
  GatewayClient,
  type Received,
  type Refusal,
  SESSION_CODES,
  type Template,
  VALIDATION_CODES,
  countingFaultArbitrary,
  eventFrame,
  materialize,
  readableSeq,
  startStreamSession,
  templateArbitrary,
} from '../support/hostile-ws.js';
import { DEV_KEY, type KernelProcess, startKernel } from './harness.js';

const FRAMES_PER_SCENARIO = 25;
/** HOSTILE_WS_SCENARIOS shortens a local run; HOSTILE_SEED replays one. */
const SCENARIOS = Number(process.env['HOSTILE_WS_SCENARIOS'] ?? 400);
/**
 * Stated bounds, measured once every session of the fuzz has ended and after a full garbage
 * collection in the kernel (through its inspector), against the same measure after the warm-up:
 * - retained memory (V8 heap in use plus Buffers still owned): what a leak grows. Measured 3.4 MiB.
 *   Without settling and a forced collection the heap in use read 240 MiB, nearly all of it garbage
 *   of the 1 MiB frames and the sessions still waiting out their idle time.
 * - RSS: also keeps the allocator's high-water mark from 1 MiB frames in flight, which glibc and
 *   V8 do not return at once, so it bounds growth more loosely: measured 84 MiB this way (86 to 389
 *   MiB on fresh CI machines when read straight after the fuzz).
 */
const RETAINED_GROWTH_BOUND = 32 * MiB;
const RSS_GROWTH_BOUND = 256 * MiB;
/** Every session of the fuzz ends by itself within this (idle 2 s, reconnect grace 0.5 s, plus the drain of its lanes). */
const SETTLE_MS = 20_000;
/** Connections one tenant may hold: low, so a slot leaked by a dropped connection shows. */
const MAX_CONNECTIONS = 64;
const MAX_CONSECUTIVE_INVALID = 16;
const PROBE_TURN = 't-999999999';

type Subprotocol = 'proto' | 'json' | 'none';

const PROTOCOLS: Record<Subprotocol, string[]> = { proto: ['baton.v1.proto'], json: ['baton.v1.json'], none: [] };

interface Step {
  /** Sent one at a time, each followed by a barrier probe; a burst goes back-to-back, then one probe. */
  templates: Template[];
  burst: boolean;
}

interface Scenario {
  subprotocol: Subprotocol;
  endpoint: 'stream' | 'session_stream';
  /** /v1/stream only: the first frame is fuzzed instead of a session.start. */
  preSession: boolean;
  steps: Step[];
  ending: 'close' | 'terminate' | 'drop_mid_frame';
}

/** 25 frames per scenario: singles, and now and then a burst of 12 to 20 certainly invalid events. */
const scenarioArbitrary: fc.Arbitrary<Scenario> = fc
  .record({
    subprotocol: fc.constantFrom<Subprotocol>('proto', 'json', 'none'),
    endpoint: fc.constantFrom('stream' as const, 'session_stream' as const),
    preSession: fc.boolean(),
    templates: fc.array(templateArbitrary, { minLength: FRAMES_PER_SCENARIO, maxLength: FRAMES_PER_SCENARIO }),
    burst: fc.option(fc.record({ at: fc.nat({ max: 5 }), frames: fc.array(countingFaultArbitrary, { minLength: 12, maxLength: 20 }) }), { freq: 3 }),
    ending: fc.constantFrom('close' as const, 'terminate' as const, 'drop_mid_frame' as const),
  })
  .map(({ subprotocol, endpoint, preSession, templates, burst, ending }) => {
    const singles = templates.map((t): Step => ({ templates: [t], burst: false }));
    if (burst) {
      // The burst replaces as many single frames as it holds, so every scenario sends exactly 25.
      singles.splice(burst.at, burst.frames.length, { templates: burst.frames, burst: true });
    }
    const scenario: Scenario = { subprotocol, endpoint, preSession: endpoint === 'stream' && preSession, steps: singles, ending };
    Object.defineProperty(scenario, fc.toStringMethod, {
      value: () => `${subprotocol} ${endpoint}${scenario.preSession ? ' pre-session' : ''} ${singles.map((s) => (s.burst ? `burst(${s.templates.length})` : s.templates[0]!.t)).join(',')} ${ending}`,
    });
    return scenario;
  });

const framesOf = (s: Scenario): number => s.steps.reduce((n, step) => n + step.templates.length, 0);

/** What the test tracks of one session: the kernel's ingress gate state as docs/protocol.md defines it. */
interface SessionModel {
  session_id: string;
  epoch: number;
  token?: string;
  lastSeq: number;
  invalidRun: number;
  ended: boolean;
  /** Ids of frames sent earlier: an error naming one is a late answer, not this frame's. */
  sentIds: Set<string>;
}

interface ErrorSeen {
  code: string;
  message: string;
  ref_id: string;
}

const errorOf = (r: Received): ErrorSeen | undefined =>
  r.event?.kind === 'error' ? { code: r.event.payload.code, message: r.event.payload.message, ref_id: r.event.payload.ref_id ?? '' } : undefined;

describe('gateway WebSocket under 10,000 hostile frames', () => {
  let kernel: KernelProcess;
  let timelineDir: string;
  let control: RawControlClient;
  let baseline: MemorySnapshot;
  let probes = 0;
  let framesSent = 0;
  const problems = new Map<string, { count: number; example: string }>();
  const outcomes = new Map<string, number>();
  const closeCodes = new Map<number, number>();

  /** What the current scenario did so far, for the example of a problem. */
  let trace: string[] = [];

  function problem(key: string, example: string): void {
    const seen = problems.get(key);
    if (seen) seen.count += 1;
    else problems.set(key, { count: 1, example: `${example} [after: ${trace.slice(-8).join(' | ')}]` });
  }

  function tally(map: Map<string | number, number>, key: string | number): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  const stateOf = (model: SessionModel, encoding: Encoding) => ({ encoding, session_id: model.session_id, epoch: model.epoch, lastSeq: model.lastSeq });

  async function connect(path: string, subprotocol: Subprotocol): Promise<GatewayClient> {
    const client = await GatewayClient.connect(`ws://${kernel.http}${path}`, PROTOCOLS[subprotocol], { authorization: `Bearer ${DEV_KEY}` });
    if ('refused' in client) throw new Error(`${path} refused with ${client.status}: ${client.body}`);
    return client;
  }

  async function started(client: GatewayClient): Promise<AnyEnvelope & { kind: 'session.started' }> {
    const seen = await client.until(0, (r) => r.event?.kind === 'session.started');
    if (typeof seen === 'string') throw new Error(`no session.started (${seen}, close ${client.closeCode} ${client.closeReason})`);
    return seen.event as AnyEnvelope & { kind: 'session.started' };
  }

  /** A new session on /v1/stream: session.start, then session.started. */
  async function openStreamSession(subprotocol: Subprotocol): Promise<{ client: GatewayClient; model: SessionModel }> {
    const client = await connect('/v1/stream', subprotocol);
    const start = eventFrame('session.start', { pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 }, { encoding: client.encoding, session_id: '', epoch: 0, lastSeq: 0 });
    client.send(start.frame, client.encoding === 'proto');
    const event = await started(client);
    return { client, model: { session_id: event.payload.session_id, epoch: event.payload.epoch, lastSeq: start.seq, invalidRun: 0, ended: false, sentIds: new Set([start.id]) } };
  }

  /** A new session from OpenSession, streamed with its session token. */
  async function openControlSession(subprotocol: Subprotocol): Promise<{ client: GatewayClient; model: SessionModel }> {
    const open = controlMethods().find((m) => m.name === 'Sessions.OpenSession')!;
    const result = await control.call(open, [encodeRequest(open.requestType, { pipeline: 'demo' })], { authorization: `Bearer ${DEV_KEY}`, deadlineMs: 10_000 });
    if (result.code !== 0) throw new Error(`OpenSession: ${result.code} ${result.details}`);
    const opened = decodeResponse<{ session_id: string; epoch: number; session_token: string; stream_url: string }>(open.responseType, result.messages[0]!);
    const client = await GatewayClient.connect(`${opened.stream_url}?token=${encodeURIComponent(opened.session_token)}`, PROTOCOLS[subprotocol]);
    if ('refused' in client) throw new Error(`stream_url refused with ${client.status}: ${client.body}`);
    await started(client);
    return { client, model: { session_id: opened.session_id, epoch: opened.epoch, token: opened.session_token, lastSeq: 0, invalidRun: 0, ended: false, sentIds: new Set() } };
  }

  /** Reconnects to a session that outlived its socket; seq and the invalid count continue (DESIGN 4.1). Undefined once it ended. */
  async function reattach(model: SessionModel, subprotocol: Subprotocol): Promise<GatewayClient | undefined> {
    const client = await GatewayClient.connect(`ws://${kernel.http}/v1/sessions/${encodeURIComponent(model.session_id)}/stream`, PROTOCOLS[subprotocol], {
      authorization: `Bearer ${DEV_KEY}`,
    });
    if ('refused' in client) {
      if (client.status !== 404) problem(`reconnecting to a live session refused with ${client.status}`, client.body);
      model.ended = true;
      return undefined;
    }
    await started(client);
    return client;
  }

  /** Checks every error in `items`: a code from the one list, never `internal`, with a message. */
  function checkErrors(items: Received[], label: string): void {
    for (const item of items) {
      if (item.undecodable) problem(`undecodable frame from the kernel`, `${label}: ${item.undecodable}`);
      const error = errorOf(item);
      if (!error) continue;
      if (!(ERROR_CODES as readonly string[]).includes(error.code)) problem(`error code outside the taxonomy: ${error.code}`, label);
      if (error.code === 'internal') problem('error{internal}', `${label}: ${error.message}`);
      if (error.message.trim() === '') problem(`error{${error.code}} without a message`, label);
    }
  }

  /**
   * Sends the barrier: a cancel of a turn that never existed, which the
   * session answers at once with error{not_found} naming it. Every frame sent
   * before it has been answered when its answer arrives.
   */
  function sendProbe(client: GatewayClient, model: SessionModel, afterSeq: number): { id: string; seq: number } {
    probes += 1;
    const probe = eventFrame('cancel', { scope: 'turn', reason: 'probe' }, { ...stateOf(model, client.encoding), lastSeq: afterSeq }, { turn_id: PROBE_TURN, id: `probe-${probes}` });
    client.send(probe.frame, client.encoding === 'proto');
    return probe;
  }

  /** Waits for the probe's answer: its position in the log, or 'closed' when the socket went first. */
  async function awaitProbe(client: GatewayClient, from: number, probe: { id: string; seq: number }, label: string): Promise<number | 'closed'> {
    const answer = await client.until(from, (r) => errorOf(r)?.ref_id === probe.id);
    if (answer === 'silent') {
      problem('no answer to the barrier probe within 30 s', label);
      client.terminate();
      return 'closed';
    }
    return answer === 'closed' ? 'closed' : answer.index;
  }

  /** The probe was accepted (error{not_found} comes after the gate): it resets the invalid run and sets the seq. */
  function applyProbe(client: GatewayClient, model: SessionModel, answerAt: number, probe: { seq: number }, label: string): void {
    const error = errorOf(client.log[answerAt]!)!;
    if (error.code === 'not_found') {
      model.lastSeq = probe.seq;
      model.invalidRun = 0;
      return;
    }
    problem(`barrier probe answered ${error.code}`, `${label}: ${error.message}`);
    const resync = /last accepted seq (\d+)/.exec(error.message);
    if (resync) model.lastSeq = Number(resync[1]);
  }

  /** A close the test did not cause: legitimate only right after session.ended (our session.end was accepted). */
  function unexpectedClose(client: GatewayClient, model: SessionModel, from: number, label: string): void {
    const ended = client.log.slice(from).some((r) => r.event?.kind === 'session.ended');
    if (client.closeCode === 1000 && ended) {
      model.ended = true;
      return;
    }
    problem(`unexpected close ${client.closeCode}`, `${label}: ${client.closeReason}`);
    model.ended = model.ended || ended;
  }

  /** Errors in the window that answer this frame: any but the probe's and late answers to earlier frames. */
  function attributed(window: Received[], model: SessionModel, probeId: string): { mine: ErrorSeen[]; late: ErrorSeen[] } {
    const mine: ErrorSeen[] = [];
    const late: ErrorSeen[] = [];
    for (const item of window) {
      const error = errorOf(item);
      if (!error || error.ref_id === probeId) continue;
      if (error.ref_id !== '' && model.sentIds.has(error.ref_id)) late.push(error);
      else mine.push(error);
    }
    return { mine, late };
  }

  function checkLate(late: ErrorSeen[], label: string): void {
    // Only the session answers late (after its lanes): unknown or closed turns, full pending input.
    for (const error of late) if (!SESSION_CODES.has(error.code)) problem(`late error{${error.code}} for an earlier frame`, label);
  }

  /** One frame, then the barrier, then the verdict against its expectation. */
  async function single(client: GatewayClient, model: SessionModel, frame: Frame): Promise<boolean> {
    const label = frame.label;
    const from = client.log.length;
    client.send(frame.data, frame.binary);
    framesSent += 1;
    if (frame.expect.type === 'close') {
      await client.closed();
      tally(outcomes, `${label} -> close ${client.closeCode}`);
      if (client.closeCode !== frame.expect.code) problem(`${label}: expected close ${frame.expect.code}`, `got ${client.closeCode} ${client.closeReason}`);
      const answered = attributed(client.log.slice(from), model, '').mine;
      if (answered.length > 0) problem(`${label}: an error before close ${frame.expect.code}`, answered.map((e) => e.code).join(','));
      checkErrors(client.log.slice(from), label);
      return false;
    }
    const seq = Math.max(model.lastSeq, readableSeq(frame, client.encoding) ?? frame.seq ?? 0);
    const probe = sendProbe(client, model, seq);
    const answerAt = await awaitProbe(client, from, probe, label);
    const window = client.log.slice(from, answerAt === 'closed' ? undefined : answerAt);
    checkErrors(window, label);
    const { mine, late } = attributed(window, model, probe.id);
    checkLate(late, label);
    if (frame.id) model.sentIds.add(frame.id);
    model.sentIds.add(probe.id);

    const codes = mine.map((e) => e.code);
    if (answerAt === 'closed' && client.closeCode === 1000 && window.some((r) => r.event?.kind === 'session.ended') && codes.length === 0) {
      // An earlier session.end (perhaps a damaged one that still decoded) ended the session before this frame was read.
      tally(outcomes, `${label} -> after session.ended, close 1000`);
      trace.push(`${label} -> after session.ended`);
      model.ended = true;
      return false;
    }
    tally(outcomes, `${label} -> ${codes.length === 0 ? 'no error' : codes.join('+')}`);
    trace.push(`${label} seq=${frame.seq ?? '-'} run=${model.invalidRun} -> ${codes.join('+') || 'ok'}${answerAt === 'closed' ? ` close ${client.closeCode}` : ''}`);
    const expectation = frame.expect;
    if (expectation.type === 'error') {
      if (codes.length !== 1 || !expectation.codes.includes(codes[0]!)) problem(`${label}: expected one error of ${expectation.codes.join('|')}`, `got [${codes.join(',')}]`);
      for (const error of mine) if (error.ref_id !== '' && frame.id !== '' && error.ref_id !== frame.id && !label.startsWith('fault:long_id')) problem(`${label}: ref_id names another event`, error.ref_id);
    } else if (expectation.type === 'accepted') {
      if (codes.length > 1 || codes.some((c) => !SESSION_CODES.has(c))) problem(`${label}: a well-formed event was refused`, codes.join(','));
    } else if (expectation.type === 'stale_proposal') {
      if (codes.length > 0) problem(`${label}: a stale proposal got error, not turn.stale_epoch`, codes.join(','));
    } else if (codes.length > 1) {
      problem(`${label}: more than one error for one frame`, codes.join(','));
    }

    // The gate's model: validation errors count (the 16th in a row closes 1008), epoch and size errors neither
    // count nor reset, anything the gate lets through resets.
    const gateCode = codes.find((c) => VALIDATION_CODES.has(c) || c === 'stale_epoch' || c === 'frame_too_large');
    // A frame of the wrong type (text on proto, binary on JSON) should count like any invalid_event, but today it
    // does not (pinned by its own failing test above); the fuzz accepts either so it keeps guarding the rest.
    const wrongType = frame.binary !== (client.encoding === 'proto');
    const counted = gateCode !== undefined && VALIDATION_CODES.has(gateCode);
    if (counted && wrongType) {
      if (answerAt === 'closed' && client.closeCode === 1008 && model.invalidRun + 1 >= MAX_CONSECUTIVE_INVALID) {
        tally(closeCodes, 1008);
        model.invalidRun += 1;
        return false;
      }
    } else if (counted) {
      model.invalidRun += 1;
      // A playback ack beyond the audio sent is refused by the session after the gate took it: today it neither
      // counts nor keeps its seq (pinned by its own failing test above); only a damaged ack might be refused earlier.
      const judgedBySession = gateCode === 'invalid_payload' && label.includes(':playback.');
      if (model.invalidRun >= MAX_CONSECUTIVE_INVALID && answerAt !== 'closed' && judgedBySession) {
        model.invalidRun -= 1;
      } else if (model.invalidRun >= MAX_CONSECUTIVE_INVALID) {
        // The probe's answer, if it came, proves the kernel kept the stream open after this frame.
        tally(closeCodes, client.closeCode ?? 0);
        if (answerAt !== 'closed' || client.closeCode !== 1008) {
          problem(`${label}: ${model.invalidRun} consecutive invalid events without close 1008`, `close ${client.closeCode}`);
          if (answerAt !== 'closed') {
            model.invalidRun = 0;
            applyProbe(client, model, answerAt, probe, label);
            return true;
          }
        }
        return false;
      }
    } else if (!gateCode) {
      model.invalidRun = 0;
    }

    if (expectation.type === 'stale_proposal' && answerAt !== 'closed') {
      // Pre-turn outcomes come from the session's lanes, after the probe the socket read handled at once.
      // Outcomes carry no ref_id, and an earlier proposal's turn.opened may still be on its way: wait for this one's kind.
      const stale = await client.until(from, (r) => r.event?.kind === 'turn.stale_epoch');
      if (typeof stale === 'string') problem(`${label}: no turn.stale_epoch`, stale);
    }

    if (answerAt === 'closed') {
      tally(closeCodes, client.closeCode ?? 0);
      unexpectedClose(client, model, from, label);
      return false;
    }
    applyProbe(client, model, answerAt, probe, label);
    if (frame.endsSession && codes.length === 0) {
      await client.closed();
      tally(closeCodes, client.closeCode ?? 0);
      if (client.closeCode !== 1000) problem('session.end did not close 1000', `close ${client.closeCode}`);
      model.ended = true;
      return false;
    }
    return true;
  }

  /** Back-to-back certainly invalid events: one error each until the 16th in a row closes the stream 1008. */
  async function burst(client: GatewayClient, model: SessionModel, frames: Frame[]): Promise<boolean> {
    const from = client.log.length;
    for (const frame of frames) client.send(frame.data, frame.binary);
    framesSent += frames.length;
    const closes = model.invalidRun + frames.length >= MAX_CONSECUTIVE_INVALID;
    const expectedErrors = closes ? MAX_CONSECUTIVE_INVALID - model.invalidRun : frames.length;
    const probe = sendProbe(client, model, model.lastSeq);
    const answerAt = await awaitProbe(client, from, probe, `burst(${frames.length})`);
    const window = client.log.slice(from, answerAt === 'closed' ? undefined : answerAt);
    checkErrors(window, 'burst');
    const { mine, late } = attributed(window, model, probe.id);
    checkLate(late, 'burst');
    for (const frame of frames) if (frame.id) model.sentIds.add(frame.id);
    tally(outcomes, `burst(${frames.length}) from run ${model.invalidRun} -> ${mine.length} errors, ${answerAt === 'closed' ? `close ${client.closeCode}` : 'open'}`);
    trace.push(`burst(${frames.length}) run=${model.invalidRun} -> ${mine.length} errors${answerAt === 'closed' ? ` close ${client.closeCode}` : ''}`);
    if (mine.length !== expectedErrors) problem(`burst: expected ${expectedErrors} errors`, `got ${mine.length} (${frames.map((f) => f.label).join(',')})`);
    mine.forEach((error, i) => {
      const frame = frames[i];
      if (frame && frame.expect.type === 'error' && !frame.expect.codes.includes(error.code)) problem(`burst ${frame.label}: expected ${frame.expect.codes.join('|')}`, error.code);
    });
    if (closes) {
      if (answerAt !== 'closed') problem('burst reached 16 consecutive invalid events without closing', `${frames.length} after ${model.invalidRun}`);
      else {
        tally(closeCodes, client.closeCode ?? 0);
        if (client.closeCode !== 1008) problem('burst closed with another code than 1008', String(client.closeCode));
      }
      model.invalidRun = MAX_CONSECUTIVE_INVALID;
      return false;
    }
    if (answerAt === 'closed') {
      tally(closeCodes, client.closeCode ?? 0);
      unexpectedClose(client, model, from, 'burst');
      return false;
    }
    model.invalidRun += frames.length;
    applyProbe(client, model, answerAt, probe, 'burst');
    return true;
  }

  /** /v1/stream with a fuzzed first frame: session.started only for a valid session.start, else an error and close 1008. */
  async function preSession(subprotocol: Subprotocol, template: Template): Promise<{ client: GatewayClient; model: SessionModel } | undefined> {
    const client = await connect('/v1/stream', subprotocol);
    const frame = materialize(template, { encoding: client.encoding, session_id: '', epoch: 0, lastSeq: 0 });
    client.send(frame.data, frame.binary);
    framesSent += 1;
    const seen = await client.until(0, (r) => r.event?.kind === 'session.started');
    const label = `pre-session ${frame.label}`;
    checkErrors(client.log, label);
    if (seen === 'silent') {
      problem('pre-session frame left unanswered', label);
      client.terminate();
      return undefined;
    }
    if (seen === 'closed') {
      tally(closeCodes, client.closeCode ?? 0);
      const errors = client.log.filter((r) => errorOf(r)).length;
      tally(outcomes, `${label} -> ${errors} error(s), close ${client.closeCode}`);
      const wsLayer = frame.expect.type === 'close' ? frame.expect.code : undefined;
      if (wsLayer !== undefined) {
        if (client.closeCode !== wsLayer) problem(`${label}: expected close ${wsLayer}`, String(client.closeCode));
      } else if (client.closeCode !== 1008 || errors !== 1) {
        problem(`${label}: expected one error then close 1008`, `${errors} errors, close ${client.closeCode} ${client.closeReason}`);
      }
      return undefined;
    }
    tally(outcomes, `${label} -> session.started`);
    const event = seen.event as AnyEnvelope & { kind: 'session.started' };
    return { client, model: { session_id: event.payload.session_id, epoch: event.payload.epoch, lastSeq: readableSeq(frame, client.encoding) ?? 1, invalidRun: 0, ended: false, sentIds: new Set([frame.id]) } };
  }

  /** Ends the connection the way the scenario says, including a frame cut off in the middle. */
  async function finish(client: GatewayClient, ending: Scenario['ending']): Promise<void> {
    if (!client.open) return;
    if (ending === 'close') {
      client.ws.close(1000);
      await client.closed();
      return;
    }
    if (ending === 'drop_mid_frame') {
      // A masked binary frame announcing 4096 bytes, of which only 100 arrive before the socket goes.
      const socket = (client.ws as unknown as { _socket: Socket })._socket;
      const header = Buffer.from([0x82, 0x80 | 126, 0x10, 0x00, 1, 2, 3, 4]);
      socket.write(Buffer.concat([header, randomBytes(100)]));
      socket.destroy();
      return;
    }
    client.terminate();
  }

  async function runScenario(scenario: Scenario): Promise<void> {
    const { subprotocol } = scenario;
    trace = [`${subprotocol} ${scenario.endpoint}`];
    let client: GatewayClient | undefined;
    let model: SessionModel | undefined;
    const steps = [...scenario.steps];
    if (scenario.preSession) {
      const first = steps[0]!;
      const [head, ...rest] = first.templates;
      if (rest.length > 0) steps[0] = { templates: rest, burst: first.burst };
      else steps.shift();
      const opened = await preSession(subprotocol, head!);
      if (opened) ({ client, model } = opened);
    }
    for (const step of steps) {
      if (client && model && !client.open) {
        await client.closed();
        // A session.end that was still accepted after damage ends the session a moment after its barrier.
        if (client.log.some((r) => r.event?.kind === 'session.ended')) model.ended = true;
      }
      let live: { client: GatewayClient; model: SessionModel } | undefined = client && model && client.open && !model.ended ? { client, model } : undefined;
      if (!live && model && !model.ended) {
        const reattached = await reattach(model, subprotocol);
        trace.push(`reattach run=${model.invalidRun} lastSeq=${model.lastSeq}`);
        if (reattached) live = { client: reattached, model };
      }
      live ??= scenario.endpoint === 'stream' ? await openStreamSession(subprotocol) : await openControlSession(subprotocol);
      ({ client, model } = live);
      const state = stateOf(live.model, live.client.encoding);
      if (step.burst) await burst(live.client, live.model, step.templates.map((t) => materialize(t, state)));
      else await single(live.client, live.model, materialize(step.templates[0]!, state));
    }
    if (client) await finish(client, scenario.ending);
  }

  beforeAll(async () => {
    timelineDir = mkdtempSync(join(tmpdir(), 'baton-it-hostile-ws-'));
    kernel = await startKernel([
      '--timeline-dir',
      timelineDir,
      '--max-connections-per-tenant',
      String(MAX_CONNECTIONS),
      '--session-idle-ms',
      '2000',
      '--reconnect-grace-ms',
      '500',
    ], {}, INSPECT_ARGS);
    control = new RawControlClient(kernel.grpc);
    // Warm-up: every code path once, so the baseline is the kernel at work, not at rest.
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        await runScenario(scenario);
        return true;
      }),
      { numRuns: 80, seed: 11 },
    );
    problems.clear();
    outcomes.clear();
    closeCodes.clear();
    framesSent = 0;
    baseline = await settledMemory(kernel, SETTLE_MS);
  }, 300_000);

  afterAll(async () => {
    control?.close();
    await kernel?.stop();
    if (timelineDir) rmSync(timelineDir, { recursive: true, force: true });
  });

  test('upgrade requests: a missing or wrong token is 401, only unknown subprotocols 400, an unknown path or session 404, before any WebSocket handshake; good ones open', async () => {
    const open = controlMethods().find((m) => m.name === 'Sessions.OpenSession')!;
    const opened = await control.call(open, [encodeRequest(open.requestType, { pipeline: 'demo' })], { authorization: `Bearer ${DEV_KEY}`, deadlineMs: 10_000 });
    const session = decodeResponse<{ session_id: string; session_token: string }>(open.responseType, opened.messages[0]!);
    const tokenChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&\'*+-.^_`|~');
    // Names of Object.prototype members come up often: a lookup in a plain object once took "constructor" for a known subprotocol.
    const bogusProtocol = fc.oneof(
      fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'),
      fc.string({ unit: tokenChars, minLength: 1, maxLength: 20 }).filter((p) => p !== 'baton.v1.proto' && p !== 'baton.v1.json'),
    );
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          path: fc.constantFrom('stream', 'session', 'unknown_session', 'bogus_path'),
          credential: fc.constantFrom('none', 'tenant', 'wrong', 'session_token', 'tampered_token', 'random'),
          via: fc.constantFrom('header', 'query'),
          random: fc.string({ minLength: 1, maxLength: 64 }).map((s) => s.replace(/[^\x21-\x7e]/g, 'x')),
          protocols: fc.oneof(
            fc.constant<string[]>([]),
            fc.uniqueArray(bogusProtocol, { minLength: 1, maxLength: 3 }),
            fc.uniqueArray(bogusProtocol, { minLength: 0, maxLength: 2 }).chain((bogus) => fc.constantFrom('baton.v1.proto', 'baton.v1.json').map((good) => [...bogus, good])),
          ),
        }),
        async (u) => {
          const path = { stream: '/v1/stream', session: `/v1/sessions/${session.session_id}/stream`, unknown_session: '/v1/sessions/s-nobody-here/stream', bogus_path: '/v1/streams' }[u.path];
          const token = {
            none: undefined,
            tenant: DEV_KEY,
            wrong: 'wrong-key-0123456789',
            session_token: session.session_token,
            tampered_token: `${session.session_token.slice(0, -2)}xx`,
            random: u.random,
          }[u.credential];
          const url = `ws://${kernel.http}${path}${token && u.via === 'query' ? `?token=${encodeURIComponent(token)}` : ''}`;
          const headers: Record<string, string> = token && u.via === 'header' ? { authorization: `Bearer ${token}` } : {};
          const result: GatewayClient | Refusal = await GatewayClient.connect(url, u.protocols, headers);
          const status = 'refused' in result ? result.status : 101;
          if (!('refused' in result)) {
            result.ws.close(1000);
            await result.closed();
          }
          seen.set(`${u.path}/${u.credential}/${u.protocols.length === 0 ? 'none' : u.protocols.some((p) => p.startsWith('baton.')) ? 'known' : 'bogus'} -> ${status}`, 1);
          // The session token is valid for its own session only; a random string is never a key.
          const authenticated = u.credential === 'tenant' || (u.credential === 'session_token' && u.path === 'session');
          const bogus = u.protocols.length > 0 && !u.protocols.some((p) => p === 'baton.v1.proto' || p === 'baton.v1.json');
          const allowed =
            u.path === 'bogus_path'
              ? [404]
              : !authenticated
                ? [401]
                : bogus && u.path === 'unknown_session'
                  ? [400, 404]
                  : bogus
                    ? [400]
                    : u.path === 'unknown_session'
                      ? [404]
                      : [101];
          expect(allowed, `${u.path} ${u.credential} via ${u.via} protocols=${JSON.stringify(u.protocols)}`).toContain(status);
        },
      ),
      { numRuns: 300 },
    );
    console.info(`hostile upgrades: ${[...seen.keys()].sort().join('; ')}`);
  }, 120_000);

  test('16 consecutive frames of the wrong type (binary on baton.v1.json, text on baton.v1.proto) close the stream 1008 like any 16 invalid events', async () => {
    // docs/protocol.md: such a frame is invalid_event, and invalid_event counts toward the 16 (DESIGN 4.1).
    const seen = [];
    for (const subprotocol of ['json', 'proto'] as const) {
      const { client, model } = await openStreamSession(subprotocol);
      const from = client.log.length;
      for (let i = 0; i < 20; i++) client.send(subprotocol === 'json' ? Buffer.from([0x0a, i]) : `{"not":"protobuf ${i}"}`, subprotocol === 'json');
      // Twenty frames and a probe: the probe's answer (or the close) marks the end of the kernel's answers.
      const probe = sendProbe(client, model, model.lastSeq);
      await client.until(from, (r) => errorOf(r)?.ref_id === probe.id);
      const errors = client.log.slice(from).map(errorOf).filter((e): e is ErrorSeen => e !== undefined && e.ref_id !== probe.id);
      seen.push({ subprotocol, errors: errors.length, codes: [...new Set(errors.map((e) => e.code))], close: client.closeCode ?? null });
      client.terminate();
      await client.closed();
    }
    expect(seen).toEqual([
      { subprotocol: 'json', errors: 16, codes: ['invalid_event'], close: 1008 },
      { subprotocol: 'proto', errors: 16, codes: ['invalid_event'], close: 1008 },
    ]);
  });

  test('a playback.mark whose played_ms exceeds the audio sent is invalid_payload and, like every rejected event, does not advance the expected seq', async () => {
    // docs/protocol.md: such an ack is invalid_payload; DESIGN 4.1: a rejected event does not advance the expected seq.
    const { client, model } = await openStreamSession('proto');
    const state = stateOf(model, client.encoding);
    const request = eventFrame('turn.request', { text: 'hello' }, state);
    client.send(request.frame, true);
    const speaking = await client.until(0, (r) => r.event?.kind === 'audio.out');
    if (typeof speaking === 'string') throw new Error(`no audio.out: ${speaking}`);
    const turn_id = speaking.event!.turn_id;
    const from = client.log.length;
    const ack = eventFrame('playback.mark', { played_ms: 3_600_000 }, { ...state, lastSeq: request.seq }, { turn_id });
    client.send(ack.frame, true);
    // The same seq again, on a well-formed event: accepted if the refused ack left the expected seq alone.
    const retry = eventFrame('text.in', { text: 'again' }, { ...state, lastSeq: request.seq });
    client.send(retry.frame, true);
    const probe = sendProbe(client, model, retry.seq);
    await client.until(from, (r) => errorOf(r)?.ref_id === probe.id);
    const answers = client.log.slice(from).map(errorOf).filter((e): e is ErrorSeen => e !== undefined && e.ref_id !== probe.id);
    client.terminate();
    expect(answers.map((e) => [e.ref_id === ack.id ? 'ack' : e.ref_id === retry.id ? 'retry' : e.ref_id, e.code])).toEqual([['ack', 'invalid_payload']]);
  });

  test('a playback ack from a stale epoch is stale_epoch even when its played_ms is also impossible: authority is checked before content', async () => {
    // Seen in the fuzz: a stale, over-claiming playback.completed was answered invalid_payload, telling a gateway that
    // lost authority to fix its payload instead of re-acquiring.
    const { client, model } = await openStreamSession('proto');
    const state = stateOf(model, client.encoding);
    const request = eventFrame('turn.request', { text: 'hello' }, state);
    client.send(request.frame, true);
    const speaking = await client.until(0, (r) => r.event?.kind === 'audio.out');
    if (typeof speaking === 'string') throw new Error(`no audio.out: ${speaking}`);
    const turn_id = speaking.event!.turn_id;
    const from = client.log.length;
    const ack = eventFrame('playback.completed', { played_ms: 3_600_000 }, { ...state, lastSeq: request.seq }, { turn_id, epoch: model.epoch + 1 });
    client.send(ack.frame, true);
    const probe = sendProbe(client, model, request.seq);
    await client.until(from, (r) => errorOf(r)?.ref_id === probe.id);
    const answers = client.log.slice(from).map(errorOf).filter((e): e is ErrorSeen => e !== undefined && e.ref_id !== probe.id);
    client.terminate();
    expect(answers.map((e) => [e.ref_id === ack.id ? 'ack' : e.ref_id, e.code])).toEqual([['ack', 'stale_epoch']]);
  });

  test('a text frame that is not JSON and starts with an astral character gets error{invalid_event} with a well-formed message (the parser excerpt splits the pair)', async () => {
    const { client, model } = await openStreamSession('json');
    const from = client.log.length;
    client.send('\u{1F600}\u{1F600} not json', false);
    const probe = sendProbe(client, model, model.lastSeq);
    await client.until(from, (r) => errorOf(r)?.ref_id === probe.id);
    const seenHere = client.log.slice(from);
    client.terminate();
    expect(seenHere.filter((r) => r.undecodable).map((r) => r.undecodable)).toEqual([]);
    expect(seenHere.map(errorOf).filter((e) => e && e.ref_id !== probe.id).map((e) => e!.code)).toEqual(['invalid_event']);
  });

  test(`${SCENARIOS * FRAMES_PER_SCENARIO} fuzzed frames on proto, json and no subprotocol each get their typed error or documented close code; the process never dies`, async () => {
    const seed = Number(process.env['HOSTILE_SEED'] ?? Date.now() % 2 ** 31);
    let scenarios = 0;
    const onExit = (): void => {
      console.error(`hostile ws: the kernel exited ${kernel.child.exitCode} (signal ${kernel.child.signalCode}) during the fuzz; stderr tail:\n${kernel.stderr.join('').slice(-6000)}`);
    };
    kernel.child.once('exit', onExit);
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        expect(framesOf(scenario)).toBe(FRAMES_PER_SCENARIO);
        await runScenario(scenario);
        scenarios += 1;
        if (scenarios % 50 === 0) console.info(`hostile ws: ${scenarios} scenarios, ${framesSent} frames`);
        // The process is alive after every scenario: a crash would show here first.
        return kernel.child.exitCode === null;
      }),
      { numRuns: SCENARIOS, seed, endOnFailure: true },
    ).finally(() => kernel.child.off('exit', onExit));
    console.info(`hostile ws: seed=${seed} frames=${framesSent} probes=${probes}`);
    console.info(`hostile ws closes: ${JSON.stringify(Object.fromEntries(closeCodes))}`);
    console.info(`hostile ws outcomes:\n  ${[...outcomes].sort().map(([k, n]) => `${k} x${n}`).join('\n  ')}`);
    expect(framesSent).toBe(SCENARIOS * FRAMES_PER_SCENARIO);
    expect([...problems].map(([key, { count, example }]) => `${key} (x${count}) e.g. ${example}`)).toEqual([]);
    expect(kernel.child.exitCode).toBeNull();
  }, 900_000);

  test('300 connections dropped mid-handshake, mid-frame or right after session.start leave no socket or connection slot behind', async () => {
    const [host, port] = kernel.http.split(':') as [string, string];
    const request = (path: string): string =>
      `GET ${path} HTTP/1.1\r\nHost: ${kernel.http}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: baton.v1.proto\r\n` +
      `Authorization: Bearer ${DEV_KEY}\r\n\r\n`;
    const masked = (payload: Buffer, announced = payload.length): Buffer => {
      const mask = randomBytes(4);
      const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
      const length = announced < 126 ? Buffer.from([0x80 | announced]) : announced < 65536 ? Buffer.from([0x80 | 126, announced >> 8, announced & 0xff]) : Buffer.concat([Buffer.from([0x80 | 127]), Buffer.from(new BigUint64Array([BigInt(announced)]).buffer).reverse()]);
      return Buffer.concat([Buffer.from([0x82]), length, mask, body]);
    };
    const start = eventFrame('session.start', { pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 }, { encoding: 'proto', session_id: '', epoch: 0, lastSeq: 0 }).frame as Buffer;
    const cuts = ['mid_request', 'before_response', 'mid_frame_header', 'mid_frame_payload', 'huge_frame_announced', 'after_session_start'] as const;
    const drop = (cut: (typeof cuts)[number]): Promise<void> =>
      new Promise((resolve) => {
        const socket = tcpConnect(Number(port), host);
        socket.on('error', () => undefined);
        socket.once('close', () => resolve());
        const full = request('/v1/stream');
        socket.once('connect', () => {
          if (cut === 'mid_request') {
            socket.write(full.slice(0, Math.floor(full.length / 2)));
            setImmediate(() => socket.destroy());
            return;
          }
          socket.write(full);
          if (cut === 'before_response') {
            setImmediate(() => socket.destroy());
            return;
          }
          let head = '';
          socket.on('data', (chunk: Buffer) => {
            if (head.includes('\r\n\r\n')) return;
            head += chunk.toString('latin1');
            if (!head.includes('\r\n\r\n')) return;
            if (cut === 'mid_frame_header') socket.write(Buffer.from([0x82]));
            else if (cut === 'mid_frame_payload') socket.write(masked(Buffer.from(start)).subarray(0, 10));
            else if (cut === 'huge_frame_announced') socket.write(masked(randomBytes(100), 900_000).subarray(0, 120));
            else socket.write(masked(Buffer.from(start)));
            setImmediate(() => socket.destroy());
          });
        });
      });
    for (let i = 0; i < 300; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => drop(cuts[(i + j) % cuts.length]!)));
    expect(kernel.child.exitCode).toBeNull();
    // The kernel sees each close a moment after the client: wait until its gauge has counted them all.
    let open = Infinity;
    for (let i = 0; i < 200 && open > 0; i++) {
      open = total(await scrape(kernel.http), 'baton_sockets');
      if (open > 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(open).toBe(0);
    // Every slot came back: the tenant can again hold max_connections_per_tenant streams at once.
    const clients = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => GatewayClient.connect(`ws://${kernel.http}/v1/stream`, ['baton.v1.proto'], { authorization: `Bearer ${DEV_KEY}` })));
    const refused = clients.filter((c) => 'refused' in c);
    for (const c of clients) if (!('refused' in c)) c.terminate();
    expect(refused).toEqual([]);
  }, 180_000);

  test('afterwards a clean session commits a turn', async () => {
    const { client, model } = await openStreamSession('proto');
    const state = { encoding: client.encoding, session_id: model.session_id, epoch: model.epoch, lastSeq: model.lastSeq };
    const request = eventFrame('turn.request', { text: 'hello' }, state);
    client.send(request.frame, true);
    const end = await client.until(0, (r) => r.event?.kind === 'output.end');
    expect(typeof end === 'string' ? end : end.event!.kind).toBe('output.end');
    const ended = (end as Received).event as AnyEnvelope & { kind: 'output.end' };
    const ack = eventFrame('playback.completed', { played_ms: ended.payload.generated_ms }, { ...state, lastSeq: request.seq }, { turn_id: ended.turn_id });
    client.send(ack.frame, true);
    const terminal = await client.until(0, (r) => r.event?.kind === 'turn.committed' || r.event?.kind === 'turn.aborted');
    expect(typeof terminal === 'string' ? terminal : terminal.event!.kind).toBe('turn.committed');
    client.ws.close(1000);
    await client.closed();
  });

  test(`once the fuzz's sessions have ended, the kernel retains at most ${RETAINED_GROWTH_BOUND / MiB} MiB more than after the warm-up and its RSS is within ${RSS_GROWTH_BOUND / MiB} MiB`, async () => {
    expect(kernel.child.exitCode).toBeNull();
    const growth = memoryGrowth(baseline, await settledMemory(kernel, SETTLE_MS));
    console.info(`hostile ws memory after settling and a full GC: ${growth.text} (bounds ${mib(RETAINED_GROWTH_BOUND)} retained, ${mib(RSS_GROWTH_BOUND)} RSS)`);
    expect(growth.retained).toBeLessThanOrEqual(RETAINED_GROWTH_BOUND);
    expect(growth.rss).toBeLessThanOrEqual(RSS_GROWTH_BOUND);
  }, 60_000);
});

describe('large valid frames on one session', () => {
  const FRAMES = 300;
  /**
   * Stated bound for one session's memory, whatever its frames: the timeline keeps a window of at
   * most timeline_memory_bytes (1 MiB) and 4 MiB waiting for the disk (DESIGN 7, 12); the rest is
   * frames in flight and garbage not yet collected. Measured 65 to 82 MiB of peak growth for 300 MB sent.
   */
  const SESSION_BOUND = 128 * MiB;
  let kernel: KernelProcess;
  let timelineDir: string;

  beforeAll(async () => {
    timelineDir = mkdtempSync(join(tmpdir(), 'baton-it-large-frames-'));
    kernel = await startKernel(['--timeline-dir', timelineDir]);
  });

  afterAll(async () => {
    await kernel?.stop();
    if (timelineDir) rmSync(timelineDir, { recursive: true, force: true });
  });

  test(`${FRAMES} telemetry events of 1 MB each grow the kernel's RSS by at most ${SESSION_BOUND / MiB} MiB`, async () => {
    const { client, state } = await startStreamSession(kernel.http, DEV_KEY);
    const before = await kernelRss(kernel.http);
    let peak = before;
    const name = 'n'.repeat(1_000_000);
    for (let i = 0; i < FRAMES; i++) {
      const event = eventFrame('telemetry', { name, value: i }, state);
      state.lastSeq = event.seq;
      client.send(event.frame, true);
      if (i % 25 === 24) {
        // A barrier so the kernel has taken every frame so far, then a sample.
        const probe = eventFrame('cancel', { scope: 'turn', reason: 'probe' }, state, { turn_id: 't-999999999' });
        state.lastSeq = probe.seq;
        client.send(probe.frame, true);
        await client.until(0, (r) => r.event?.kind === 'error' && r.event.payload.ref_id === probe.id);
        peak = Math.max(peak, await kernelRss(kernel.http));
      }
    }
    // The probes' own answers are not_found; the telemetry itself is valid and gets none.
    const errors = client.log.filter((r) => r.event?.kind === 'error' && r.event.payload.code !== 'not_found');
    client.terminate();
    console.info(`large frames: ${FRAMES} x 1 MB telemetry on one session; RSS ${mib(before)} -> peak ${mib(peak)}, growth ${mib(peak - before)}, bound ${mib(SESSION_BOUND)}`);
    expect(errors).toEqual([]);
    expect(peak - before).toBeLessThanOrEqual(SESSION_BOUND);
  }, 120_000);
});

describe('a gateway that never reads its socket', () => {
  const SLOW_READERS = 8;
  const LOAD_MS = 8000;
  /** The egress bound per socket: above 4x egress_buffer_bytes the kernel cuts the reader off. */
  const EGRESS_BUFFER = KEYS.egress_buffer_bytes.default;
  const PER_SOCKET_BOUND = 4 * EGRESS_BUFFER;
  /** RSS noise between two runs of the same load (GC timing, allocator pages). */
  const SLACK = 32 * MiB;
  const LONG_TEXT = 'tell me a very long story about the sea, the wind, the lighthouse keeper, his dog and the storm that came at night';
  const BURST_PIPELINE = 'slow-reader-burst';
  let kernel: KernelProcess;
  let timelineDir: string;

  beforeAll(async () => {
    timelineDir = mkdtempSync(join(tmpdir(), 'baton-it-slow-reader-'));
    kernel = await startKernel(['--timeline-dir', timelineDir]);
  });

  afterAll(async () => {
    await kernel?.stop();
    if (timelineDir) rmSync(timelineDir, { recursive: true, force: true });
  });

  /**
   * The demo pipeline allowed to run 2 minutes ahead of playback, at 48 kHz: each new turn
   * puts seconds of audio on the socket at once, so a reader that stops reading falls
   * behind by megabytes within a second instead of 32 KB a second.
   */
  async function publishBurstPipeline(): Promise<void> {
    const control = new RawControlClient(kernel.grpc);
    try {
      const methods = controlMethods();
      const get = methods.find((m) => m.name === 'Pipelines.GetPipeline')!;
      const publish = methods.find((m) => m.name === 'Pipelines.PublishPipeline')!;
      const auth = { authorization: `Bearer ${DEV_KEY}`, deadlineMs: 10_000 };
      const demo = await control.call(get, [encodeRequest(get.requestType, { name: 'demo' })], auth);
      if (demo.code !== 0) throw new Error(`GetPipeline demo: ${demo.details}`);
      const { spec } = get.responseType.toObject(get.responseType.decode(demo.messages[0]!)) as { spec: Record<string, unknown> };
      const burst = { ...spec, name: BURST_PIPELINE, budgets: { ...(spec['budgets'] as object), max_ahead_ms: 120_000 } };
      const published = await control.call(publish, [encodeRequest(publish.requestType, { spec: burst })], auth);
      if (published.code !== 0) throw new Error(`PublishPipeline ${BURST_PIPELINE}: ${published.details}`);
    } finally {
      control.close();
    }
  }

  const session = (pipeline = 'demo', sample_rate = 16000): ReturnType<typeof startStreamSession> =>
    startStreamSession(kernel.http, DEV_KEY, { pipeline, sample_rate });

  async function committedTurn(): Promise<string> {
    const { client, state } = await session();
    const request = eventFrame('turn.request', { text: 'hello' }, state);
    client.send(request.frame, true);
    const end = await client.until(0, (r) => r.event?.kind === 'output.end');
    if (typeof end === 'string') return `no output.end (${end})`;
    const ended = end.event as AnyEnvelope & { kind: 'output.end' };
    client.send(eventFrame('playback.completed', { played_ms: ended.payload.generated_ms }, { ...state, lastSeq: request.seq }, { turn_id: ended.turn_id }).frame, true);
    const terminal = await client.until(0, (r) => r.event?.kind === 'turn.committed' || r.event?.kind === 'turn.aborted');
    client.terminate();
    return typeof terminal === 'string' ? terminal : terminal.event!.kind;
  }

  /**
   * Drives `readers` for LOAD_MS: every 40 ms each cancels what its session is saying and asks
   * for a new long answer, so every turn starts a fresh burst of audio. Returns the peak RSS.
   */
  async function churn(readers: Awaited<ReturnType<typeof session>>[]): Promise<{ peak: number; requested: number }> {
    let requested = 0;
    let peak = 0;
    const started = Date.now();
    while (Date.now() - started < LOAD_MS) {
      for (const { client, state } of readers) {
        const cancel = eventFrame('cancel', { scope: 'session', reason: 'again' }, state);
        state.lastSeq = cancel.seq;
        const request = eventFrame('turn.request', { text: LONG_TEXT }, state);
        state.lastSeq = request.seq;
        client.send(cancel.frame, true);
        client.send(request.frame, true);
        requested += 1;
      }
      peak = Math.max(peak, await kernelRss(kernel.http));
      await new Promise((r) => setTimeout(r, 40));
    }
    return { peak, requested };
  }

  test(`${SLOW_READERS} paused readers asking for turn after turn raise RSS by at most ${SLOW_READERS} x ${mib(PER_SOCKET_BOUND)} + ${mib(SLACK)} over the same load read normally, and the kernel keeps serving others`, async () => {
    await publishBurstPipeline();
    expect(await committedTurn()).toBe('turn.committed');
    // The same load from gateways that read everything: what turn churn alone costs (heap growth, timelines, GC lag).
    const reading = await Promise.all(Array.from({ length: SLOW_READERS }, () => session(BURST_PIPELINE, 48_000)));
    const before = await kernelRss(kernel.http);
    const withReaders = await churn(reading);
    const audioRead = reading.reduce((n, { client }) => n + client.log.filter((r) => r.event?.kind === 'audio.out').length, 0);
    for (const { client } of reading) client.terminate();
    const baseline = Math.max(withReaders.peak, await kernelRss(kernel.http));

    const readers = await Promise.all(Array.from({ length: SLOW_READERS }, () => session(BURST_PIPELINE, 48_000)));
    for (const { client } of readers) client.pauseReading();
    const paused = await churn(readers);
    // While they are still paused, another gateway gets a whole turn.
    const othersServed = await committedTurn();
    const peak = Math.max(paused.peak, await kernelRss(kernel.http));
    const samples = await scrape(kernel.http);
    const held = total(samples, 'baton_egress_backpressure_total');
    const refused = total(samples, 'baton_egress_fenced_total', { reason: 'slow_reader' });
    const cutOff = total(samples, 'baton_socket_closes_total', { code: 'slow_reader' });
    for (const { client } of readers) client.resumeReading();
    const stillOpen = readers.filter(({ client }) => client.open).length;
    for (const { client } of readers) client.terminate();
    const bound = SLOW_READERS * PER_SOCKET_BOUND + SLACK;
    console.info(
      `slow readers: ${SLOW_READERS} sockets x ${LOAD_MS} ms of turn churn. Reading normally: ${withReaders.requested} turn requests, ${audioRead} audio.out read, ` +
        `RSS ${mib(before)} -> peak ${mib(withReaders.peak)}. Paused: ${paused.requested} turn requests, RSS peak ${mib(peak)}, ` +
        `growth over the reading peak ${mib(peak - baseline)}, bound ${mib(bound)} (egress_buffer_bytes ${EGRESS_BUFFER}); ` +
        `producer holds ${held}, Data refused ${refused}, readers cut off ${cutOff}, open after resume ${stillOpen}; another gateway's turn: ${othersServed}`,
    );
    expect(kernel.child.exitCode).toBeNull();
    expect(othersServed).toBe('turn.committed');
    // The bound engaged: the producer was held back (or the reader refused or cut off) rather than buffering.
    expect(held + refused + cutOff).toBeGreaterThan(0);
    expect(peak - baseline).toBeLessThanOrEqual(bound);
  }, 120_000);
});
