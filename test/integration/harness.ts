// Starts real kernel processes from the compiled CLI and runs Debian's
// python3 clients against them. Used by every integration test.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'cmd', 'baton.js');
export const PYTHON = '/usr/bin/python3';
export const DEV_KEY = 'integration-dev-key-0123456789';

export interface KernelProcess {
  readonly child: ChildProcess;
  readonly http: string;
  readonly grpc: string;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Sends SIGTERM and resolves with the exit code and the time it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** `nodeArgs` go to node before the CLI (e.g. `--inspect=127.0.0.1:0` for test/support/kernel-heap.ts). */
export async function startKernel(args: string[] = [], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<KernelProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "make build" (make test does) before the integration tests`);
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve', '--http-port', '0', '--grpc-port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, BATON_DEV_KEY: DEV_KEY, BATON_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`kernel not ready in 20 s; stderr: ${stderr.join('')}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      stdout.push(chunk.toString());
      const match = /^baton ready http=(\S+) grpc=(\S+)$/m.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kernel exited with ${code} before ready; stderr: ${stderr.join('')}`));
    });
  });
  return {
    child,
    http: ready[1]!,
    grpc: ready[2]!,
    stdout,
    stderr,
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      const started = Date.now();
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve({ code: child.exitCode, ms: 0 });
        child.once('exit', (code) => resolve({ code, ms: Date.now() - started }));
        child.kill(signal);
      });
    },
  };
}

/** Runs a script from test/integration/py with Debian's python3 and parses its last JSON line. */
export function runPython<T = Record<string, unknown>>(script: string, args: string[], timeoutMs = 60_000): T {
  const result = spawnSync(PYTHON, [join(ROOT, 'test', 'integration', 'py', script), ...args], {
    cwd: join(ROOT, 'test', 'integration', 'py'),
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  if (result.error) throw new Error(`${script}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${script} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}
