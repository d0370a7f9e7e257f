// One accepted turn while it runs: its arbiter actor, its node-graph run and
// its paced output queue. Output leaves in order through the session egress,
// never more than `max_ahead_ms` of audio ahead of the played position; the
// node graph gets credits so the queue stays bounded. It lives from
// turn.opened to turn.closed and never outlives its turn.
import type { Codec } from '../../api/eventabi/kinds.js';
import type { AbortReason } from '../../api/eventabi/vocabulary.js';
import type { Clock, TimerHandle } from '../determinism/clock.js';
import type { TurnCancelScope, TurnCancellation } from '../fence/fence.js';
import type { GraphFailure, GraphRun, NodeHost, NodeInvocationRecord, NodeOutput, TurnInput, TurnSession } from '../nodes/types.js';
import type { FrozenPlan } from '../plan/types.js';
import { type TurnActor, type TurnEmitted, type TurnEvent, type TurnState, startTurnActor, turnState } from '../turn/arbiter.js';
import type { AdmissionTicketLike } from '../turn/gate.js';
import type { SessionEgress } from './egress.js';

/** Frames the node graph may run ahead of the pacer before it must wait for credit. */
const CREDIT_WINDOW = 8;

/**
 * Once the pacer has filled the gateway to `max_ahead_ms`, it waits until
 * this much has played and then sends that much at once: a few frames per
 * socket write instead of one write (one syscall) per 20 ms frame. The
 * gateway still never holds more than `max_ahead_ms`.
 */
const PACING_BATCH_MS = 100;

type QueuedOutput =
  | { type: 'audio'; audio: Uint8Array; ms: number }
  | { type: 'transcript'; text: string; final: boolean }
  | { type: 'end'; generated_ms: number };

export type AckResult = { ok: true } | { ok: false; code: 'invalid_payload'; message: string } | { ok: false; ignored: string };

export interface TurnOutcome {
  outcome: 'committed' | 'aborted';
  reason: string;
  played_ms: number;
  generated_ms: number;
  assistant_text: string;
  heard_text: string;
}

export interface TurnRuntimeOptions {
  turn_id: string;
  ordinal: number;
  plan: FrozenPlan;
  seed: number;
  /** What script nodes see of the session: tenant, epoch, ordinal, heard history, start time. */
  session: TurnSession;
  ticket: AdmissionTicketLike;
  clock: Clock;
  egress: SessionEgress;
  /** The turn's cancel scope, opened on the session's fence: cancelling it is the only way to fence this turn. */
  scope: TurnCancelScope;
  host: NodeHost;
  format: { codec: Codec; sample_rate: number };
  /** Reasons that hold right now besides the trigger (authority, transport), for precedence. */
  standingAbortReasons: () => AbortReason[];
  onUserTranscript: (text: string) => void;
  onNodeInvocation: (record: NodeInvocationRecord, turn_id: string) => void;
  onClosed: (turn: TurnRuntime, outcome: TurnOutcome) => void;
  /** A node of the graph failed: the turn aborts with the failure's reason. */
  onNodeFailure: (failure: GraphFailure) => void;
  /** The node host itself threw (a bug): the turn aborts node_failure. */
  onHostError: (err: unknown) => void;
}

export class TurnRuntime {
  readonly turn_id: string;
  readonly plan: FrozenPlan;
  private readonly actor: TurnActor;
  private readonly queue: QueuedOutput[] = [];
  private creditWaiter: (() => void) | undefined;
  private pacingTimer: TimerHandle | undefined;
  /** Waiting for the gateway socket to drain (egress backpressure). */
  private awaitingDrain = false;
  private paused = false;
  private closed = false;
  private ended = false;
  private sentMs = 0;
  private firstSentAt: number | undefined;
  private lastMark: { played_ms: number; at: number } | undefined;
  private assistantText = '';
  private outcome: Omit<TurnOutcome, 'assistant_text' | 'heard_text'> | undefined;
  private run: GraphRun | undefined;

  constructor(private readonly opts: TurnRuntimeOptions) {
    this.turn_id = opts.turn_id;
    this.plan = opts.plan;
    // Every cancel of this turn (its own, a session end, a lost lease) arrives through its scope.
    opts.scope.signal.addEventListener('abort', () => this.onCancelled(), { once: true });
    this.actor = startTurnActor(
      {
        turn_id: opts.turn_id,
        plan_hash: opts.plan.plan_hash,
        seed: opts.seed,
        budgets: opts.plan.budgets,
        authoritative: () => !opts.standingAbortReasons().includes('authority_lost'),
      },
      opts.clock,
      (event) => this.onArbiterEvent(event),
    );
  }

