// The worker thread scripts run on: one invocation at a time from the QuickJS tier, each on its tenant's own engine. It keeps engines between invocations (bounded, least recently used dropped) and never runs two invocations at once.
import { parentPort, workerData } from 'node:worker_threads';
import type { ScriptResult } from '../../script-tier.js';
import { type RunOutlet, TenantEngine } from './engine.js';
import { type FromWorker, type RunRequest, sharedNow, type ToWorker, type WorkerData } from './protocol.js';

const { limits, cancelWord, startedWord } = workerData as WorkerData;
const word = new Int32Array(cancelWord);
const startedId = new Int32Array(startedWord, 0, 1);
const startedAt = new Float64Array(startedWord, 8, 1);
/** Insertion order is recency: a used engine is moved to the end. */
const engines = new Map<string, TenantEngine>();
let running: { id: number; engine: TenantEngine | undefined; cancelled: boolean } | undefined;

function post(message: FromWorker): void {
  parentPort!.postMessage(message);
}

/** A kept engine is handed back as is (no await, so a warm call takes no extra turn); only a new one is a promise. */
function engineFor(tenant: string): TenantEngine | Promise<TenantEngine> {
  const kept = engines.get(tenant);
  if (kept && !kept.poisoned) {
    engines.delete(tenant);
    engines.set(tenant, kept);
    return kept;
  }
  if (kept) engines.delete(tenant);
  while (engines.size >= limits.enginesPerWorker) {
    const [oldest, engine] = engines.entries().next().value as [string, TenantEngine];
    engines.delete(oldest);
    engine.dispose();
  }
  return TenantEngine.create(limits, word).then((engine) => {
    engines.set(tenant, engine);
    return engine;
  });
}

/** One outlet for every invocation: it reads the running one's id, so a call allocates none. */
const outlet: RunOutlet = {
  started: () => {
    // The time first: the id's store is the fence that publishes it.
    startedAt[0] = sharedNow();
    Atomics.store(startedId, 0, running!.id);
  },
  emit: (text) => post({ type: 'emit', id: running!.id, text }),
  log: (level, message) => post({ type: 'log', id: running!.id, level, message }),
  provider: (call, binding, json) => post({ type: 'provider', id: running!.id, call, binding, json }),
};

async function run(req: RunRequest): Promise<void> {
  running = { id: req.id, engine: undefined, cancelled: false };
  let result: ScriptResult;
  try {
    const found = engineFor(req.tenant);
    const engine = found instanceof TenantEngine ? found : await found;
    running.engine = engine;
    if (running.cancelled) engine.cancel(req.id);
    result = await engine.run(req, outlet);
    if (engine.poisoned) {
      engines.delete(req.tenant);
      engine.dispose();
    }
  } catch (err) {
    result = { ok: false, code: 'internal', message: `the engine could not start: ${(err as Error).message}` };
  }
  running = undefined;
  post({ type: 'done', id: req.id, result });
}

parentPort!.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'run':
      void run(message);
      return;
    case 'provider_answer':
      running?.engine?.deliver(message.id, message.call, message.ok, message.ok ? message.json : message.message);
      return;
    case 'cancel':
      if (running?.id !== message.id) return;
      running.cancelled = true;
      running.engine?.cancel(message.id);
      return;
  }
});
