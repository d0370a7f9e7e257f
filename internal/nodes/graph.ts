// The in-process node host: runs a frozen plan's stt -> llm -> tts as one streaming pipeline per turn, under node budgets, cancellation and provider retry/fallback, recording every invocation; it never touches egress, the fence or the arbiter.
import PQueue from 'p-queue';
import { randomStream } from '../determinism/seeds.js';
import type { NodeSpec } from '../plan/types.js';
import { BUILTIN_IMPLS } from './builtin/index.js';
import { WorkDeadline, abortable, invoke, sleep } from './deadline.js';
import { DeltaBuffer } from './delta-buffer.js';
import { InvocationEvidence, utf8Bytes } from './invocation.js';
import type { LlmCall, LlmNode, NodeCall, NodeImpl, SttNode, TtsCall, TtsNode, TtsStream } from './node.js';
import { bindingChain, retryDelayMs, retrySameBinding } from './provider-policy.js';
import { type Stage, resolveStages } from './stages.js';
import {
  type GraphContext,
  type GraphFailure,
  type GraphResult,
  type GraphRun,
  type NodeHost,
  type NodeOutput,
  PROVIDER_OUTCOMES,
  type ProviderOutcome,
  type TurnInput,
} from './types.js';

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
}

interface ProviderGate {
  readonly queue: PQueue;
  readonly maxQueued: number;
}

export class InProcessNodeHost implements NodeHost {
  private readonly providers: ProviderGate;
  private readonly impls: Readonly<Record<string, NodeImpl>>;

  constructor(options: InProcessNodeHostOptions = {}) {
    this.providers = {
      queue: new PQueue({ concurrency: options.providerConcurrency ?? DEFAULT_PROVIDER_CONCURRENCY }),
      maxQueued: options.maxQueuedProviderCalls ?? DEFAULT_MAX_QUEUED_PROVIDER_CALLS,
    };
    this.impls = options.impls ?? BUILTIN_IMPLS;
  }

  run(ctx: GraphContext, input: TurnInput): GraphRun {
    return { done: new TurnGraph(ctx, input, this.providers, this.impls).start() };
  }

  /** Provider calls waiting for a slot and running now (for metrics). */
  get providerLoad(): { waiting: number; running: number } {
    return { waiting: this.providers.queue.size, running: this.providers.queue.pending };
  }
}

/** Why the run's stop signal fired: the run is settled, and everything still working must stop. */
const RUN_STOPPED = Object.freeze({ stop: 'run_settled' });
/** Why a provider attempt's signal fired: its binding's timeout passed. */
const ATTEMPT_TIMEOUT = Object.freeze({ stop: 'provider_timeout' });
/** Why a provider attempt's signal fired: the attempt is over, so a late delta must be dropped. */
const ATTEMPT_OVER = Object.freeze({ stop: 'attempt_over' });

/** A failure travelling up the pipeline's awaits to the one place that settles the run. */
class GraphStop {
  constructor(readonly failure: GraphFailure) {}
}

