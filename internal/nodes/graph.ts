// The in-process node host: walks a frozen plan's chain stt -> (custom | llm)... -> tts as one streaming pipeline per turn on its tiers, under node budgets and cancellation, recording every invocation; it never touches egress, the fence or the arbiter.
import PQueue from 'p-queue';
import type { NodeSpec } from '../plan/types.js';
import { BUILTIN_IMPLS } from './builtin/index.js';
import { mockLlm } from './builtin/mock-llm.js';
import { BuiltinTier } from './builtin-tier.js';
import { WorkDeadline, sleep } from './deadline.js';
import { DeltaBuffer } from './delta-buffer.js';
import { InvocationEvidence } from './invocation.js';
import type { NodeCall, NodeImpl } from './node.js';
import type { ProviderGate } from './provider-call.js';
import { GraphStop, type NodeWork, type StageScope, describeError, graphFailure } from './scope.js';
import { type ScriptNodes, ScriptNodeTier } from './script-node.js';
import { resolveChain } from './stages.js';
import type { NodeTier, TextRunner } from './tier.js';
import type { GraphContext, GraphFailure, GraphResult, GraphRun, NodeHost, NodeOutput, TurnInput } from './types.js';

export const DEFAULT_PROVIDER_CONCURRENCY = 64;
export const DEFAULT_MAX_QUEUED_PROVIDER_CALLS = 1024;
/** A reply longer than this is a runaway provider, not an answer; it must not grow the turn without bound. */
export const MAX_REPLY_CHARS = 65_536;

export interface InProcessNodeHostOptions {
  /** Provider calls running at once across every turn of this host. */
  providerConcurrency?: number;
  /** Provider calls allowed to wait for a slot; a call beyond that is refused `overloaded` (p-queue itself is unbounded). */
  maxQueuedProviderCalls?: number;
  /** Node implementations by builtin name; defaults to the built-ins. */
  impls?: Readonly<Record<string, NodeImpl>>;
  /** The script tier and what it needs; without it a script node fails `not_found`. */
  scripts?: ScriptNodes;
}

/** baton:provider adapters by binding kind when the host is given none. */
const DEFAULT_SCRIPT_PROVIDERS = Object.freeze({ mock: mockLlm });

export class InProcessNodeHost implements NodeHost {
  private readonly providers: ProviderGate;
  /** Asked in order; the first that takes a node runs it. */
  private readonly tiers: readonly NodeTier[];

  constructor(options: InProcessNodeHostOptions = {}) {
    this.providers = {
      queue: new PQueue({ concurrency: options.providerConcurrency ?? DEFAULT_PROVIDER_CONCURRENCY }),
      maxQueued: options.maxQueuedProviderCalls ?? DEFAULT_MAX_QUEUED_PROVIDER_CALLS,
    };
    const builtins = new BuiltinTier(options.impls ?? BUILTIN_IMPLS, this.providers);
    const scripts = options.scripts;
    this.tiers = scripts ? [new ScriptNodeTier(scripts, this.providers, scripts.providers ?? DEFAULT_SCRIPT_PROVIDERS), builtins] : [builtins];
  }

  run(ctx: GraphContext, input: TurnInput): GraphRun {
    return { done: new TurnGraph(ctx, input, this.tiers).start() };
  }

  /** Provider calls waiting for a slot and running now (for metrics). */
  get providerLoad(): { waiting: number; running: number } {
    return { waiting: this.providers.queue.size, running: this.providers.queue.pending };
  }
}

/** Why the run's stop signal fired: the run is settled, and everything still working must stop. */
const RUN_STOPPED = Object.freeze({ stop: 'run_settled' });

function concat(frames: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const frame of frames) size += frame.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const frame of frames) {
    out.set(frame, offset);
    offset += frame.length;
  }
  return out;
}

/**
 * One turn's run of the graph, from `run()` until `done` settles. Settling is
 * the single place where the outcome is decided (first cause wins), the stop
 * signal fires, unfinished invocations are recorded, and emitting ends.
 */
