// The QuickJS script tier (DESIGN 11, 11.1): a bounded pool of worker threads with a bounded queue, each invocation answered exactly once. It never runs a script on the main thread, never waits without bound for a worker, and delivers nothing of an invocation to its host after that invocation's result.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ScriptHost, ScriptInvocation, ScriptResult, ScriptTier } from '../../script-tier.js';
import { BOUNDARY_LIMITS, type EngineLimits, type FromWorker, type RunRequest, STARTED_BYTES, sharedNow, type ToWorker, type WorkerData } from './protocol.js';

export interface QuickJSTierOptions {
  /** Workers; clamped to [1, cores - 1]. Default cores - 1. */
  readonly poolSize?: number;
  /** Invocations waiting for a worker; one more is refused at once (`overloaded:`). Default 64. */
  readonly maxQueued?: number;
  /** Hard memory cap of one tenant's engine (config `script_memory_bytes`). Default 64 MiB, at least 32 MiB. */
  readonly memoryBytes?: number;
  /** A call that overruns its budget by this much has its worker terminated. Default 50. */
  readonly graceMs?: number;
  /** Invocations one context serves before a fresh one is made (any error also retires it). Default 1000: the context's intrinsics are frozen, so reuse carries nothing between calls. */
  readonly contextRuns?: number;
  /** Compiled modules kept per tenant (config `script_cache_entries`), least recently used dropped. Default 256. */
  readonly cacheEntries?: number;
  /** Tenant engines one worker keeps. Default 4. */
  readonly enginesPerWorker?: number;
  /** Engine stack limit. Default 256 KiB. */
  readonly maxStackBytes?: number;
  /** The compiled worker entry; default worker.js beside this module (the dist build). */
  readonly workerUrl?: URL;
}

/** The message prefix of a refusal because every worker is busy and the queue is full: the graph executor defers or aborts the turn. */
export const OVERLOADED = 'overloaded:';

export const QUICKJS_TIER_DEFAULTS = Object.freeze({
  maxQueued: 64,
  memoryBytes: 64 * 1024 * 1024,
  graceMs: 50,
  contextRuns: 1000,
  cacheEntries: 256,
  enginesPerWorker: 4,
  maxStackBytes: 256 * 1024,
});

/** The engine's own data and stack live in the first 16 MiB of its memory; the cap must leave room above them. */
const MIN_MEMORY_BYTES = 32 * 1024 * 1024;
/** How long a fresh worker may take to load the engine before its invocation is given up as `internal`. */
const START_TIMEOUT_MS = 10_000;
/** The worker's own V8 heap: small, since scripts live in WebAssembly memory outside it. */
const WORKER_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 16 };

interface Pending {
  readonly invocation: ScriptInvocation;
  readonly request: RunRequest;
  readonly resolve: (result: ScriptResult) => void;
  settled: boolean;
  /** Sent again once already, after its first worker died before starting it. */
  retried?: boolean;
  readonly onAbort: () => void;
}

/** One worker and the invocation it runs; the slot stays busy until the worker says done or is replaced. */
interface Slot {
  worker: Worker;
  readonly word: Int32Array;
  readonly cancelWord: SharedArrayBuffer;
  readonly startedWord: SharedArrayBuffer;
  readonly startedId: Int32Array;
  readonly startedAt: Float64Array;
  running: Pending | undefined;
  /** When the running invocation was posted (shared clock). */
  dispatchedAt: number;
  /** The slot's one backstop timer, kept armed across calls (refreshed, not re-created, per dispatch) and left to lapse after an answer. */
  timer: NodeJS.Timeout | undefined;
  /** The delay `timer` was armed with; NaN when it is not the backstop (a cancel's grace). */
  timerDelay: number;
}

export class QuickJSTier implements ScriptTier {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly poolSize: number;
  private readonly maxQueued: number;
  private readonly graceMs: number;
  private readonly limits: EngineLimits;
  private readonly workerUrl: URL;
  private nextId = 1;
  private closed = false;
  /** Workers started, for tests and the bench: a replacement counts. */
  workersStarted = 0;