function failure(reason: GraphFailure['reason'], node: Readonly<NodeSpec> | undefined, code: GraphFailure['code'], message: string): GraphFailure {
  return { type: 'failure', reason, node_id: node?.id ?? '', code, message };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

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

/** Aborts `child` when `parent` aborts; returns the unlink. */
function link(parent: AbortSignal, child: AbortController): () => void {
  const onAbort = (): void => child.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  return () => parent.removeEventListener('abort', onAbort);
}

interface NodeWork {
  readonly deadline: WorkDeadline;
  done(): void;
}

interface Speaker {
  push(text: string): Promise<void>;
  end(): Promise<void>;
}

/**
 * One turn's run of the graph, from `run()` until `done` settles. Settling is
 * the single place where the outcome is decided (first cause wins), the stop
 * signal fires, unfinished invocations are recorded, and emitting ends.
 */
class TurnGraph {
  private readonly stop = new AbortController();
  private readonly open = new Set<InvocationEvidence>();
  private readonly startedAt: number;
  private settled = false;
  private resolveDone: (result: GraphResult) => void = () => undefined;
  private generatedMs = 0;
  private reply = '';

  constructor(
    private readonly ctx: GraphContext,
    private readonly input: TurnInput,
    private readonly providers: ProviderGate,
    private readonly impls: Readonly<Record<string, NodeImpl>>,
  ) {
    this.startedAt = ctx.clock.now();
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
      this.finish({ ok: false, failure: err.failure }, err.failure.node_id, err.failure.code);
    } else if (!this.settled) {
      // Only the host's own bug (or a throwing session callback) lands here: every node error is mapped where it happens.
      this.finish({ ok: false, failure: failure('node_failure', undefined, 'internal', `node host: ${describe(err)}`) });
    }
  }

  /** Settles once. Invocations still open are recorded: the failing node's with `failedOutcome`, the rest `canceled`. */
  private finish(result: GraphResult, failedNode?: string, failedOutcome?: string): void {
    if (this.settled) return;
    this.settled = true;
    this.ctx.signal.removeEventListener('abort', this.onCancel);
    this.stop.abort(RUN_STOPPED);
    try {
      const now = this.ctx.clock.now();
      for (const inv of this.open) {
        const record = inv.close(inv.node.id === failedNode && failedOutcome ? failedOutcome : 'canceled', now);
        if (record) this.ctx.record(record);
      }
      this.open.clear();
    } finally {
      this.resolveDone(result);
    }
  }

  private fail(cause: GraphFailure): void {
    this.finish({ ok: false, failure: cause }, cause.node_id, cause.code);
  }

  /** The only way out to the session: nothing passes once the run is settled or the turn is cancelled. */
  private emit(out: NodeOutput): void {
    if (this.settled || this.ctx.signal.aborted) return;
    this.ctx.emit(out);
  }

  private async pipeline(): Promise<GraphResult> {
    const resolved = resolveStages(this.ctx.plan, this.impls);
    if (!resolved.ok) return { ok: false, failure: resolved.failure };
    const { stt, llm, tts } = resolved.stages;

    const userText = this.input.text !== '' ? this.input.text : stt ? await this.transcribe(stt) : '';
    this.emit({ type: 'transcript', role: 'user', text: userText, final: true });

    const speaker = tts ? this.speaker(tts) : undefined;
    const say = async (delta: string): Promise<void> => {
      if (delta === '') return;
      if (this.reply.length + delta.length > MAX_REPLY_CHARS) {
        throw new GraphStop(failure('node_failure', llm?.node, 'memory_limit', `the reply exceeds ${MAX_REPLY_CHARS} characters`));
      }
      this.reply += delta;
      this.emit({ type: 'transcript', role: 'assistant', text: delta, final: false });
      await speaker?.push(delta);
    };
    // Without an llm the pipeline speaks what it heard (an stt -> tts echo).
    if (llm) await this.generate(llm, userText, say);
    else await say(userText);
    await speaker?.end();

    this.emit({ type: 'transcript', role: 'assistant', text: this.reply, final: true });
    this.emit({ type: 'end', generated_ms: this.generatedMs });
    return { ok: true, generated_ms: this.generatedMs };
  }

  // ---- node plumbing ----

  /** Starts a node's budget: its own `budget_ms`, else what is left of the turn's active budget. */
  private startWork(node: Readonly<NodeSpec>): NodeWork {
    const own = node.budget_ms !== undefined && node.budget_ms > 0;
    const budget = own ? node.budget_ms! : this.startedAt + this.ctx.plan.budgets.active_ms - this.ctx.clock.now();
    const exhausted = () =>
      failure('budget_exhausted', node, 'timeout', own ? `node ${node.id} ran past its ${budget} ms budget` : `node ${node.id} ran past the turn's active budget`);
    if (budget <= 0) throw new GraphStop(exhausted());
    const deadline = new WorkDeadline(this.ctx.clock, budget, () => this.fail(exhausted()));
    return { deadline, done: () => deadline.stop() };
  }

  private openInvocation(node: Readonly<NodeSpec>): InvocationEvidence {
    this.stop.signal.throwIfAborted();
    const inv = new InvocationEvidence(node, this.ctx.clock.now());
    this.open.add(inv);
    return inv;
  }

  private close(inv: InvocationEvidence, outcome: string): void {
    this.open.delete(inv);
    const record = inv.close(outcome, this.ctx.clock.now());
    if (record) this.ctx.record(record);
  }

  /** Maps a node's throw to node_failure; a rejection caused by the run stopping passes through untouched. */
  private nodeThrew(inv: InvocationEvidence, err: unknown): unknown {
    if (this.stop.signal.aborted) return err;
    this.close(inv, 'execution');
    return new GraphStop(failure('node_failure', inv.node, 'execution', `node ${inv.node.id} failed: ${describe(err)}`));
  }

  private protocolError(inv: InvocationEvidence, message: string): GraphStop {
    this.close(inv, 'protocol_error');
    return new GraphStop(failure('node_failure', inv.node, 'protocol_error', `node ${inv.node.id}: ${message}`));
  }

  private nodeCall(node: Readonly<NodeSpec>, signal: AbortSignal): NodeCall {
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

  // ---- stages ----

  private async transcribe(stage: Stage<SttNode>): Promise<string> {
    const audio = concat(this.input.audio);
    const work = this.startWork(stage.node);
    const inv = this.openInvocation(stage.node);
    inv.addInput(audio);
    const signal = this.stop.signal;
    let text: unknown;
    try {
      text = await abortable(
        invoke(() => stage.impl.transcribe(audio, this.nodeCall(stage.node, signal))),
        signal,
      );
    } catch (err) {
      throw this.nodeThrew(inv, err);
    } finally {
      work.done();
    }
    if (typeof text !== 'string') throw this.protocolError(inv, 'transcript is not a string');
    inv.addOutput(utf8Bytes(text));
    this.close(inv, 'ok');
    return text;
  }

  /**
   * Runs the provider call as a producer into a buffer and reads it here, so
   * the order of everything emitted depends only on the sequence of deltas,
   * never on how provider and TTS timing interleave.
   */
  private async generate(stage: Stage<LlmNode>, text: string, say: (delta: string) => Promise<void>): Promise<void> {
    const buffer = new DeltaBuffer(this.stop.signal);
    const producer = this.callProvider(stage, text, (delta) => buffer.push(delta)).finally(() => buffer.end());
    // A provider failure settles the run at once, even while the reader is blocked on credits.
    producer.catch((err: unknown) => this.finishFromError(err));
    for (let delta = await buffer.next(); delta !== undefined; delta = await buffer.next()) await say(delta);
    await producer;
  }

  /** Retry on the same binding, then the fallbacks in order (DESIGN 11), all within the node's budget. */
  private async callProvider(stage: Stage<LlmNode>, text: string, onDelta: (delta: string) => void): Promise<void> {
    const chain = bindingChain(stage.node, this.ctx.plan.providers);
    if (!chain.ok) throw new GraphStop(failure('node_failure', stage.node, 'not_found', `provider binding ${chain.missing} is not in the plan`));
    const work = this.startWork(stage.node);
    const random = randomStream(this.ctx.seed, `provider_retry:${stage.node.id}`);
    let last: ProviderOutcome = 'unavailable';
    let attempts = 0;
    try {
      for (const step of chain.steps) {
        for (let attempt = 0; attempt <= step.retries; attempt++) {
          if (attempt > 0) {
            const delay = retryDelayMs(attempt - 1, random);
            // Waiting out a backoff the budget cannot cover only turns a provider failure into a budget one.
            if (delay >= work.deadline.remaining()) break;
            await sleep(this.ctx.clock, delay, this.stop.signal);
          }
          attempts++;
          const result = await this.attempt(stage, step.binding, attempt, text, onDelta);
          if (result.outcome === 'ok') return;
          last = result.outcome;
          // Part of the reply is already out; another attempt would say it twice.
          if (result.streamed) {
            throw new GraphStop(failure('provider_failure', stage.node, last, `provider ${step.binding?.name ?? '(none)'} failed mid-reply: ${last}`));
          }
          if (!retrySameBinding(last)) break;
        }
      }
    } finally {
      work.done();
    }
    throw new GraphStop(failure('provider_failure', stage.node, last, `node ${stage.node.id}: provider calls failed (${attempts} attempts over ${chain.steps.length} bindings), last with ${last}`));
  }

  /** One provider attempt: one slot in the host's queue, one invocation record. */
  private async attempt(
    stage: Stage<LlmNode>,
    binding: LlmCall['binding'],
    attempt: number,
    text: string,
    onDelta: (delta: string) => void,
  ): Promise<{ outcome: ProviderOutcome; streamed: boolean }> {
    const inv = this.openInvocation(stage.node);
    inv.addInput(utf8Bytes(text));
    const { queue, maxQueued } = this.providers;
    if (queue.size >= maxQueued) {
      this.close(inv, 'overloaded');
      throw new GraphStop(failure('provider_failure', stage.node, 'overloaded', `the host's provider queue is full (${maxQueued} waiting)`));
    }
    const controller = new AbortController();
    const unlink = link(this.stop.signal, controller);
    const signal = controller.signal;
    let streamed = false;
    const call: LlmCall = {
      ...this.nodeCall(stage.node, signal),
      binding,
      attempt,
      delta: (delta) => {
        if (signal.aborted || typeof delta !== 'string' || delta === '') return;
        streamed = true;
        inv.addOutput(utf8Bytes(delta));
        onDelta(delta);
      },
    };
    const clock = this.ctx.clock;
    const timeoutMs = binding?.timeout_ms;
    try {
      const outcome: unknown = await queue.add(
        async () => {
          // The binding's timeout covers the provider call itself, not the wait for a slot.
          const timer = timeoutMs ? clock.setTimer(timeoutMs, () => controller.abort(ATTEMPT_TIMEOUT)) : undefined;
          try {
            return await abortable(invoke(() => stage.impl.generate(text, call)), signal);
          } finally {
            clock.clearTimer(timer);
          }
        },
        { signal },
      );
      if (!(PROVIDER_OUTCOMES as readonly unknown[]).includes(outcome)) throw this.protocolError(inv, `unknown provider outcome ${JSON.stringify(outcome)}`);
      this.close(inv, outcome as ProviderOutcome);
      return { outcome: outcome as ProviderOutcome, streamed };
    } catch (err) {
      if (err instanceof GraphStop) throw err;
      if (signal.reason === ATTEMPT_TIMEOUT && !this.stop.signal.aborted) {
        this.close(inv, 'timeout');
        return { outcome: 'timeout', streamed };
      }
      throw this.nodeThrew(inv, err);
    } finally {
      unlink();
      controller.abort(ATTEMPT_OVER);
    }
  }

  /**
   * The TTS stage, opened at the first text it gets. Its budget runs only while
   * it is speaking: not while it waits for the LLM's next delta, nor while it
   * waits for credits from the consumer.
   */
  private speaker(stage: Stage<TtsNode>): Speaker {
    const signal = this.stop.signal;
    let opened: { stream: TtsStream; work: NodeWork; inv: InvocationEvidence } | undefined;

    const open = () => {
      if (opened) return opened;
      const work = this.startWork(stage.node);
      const inv = this.openInvocation(stage.node);
      const call: TtsCall = {
        ...this.nodeCall(stage.node, signal),
        credit: () => this.credit(work, signal),
        audio: (frame, ms) => {
          if (signal.aborted || inv.isClosed) return;
          inv.addOutput(frame);
          this.generatedMs += ms;
          this.emit({ type: 'audio', audio: frame, ms });
        },
      };
      try {
        opened = { stream: stage.impl.open(call), work, inv };
      } catch (err) {
        work.done();
        throw this.nodeThrew(inv, err);
      }
      return opened;
    };

    const drive = async (target: NonNullable<typeof opened>, step: (stream: TtsStream) => Promise<void>): Promise<void> => {
      target.work.deadline.release();
      try {
        await abortable(
          invoke(() => step(target.stream)),
          signal,
        );
      } catch (err) {
        target.work.done();
        throw this.nodeThrew(target.inv, err);
      }
      target.work.deadline.hold();
    };

    return {
      push: async (text) => {
        const target = open();
        target.inv.addInput(utf8Bytes(text));
        await drive(target, (stream) => stream.push(text));
      },
      end: async () => {
        if (!opened) return;
        const target = opened;
        await drive(target, (stream) => stream.end());
        target.work.done();
        this.close(target.inv, 'ok');
      },
    };
  }

  private async credit(work: NodeWork, signal: AbortSignal): Promise<void> {
    const credits = this.ctx.credits;
    if (!credits) return;
    work.deadline.hold();
    try {
      await abortable(
        invoke(() => credits.wait()),
        signal,
      );
    } finally {
      work.deadline.release();
    }
  }
}