class TurnGraph implements StageScope {
  private readonly stop = new AbortController();
  private readonly open = new Set<InvocationEvidence>();
  /** Each node's latest budget, so an invocation still open when the run settles can say whether it was over it. */
  private readonly deadlines = new Map<string, WorkDeadline>();
  private readonly startedAt: number;
  private settled = false;
  private resolveDone: (result: GraphResult) => void = () => undefined;
  private generatedMs = 0;
  private reply = '';

  constructor(
    readonly ctx: GraphContext,
    private readonly input: TurnInput,
    private readonly tiers: readonly NodeTier[],
  ) {
    this.startedAt = ctx.clock.now();
  }

  get signal(): AbortSignal {
    return this.stop.signal;
  }

  start(): Promise<GraphResult> {
    const done = new Promise<GraphResult>((resolve) => {
      this.resolveDone = resolve;
    });
    if (this.ctx.signal.aborted) {
      this.finish({ ok: false, canceled: true });
      return done;
    }
    this.ctx.signal.addEventListener('abort', this.onCancel, { once: true });
    this.pipeline().then(
      (result) => this.finish(result),
      (err: unknown) => this.finishFromError(err),
    );
    return done;
  }

  private readonly onCancel = (): void => this.finish({ ok: false, canceled: true });

  private finishFromError(err: unknown): void {
    if (err instanceof GraphStop) {
      this.fail(err.failure);
    } else if (!this.settled) {
      // Only the host's own bug (or a throwing session callback) lands here: every node error is mapped where it happens.
      this.finish({ ok: false, failure: graphFailure('node_failure', undefined, 'internal', `node host: ${describeError(err)}`) });
    }
  }

  private fail(cause: GraphFailure): void {
    this.finish({ ok: false, failure: cause }, cause.node_id, cause.code);
  }

  /**
   * Settles once. Invocations still open are recorded: the failing node's
   * with `failedOutcome`, one whose node is working past its budget `timeout`
   * (DESIGN 11.1: the turn's active budget, which is that node's default budget,
   * can end the turn a timer tick before the node's own deadline does), the
   * rest `canceled`.
   */
  private finish(result: GraphResult, failedNode?: string, failedOutcome?: string): void {
    if (this.settled) return;
    this.settled = true;
    this.ctx.signal.removeEventListener('abort', this.onCancel);
    this.stop.abort(RUN_STOPPED);
    try {
      const now = this.ctx.clock.now();
      for (const inv of this.open) {
        const outcome = inv.node.id === failedNode && failedOutcome ? failedOutcome : this.deadlines.get(inv.node.id)?.overrun ? 'timeout' : 'canceled';
        const record = inv.close(outcome, now);
        if (record) this.ctx.record(record);
      }
      this.open.clear();
    } finally {
      this.resolveDone(result);
    }
  }

  /** The only way out to the session: nothing passes once the run is settled or the turn is cancelled. */
  private emit(out: NodeOutput): void {
    if (this.settled || this.ctx.signal.aborted) return;
    this.ctx.emit(out);
  }

  private async pipeline(): Promise<GraphResult> {
    const resolved = resolveChain(this.ctx.plan, this.tiers, this.ctx);
    if (!resolved.ok) return { ok: false, failure: resolved.failure };
    const { stt, text, tts } = resolved.chain;

    const userText = this.input.text !== '' ? this.input.text : stt ? await stt.transcribe(concat(this.input.audio), this) : '';
    this.emit({ type: 'transcript', role: 'user', text: userText, final: true });

    const last = text[text.length - 1];
    const speaker = tts?.open(this);
    const say = async (delta: string): Promise<void> => {
      if (delta === '') return;
      if (this.reply.length + delta.length > MAX_REPLY_CHARS) {
        throw new GraphStop(graphFailure('node_failure', last?.node, 'memory_limit', `the reply exceeds ${MAX_REPLY_CHARS} characters`));
      }
      this.reply += delta;
      this.emit({ type: 'transcript', role: 'assistant', text: delta, final: false });
      await speaker?.push(delta);
    };
    // Each text node hears the one before it; without any the pipeline speaks what it heard (an stt -> tts echo).
    let heard = userText;
    for (const node of text.slice(0, -1)) heard = await this.rewrite(node, heard);
    if (last) await this.generate(last, heard, say);
    else await say(heard);
    await speaker?.end();

    this.emit({ type: 'transcript', role: 'assistant', text: this.reply, final: true });
    this.emit({ type: 'end', generated_ms: this.generatedMs });
    return { ok: true, generated_ms: this.generatedMs };
  }