  get state(): TurnState {
    return this.closed ? 'closed' : turnState(this.actor.getSnapshot());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get fenced(): boolean {
    return this.opts.scope.fenced;
  }

  get playedMs(): number {
    return this.actor.getSnapshot().context.played_ms;
  }

  /** Audio of this turn that has left through the egress so far. */
  get sentAudioMs(): number {
    return this.sentMs;
  }

  get generatedSoFarMs(): number {
    return this.sentMs + this.queue.reduce((sum, item) => sum + (item.type === 'audio' ? item.ms : 0), 0);
  }

  /** Starts the node graph on the turn's input and moves the arbiter to active. */
  start(input: TurnInput): void {
    if (this.closed) return;
    this.send({ type: 'ACTIVATE' });
    if (this.closed) return;
    this.run = this.opts.host.run(
      {
        plan: this.plan,
        session: this.opts.session,
        seed: this.opts.seed,
        clock: this.opts.clock,
        format: this.opts.format,
        signal: this.opts.scope.signal,
        emit: (out) => this.onNodeOutput(out),
        record: (inv) => this.opts.onNodeInvocation(inv, this.turn_id),
        credits: { wait: () => this.waitForCredit() },
      },
      input,
    );
    this.run.done.then(
      (result) => {
        if (this.closed || result.ok) return;
        if ('canceled' in result) return;
        this.opts.onNodeFailure(result.failure);
        this.abort(result.failure.reason);
      },
      (err: unknown) => {
        this.opts.onHostError(err);
        if (!this.closed) this.abort('node_failure');
      },
    );
  }

  /**
   * Cancels the turn through its scope (recorded, fenced, signal aborted);
   * the effects follow from the signal. Idempotent while not closed.
   */
  cancel(reason: string, opts: { scope?: 'session' | 'turn'; abort_reason?: AbortReason; detail?: Readonly<Record<string, string>> } = {}): { fenced: boolean; played_ms: number } {
    if (this.closed) return { fenced: false, played_ms: this.playedMs };
    this.opts.scope.cancel(reason, opts);
    return { fenced: true, played_ms: this.playedMs };
  }

  /** The scope was cancelled: the gateway flushes its buffer, then the turn aborts. */
  private onCancelled(): void {
    const cancellation = this.opts.scope.cancelled as TurnCancellation | undefined;
    if (!cancellation || this.closed) return;
    this.stopOutput();
    this.opts.egress.send('output.clear', { reason: cancellation.reason }, this.turn_id);
    this.abort(cancellation.abort_reason);
  }

  /** Aborts with `trigger`, or a stronger reason that holds at the same moment. */
  abort(trigger: AbortReason): void {
    if (this.closed) return;
    this.stopOutput();
    this.send({ type: 'ABORT', reasons: [trigger, ...this.opts.standingAbortReasons()] });
  }

  /** Confirmed barge-in: hold output while the caller may be talking over it. */
  pause(): void {
    this.paused = true;
    this.opts.clock.clearTimer(this.pacingTimer);
    this.pacingTimer = undefined;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.pump();
  }

  playback(kind: 'playback.started' | 'playback.mark' | 'playback.completed', played_ms: number): AckResult {
    if (kind === 'playback.started') {
      if (this.firstSentAt === undefined) this.firstSentAt = this.opts.clock.now();
      return { ok: true };
    }
    if (played_ms > this.sentMs) {
      return { ok: false, code: 'invalid_payload', message: `played_ms ${played_ms} exceeds the ${Math.round(this.sentMs)} ms of audio sent for this turn` };
    }
    const last = this.lastMark?.played_ms ?? 0;
    if (played_ms < last) return { ok: false, ignored: 'played_ms_regression' };
    this.lastMark = { played_ms, at: this.opts.clock.now() };
    this.send({ type: kind === 'playback.mark' ? 'PLAYBACK_MARK' : 'PLAYBACK_COMPLETED', played_ms });
    if (!this.closed) this.pump();
    return { ok: true };
  }

  private send(event: TurnEvent): void {
    const snapshot = this.actor.getSnapshot();
    if (snapshot.status !== 'active') return;
    this.actor.send(event);
  }

  private onArbiterEvent(event: TurnEmitted): void {
    const { egress } = this.opts;
    switch (event.type) {
      case 'turn.opened':
        egress.send('turn.opened', { plan_hash: event.plan_hash, seed: event.seed }, this.turn_id);
        return;
      case 'turn.active':
        egress.send('turn.active', {}, this.turn_id);
        return;
      case 'turn.committed':
        this.outcome = { outcome: 'committed', reason: 'completed', played_ms: event.played_ms, generated_ms: event.generated_ms };
        egress.send('turn.committed', { generated_ms: event.generated_ms, played_ms: event.played_ms }, this.turn_id);
        return;
      case 'turn.aborted':
        this.stopOutput();
        this.outcome = { outcome: 'aborted', reason: event.reason, played_ms: event.played_ms, generated_ms: this.sentMs };
        egress.send('turn.aborted', { reason: event.reason, played_ms: event.played_ms }, this.turn_id);
        return;
      case 'turn.closed':
        this.finish();
        egress.send('turn.closed', {}, this.turn_id);
        return;
    }
  }

  private finish(): void {
    this.closed = true;
    this.stopOutput();
    this.opts.scope.close();
    this.opts.ticket.release();
    const outcome = this.outcome ?? { outcome: 'aborted' as const, reason: 'node_failure', played_ms: 0, generated_ms: 0 };
    this.opts.onClosed(this, { ...outcome, assistant_text: this.assistantText, heard_text: heardText(this.assistantText, outcome) });
  }

  private stopOutput(): void {
    this.queue.length = 0;
    this.opts.clock.clearTimer(this.pacingTimer);
    this.pacingTimer = undefined;
    const waiter = this.creditWaiter;
    this.creditWaiter = undefined;
    // The graph is being cancelled; releasing its waiter lets it observe the abort and finish.
    waiter?.();
  }

  private onNodeOutput(out: NodeOutput): void {
    if (this.closed || this.opts.scope.signal.aborted) return;
    switch (out.type) {
      case 'transcript':
        if (out.role === 'user') {
          // Nothing was said (no input): a transcript with no text is not a valid event.
          if (!out.text) return;
          this.opts.onUserTranscript(out.text);
          this.opts.egress.send('transcript', { role: 'user', text: out.text, final: out.final }, '');
          return;
        }
        if (out.final) this.assistantText = out.text;
        this.queue.push({ type: 'transcript', text: out.text, final: out.final });
        break;
      case 'audio':
        this.queue.push({ type: 'audio', audio: out.audio, ms: out.ms });
        this.send({ type: 'GENERATED', ms: out.ms });
        break;
      case 'end':
        this.queue.push({ type: 'end', generated_ms: out.generated_ms });
        break;
    }
    this.pump();
  }

  private waitForCredit(): Promise<void> {
    if (this.closed || this.queue.length < CREDIT_WINDOW) return Promise.resolve();
    return new Promise((resolve) => {
      this.creditWaiter = resolve;
    });
  }

  /** Played position: from the last playback.mark, else estimated from the clock since the first frame. */
  private playedEstimate(now: number): number {
    if (this.lastMark) return Math.min(this.sentMs, this.lastMark.played_ms + (now - this.lastMark.at));
    if (this.firstSentAt === undefined) return 0;
    return Math.min(this.sentMs, now - this.firstSentAt);
  }

  private pump(): void {
    if (this.closed || this.paused || this.pacingTimer || this.awaitingDrain) return;
    const { egress, clock } = this.opts;
    const maxAhead = this.plan.budgets.max_ahead_ms;
    while (this.queue.length > 0 && !this.closed) {
      if (!egress.writable) {
        // The socket is over its bound: stop here; the node graph runs out of credits and waits too.
        this.awaitingDrain = true;
        egress.whenWritable(() => {
          this.awaitingDrain = false;
          this.pump();
        });
        return;
      }
      const head = this.queue[0]!;
      if (head.type === 'audio') {
        const now = clock.now();
        const ahead = this.sentMs - this.playedEstimate(now);
        if (ahead + head.ms > maxAhead && this.sentMs > 0) {
          const refill = Math.max(head.ms, Math.min(PACING_BATCH_MS, maxAhead / 4));
          const wait = Math.max(1, Math.ceil(ahead + refill - maxAhead));
          this.pacingTimer = clock.setTimer(wait, () => {
            this.pacingTimer = undefined;
            this.pump();
          });
          return;
        }
        this.queue.shift();
        if (this.firstSentAt === undefined) this.firstSentAt = now;
        this.sentMs += head.ms;
        egress.send('audio.out', { audio: head.audio }, this.turn_id, Math.round(now));
      } else if (head.type === 'transcript') {
        this.queue.shift();
        egress.send('transcript', { role: 'assistant', text: head.text, final: head.final }, this.turn_id);
      } else {
        this.queue.shift();
        this.ended = true;
        egress.send('output.end', { generated_ms: head.generated_ms }, this.turn_id);
        this.send({ type: 'OUTPUT_END', generated_ms: head.generated_ms });
      }
      if (this.creditWaiter && this.queue.length < CREDIT_WINDOW) {
        const waiter = this.creditWaiter;
        this.creditWaiter = undefined;
        waiter();
      }
    }
  }

  get outputEnded(): boolean {
    return this.ended;
  }
}

/** What the caller heard: the assistant text truncated in proportion to played_ms / generated_ms. */
export function heardText(text: string, outcome: { outcome: string; played_ms: number; generated_ms: number }): string {
  if (outcome.outcome === 'committed' || outcome.generated_ms <= 0) return outcome.outcome === 'committed' ? text : '';
  const fraction = Math.min(1, outcome.played_ms / outcome.generated_ms);
  const cut = Math.floor(text.length * fraction);
  const boundary = text.lastIndexOf(' ', cut);
  return text.slice(0, fraction >= 1 ? text.length : boundary > 0 ? boundary : cut).trim();
}
