// ProposeTurn over gRPC against a real kernel process, against a raw grpc-js
// unary echo server (its own process, like the kernel) measured in the same
// run, from the same client with the same request bytes (DESIGN 13: p99
// ratio <= 1.5). Every proposal is a real decision: proposals go round-robin
// over many sessions and each opened turn is cancelled (untimed) before its
// session is proposed to again, so outcomes are OPENED; the counts of every
// outcome are reported. Echo and proposal calls alternate, so drift in the
// machine's load falls on both alike.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { type ControlMethod, RawControlClient, controlMethods, decodeResponse, encodeRequest } from '../support/hostile-grpc.js';
import { kernelRss } from '../support/hostile-metrics.js';
import { report, summarize } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const KEY = 'bench-dev-key-0123456789abcdef';
const ECHO_ENV = 'BATON_BENCH_GRPC_ECHO';

const identity = (bytes: Buffer): Buffer => bytes;

const ECHO_SERVICE: grpc.ServiceDefinition = {
  Echo: {
    path: '/bench.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** The baseline peer: a grpc-js server whose one unary method answers with the request's bytes. */
function serveEcho(): void {
  const server = new grpc.Server();
  server.addService(ECHO_SERVICE, { Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, call.request) });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    process.stdout.write(`echo ready port=${port}\n`);
  });
  process.on('SIGTERM', () => server.forceShutdown());
}

// This module is also the echo server's program: forked with ECHO_ENV set, it serves instead of benchmarking.
if (process.env[ECHO_ENV] === '1') serveEcho();

function waitReady(child: ChildProcess, ready: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = ready.exec(buffer);
      if (match) resolve(match);
    });
    child.once('exit', (code) => reject(new Error(`${ready.source}: process exited ${code} before ready`)));
  });
}

export async function runProposeGrpcBench(proposals = 2000, sessions = 200): Promise<void> {
  const echo = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, [ECHO_ENV]: '1' }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const kernel = spawn(process.execPath, [join(here, '..', '..', 'cmd', 'baton.js'), 'serve', '--http-port', '0', '--grpc-port', '0'], {
    env: { ...process.env, BATON_DEV_KEY: KEY, BATON_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [echoReady, kernelReady] = await Promise.all([waitReady(echo, /echo ready port=(\d+)/), waitReady(kernel, /baton ready http=(\S+) grpc=(\S+)/)]);
    const http = kernelReady[1]!;
    const methods = controlMethods();
    const method = (name: string): ControlMethod => methods.find((m) => m.name === name)!;
    const open = method('Sessions.OpenSession');
    const propose = method('Sessions.ProposeTurn');
    const cancel = method('Sessions.CancelTurn');
    const echoMethod: ControlMethod = { ...propose, name: 'bench.Echo', path: '/bench.Echo/Echo' };
    // One client process, two channels of the same kind: one to each server.
    const toKernel = new RawControlClient(kernelReady[2]!);
    const toEcho = new RawControlClient(`127.0.0.1:${echoReady[1]}`);
    const auth = { authorization: `Bearer ${KEY}`, deadlineMs: 10_000 };

    const opened: { session_id: string; epoch: number }[] = [];
    for (let i = 0; i < sessions; i++) {
      const result = await toKernel.call(open, [encodeRequest(open.requestType, { pipeline: 'demo' })], auth);
      if (result.code !== grpc.status.OK) throw new Error(`OpenSession: ${result.details}`);
      opened.push(decodeResponse(open.responseType, result.messages[0]!));
    }
    const proposalBytes = opened.map((s) => encodeRequest(propose.requestType, { session_id: s.session_id, epoch: s.epoch, text: 'hello' }));
    const outcomes = new Map<string, number>();
    const proposeMs: number[] = [];
    const echoMs: number[] = [];
    const warmup = Math.min(200, sessions);
    let sent = 0;
    for (let i = 0; i < warmup + proposals; i++) {
      const slot = i % sessions;
      const body = proposalBytes[slot]!;
      // Alternate which goes first, so neither always follows the untimed cancel.
      const echoFirst = i % 2 === 0;
      const timedEcho = async (): Promise<number> => {
        const t = performance.now();
        const result = await toEcho.call(echoMethod, [body], auth);
        if (result.code !== grpc.status.OK) throw new Error(`echo: ${result.details}`);
        return performance.now() - t;
      };
      const timedPropose = async (): Promise<{ ms: number; outcome: string; turn_id: string }> => {
        const t = performance.now();
        const result = await toKernel.call(propose, [body], auth);
        const ms = performance.now() - t;
        if (result.code !== grpc.status.OK) return { ms, outcome: grpc.status[result.code] ?? String(result.code), turn_id: '' };
        const decision = decodeResponse<{ outcome: string; turn_id: string; reason: string }>(propose.responseType, result.messages[0]!);
        return { ms, outcome: decision.outcome === 'TURN_OUTCOME_OPENED' ? 'OPENED' : `${decision.outcome.replace('TURN_OUTCOME_', '')}:${decision.reason}`, turn_id: decision.turn_id };
      };
      let e: number;
      let p: { ms: number; outcome: string; turn_id: string };
      if (echoFirst) {
        e = await timedEcho();
        p = await timedPropose();
      } else {
        p = await timedPropose();
        e = await timedEcho();
      }
      if (p.turn_id) {
        // Untimed: end the turn so the session's next proposal is a fresh decision that can open.
        const s = opened[slot]!;
        await toKernel.call(cancel, [encodeRequest(cancel.requestType, { session_id: s.session_id, turn_id: p.turn_id, epoch: s.epoch, reason: 'bench' })], auth);
      }
      if (i < warmup) continue;
      sent += 1;
      echoMs.push(e);
      proposeMs.push(p.ms);
      outcomes.set(p.outcome, (outcomes.get(p.outcome) ?? 0) + 1);
    }
    const rss = await kernelRss(http);
    toKernel.close();
    toEcho.close();
    const ours = summarize(proposeMs);
    const base = summarize(echoMs);
    report('propose_grpc', {
      proposals: String(sent),
      sessions: String(sessions),
      outcomes: [...outcomes].map(([k, n]) => `${k}=${n}`).join(','),
      p50_ms: ours.p50,
      p99_ms: ours.p99,
      max_ms: ours.max,
      echo_p50_ms: base.p50,
      echo_p99_ms: base.p99,
      ratio_p50: ours.p50 / base.p50,
      ratio_p99: ours.p99 / base.p99,
      target_ratio_p99: 1.5,
      request_bytes: String(proposalBytes[0]!.length),
      kernel_rss_mib: rss / (1024 * 1024),
    });
  } finally {
    kernel.kill('SIGTERM');
    echo.kill('SIGTERM');
  }
}
