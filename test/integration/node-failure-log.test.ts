// What an operator reads in a real kernel's log when a turn fails (issue 7;
// docs/operations.md, "Logs and personal data"): a node failure is one warn
// line naming the session, turn, epoch, node, error code and abort reason,
// and no line ever carries the caller's words or audio. Pipelines whose
// mock_llm fails are published over gRPC, a JSON gateway asks each for a turn
// with a secret in its text (after some caller audio), and the kernel's
// stderr is read as pino JSON once it has drained.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AnyEnvelope } from '../../api/eventabi/index.js';
import { DEMO_PIPELINE } from '../../internal/plan/embedded.js';
import type { PipelineSpec } from '../../internal/plan/types.js';
import { RawControlClient, controlMethods, encodeRequest } from '../support/hostile-grpc.js';
import { type GatewayClient, type StreamState, eventFrame, startStreamSession } from '../support/hostile-ws.js';
import { DEV_KEY, type KernelProcess, startKernel } from './harness.js';

const SECRET = 'swordfish';
const USER_TEXT = `my secret is ${SECRET}`;
/** 20 ms of pcm16 at 16 kHz, a pattern no log line could hold by chance. */
const CALLER_FRAME = Uint8Array.from({ length: 640 }, (_, i) => (i * 37 + 11) % 251);
const WARN = 40;
/** A run of base64 this long is audio (or some other payload), never a field an operator needs. */
const BASE64_RUN = /[A-Za-z0-9+/]{200,}={0,2}/;

/** `demo` with its llm node configured to fail. */
function failingDemo(name: string, config: Record<string, string>): PipelineSpec {
  return { ...DEMO_PIPELINE, name, nodes: DEMO_PIPELINE.nodes.map((node) => (node.id === 'llm' ? { ...node, config } : node)) };
}

const FAILURES = {
  // Every provider attempt answers `unavailable`: the turn aborts provider_failure.
  provider: { pipeline: failingDemo('log-provider-fail', { fail: 'unavailable', latency_ms: '20' }), reason: 'provider_failure', code: 'unavailable' },
  // A config mistake a new operator makes: the node fails on its own setting.
  setting: { pipeline: failingDemo('log-bad-setting', { vary: 'bogus' }), reason: 'node_failure', code: 'execution' },
  // The node throws.
  thrown: { pipeline: failingDemo('log-node-throw', { throw: 'mock_llm was told to throw' }), reason: 'node_failure', code: 'execution' },
} as const;
type Failure = keyof typeof FAILURES;

interface Turn {
  session_id: string;
  epoch: number;
  turn_id: string;
  terminal: AnyEnvelope | undefined;
  /** Base64 of the audio the kernel sent the gateway. */
  audioOut: string[];
}

type LogLine = Record<string, unknown> & { level: number; msg: string };

let kernel: KernelProcess;
let lines: LogLine[];
let unparsed: string[];
let rawLog: string;
let text: string[];
const turns = new Map<Failure | 'committed', Turn>();

async function publish(specs: PipelineSpec[]): Promise<void> {
  const control = new RawControlClient(kernel.grpc);
  try {
    const method = controlMethods().find((m) => m.name === 'Pipelines.PublishPipeline')!;
    for (const spec of specs) {
      const published = await control.call(method, [encodeRequest(method.requestType, { spec })], { authorization: `Bearer ${DEV_KEY}`, deadlineMs: 10_000 });
      if (published.code !== 0) throw new Error(`PublishPipeline ${spec.name}: ${published.details}`);
    }
  } finally {
    control.close();
  }
}

/** Sends one ingress event on the session's stream and advances its seq. */
function send(client: GatewayClient, state: StreamState, kind: Parameters<typeof eventFrame>[0], payload: Record<string, unknown>, over: Partial<AnyEnvelope> = {}): void {
  const event = eventFrame(kind, payload, state, over);
  client.send(event.frame, false);
  state.lastSeq = event.seq;
}

