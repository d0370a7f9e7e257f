// One session, as long as the call lives: the coordinator of its parts (the
// ingress gate, lanes, connection lifetime, proposals, barge-in policy, cancel
// scopes and egress, timeline). Every ingress event is recorded, then either
// handled at once (cancel and barge-in never wait) or queued on its lane for
// the scheduler. It owns turn decisions for this session and nothing else;
// other modules read it through `snapshot()`.
import { type AbiError, type AbortReason, type AnyEnvelope, CLOSE_CODES, type Codec, type ErrorCode } from '../../api/eventabi/index.js';
import type { Clock } from '../determinism/clock.js';
import { turnSeed } from '../determinism/seeds.js';
import { EgressFence, type FenceClosing } from '../fence/fence.js';
import { type Encoding, type GateResult, IngressGate } from '../ingress/ingress-gate.js';
import { SessionLanes } from '../lanes/session-lanes.js';
import type { GraphFailure, NodeHost } from '../nodes/index.js';
import { type Logger, sessionLogger, turnLogger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { FrozenPlan, PipelineVersion } from '../plan/types.js';
import type { PreTurnChecks } from '../turn/gate.js';
import { CallerSpeech } from './caller-speech.js';
import { ConnectionLifetime } from './connection.js';
import { type EgressSink, SessionEgress } from './egress.js';
import { ConversationHistory, PendingInput } from './input.js';
import { type QueuedEvent, mergeTextIn, queuedEvent } from './lane-items.js';
import { PressureReporter } from './pressure.js';
import { type ProposalSource, type SessionAuthority, type TurnDecisionResult, TurnProposals, currentEpoch, epochCurrent } from './proposals.js';
import { applyPlaybackAck, playbackAckProblem } from './playback-acks.js';
import type { SessionRecorder } from './recorder.js';
import { type SessionSnapshot, sessionSnapshot } from './snapshot.js';
import { lookupTurn, turnIdFor } from './turn-ids.js';
import { type TurnOutcome, TurnRuntime } from './turn-runtime.js';

export type { QueuedEvent } from './lane-items.js';
export type { ProposalSource, SessionAuthority, TurnDecisionResult } from './proposals.js';
export type { SessionSnapshot, TurnSnapshot } from './snapshot.js';
export { turnIdFor } from './turn-ids.js';

/** Heard history a script sees (DESIGN 11.1). */
const MAX_SCRIPT_HISTORY = 32;

/** Node failure messages reach the log bounded: a provider's error text can be long. */
const MAX_LOGGED_MESSAGE_CHARS = 512;

export interface SessionDeps {
  clock: Clock;
  host: NodeHost;
  recorder: SessionRecorder;
  authority: SessionAuthority;
  admitTurn: PreTurnChecks['admit'];
  freeze: PreTurnChecks['freeze'];
  /** Keeps the scripts a plan pins readable while a turn runs it (undefined when it pins none or no store is wired). */
  pinScripts?: (plan: FrozenPlan) => { release(): void } | undefined;
  notifyScheduler: (session: Session) => void;
  metrics?: Metrics;
  /** The kernel's logger; the session logs through a child bound to its session_id and epoch. */
  logger?: Logger;
  maxAudioFrameMs: number;
  /** Byte budget of each of the Data and Telemetry lanes (see SessionLanes). */
  laneMaxBytes?: number;
  /** Called once when the session has ended and released everything it held. */
  onEnded: (session: Session, reason: string) => void;
}

export interface SessionInit {
  session_id: string;
  tenant: string;
  version: PipelineVersion;
  /** The pipeline's plan frozen at open: lane policies, budgets and turn detection for the session. */
  plan: FrozenPlan;
  codec: Codec;
  sample_rate: number;
  seed: number;
  created_at_ms: number;
  /** Seq of the `session.start` that opened the session on /v1/stream (0 for OpenSession). */
  afterSeq?: number;
}

export type CancelResult =
  | { ok: true; fenced: boolean; played_ms: number }
  | { ok: false; code: Extract<ErrorCode, 'not_found' | 'turn_closed' | 'stale_epoch'>; message: string };

export type IngestResult = { status: 'accepted' } | { status: 'blocked' } | { status: 'closed'; code: number; reason: string };

export class Session {
  readonly id: string;
  readonly tenant: string;
  readonly version: PipelineVersion;
  readonly plan: FrozenPlan;
  readonly codec: Codec;
  readonly sample_rate: number;
  readonly seed: number;
  readonly created_at_ms: number;
  /** The scheduler's handle on this session's queues (SchedulableSession); nothing else reads them. */
  readonly lanes: SessionLanes<QueuedEvent>;
  private readonly gate: IngressGate;
  private readonly fence: EgressFence;
  private readonly egress: SessionEgress;
  private readonly connection: ConnectionLifetime;
  private readonly proposals: TurnProposals;
  private readonly speech: CallerSpeech;
  private readonly pressure: PressureReporter;
  private readonly history = new ConversationHistory();
  private readonly pending: PendingInput;
  private readonly log: Logger | undefined;
  private turn: TurnRuntime | undefined;
  /** The scripts the open turn's plan pins, held until it closes. */
  private turnScripts: { release(): void } | undefined;
  private turnsOpened = 0;
  /** When the session started on the kernel clock: baton:clock counts from here. */
  private readonly startedAt: number;
  private state: 'open' | 'ending' | 'ended' = 'open';
  private lostAuthority = false;
  private readonly watchers = new Set<(event: AnyEnvelope) => void>();
  /** The seq of the last ingress event this session took, in any lane (0 before the first). */
  private lastIngestSeq = 0;
  /** The seq of the last ingress event written to the timeline. */
  private lastRecordedSeq = 0;

  constructor(
    init: SessionInit,
    private readonly deps: SessionDeps,
  ) {
    this.id = init.session_id;
    this.tenant = init.tenant;
    this.version = init.version;
    this.plan = init.plan;
    this.codec = init.codec;
    this.sample_rate = init.sample_rate;
    this.seed = init.seed;
    this.created_at_ms = init.created_at_ms;
    this.startedAt = deps.clock.now();
    const heldEpoch = deps.authority.epoch;
    this.log = sessionLogger(deps.logger, init.session_id, heldEpoch);
    const format = { codec: init.codec, sample_rate: init.sample_rate };
    this.pending = new PendingInput(format);
    this.gate = new IngressGate({
      session_id: init.session_id,
      format,
      maxAudioFrameMs: deps.maxAudioFrameMs,
      currentEpoch: () => currentEpoch(deps.authority),
      afterSeq: init.afterSeq ?? 0,
      epochCheckedByTurnGate: (event) => this.isProposal(event),
      validateInSession: (event) => playbackAckProblem(event, this.turn),
    });
    this.fence = new EgressFence({ now: () => deps.clock.now(), onClosing: (closing) => this.recordFence(closing) });
    this.egress = new SessionEgress({
      session_id: init.session_id,
      clock: deps.clock,
      fence: this.fence,
      authority: { isAuthoritative: () => deps.authority.isAuthoritative(), heldEpoch: () => heldEpoch },
      recorder: deps.recorder,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      onSent: (event) => {
        for (const watcher of this.watchers) watcher(event);
      },
      // A gateway reading slower than the turn speaks: recorded so replay and the operator page show why output paused.
      onBackpressure: (state) => deps.recorder.decision('flow', state === 'xoff' ? 'egress_xoff' : 'egress_xon', 'socket_buffer', {}),
    });
    this.pressure = new PressureReporter({ recorder: deps.recorder, egress: this.egress, metrics: deps.metrics });
    this.lanes = new SessionLanes<QueuedEvent>(init.plan.lanes, {
      onAction: (action) => this.pressure.report(action),
      merge: mergeTextIn,
      ...(deps.laneMaxBytes !== undefined ? { maxLaneBytes: deps.laneMaxBytes } : {}),
    });
    this.proposals = new TurnProposals({
      authority: deps.authority,
      admitTurn: deps.admitTurn,
      freeze: deps.freeze,
      recorder: deps.recorder,
      egress: this.egress,
      metrics: deps.metrics,
    });
    this.speech = new CallerSpeech({
      plan: init.plan,
      format,
      clock: deps.clock,
      recorder: deps.recorder,
      speaking: () => this.turn,
      epochCurrent: (epoch) => epochCurrent(deps.authority, epoch),
      cancelForBargeIn: (turn) => this.cancel('turn', turn.turn_id, 'barge_in'),
      propose: (source, epoch) => this.propose(source, epoch),
      onDetectorProblem: (problem) => this.log?.warn({ problem }, 'vad node misconfigured; node turn detection is off'),
    });
    this.connection = new ConnectionLifetime({
      clock: deps.clock,
      egress: this.egress,
      reconnectGraceMs: init.plan.budgets.reconnect_grace_ms,
      idleMs: init.plan.budgets.session_idle_ms,
      onGraceExpired: () => this.turn?.abort('transport_lost'),
      onIdle: () => this.end('idle_timeout'),
    });
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /** The epoch this kernel holds (or last held) for the session. */
  get epoch(): number {
    return this.deps.authority.epoch;
  }

  /** True while this kernel holds the session's lease and may speak. */
  get authoritative(): boolean {
    return this.deps.authority.isAuthoritative();
  }

  /** Seq of the last ingress event the gate accepted (a producer inside the kernel numbers its next event after it). */
  get ingressSeq(): number {
    return this.gate.expectedAfterSeq;
  }

  /** Where this session records its timeline. */
  get recorder(): SessionRecorder {
    return this.deps.recorder;
  }

  /** The session as it is now, as plain values. */
  snapshot(): SessionSnapshot {
    return sessionSnapshot(this, {
      state: this.state,
      authority: this.deps.authority,
      connected: this.connection.attached,
      turnsOpened: this.turnsOpened,
      turn: this.turn,
      lanes: this.lanes,
      ingressSeq: this.gate.expectedAfterSeq,
      egressSeq: this.egress.lastSeq,
      pending: this.pending,
      history: this.history,
      fence: this.fence,
    });
  }

  /** Subscribes to every event that passes this session's last hop. */
  watch(listener: (event: AnyEnvelope) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  // ------------------------------------------------------------ connections

  /** Attaches a gateway stream, replacing any other (closed 4002), and sends session.started. */
  attach(sink: EgressSink): void {
    if (this.state !== 'open') {
      sink.close(CLOSE_CODES.normal, 'session ended');
      return;
    }
    this.connection.attach(sink);
    this.egress.sendSessionEvent('session.started', {
      session_id: this.id,
      epoch: this.deps.authority.epoch,
      seed: this.seed,
      pipeline: this.version.name,
      pipeline_version: this.version.version,
      codec: this.codec,
      sample_rate: this.sample_rate,
    });
  }

  /** The stream went away: the active turn aborts after the reconnect grace; the session ends when idle. */
  detach(sink: EgressSink): void {
    if (this.state === 'ended') return;
    this.connection.detach(sink);
  }

  // ------------------------------------------------------------ ingress

  /** Runs one gateway frame through this session's ingress gate (decode, validation, seq, format, epoch). */
  admit(frame: Uint8Array | string, encoding: Encoding): GateResult {
    return this.gate.admit(frame, encoding);
  }

  /** Counts a frame refused before decoding (wrong frame type) like any invalid event of this session. */
  refuse(error: AbiError): GateResult {
    return this.gate.refuse(error);
  }

  /** Takes one event the gate accepted. Cancel and barge-in are handled in this tick; the rest is queued. */
  ingest(event: AnyEnvelope, raw?: Uint8Array): IngestResult {
    if (this.state !== 'open') return { status: 'closed', code: CLOSE_CODES.normal, reason: 'session ended' };
    // A blocked event comes back here when its lane has room: it is recorded once, when it first arrived.
    if (event.seq > this.lastRecordedSeq) {
      this.lastRecordedSeq = event.seq;
      if (!this.deps.recorder.ingress(event, raw)) this.turn?.abort('evidence_unavailable');
    }
    if (event.kind === 'cancel') {
      this.lastIngestSeq = event.seq;
      const result = this.cancel(event.payload.scope, event.turn_id, event.payload.reason);
      if (!result.ok) this.sendError(result.code, result.message, event.id);
      return { status: 'accepted' };
    }
    // Playback acks report what already played: applied at once, so a cancel that
    // overtakes the lanes still sees every ack sent before it.
    if (event.kind === 'playback.started' || event.kind === 'playback.mark' || event.kind === 'playback.completed') {
      this.lastIngestSeq = event.seq;
      const answer = applyPlaybackAck(event, lookupTurn(this.turn, this.turnsOpened, event.turn_id));
      if (answer?.error) this.sendError(answer.error.code, answer.error.message, event.id);
      else if (answer?.ignored) this.deps.recorder.decision('ack', 'ignored', answer.ignored, { kind: event.kind }, event.turn_id);
      return { status: 'accepted' };
    }
    if (event.kind === 'speech.started') this.speech.gatewayStarted();
    const item = queuedEvent(event, this.isProposal(event), this.lastIngestSeq);
    const offered = this.lanes.offer(item);
    if (offered.status === 'blocked') {
      if (!this.lanes.blockExpired(item.lane, this.deps.clock.now())) return { status: 'blocked' };
      this.lastIngestSeq = event.seq;
      this.lanes.clearBlocked(item.lane);
      // Data gives up on the item (recorded as block_timeout); Control is never dropped: the session closes.
      if (this.lanes.abandonBlocked(item)) return { status: 'accepted' };
      this.deps.recorder.decision('lane', 'closed', 'control_block_timeout', { lane: item.lane });
      this.end('overloaded', CLOSE_CODES.overloaded);
      return { status: 'closed', code: CLOSE_CODES.overloaded, reason: `${item.lane} lane stayed full past max_block_ms` };
    }
    this.lastIngestSeq = event.seq;
    this.lanes.clearBlocked(item.lane);
    this.deps.notifyScheduler(this);
    return { status: 'accepted' };
  }

  /** Called by the scheduler for each queued event, in lane order. Never throws: a failure is reported, not propagated. */
  deliver(item: QueuedEvent): void {
    if (this.state !== 'open') return;
    this.pressure.flush();
    try {
      this.process(item.event);
    } catch (err) {
      this.log?.error({ err, kind: item.kind }, 'processing an event failed');
      this.sendError('internal', `the kernel failed to process ${item.kind}`, item.event.id);
    }
  }

  private process(event: AnyEnvelope): void {
    switch (event.kind) {
      case 'audio.in':
        this.pending.addAudio(event.payload.audio);
        this.speech.audio(event.payload.audio, event.epoch);
        return;
      case 'text.in':
        if (!this.pending.addText(event.payload.text)) this.sendError('overloaded', 'pending user text is full', event.id);
        return;
      case 'speech.started':
        this.pending.clearAudio();
        return;
      case 'speech.stopped':
        this.speech.gatewayStopped(event.epoch);
        return;
      case 'turn.request':
        this.propose('turn.request', event.epoch, event.payload.text);
        return;
      case 'session.end':
        this.end(event.payload.reason || 'gateway_ended');
        return;
      default:
        return;
    }
  }

  private isProposal(event: AnyEnvelope): boolean {
    if (event.kind === 'turn.request') return true;
    return event.kind === 'speech.stopped' && this.plan.turn_detection === 'gateway';
  }

  // ------------------------------------------------------------ turns

  /** Runs the pre-turn gate and opens a turn when it passes; pre-turn outcomes go to the stream. */
  propose(source: ProposalSource, epoch: number, text?: string): TurnDecisionResult {
    const started = performance.now();
    const verdict = this.proposals.decide(source, epoch, { open: this.state === 'open', turnActive: this.turn !== undefined });
    const result = verdict.outcome === 'opened' ? this.openTurn(verdict.plan, verdict.ticket, text) : verdict.answered;
    this.proposals.observe(result, (performance.now() - started) / 1000);
    return result;
  }

  private openTurn(plan: FrozenPlan, ticket: { release(): void }, text: string | undefined): TurnDecisionResult {
    this.turnsOpened += 1;
    const ordinal = this.turnsOpened;
    const turn_id = turnIdFor(ordinal);
    const seed = turnSeed(this.seed, ordinal, plan.plan_hash);
    // The frozen plan (with the sources it pins) is the turn's first evidence: without it the turn cannot be explained.
    const planRecorded = this.deps.recorder.planFrozen(plan, seed, turn_id);
    const log = turnLogger(this.log, turn_id);
    this.turnScripts = this.deps.pinScripts?.(plan);
    const turn = new TurnRuntime({
      turn_id,
      ordinal,
      plan,
      seed,
      session: {
        tenant: this.tenant,
        session_id: this.id,
        epoch: this.deps.authority.epoch,
        ordinal,
        // What was heard before this turn's input, oldest first (DESIGN 11.1: at most the last 32 entries).
        history: this.history.all.slice(-MAX_SCRIPT_HISTORY),
        started_at_ms: this.startedAt,
      },
      ticket,
      clock: this.deps.clock,
      egress: this.egress,
      scope: this.fence.openTurn(turn_id),
      host: this.deps.host,
      format: { codec: this.codec, sample_rate: this.sample_rate },
      standingAbortReasons: () => this.standingAbortReasons(),
      onUserTranscript: (userText) => this.history.add('user', userText),
      onNodeInvocation: (record, id) => {
        if (!this.deps.recorder.nodeInvocation(record, id)) this.turn?.abort('evidence_unavailable');
      },
      onClosed: (closed, outcome) => this.onTurnClosed(closed, outcome),
      onNodeFailure: (failure) => logNodeFailure(log, failure),
      onHostError: (err) => log?.error({ err }, 'node host failed'),
    });
    this.turn = turn;
    if (!planRecorded) {
      turn.abort('evidence_unavailable');
      return { outcome: 'opened', turn_id, reason: '', plan_hash: plan.plan_hash };
    }
    turn.start(this.pending.take(text));
    return { outcome: 'opened', turn_id, reason: '', plan_hash: plan.plan_hash };
  }

  private standingAbortReasons(): AbortReason[] {
    const reasons: AbortReason[] = [];
    if (this.lostAuthority || !this.deps.authority.isAuthoritative()) reasons.push('authority_lost');
    if (this.connection.transportLost) reasons.push('transport_lost');
    return reasons;
  }

  private onTurnClosed(turn: TurnRuntime, outcome: TurnOutcome): void {
    if (this.turn === turn) this.turn = undefined;
    this.turnScripts?.release();
    this.turnScripts = undefined;
    this.speech.reset();
    if (outcome.heard_text) this.history.add('assistant', outcome.heard_text);
    this.deps.metrics?.turns.inc({ outcome: outcome.outcome, reason: outcome.outcome === 'committed' ? '' : outcome.reason });
  }

  // ------------------------------------------------------------ cancellation

  /** Cancels a turn (or the session's work). Idempotent while the turn is fenced but not closed. */
  cancel(scope: 'session' | 'turn', turn_id: string, reason: string): CancelResult {
    const why = reason || 'cancelled';
    if (scope === 'session') {
      this.pending.clear();
      const turn = this.turn;
      if (!turn) return { ok: true, fenced: false, played_ms: 0 };
      return { ok: true, ...turn.cancel(why, { scope: 'session' }) };
    }
    const lookup = lookupTurn(this.turn, this.turnsOpened, turn_id);
    if (!lookup.ok) return lookup;
    const started = performance.now();
    const result = lookup.turn.cancel(why);
    this.deps.metrics?.cancelToFenceSeconds.observe((performance.now() - started) / 1000);
    return { ok: true, ...result };
  }

  /** Every accepted cancel, recorded by the fence before it takes effect. */
  private recordFence(closing: FenceClosing): void {
    const detail: Record<string, string> = { scope: closing.scope, ...closing.detail };
    if (closing.node_id) detail['node_id'] = closing.node_id;
    this.deps.recorder.decision('fence', 'fenced', closing.reason, detail, closing.turn_id);
  }

  // ------------------------------------------------------------ authority and ending

  /**
   * This kernel lost the session's lease: stop speaking at once, tell the
   * gateway, close 4009. `owner` is the new holder (and `address` its
   * public_url) when known; `reason` is why the lease ended, for the log.
   */
  authorityLost(loss: { owner?: string; address?: string; reason?: string } = {}): void {
    const { owner, address } = loss;
    if (this.state === 'ended') return;
    this.lostAuthority = true;
    this.fence.fenceSession('authority_lost', owner ? { owner } : {}, 'authority_lost');
    this.egress.sendSessionEvent('session.ended', owner ? { reason: 'authority_moved', owner } : { reason: 'authority_moved' });
    const reason = owner ? `owner=${owner}${address ? ` addr=${address}` : ''}` : 'authority lost';
    this.log?.info({ owner: owner ?? '', reason: loss.reason ?? '' }, 'authority lost: session fenced');
    this.finishEnd('authority_moved', CLOSE_CODES.authorityMoved, reason);
  }

  /** Ends the session: aborts the active turn, sends session.ended and closes the stream. */
  end(reason: string, closeCode: number = CLOSE_CODES.normal): void {
    if (this.state !== 'open') return;
    this.state = 'ending';
    this.pressure.flush();
    // Ending the session fences its turn: recorded like any other fence, with why.
    this.turn?.cancel(reason, { scope: 'session' });
    this.egress.sendSessionEvent('session.ended', { reason });
    this.finishEnd(reason, closeCode, reason);
  }

  private finishEnd(reason: string, closeCode: number, closeReason: string): void {
    this.state = 'ended';
    this.speech.reset();
    this.connection.stop();
    this.lanes.drain();
    this.pending.clear();
    this.egress.close(closeCode, closeReason);
    this.watchers.clear();
    this.deps.onEnded(this, reason);
  }

  sendError(code: ErrorCode, message: string, ref_id?: string): void {
    this.egress.sendSessionEvent('error', ref_id ? { code, message, ref_id } : { code, message });
  }
}

/** Every node failure is visible to an operator: which node, which code, why (never the transcript or audio). */
function logNodeFailure(log: Logger | undefined, failure: GraphFailure): void {
  log?.warn(
    { node_id: failure.node_id, code: failure.code, reason: failure.reason, error: failure.message.slice(0, MAX_LOGGED_MESSAGE_CHARS) },
    `node ${failure.node_id || '(graph)'} failed: ${failure.code}; the turn aborts ${failure.reason}`,
  );
}
