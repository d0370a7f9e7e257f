// One session, as long as the call lives: its ingress gate, lanes, lease,
// egress and timeline, its pending user input and heard history, and at most
// one active turn. Every ingress event is recorded, then either handled at
// once (cancel and barge-in never wait) or queued on its lane for the
// scheduler. It owns turn decisions for this session and nothing else.
import type { AnyEnvelope, Codec, Envelope } from '../../api/eventabi/kinds.js';
import { KINDS } from '../../api/eventabi/kinds.js';
import { type AbortReason, CLOSE_CODES, type ErrorCode } from '../../api/eventabi/vocabulary.js';
import type { Clock, TimerHandle } from '../determinism/clock.js';
import { turnSeed } from '../determinism/seeds.js';
import { EgressFence } from '../fence/fence.js';
import { audioMs } from '../../api/eventabi/audio-format.js';
import { type AbiError, abiError } from '../../api/eventabi/errors.js';
import { SessionLanes } from '../lanes/session-lanes.js';
import type { Vad } from '../nodes/builtin/vad-energy.js';
import { sessionTurnDetector } from '../nodes/turn-detection.js';
import type { LaneAction } from '../lanes/session-lanes.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { NodeHost } from '../nodes/types.js';
import type { FrozenPlan, PipelineVersion } from '../plan/types.js';
import { type Encoding, type GateResult, IngressGate } from '../ingress/ingress-gate.js';
import { type PreTurnChecks, decidePreTurn } from '../turn/gate.js';
import { type EgressSink, SessionEgress } from './egress.js';
import { ConversationHistory, PendingInput } from './input.js';
import type { SessionRecorder } from './recorder.js';
import { type TurnOutcome, TurnRuntime } from './turn-runtime.js';

export interface QueuedEvent {
  readonly lane: 'control' | 'data' | 'telemetry';
  readonly seq: number;
  readonly kind: string;
  readonly barrier?: boolean;
  readonly prevSeq: number;
  readonly bytes: number;
  readonly event: AnyEnvelope;
}

export interface SessionAuthority {
  readonly epoch: number;
  isAuthoritative(epoch?: number): boolean;
}

export interface SessionDeps {
  clock: Clock;
  host: NodeHost;
  recorder: SessionRecorder;
  authority: SessionAuthority;
  admitTurn: () => ReturnType<PreTurnChecks['admit']>;
  freeze: () => ReturnType<PreTurnChecks['freeze']>;
  notifyScheduler: (session: Session) => void;
  metrics?: Metrics;
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

export type ProposalSource = 'turn.request' | 'speech.stopped' | 'vad' | 'grpc';

export interface TurnDecisionResult {
  outcome: 'opened' | 'rejected' | 'deferred' | 'stale_epoch';
  turn_id: string;
  reason: string;
  plan_hash: string;
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
  readonly gate: IngressGate;
  readonly lanes: SessionLanes<QueuedEvent>;
  readonly fence = new EgressFence();
  readonly egress: SessionEgress;
  readonly history = new ConversationHistory();
  readonly pending: PendingInput;
  private turn: TurnRuntime | undefined;
  private turnsOpened = 0;
  private state: 'open' | 'ending' | 'ended' = 'open';
  private speechActive = false;
  private confirmTimer: TimerHandle | undefined;
  private graceTimer: TimerHandle | undefined;
  private idleTimer: TimerHandle | undefined;
  private transportLost = false;
  private lostAuthority: { owner?: string } | undefined;
  private readonly watchers = new Set<(event: AnyEnvelope) => void>();
  /** Node-side end-of-turn detection (turn_detection `node`), fed with caller audio on the Data lane. */
  private readonly vad: Vad | undefined;
  /** Caller audio received so far, in ms: the VAD's timebase (gateways may omit media_ms). */
  private mediaMs = 0;
  /** A run of ingress drops not yet announced: sent as one drop.notice when the run ends. */
  /** The seq of the last ingress event this session took, in any lane (0 before the first). */
  private lastIngestSeq = 0;
  /** The seq of the last ingress event written to the timeline. */
  private lastRecordedSeq = 0;
  private pendingDrop: { lane: 'control' | 'data' | 'telemetry'; reason: string; seq_from: number; seq_to: number } | undefined;

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
    this.pending = new PendingInput({ codec: init.codec, sample_rate: init.sample_rate });
    this.gate = new IngressGate({
      session_id: init.session_id,
      format: { codec: init.codec, sample_rate: init.sample_rate },
      maxAudioFrameMs: deps.maxAudioFrameMs,
      currentEpoch: () => (deps.authority.isAuthoritative() ? deps.authority.epoch : 0),
      afterSeq: init.afterSeq ?? 0,
      epochCheckedByTurnGate: (event) => this.isProposal(event),
      validateInSession: (event) => this.validatePlaybackAck(event),
    });
    this.lanes = new SessionLanes<QueuedEvent>(init.plan.lanes, {
      onAction: (action) => this.onLaneAction(action),
      merge: mergeTextIn,
      ...(deps.laneMaxBytes !== undefined ? { maxLaneBytes: deps.laneMaxBytes } : {}),
    });
    const heldEpoch = deps.authority.epoch;
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
    this.vad = this.createVad();
    this.armIdleTimer();
  }