  /** A text node before the last: its whole output is the next node's input, and none of it is said. */
  private async rewrite(runner: TextRunner, text: string): Promise<string> {
    let out = '';
    await runner.generate(text, this, (delta) => {
      if (out.length + delta.length > MAX_REPLY_CHARS) {
        // Settles the run at once: a delta callback cannot throw into the node that streams it.
        this.fail(graphFailure('node_failure', runner.node, 'memory_limit', `node ${runner.node.id}: its output exceeds ${MAX_REPLY_CHARS} characters`));
        return;
      }
      out += delta;
    });
    this.signal.throwIfAborted();
    return out;
  }

  /**
   * Runs the last text node as a producer into a buffer and reads it here, so
   * the order of everything emitted depends only on the sequence of deltas,
   * never on how node and TTS timing interleave.
   */
  private async generate(runner: TextRunner, text: string, say: (delta: string) => Promise<void>): Promise<void> {
    const buffer = new DeltaBuffer(this.signal);
    const producer = runner.generate(text, this, (delta) => buffer.push(delta)).finally(() => buffer.end());
    // A node failure settles the run at once, even while the reader is blocked on credits.
    producer.catch((err: unknown) => this.finishFromError(err));
    for (let delta = await buffer.next(); delta !== undefined; delta = await buffer.next()) await say(delta);
    await producer;
  }

  // ---- StageScope: what the stage runners may do ----

  /** A node's own `budget_ms`, else what is left of the turn's active budget. */
  startWork(node: Readonly<NodeSpec>): NodeWork {
    const own = node.budget_ms !== undefined && node.budget_ms > 0;
    const budget = own ? node.budget_ms! : this.startedAt + this.ctx.plan.budgets.active_ms - this.ctx.clock.now();
    const exhausted = () =>
      graphFailure('budget_exhausted', node, 'timeout', own ? `node ${node.id} ran past its ${budget} ms budget` : `node ${node.id} ran past the turn's active budget`);
    if (budget <= 0) throw new GraphStop(exhausted());
    const deadline = new WorkDeadline(this.ctx.clock, budget, () => this.fail(exhausted()));
    this.deadlines.set(node.id, deadline);
    return { deadline, done: () => deadline.stop() };
  }

  openInvocation(node: Readonly<NodeSpec>, kind?: string): InvocationEvidence {
    this.signal.throwIfAborted();
    const inv = new InvocationEvidence(node, this.ctx.clock.now(), kind);
    this.open.add(inv);
    return inv;
  }

  close(inv: InvocationEvidence, outcome: string): void {
    this.open.delete(inv);
    const record = inv.close(outcome, this.ctx.clock.now());
    if (record) this.ctx.record(record);
  }

  nodeThrew(inv: InvocationEvidence, err: unknown): unknown {
    if (this.signal.aborted) return err;
    this.close(inv, 'execution');
    return new GraphStop(graphFailure('node_failure', inv.node, 'execution', `node ${inv.node.id} failed: ${describeError(err)}`));
  }

  protocolError(inv: InvocationEvidence, message: string): GraphStop {
    this.close(inv, 'protocol_error');
    return new GraphStop(graphFailure('node_failure', inv.node, 'protocol_error', `node ${inv.node.id}: ${message}`));
  }

  nodeCall(node: Readonly<NodeSpec>, signal: AbortSignal): NodeCall {
    const clock = this.ctx.clock;
    return {
      node_id: node.id,
      config: node.config ?? {},
      seed: this.ctx.seed,
      clock,
      format: this.ctx.format,
      signal,
      sleep: (ms) => sleep(clock, ms, signal),
    };
  }

  audio(frame: Uint8Array, ms: number): void {
    if (this.settled || this.ctx.signal.aborted) return;
    this.generatedMs += ms;
    this.emit({ type: 'audio', audio: frame, ms });
  }
}