/** Opens a session on `pipeline`, sends caller audio and a turn.request with the secret, and waits for the turn's terminal event. */
async function runTurn(pipeline: string): Promise<Turn> {
  const { client, state } = await startStreamSession(kernel.http, DEV_KEY, { encoding: 'json', pipeline });
  try {
    for (let i = 0; i < 5; i++) send(client, state, 'audio.in', { audio: CALLER_FRAME });
    send(client, state, 'turn.request', { text: USER_TEXT });
    const first = await client.until(0, (r) => r.event?.kind === 'output.end' || r.event?.kind === 'turn.aborted');
    if (typeof first === 'string') throw new Error(`${pipeline}: no output.end or turn.aborted (${first})`);
    if (first.event!.kind === 'output.end') {
      const ended = first.event as AnyEnvelope & { kind: 'output.end' };
      send(client, state, 'playback.completed', { played_ms: ended.payload.generated_ms }, { turn_id: ended.turn_id });
    }
    const terminal = await client.until(0, (r) => r.event?.kind === 'turn.committed' || r.event?.kind === 'turn.aborted');
    const audioOut = client.log.flatMap((r) => (r.event?.kind === 'audio.out' ? [Buffer.from(r.event.payload.audio).toString('base64')] : []));
    const event = typeof terminal === 'string' ? undefined : terminal.event;
    return { session_id: state.session_id, epoch: state.epoch, turn_id: event?.turn_id ?? '', terminal: event, audioOut };
  } finally {
    client.terminate();
  }
}

const failureLines = (turn: Turn): LogLine[] => lines.filter((line) => line.level === WARN && line['session_id'] === turn.session_id && 'node_id' in line);

describe('node failures in the log of a real kernel process', () => {
  beforeAll(async () => {
    kernel = await startKernel([], { BATON_LOG_LEVEL: 'info' });
    const exited = new Promise((resolve) => kernel.child.once('close', resolve));
    try {
      await publish(Object.values(FAILURES).map((f) => f.pipeline));
      for (const [name, failure] of Object.entries(FAILURES)) turns.set(name as Failure, await runTurn(failure.pipeline.name));
      turns.set('committed', await runTurn('demo'));
    } finally {
      // Drained, the kernel has flushed every line it wrote.
      await kernel.stop();
      await exited;
    }
    rawLog = kernel.stderr.join('');
    text = rawLog.split('\n').filter((line) => line.trim() !== '');
    unparsed = [];
    lines = [];
    for (const line of text) {
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        unparsed.push(line);
      }
    }
  }, 90_000);

  afterAll(async () => {
    await kernel?.stop();
  });

  test('the kernel logged pino JSON only, and the turns ended as their pipelines say', () => {
    expect(unparsed).toEqual([]);
    expect(lines.length).toBeGreaterThan(0);
    // A child logger repeating a root binding writes the key twice: JSON.parse keeps the last, a log processor may keep the first.
    expect(text.filter((line) => line.split('"service":').length > 2)).toEqual([]);
    for (const [name, failure] of Object.entries(FAILURES)) {
      expect(turns.get(name as Failure)!.terminal, name).toMatchObject({ kind: 'turn.aborted', payload: { reason: failure.reason } });
    }
    expect(turns.get('committed')!.terminal).toMatchObject({ kind: 'turn.committed' });
    expect(turns.get('committed')!.audioOut.length).toBeGreaterThan(0);
  });

  test.each(Object.keys(FAILURES) as Failure[])('a %s failure is exactly one warn line with session_id, turn_id, epoch, node_id, code, reason and a message', (name) => {
    const turn = turns.get(name)!;
    const failure = FAILURES[name];
    const logged = failureLines(turn);
    expect(logged).toHaveLength(1);
    const line = logged[0]!;
    expect(line).toMatchObject({ session_id: turn.session_id, turn_id: turn.turn_id, epoch: turn.epoch, node_id: 'llm', code: failure.code, reason: failure.reason });
    expect(typeof line['epoch']).toBe('number');
    expect(line.msg).toBe(`node llm failed: ${failure.code}; the turn aborts ${failure.reason}`);
    expect(typeof line['error']).toBe('string');
    expect((line['error'] as string).length).toBeGreaterThan(0);
    expect((line['error'] as string).length).toBeLessThanOrEqual(512);
  });

  test('a committed turn logs no node failure', () => {
    expect(failureLines(turns.get('committed')!)).toEqual([]);
  });

  test("no log line holds the caller's text or audio, or the audio the kernel spoke", () => {
    expect(rawLog).not.toContain(SECRET);
    expect(rawLog).not.toContain(Buffer.from(CALLER_FRAME).toString('base64'));
    for (const audio of turns.get('committed')!.audioOut) expect(rawLog).not.toContain(audio);
    expect(lines.filter((line) => BASE64_RUN.test(JSON.stringify(line)))).toEqual([]);
  });

  test('every line with a turn_id also has a session_id', () => {
    const turnLines = lines.filter((line) => 'turn_id' in line);
    expect(turnLines.length).toBeGreaterThanOrEqual(Object.keys(FAILURES).length);
    expect(turnLines.filter((line) => typeof line['session_id'] !== 'string' || line['session_id'] === '')).toEqual([]);
  });
});