  private createVad(): Vad | undefined {
    return sessionTurnDetector(this.plan, { codec: this.codec, sample_rate: this.sample_rate }, (problem) =>
      this.deps.logger?.warn({ session_id: this.id, problem }, 'vad node misconfigured; node turn detection is off'),
    );
  }

  /** Runs one gateway frame through this session's ingress gate (decode, validation, seq, format, epoch). */
  admit(frame: Uint8Array | string, encoding: Encoding): GateResult {
    return this.gate.admit(frame, encoding);
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  get activeTurn(): TurnRuntime | undefined {
    return this.turn;
  }

  get turnCount(): number {
    return this.turnsOpened;
  }

  get connected(): boolean {
    return this.egress.attached;
  }

  get epoch(): number {
    return this.deps.authority.epoch;
  }

  /** Where this session records its timeline. */
  get recorder(): SessionRecorder {
    return this.deps.recorder;
  }

  /** True while this kernel holds the session's lease and may speak. */
  activeAuthority(): boolean {
    return this.deps.authority.isAuthoritative();
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
    const previous = this.egress.attach(sink);
    previous?.close(CLOSE_CODES.replaced, 'replaced by a newer connection');
    this.deps.clock.clearTimer(this.graceTimer);
    this.graceTimer = undefined;
    this.transportLost = false;
    this.deps.clock.clearTimer(this.idleTimer);
    this.idleTimer = undefined;
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
    this.egress.detach(sink);
    if (this.egress.attached) return;
    // A late close of an older connection must not leave a second grace timer behind.
    this.deps.clock.clearTimer(this.graceTimer);
    this.graceTimer = this.deps.clock.setTimer(this.plan.budgets.reconnect_grace_ms, () => {
      this.graceTimer = undefined;
      this.transportLost = true;
      this.turn?.abort('transport_lost');
    });
    this.armIdleTimer();
  }

  private armIdleTimer(): void {
    this.deps.clock.clearTimer(this.idleTimer);
    this.idleTimer = this.deps.clock.setTimer(this.plan.budgets.session_idle_ms, () => {
      this.idleTimer = undefined;
      if (!this.egress.attached) this.end('idle_timeout');
    });
  }

  // ------------------------------------------------------------ ingress

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
      this.handleCancelEvent(event);
      return { status: 'accepted' };
    }
    // Playback acks report what already played: applied at once, so a cancel that
    // overtakes the lanes still sees every ack sent before it.
    if (event.kind === 'playback.started' || event.kind === 'playback.mark' || event.kind === 'playback.completed') {
      this.lastIngestSeq = event.seq;
      this.handlePlayback(event);
      return { status: 'accepted' };
    }
    if (event.kind === 'speech.started') this.onSpeechStarted();
    const proposal = this.isProposal(event);
    const item: QueuedEvent = {
      lane: KINDS[event.kind].lane,
      seq: event.seq,
      kind: event.kind,
      barrier: proposal,
      prevSeq: this.lastIngestSeq,
      bytes: queuedBytes(event),
      event,
    };
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
    this.flushDropNotice();
    try {
      this.process(item.event);
    } catch (err) {
      this.deps.logger?.error({ session_id: this.id, err, kind: item.kind }, 'processing an event failed');
      this.sendError('internal', `the kernel failed to process ${item.kind}`, item.event.id);
    }
  }

  private process(event: AnyEnvelope): void {
    switch (event.kind) {
      case 'audio.in':
        this.pending.addAudio(event.payload.audio);
        if (this.vad) this.onVad(this.vad.push(event.payload.audio, this.mediaMs), event.epoch);
        this.mediaMs += audioMs({ codec: this.codec, sample_rate: this.sample_rate }, event.payload.audio.length);
        return;
      case 'text.in':
        if (!this.pending.addText(event.payload.text)) this.sendError('overloaded', 'pending user text is full', event.id);
        return;
      case 'speech.started':
        this.pending.clearAudio();
        return;
      case 'speech.stopped':
        this.onSpeechStopped(event);
        return;
      case 'turn.request':
        this.propose('turn.request', event.epoch, event.payload.text);
        return;
      case 'session.end':
        this.end(event.payload.reason || 'gateway_ended');
        return;
      case 'dtmf':
      case 'telemetry':
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
    const decided = this.decide(source, epoch, text);
    this.deps.metrics?.turnOpenSeconds.observe((performance.now() - started) / 1000);
    this.deps.metrics?.preTurnOutcomes.inc({ outcome: decided.outcome, reason: decided.outcome === 'opened' ? '' : decided.reason });
    return decided;
  }

  private decide(source: ProposalSource, epoch: number, text?: string): TurnDecisionResult {
    const refuse = (outcome: 'rejected' | 'deferred' | 'stale_epoch', reason: string, step: string): TurnDecisionResult => {
      this.deps.recorder.decision(step, outcome, reason, { source });
      const kind = outcome === 'rejected' ? 'turn.rejected' : outcome === 'deferred' ? 'turn.deferred' : 'turn.stale_epoch';
      this.egress.sendSessionEvent(kind, { reason });
      return { outcome, turn_id: '', reason, plan_hash: '' };
    };
    if (this.state !== 'open') return refuse('rejected', 'session_ending', 'state');
    // DESIGN 4.1: the epoch decides before state, so a stale holder learns to refresh authority.
    if (this.turn && !this.epochCurrent(epoch)) return refuse('stale_epoch', this.staleReason(epoch), 'authority');
    if (this.turn) return refuse('rejected', 'turn_active', 'state');
    const decision = decidePreTurn(epoch, {
      admit: this.deps.admitTurn,
      authoritative: (e) => e !== 0 && this.deps.authority.isAuthoritative(e),
      currentEpoch: () => (this.deps.authority.isAuthoritative() ? this.deps.authority.epoch : 0),
      freeze: this.deps.freeze,
    });
    if (decision.outcome !== 'opened') return refuse(decision.outcome, decision.reason, decision.step);
    const plan = decision.plan;
    this.deps.recorder.decision('admission', 'admitted', '', { source });
    this.deps.recorder.decision('authority', 'held', '', { epoch: String(epoch) });
    this.turnsOpened += 1;
    const ordinal = this.turnsOpened;
    const turn_id = turnIdFor(ordinal);
    const seed = turnSeed(this.seed, ordinal, plan.plan_hash);
    this.deps.recorder.planFrozen(plan, seed, turn_id);
    const input = this.pending.take(text);
    const turn = new TurnRuntime({
      turn_id,
      ordinal,
      plan,
      seed,
      ticket: decision.ticket,
      clock: this.deps.clock,
      egress: this.egress,
      fence: this.fence,
      host: this.deps.host,
      format: { codec: this.codec, sample_rate: this.sample_rate },
      standingAbortReasons: () => this.standingAbortReasons(),
      onUserTranscript: (userText) => this.history.add('user', userText),
      onNodeInvocation: (record, id) => {
        if (!this.deps.recorder.nodeInvocation(record, id)) this.turn?.abort('evidence_unavailable');
      },
      onClosed: (closed, outcome) => this.onTurnClosed(closed, outcome),
      onFailure: (message) => this.deps.logger?.error({ session_id: this.id, turn_id }, message),
    });
    this.turn = turn;
    turn.start(input);
    return { outcome: 'opened', turn_id, reason: '', plan_hash: plan.plan_hash };
  }

  private epochCurrent(epoch: number): boolean {
    return epoch !== 0 && this.deps.authority.isAuthoritative(epoch);
  }

  private staleReason(epoch: number): string {
    const current = this.deps.authority.isAuthoritative() ? this.deps.authority.epoch : 0;
    return current === 0 ? 'authority_not_held' : `epoch ${epoch} is not the current epoch ${current}`;
  }

  private standingAbortReasons(): AbortReason[] {
    const reasons: AbortReason[] = [];
    if (this.lostAuthority || !this.deps.authority.isAuthoritative()) reasons.push('authority_lost');
    if (this.transportLost) reasons.push('transport_lost');
    return reasons;
  }

  private onTurnClosed(turn: TurnRuntime, outcome: TurnOutcome): void {
    if (this.turn === turn) this.turn = undefined;
    this.deps.clock.clearTimer(this.confirmTimer);
    this.confirmTimer = undefined;
    if (outcome.heard_text) this.history.add('assistant', outcome.heard_text);
    this.deps.metrics?.turns.inc({ outcome: outcome.outcome, reason: outcome.outcome === 'committed' ? '' : outcome.reason });
  }

  /** Cancels a turn (or the session's work). Idempotent while the turn is fenced but not closed. */
  cancel(scope: 'session' | 'turn', turn_id: string, reason: string): CancelResult {
    if (scope === 'session') {
      this.pending.clear();
      const turn = this.turn;
      if (!turn) return { ok: true, fenced: false, played_ms: 0 };
      return { ok: true, ...turn.cancel(reason || 'cancelled') };
    }
    const lookup = this.lookupTurn(turn_id);
    if (!lookup.ok) return lookup;
    const started = performance.now();
    const result = lookup.turn.cancel(reason || 'cancelled');
    this.deps.metrics?.cancelToFenceSeconds.observe((performance.now() - started) / 1000);
    this.deps.recorder.decision('fence', 'fenced', reason, {}, turn_id);
    return { ok: true, ...result };
  }

  private lookupTurn(turn_id: string): { ok: true; turn: TurnRuntime } | { ok: false; code: 'not_found' | 'turn_closed'; message: string } {
    if (this.turn && this.turn.turn_id === turn_id && !this.turn.isClosed) return { ok: true, turn: this.turn };
    const ordinal = turnOrdinal(turn_id);
    if (ordinal !== undefined && ordinal <= this.turnsOpened) return { ok: false, code: 'turn_closed', message: `turn ${turn_id} is closed` };
    return { ok: false, code: 'not_found', message: `no turn ${turn_id} in this session` };
  }

  private handleCancelEvent(event: Envelope<'cancel'>): void {
    const result = this.cancel(event.payload.scope, event.turn_id, event.payload.reason);
    if (!result.ok) this.sendError(result.code, result.message, event.id);
  }

  /** A mark or completion of the active turn may not claim more audio than the turn sent (DESIGN 4.1: invalid_payload). */
  private validatePlaybackAck(event: AnyEnvelope): AbiError | undefined {
    if (event.kind !== 'playback.mark' && event.kind !== 'playback.completed') return undefined;
    const turn = this.turn;
    if (!turn || turn.isClosed || turn.turn_id !== event.turn_id) return undefined;
    const played = event.payload.played_ms;
    if (played <= turn.sentAudioMs) return undefined;
    return abiError('invalid_payload', `played_ms ${played} exceeds the ${Math.round(turn.sentAudioMs)} ms of audio sent for this turn`, event.id);
  }

  private handlePlayback(event: Envelope<'playback.started' | 'playback.mark' | 'playback.completed'>): void {
    const lookup = this.lookupTurn(event.turn_id);
    if (!lookup.ok) {
      this.sendError(lookup.code, lookup.message, event.id);
      return;
    }
    const played = 'played_ms' in event.payload ? (event.payload as { played_ms: number }).played_ms : 0;
    const result = lookup.turn.playback(event.kind, played);
    if (result.ok) return;
    if ('code' in result) this.sendError(result.code, result.message, event.id);
    else this.deps.recorder.decision('ack', 'ignored', result.ignored, { kind: event.kind }, event.turn_id);
  }

  // ------------------------------------------------------------ speech and barge-in

  private onSpeechStarted(): void {
    this.speechActive = true;
    const turn = this.turn;
    if (!turn || turn.isClosed || turn.fenced) return;
    if (this.plan.barge_in.mode === 'immediate') {
      this.cancel('turn', turn.turn_id, 'barge_in');
      return;
    }
    // Confirmed barge-in: hold output; cancel only if the caller keeps talking for min_speech_ms.
    turn.pause();
    this.deps.clock.clearTimer(this.confirmTimer);
    this.confirmTimer = this.deps.clock.setTimer(this.plan.barge_in.min_speech_ms, () => {
      this.confirmTimer = undefined;
      if (this.speechActive && this.turn === turn && !turn.isClosed) this.cancel('turn', turn.turn_id, 'barge_in');
    });
  }

  private onVad(change: 'speech_started' | 'speech_stopped' | undefined, epoch: number): void {
    if (change === undefined) return;
    this.deps.recorder.decision('vad', change, '', { media_ms: String(Math.round(this.mediaMs)) }, this.turn?.turn_id);
    if (change === 'speech_started') this.onSpeechStarted();
    else this.speechStopped(epoch, 'vad');
  }

  private onSpeechStopped(event: Envelope<'speech.stopped'>): void {
    // Under gateway detection speech.stopped is a proposal whose epoch the ingress gate left to us:
    // a stale one is answered like any stale proposal and changes nothing else.
    if (this.plan.turn_detection === 'gateway' && !this.epochCurrent(event.epoch)) {
      this.propose('speech.stopped', event.epoch);
      return;
    }
    this.speechStopped(event.epoch, 'speech.stopped');
  }

  private speechStopped(epoch: number, source: 'speech.stopped' | 'vad'): void {
    this.speechActive = false;
    if (this.confirmTimer) {
      this.deps.clock.clearTimer(this.confirmTimer);
      this.confirmTimer = undefined;
      this.deps.recorder.decision('barge_in', 'resumed', 'speech_shorter_than_min_speech_ms', {}, this.turn?.turn_id);
      this.turn?.resume();
      return;
    }
    const detector = source === 'vad' ? 'node' : 'gateway';
    if (this.plan.turn_detection === detector && !this.turn) this.propose(source, epoch);
  }

  // ------------------------------------------------------------ authority and ending

  /** This kernel lost the session's lease: stop speaking at once, tell the gateway, close 4009. */
  authorityLost(owner?: string, address?: string): void {
    if (this.state === 'ended') return;
    this.lostAuthority = owner ? { owner } : {};
    this.fence.fenceSession(this.deps.clock.now());
    this.deps.recorder.decision('fence', 'fenced', 'authority_lost', owner ? { scope: 'session', owner } : { scope: 'session' });
    this.turn?.cancel('authority_lost', 'authority_lost');
    this.egress.sendSessionEvent('session.ended', owner ? { reason: 'authority_moved', owner } : { reason: 'authority_moved' });
    const reason = owner ? `owner=${owner}${address ? ` addr=${address}` : ''}` : 'authority lost';
    this.finishEnd('authority_moved', CLOSE_CODES.authorityMoved, reason);
  }

  /** Ends the session: aborts the active turn, sends session.ended and closes the stream. */
  end(reason: string, closeCode: number = CLOSE_CODES.normal): void {
    if (this.state !== 'open') return;
    this.state = 'ending';
    this.flushDropNotice();
    const turn = this.turn;
    if (turn && !turn.isClosed) {
      // Ending the session fences its turn: recorded like any other fence, with why.
      this.deps.recorder.decision('fence', 'fenced', reason, { scope: 'session' }, turn.turn_id);
      turn.cancel(reason, 'cancelled');
    }
    this.egress.sendSessionEvent('session.ended', { reason });
    this.finishEnd(reason, closeCode, reason);
  }

  private finishEnd(reason: string, closeCode: number, closeReason: string): void {
    this.state = 'ended';
    for (const timer of [this.confirmTimer, this.graceTimer, this.idleTimer]) this.deps.clock.clearTimer(timer);
    this.confirmTimer = this.graceTimer = this.idleTimer = undefined;
    this.lanes.drain();
    this.pending.clear();
    this.egress.close(closeCode, closeReason);
    this.watchers.clear();
    this.deps.onEnded(this, reason);
  }

  // ------------------------------------------------------------ helpers

  private flushDropNotice(): void {
    const drop = this.pendingDrop;
    if (!drop) return;
    this.pendingDrop = undefined;
    this.egress.sendSessionEvent('drop.notice', { ...drop, direction: 'ingress' });
  }

  sendError(code: ErrorCode, message: string, ref_id?: string): void {
    this.egress.sendSessionEvent('error', ref_id ? { code, message, ref_id } : { code, message });
  }

  private onLaneAction(action: LaneAction): void {
    if (action.type === 'drop') {
      this.deps.metrics?.laneDrops.inc({ lane: action.lane, reason: action.reason });
      this.deps.recorder.decision('lane', 'dropped', action.reason, {
        lane: action.lane,
        seq_from: String(action.seq_from),
        seq_to: String(action.seq_to),
      });
      // Under a flood every offer drops one item: one notice per run of drops, not per frame,
      // so telemetry does not multiply the overload it reports.
      const pending = this.pendingDrop;
      // Adjacent in session order only: a control event or a delivered frame between two drops splits the run.
      if (pending && pending.lane === action.lane && pending.reason === action.reason && action.prev_seq === pending.seq_to) {
        pending.seq_to = action.seq_to;
        return;
      }
      this.flushDropNotice();
      this.pendingDrop = { lane: action.lane, reason: action.reason, seq_from: action.seq_from, seq_to: action.seq_to };
      return;
    }
    this.flushDropNotice();
    this.deps.recorder.decision('flow', action.type, '', { lane: action.lane, depth: String(action.depth) });
    this.egress.sendSessionEvent(action.type === 'xoff' ? 'flow.xoff' : 'flow.xon', { lane: action.lane });
  }
}

