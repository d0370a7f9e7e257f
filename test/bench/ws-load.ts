// WebSocket benches against real processes: cancel-to-fence with N sessions
// streaming 50 audio frames/s each (cancel written by the client to
// output.clear read back, and no later audio.out of that turn), and the same
// load against a raw `ws` echo server, whose probe round trip is the baseline.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { type AnyEnvelope, type IngressKind, type Payloads, anyEnvelope, decodeBinary, encodeBinary } from '../../api/eventabi/index.js';
import { report, summarize } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const KEY = 'bench-dev-key-0123456789abcdef';

function startProcess(args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = ready.exec(buffer);
      if (match) resolve({ child, match });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code} before ready`)));
  });
}

interface Client {
  ws: WebSocket;
  session_id: string;
  epoch: number;
  seq: number;
  turn: string;
  audioOut: number;
  onEvent?: (event: AnyEnvelope) => void;
  lateAudio: number;
  cancelled: Set<string>;
}

function send<K extends IngressKind>(c: Client, kind: K, payload: Payloads[K], turn_id = ''): void {
  c.seq += 1;
  c.ws.send(encodeBinary(anyEnvelope(kind, payload, { id: `g${c.seq}`, session_id: c.session_id, epoch: c.epoch, seq: c.seq, turn_id })));
}

async function connectKernelClient(http: string): Promise<Client> {
  const ws = new WebSocket(`ws://${http}/v1/stream`, 'baton.v1.proto', { headers: { authorization: `Bearer ${KEY}` }, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const client: Client = { ws, session_id: '', epoch: 0, seq: 0, turn: '', audioOut: 0, lateAudio: 0, cancelled: new Set() };
  const started = new Promise<void>((resolve) => {
    ws.on('message', (data: Buffer) => {
      const decoded = decodeBinary(data);
      if (!decoded.ok) return;
      const event = decoded.event;
      if (event.kind === 'session.started') {
        client.session_id = event.payload.session_id;
        client.epoch = event.payload.epoch;
        resolve();
      } else if (event.kind === 'turn.opened') {
        client.turn = event.turn_id;
      } else if (event.kind === 'output.clear') {
        // From here on, nothing of this turn may arrive.
        client.cancelled.add(event.turn_id);
      } else if (event.kind === 'audio.out') {
        if (client.cancelled.has(event.turn_id)) client.lateAudio++;
        if (event.turn_id === client.turn) client.audioOut++;
      } else if (event.kind === 'turn.closed' && event.turn_id === client.turn) {
        client.turn = '';
      }
      client.onEvent?.(event);
    });
  });
  client.seq = 1;
  ws.send(encodeBinary(anyEnvelope('session.start', { pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 }, { id: 'g1', seq: 1 })));
  await started;
  return client;
}

const LONG_TEXT = 'tell me a very long story about the sea, the wind, the lighthouse keeper, his dog and the storm that came at night';

export async function runCancelToFenceRealBench(sessions = 500, cancels = 300): Promise<void> {
  // Baseline: raw ws echo under the same streaming load.
  const echo = await startProcess([join(here, 'echo-server.js')], /echo ready port=(\d+)/);
  const echoPort = echo.match[1]!;
  const frame = Buffer.alloc(681, 1);
  const echoClients: WebSocket[] = [];
  for (let i = 0; i < sessions; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${echoPort}`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    echoClients.push(ws);
  }
  const echoLoad = setInterval(() => {
    for (const ws of echoClients) ws.send(frame);
  }, 20);
  const probeRtts: number[] = [];
  for (let i = 0; i < cancels; i++) {
    const ws = echoClients[i % sessions]!;
    const probe = Buffer.from(`probe-${i}`);
    const rtt = await new Promise<number>((resolve) => {
      const start = performance.now();
      const onMessage = (data: Buffer): void => {
        if (data.length === probe.length && data.equals(probe)) {
          ws.off('message', onMessage);
          resolve(performance.now() - start);
        }
      };
      ws.on('message', onMessage);
      ws.send(probe);
    });
    probeRtts.push(rtt);
    await new Promise((r) => setTimeout(r, 5));
  }
  clearInterval(echoLoad);
  for (const ws of echoClients) ws.terminate();
  echo.child.kill('SIGTERM');

  // Baton under the same load: every session streams audio and speaks a long turn.
  const kernel = await startProcess(
    [...(process.env['BENCH_KERNEL_NODE_ARGS'] ?? '').split(' ').filter(Boolean), join(here, '..', '..', 'cmd', 'baton.js'), 'serve', '--http-port', '0', '--grpc-port', '0', '--max-sessions-per-tenant', String(sessions * 2)],
    /baton ready http=(\S+) grpc=(\S+)/,
    { BATON_DEV_KEY: KEY, BATON_LOG_LEVEL: 'error' },
  );
  const http = kernel.match[1]!;
  const clients: Client[] = [];
  for (let i = 0; i < sessions; i++) clients.push(await connectKernelClient(http));
  const audio = Buffer.alloc(640, 1);
  const load = setInterval(() => {
    for (const c of clients) send(c, 'audio.in', { audio });
  }, 20);
  for (const c of clients) send(c, 'turn.request', { text: LONG_TEXT });
  // Let every session open its turn and start speaking before cancelling any.
  await new Promise((r) => setTimeout(r, 2000));
  const opened = clients.filter((c) => c.turn && c.audioOut > 0).length;
  const fenceMs: number[] = [];
  let skipped = 0;
  for (let i = 0; i < cancels; i++) {
    const c = clients[i % sessions]!;
    if (!c.turn || c.audioOut === 0) {
      skipped++;
      if (!c.turn) send(c, 'turn.request', { text: LONG_TEXT });
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    const turn = c.turn;
    // The turn may finish on its own before the cancel lands (turn_closed): that cancel is skipped, not timed.
    const elapsed = await new Promise<number | undefined>((resolve) => {
      const start = performance.now();
      const timer = setTimeout(() => resolve(undefined), 10_000);
      c.onEvent = (event) => {
        const done =
          (event.kind === 'output.clear' && event.turn_id === turn) || (event.kind === 'error' && event.payload.code === 'turn_closed');
        if (!done) return;
        clearTimeout(timer);
        c.onEvent = undefined;
        resolve(event.kind === 'output.clear' ? performance.now() - start : undefined);
      };
      send(c, 'cancel', { scope: 'turn', reason: 'barge_in' }, turn);
    });
    if (elapsed === undefined) skipped++;
    else fenceMs.push(elapsed);
    c.audioOut = 0;
    await new Promise((r) => setTimeout(r, 5));
    send(c, 'turn.request', { text: LONG_TEXT });
  }
  await new Promise((r) => setTimeout(r, 500));
  clearInterval(load);
  const late = clients.reduce((n, c) => n + c.lateAudio, 0);
  for (const c of clients) c.ws.terminate();
  kernel.child.kill('SIGTERM');
  const ours = summarize(fenceMs);
  const base = summarize(probeRtts);
  report('cancel_to_fence_real', {
    sessions,
    speaking_at_start: opened,
    cancels: ours.n,
    skipped,
    p50_ms: ours.p50,
    p99_ms: ours.p99,
    target_p99_ms: 5,
    raw_ws_probe_p50_ms: base.p50,
    raw_ws_probe_p99_ms: base.p99,
    ratio_p99: ours.p99 / base.p99,
    target_ratio: 2,
    late_audio_after_clear: late,
  });
}