  constructor(opts: QuickJSTierOptions = {}) {
    const cores = Math.max(1, availableParallelism() - 1);
    this.poolSize = Math.min(cores, Math.max(1, Math.floor(opts.poolSize ?? cores)));
    this.maxQueued = Math.max(0, opts.maxQueued ?? QUICKJS_TIER_DEFAULTS.maxQueued);
    this.graceMs = opts.graceMs ?? QUICKJS_TIER_DEFAULTS.graceMs;
    const memoryBytes = Math.max(MIN_MEMORY_BYTES, opts.memoryBytes ?? QUICKJS_TIER_DEFAULTS.memoryBytes);
    this.limits = Object.freeze({
      memoryBytes,
      // QuickJS counts only its own allocations; allocator overhead and the engine's static 16 MiB sit between its limit and the cap.
      runtimeMemoryBytes: memoryBytes - Math.max(16 * 1024 * 1024 + 4 * 1024 * 1024, memoryBytes / 8),
      maxStackBytes: opts.maxStackBytes ?? QUICKJS_TIER_DEFAULTS.maxStackBytes,
      contextRuns: Math.max(1, opts.contextRuns ?? QUICKJS_TIER_DEFAULTS.contextRuns),
      cacheEntries: Math.max(1, opts.cacheEntries ?? QUICKJS_TIER_DEFAULTS.cacheEntries),
      enginesPerWorker: Math.max(1, opts.enginesPerWorker ?? QUICKJS_TIER_DEFAULTS.enginesPerWorker),
    });
    this.workerUrl = opts.workerUrl ?? new URL('./worker.js', import.meta.url);
  }

  /** Workers alive now; never above the pool size. */
  get workers(): number {
    return this.slots.length;
  }

  get maxWorkers(): number {
    return this.poolSize;
  }