export function turnIdFor(ordinal: number): string {
  return `t-${ordinal}`;
}

function turnOrdinal(turn_id: string): number | undefined {
  const match = /^t-([1-9][0-9]{0,15})$/.exec(turn_id);
  return match ? Number(match[1]) : undefined;
}

/** Envelope fields (ids up to 128 characters each) beside the payload. */
const ENVELOPE_BYTES = 512;

/** What a queued event holds in memory, roughly: its payload's bytes or characters plus the envelope. */
function queuedBytes(event: AnyEnvelope): number {
  switch (event.kind) {
    case 'audio.in':
      return ENVELOPE_BYTES + event.payload.audio.length;
    case 'text.in':
      return ENVELOPE_BYTES + 2 * event.payload.text.length;
    case 'telemetry':
      return ENVELOPE_BYTES + 2 * event.payload.name.length;
    case 'turn.request':
      return ENVELOPE_BYTES + 2 * (event.payload.text?.length ?? 0);
    default:
      return ENVELOPE_BYTES;
  }
}

/** Coalesce policy for text: consecutive text.in deltas merge into one. */
function mergeTextIn(tail: QueuedEvent, next: QueuedEvent): QueuedEvent | undefined {
  if (tail.event.kind !== 'text.in' || next.event.kind !== 'text.in') return undefined;
  const merged: Envelope<'text.in'> = { ...next.event, payload: { text: tail.event.payload.text + next.event.payload.text } };
  return { ...next, bytes: queuedBytes(merged), event: merged };
}
