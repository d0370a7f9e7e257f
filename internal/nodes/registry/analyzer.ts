// Where script analysis runs: on the caller's thread (tests, tools) or on a worker thread, so that parsing a large untrusted source never stalls the kernel's event loop. It never decides what a source may contain (analyze.ts does).
import { Worker } from 'node:worker_threads';
import { type AnalysisLimits, type AnalysisResult, analyzeScript } from './analyze.js';
import { SCRIPT_LIMITS, type ScriptKind } from './names.js';

export interface ScriptAnalyzer {
  /** The analysis of one source; never rejects. A request whose `signal` aborts before it starts is not run. */
  analyze(kind: ScriptKind, source: string, signal?: AbortSignal): Promise<AnalysisResult>;
}

/** Analysis on the calling thread: for tests and tools, where a stall of the event loop harms nobody. */
export class InlineAnalyzer implements ScriptAnalyzer {
  constructor(private readonly limits: AnalysisLimits = SCRIPT_LIMITS) {}

  analyze(kind: ScriptKind, source: string): Promise<AnalysisResult> {
    return Promise.resolve(analyzeScript(kind, source, this.limits));
  }
}

/** What WorkerAnalyzer posts to its worker. */
export interface AnalysisRequest {
  id: number;
  kind: ScriptKind;
  source: string;
  limits: AnalysisLimits;
}

export interface WorkerAnalyzerOptions {
  limits?: AnalysisLimits;
  /** Longest one analysis may take before its worker is stopped and replaced; default 5000. */
  timeoutMs?: number;
  /** Requests waiting for the worker; one more is refused at once; default 32. */
  maxQueued?: number;
  /** Starts a worker speaking the AnalysisRequest protocol; default the compiled analyze-worker.js beside this module. */
  spawn?: () => Worker;
}

export const WORKER_ANALYZER_DEFAULTS = Object.freeze({ timeoutMs: 5000, maxQueued: 32 });

/**
 * A parse of 256 KiB takes tens of milliseconds, and a hostile source can ask
 * for much more memory than its size: both stay off the kernel's main thread.
 * Heap limits keep such a source from taking the kernel's memory with it.
 */
const WORKER_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 };

interface Pending {
  readonly id: number;
  readonly kind: ScriptKind;
  readonly source: string;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (result: AnalysisResult) => void;
}

/**
 * One worker thread, one analysis at a time, a bounded queue. The worker is
 * started on first use and does not keep the process alive. A worker that
 * exits, fails or overruns its time is replaced for the next request; the
 * request it was running is answered with `analysis_unavailable`, as are
 * requests beyond the queue bound.
 */
export class WorkerAnalyzer implements ScriptAnalyzer {
  private worker: Worker | undefined;
  private running: { pending: Pending; timer: NodeJS.Timeout } | undefined;
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private readonly limits: AnalysisLimits;
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  private readonly spawn: () => Worker;

  constructor(opts: WorkerAnalyzerOptions = {}) {
    this.limits = opts.limits ?? SCRIPT_LIMITS;
    this.timeoutMs = opts.timeoutMs ?? WORKER_ANALYZER_DEFAULTS.timeoutMs;
    this.maxQueued = opts.maxQueued ?? WORKER_ANALYZER_DEFAULTS.maxQueued;
    this.spawn = opts.spawn ?? (() => new Worker(new URL('./analyze-worker.js', import.meta.url), { resourceLimits: WORKER_RESOURCE_LIMITS }));
  }

  analyze(kind: ScriptKind, source: string, signal?: AbortSignal): Promise<AnalysisResult> {
    if (this.closed) return Promise.resolve(unavailable('the analyzer was closed'));
    if (this.queue.length >= this.maxQueued) {
      return Promise.resolve(unavailable(`${this.queue.length} scripts are already waiting for analysis; retry shortly`));
    }
    return new Promise<AnalysisResult>((resolve) => {
      this.queue.push({ id: this.nextId++, kind, source, signal, resolve });
      this.pump();
    });
  }

  /** Stops the worker; queued and running requests are answered `analysis_unavailable`. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    for (const pending of this.queue.splice(0)) pending.resolve(unavailable('the analyzer was closed'));
    this.fail('the analyzer was closed');
    await worker?.terminate();
  }

  private pump(): void {
    if (this.running || this.closed) return;
    let next = this.queue.shift();
    // A request whose caller has gone (cancel, deadline) is not worth a parse.
    while (next?.signal?.aborted) {
      next.resolve(unavailable('the request was cancelled before its analysis started'));
      next = this.queue.shift();
    }
    if (!next) return;
    const worker = this.ensureWorker();
    const timer = setTimeout(() => {
      this.replaceWorker();
      this.fail(`the analysis took longer than ${this.timeoutMs} ms and was stopped`);
    }, this.timeoutMs);
    timer.unref();
    this.running = { pending: next, timer };
    const request: AnalysisRequest = { id: next.id, kind: next.kind, source: next.source, limits: this.limits };
    worker.postMessage(request);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.spawn();
    // The kernel's own servers keep the process alive; an idle analyzer must not.
    worker.unref();
    worker.on('message', (message: { id: number; result: AnalysisResult }) => {
      if (worker !== this.worker || !this.running || message.id !== this.running.pending.id) return;
      this.finish(message.result);
    });
    worker.on('error', (err: Error) => {
      if (worker !== this.worker) return;
      this.worker = undefined;
      this.fail(`the analyzer failed (${err.message})`);
    });
    worker.on('exit', (code) => {
      if (worker !== this.worker) return;
      this.worker = undefined;
      this.fail(`the analyzer stopped (exit code ${code}), possibly out of memory on this source`);
    });
    this.worker = worker;
    return worker;
  }

  private replaceWorker(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  private finish(result: AnalysisResult): void {
    const running = this.running!;
    clearTimeout(running.timer);
    this.running = undefined;
    running.pending.resolve(result);
    this.pump();
  }

  private fail(reason: string): void {
    if (this.running) this.finish(unavailable(reason));
    else this.pump();
  }
}

function unavailable(message: string): AnalysisResult {
  return { ok: false, problems: [{ code: 'analysis_unavailable', message }] };
}
