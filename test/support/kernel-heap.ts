// Measures what a live kernel process retains, not what it has not yet
// collected: through the V8 inspector of a kernel started with
// `--inspect=127.0.0.1:0`, a full garbage collection and then the heap in use.
// RSS alone keeps the allocator's high-water mark and the garbage of the last
// burst, so it cannot tell a leak from a busy minute.
import { WebSocket } from 'ws';
import { kernelRss, mib, settled } from './hostile-metrics.js';

export const INSPECT_ARGS = ['--inspect=127.0.0.1:0'];

export interface RetainedMemory {
  /** V8 heap in use after a full collection. */
  readonly heapUsed: number;
  /** Memory outside the V8 heap still owned by live objects (Buffers, ArrayBuffers) after the same collection. */
  readonly external: number;
}

/** The inspector's WebSocket address, from the line node prints on stderr when it starts listening. */
export function inspectorUrl(stderr: readonly string[]): string {
  const match = /Debugger listening on (ws:\/\/\S+)/.exec(stderr.join(''));
  if (!match) throw new Error('the kernel was not started with --inspect: no "Debugger listening on ws://..." line on its stderr');
  return match[1]!;
}

/** Collects garbage in the kernel (twice: weak references and finalizers free more on the second pass) and reads what is left. */
export async function retainedMemory(stderr: readonly string[]): Promise<RetainedMemory> {
  const ws = new WebSocket(inspectorUrl(stderr), { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 0;
  const call = (method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const onMessage = (data: Buffer): void => {
        const message = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
        if (message.id !== id) return;
        ws.off('message', onMessage);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result ?? {});
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const evaluated = await call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    });
    const usage = JSON.parse((evaluated['result'] as { value: string }).value) as { heapUsed: number; external: number };
    return { heapUsed: usage.heapUsed, external: usage.external };
  } finally {
    ws.close();
  }
}

export interface MemorySnapshot {
  readonly retained: RetainedMemory;
  readonly rss: number;
}

/** Waits until every session and socket of the kernel has ended, collects garbage, and reads retained memory and RSS. */
export async function settledMemory(kernel: { readonly http: string; readonly stderr: readonly string[] }, settleMs: number): Promise<MemorySnapshot> {
  await settled(kernel.http, settleMs);
  const retained = await retainedMemory(kernel.stderr);
  return { retained, rss: await kernelRss(kernel.http) };
}

/** Growth from one snapshot to a later one: retained (heap in use + external) and RSS, in bytes, and a line saying both. */
export function memoryGrowth(before: MemorySnapshot, after: MemorySnapshot): { retained: number; rss: number; text: string } {
  const retained = after.retained.heapUsed + after.retained.external - (before.retained.heapUsed + before.retained.external);
  const rss = after.rss - before.rss;
  const text =
    `heap used ${mib(before.retained.heapUsed)} -> ${mib(after.retained.heapUsed)}, external ${mib(before.retained.external)} -> ${mib(after.retained.external)}, ` +
    `retained growth ${mib(retained)}; RSS ${mib(before.rss)} -> ${mib(after.rss)}, growth ${mib(rss)}`;
  return { retained, rss, text };
}