  invoke(invocation: ScriptInvocation): Promise<ScriptResult> {
    if (this.closed) return Promise.resolve(canceled('the script tier was closed'));
    if (invocation.signal.aborted) return Promise.resolve(canceled('the invocation was cancelled before it started'));
    const request = this.request(invocation);
    if ('ok' in request) return Promise.resolve(request);
    const idle = this.idleSlot();
    if (!idle && this.queue.length >= this.maxQueued) {
      return Promise.resolve({
        ok: false,
        code: 'internal',
        message: `${OVERLOADED} all ${this.poolSize} script workers are busy and ${this.queue.length} invocations are waiting`,
      });
    }
    return new Promise<ScriptResult>((resolve) => {
      const pending: Pending = {
        invocation,
        request,
        settled: false,
        resolve,
        onAbort: () => this.abort(pending),
      };
      invocation.signal.addEventListener('abort', pending.onAbort, { once: true });
      if (idle) this.dispatch(idle, pending);
      else this.queue.push(pending);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) this.settle(pending, canceled('the script tier was closed'));
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      if (slot.running) this.settle(slot.running, canceled('the script tier was closed'));
      clearTimeout(slot.timer);
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  /** The run request, or a refusal when the input is over its cap. Everything is copied as JSON here. */
  private request(invocation: ScriptInvocation): RunRequest | ScriptResult {
    const input = JSON.stringify({ text: invocation.input.text, history: invocation.input.history.map((h) => ({ role: h.role, text: h.text })) });
    if (input.length > BOUNDARY_LIMITS.inputChars) {
      return { ok: false, code: 'execution', message: `the input is ${input.length} characters of JSON, over the ${BOUNDARY_LIMITS.inputChars} limit` };
    }
    const { script, ctx } = invocation;
    return {
      type: 'run',
      id: this.nextId++,
      tenant: script.tenant,
      entry: script.entry,
      sources: [...script.sources].map(([name, pinned]) => [name, pinned.hash, pinned.source] as const),
      // Built from the already-serialized input: nothing is stringified twice.
      call: `[${JSON.stringify(invocation.randomSeed)},${input},${JSON.stringify({ node_id: ctx.node_id, config: { ...ctx.config }, turn: { ordinal: ctx.turn.ordinal, seed: ctx.turn.seed } })}]`,
      nowMs: invocation.nowMs,
      budgetMs: invocation.budgetMs,
      state: Object.entries(invocation.state).map(([key, value]) => [key, JSON.stringify(value)] as const),
    };
  }

  private idleSlot(): Slot | undefined {
    const idle = this.slots.find((slot) => !slot.running);
    if (idle) return idle;
    if (this.slots.length < this.poolSize) return this.startSlot();
    return undefined;
  }

  private startSlot(): Slot {
    const cancelWord = new SharedArrayBuffer(4);
    const startedWord = new SharedArrayBuffer(STARTED_BYTES);
    const slot: Slot = {
      worker: undefined as unknown as Worker,
      word: new Int32Array(cancelWord),
      cancelWord,
      startedWord,
      startedId: new Int32Array(startedWord, 0, 1),
      startedAt: new Float64Array(startedWord, 8, 1),
      running: undefined,
      dispatchedAt: 0,
      timer: undefined,
      timerDelay: Number.NaN,
    };
    this.spawnInto(slot);
    this.slots.push(slot);
    return slot;
  }

  private spawnInto(slot: Slot): void {
    const data: WorkerData = { limits: this.limits, cancelWord: slot.cancelWord, startedWord: slot.startedWord };
    const worker = new Worker(this.workerUrl, { workerData: data, resourceLimits: WORKER_RESOURCE_LIMITS });
    this.workersStarted++;
    // The kernel's servers keep the process alive; an idle pool must not.
    worker.unref();
    worker.on('message', (message: FromWorker) => {
      if (slot.worker === worker) this.onMessage(slot, message);
    });
    worker.on('error', (err: Error) => {
      if (slot.worker === worker) this.replace(slot, { ok: false, code: 'internal', message: `the script worker failed (${err.message})` }, { retryUnstarted: true });
    });
    worker.on('exit', (code) => {
      if (slot.worker === worker) this.replace(slot, { ok: false, code: 'internal', message: `the script worker stopped (exit code ${code})` }, { retryUnstarted: true });
    });
    slot.worker = worker;
  }

  private dispatch(slot: Slot, pending: Pending): void {
    slot.running = pending;
    slot.dispatchedAt = sharedNow();
    Atomics.store(slot.word, 0, 0);
    this.arm(slot, pending.request.budgetMs + this.graceMs);
    this.post(slot, pending.request);
  }

  /** Arms the backstop `delayMs` from now: the same delay as last time refreshes the timer instead of making a new one. */
  private arm(slot: Slot, delayMs: number): void {
    if (slot.timer && slot.timerDelay === delayMs) {
      slot.timer.refresh();
      return;
    }
    clearTimeout(slot.timer);
    slot.timerDelay = delayMs;
    slot.timer = setTimeout(() => this.backstop(slot), Math.max(1, delayMs));
    slot.timer.unref();
  }

  /**
   * The backstop without a 'started' message: the worker writes when the
   * handler started into shared memory; each time the timer fires it reads
   * that, and either re-arms for what is left of budget + grace or replaces
   * the worker (a cold worker's engine load is not the script's time). A
   * timer left from an answered call finds the slot idle, or finds a later
   * call that re-armed it at its own dispatch, so it only ever re-arms.
   */
  private backstop(slot: Slot): void {
    const pending = slot.running;
    if (!pending) return;
    const { budgetMs, id } = pending.request;
    const now = sharedNow();
    if (Atomics.load(slot.startedId, 0) !== id) {
      const waited = now - slot.dispatchedAt;
      if (waited >= START_TIMEOUT_MS) {
        this.replace(slot, { ok: false, code: 'internal', message: `the script worker did not start the invocation within ${START_TIMEOUT_MS} ms` });
      } else {
        this.arm(slot, Math.min(START_TIMEOUT_MS - waited, budgetMs + this.graceMs));
      }
      return;
    }
    const due = slot.startedAt[0]! + budgetMs + this.graceMs;
    if (now >= due) {
      this.replace(slot, { ok: false, code: 'timeout', message: `the script ran past its ${budgetMs} ms budget and its worker was stopped` });
    } else {
      this.arm(slot, due - now);
    }
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    const pending = slot.running;
    if (!pending || message.id !== pending.request.id) return;
    switch (message.type) {
      case 'emit':
        if (!pending.settled) guard(() => pending.invocation.host.emit(message.text));
        return;
      case 'log':
        if (!pending.settled) guard(() => pending.invocation.host.log(message.level, message.message));
        return;
      case 'provider':
        if (!pending.settled) this.callProvider(slot, pending, message.call, message.binding, message.json);
        return;
      case 'done':
        // The backstop is left armed: the next dispatch refreshes it, and if it fires first it finds the slot idle.
        slot.running = undefined;
        this.settle(pending, message.result);
        this.pump(slot);
        return;
    }
  }

  private callProvider(slot: Slot, pending: Pending, call: number, binding: string, json: string): void {
    const host: ScriptHost = pending.invocation.host;
    const answer = (reply: ToWorker): void => {
      // A late answer for an invocation already answered, or for a worker since replaced, is dropped.
      if (slot.running === pending && !pending.settled) this.post(slot, reply);
    };
    let promise: Promise<unknown>;
    try {
      promise = Promise.resolve(host.providerCall(binding, JSON.parse(json)));
    } catch (err) {
      promise = Promise.reject(err);
    }
    promise.then(
      (value) => {
        const text = JSON.stringify(value ?? null) ?? 'null';
        if (text.length > BOUNDARY_LIMITS.providerChars) {
          answer({ type: 'provider_answer', id: pending.request.id, call, ok: false, message: `the provider answer is over the ${BOUNDARY_LIMITS.providerChars} character limit` });
        } else {
          answer({ type: 'provider_answer', id: pending.request.id, call, ok: true, json: text });
        }
      },
      (err: unknown) => {
        if (isSecurityViolation(err)) {
          if (slot.running !== pending || pending.settled) return;
          this.settle(pending, { ok: false, code: 'security_violation', message: messageOf(err) });
          this.cancelRunning(slot, pending);
          return;
        }
        answer({ type: 'provider_answer', id: pending.request.id, call, ok: false, message: messageOf(err) });
      },
    );
  }

  /** A cancel is answered at once; the worker's slot stays busy until the script has stopped, or its worker is replaced after the grace. */
  private abort(pending: Pending): void {
    if (pending.settled) return;
    const queued = this.queue.indexOf(pending);
    if (queued >= 0) this.queue.splice(queued, 1);
    this.settle(pending, canceled('the invocation was cancelled'));
    const slot = this.slots.find((s) => s.running === pending);
    if (slot) this.cancelRunning(slot, pending);
  }

  private cancelRunning(slot: Slot, pending: Pending): void {
    Atomics.store(slot.word, 0, pending.request.id);
    this.post(slot, { type: 'cancel', id: pending.request.id });
    clearTimeout(slot.timer);
    slot.timerDelay = Number.NaN;
    slot.timer = setTimeout(() => {
      // A worker that stopped in time said done and took the next call: that call is not this cancel's to end.
      if (slot.running === pending) this.replace(slot, canceled('the invocation was cancelled'));
    }, this.graceMs + 200);
    slot.timer.unref();
  }

  /** The backstop: a worker that overran, failed or hung is terminated and a fresh one takes its slot. */
  /**
   * Replaces the slot's worker. A call its dying worker never started (it
   * was dispatched while the worker was already terminating, or died while
   * loading) runs once more on the replacement when `retryUnstarted`: a
   * worker's death is the pool's problem, not that call's. Anything the
   * script had started answers `result`.
   */
  private replace(slot: Slot, result: ScriptResult, opts: { retryUnstarted?: boolean } = {}): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.timerDelay = Number.NaN;
    const pending = slot.running;
    slot.running = undefined;
    const old = slot.worker;
    const retry =
      pending !== undefined &&
      opts.retryUnstarted === true &&
      !this.closed &&
      !pending.retried &&
      !pending.settled &&
      !pending.invocation.signal.aborted &&
      Atomics.load(slot.startedId, 0) !== pending.request.id;
    if (pending && !retry) this.settle(pending, result);
    if (this.closed) return;
    this.spawnInto(slot);
    void old.terminate();
    if (retry) {
      pending.retried = true;
      this.dispatch(slot, pending);
    } else {
      this.pump(slot);
    }
  }

  private pump(slot: Slot): void {
    if (this.closed || slot.running) return;
    const next = this.queue.shift();
    if (next) this.dispatch(slot, next);
  }

  private post(slot: Slot, message: ToWorker): void {
    slot.worker.postMessage(message);
  }

  private settle(pending: Pending, result: ScriptResult): void {
    if (pending.settled) return;
    pending.settled = true;
    pending.invocation.signal.removeEventListener('abort', pending.onAbort);
    pending.resolve(result);
  }
}

/**
 * The agreed shape of a refused provider binding: `host.providerCall` rejects
 * with an error whose `code` is `'security_violation'`. The invocation ends
 * at once with that code; the script never sees the refusal, so it cannot
 * catch it and probe on.
 */
export class CapabilityDenied extends Error {
  readonly code = 'security_violation' as const;
  constructor(message: string) {
    super(message);
    this.name = 'CapabilityDenied';
  }
}

function isSecurityViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'security_violation';
}

/** Only the message reaches the script: never the host's stack or its other fields. */
function messageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : 'the provider call failed';
  return message.slice(0, 1024);
}

function canceled(message: string): ScriptResult {
  return { ok: false, code: 'canceled', message };
}

/** A host callback that throws must not take the pool down with it. */
function guard(fn: () => void): void {
  try {
    fn();
  } catch {
    // The host's own failure; the invocation's result still comes from the script.
  }
}
