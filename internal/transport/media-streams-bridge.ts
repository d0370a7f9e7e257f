// One media stream (one call) mapped onto one Baton session: `start` opens the
// session (mu-law 8 kHz on the requested pipeline), inbound frames become
// Event ABI events that pass the session's own ingress gate, and the session's
// egress comes back as `media`/`mark`/`clear` frames. It is the session's
// egress sink for the call. It owns the mapping and nothing else: the socket
// belongs to the server, every turn decision to the session.
import { type AnyEnvelope, CLOSE_CODES, MAX_CONSECUTIVE_INVALID, audioMs } from '../../api/eventabi/index.js';
import type { Clock } from '../determinism/clock.js';
import type { VadOptions } from '../nodes/index.js';
import { speechDetectorSettings } from '../nodes/turn-detection.js';
import { type Logger, sessionLogger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { EgressSink } from '../session/egress.js';
import type { OpenRequest, OpenResult } from '../session/manager.js';
import type { Session } from '../session/session.js';
import { type InboundFrame, MEDIA_FORMAT, POLICY_VIOLATION, UNSUPPORTED_DATA, parseInbound } from './media-streams-dialect.js';
import { type Draft, SessionFeed } from './media-streams-feed.js';
import { Playout } from './media-streams-playout.js';
import { CallerSpeech } from './media-streams-speech.js';

const FORMAT = { codec: 'mulaw', sample_rate: MEDIA_FORMAT.sampleRate } as const;
/** Frames a call may send while its session opens or its lanes are full, before it is closed 1013. */
const MAX_HELD_FRAMES = 64;
/** `session.end` reason when the gateway sends `stop`. */
export const STOP_REASON = 'stream_stopped';

/** The socket side of one call, as the bridge needs it. */
export interface MediaStreamsTransport {
  send(text: string): void;
  readonly open: boolean;
  /**
   * Whether a frame of `lane` may be written now: above the socket's bound,
   * Data (audio) is refused and a reader hopelessly behind is cut off;
   * Control (marks, clear) still goes.
   */
  admit(lane: 'data' | 'control'): boolean;
  /** False while the socket holds more unsent bytes than its bound; the turn's pacer then waits. */
  readonly writable: boolean;
  onceWritable(resume: () => void): void;
  close(code: number, reason: string): void;
  pause(): void;
  resume(): void;
}

/** What the bridge needs from the session layer. */
export interface MediaStreamsSessions {
  open(tenant: string, request: OpenRequest): Promise<OpenResult>;
}

export interface MediaStreamsBridgeOptions {
  tenant: string;
  pipeline: string;
  sessions: MediaStreamsSessions;
  transport: MediaStreamsTransport;
  clock: Clock;
  /** False while the kernel drains: a `start` is then refused with 1001. */
  accepting: () => boolean;
  metrics?: Metrics;
  logger?: Logger;
}

type Phase = 'connecting' | 'opening' | 'streaming' | 'stopping' | 'closed';

/** Counts kept per call, logged when it closes. */
export interface BridgeStats {
  framesIn: number;
  outboundTrackIgnored: number;
  unknownMarks: number;
  invalidFrames: number;
  /** Events the session's ingress gate rejected (recorded as errors in the timeline). */
  gateRejections: number;
}

export class MediaStreamsBridge implements EgressSink {
  readonly encoding = 'proto' as const;
  readonly stats: BridgeStats = { framesIn: 0, outboundTrackIgnored: 0, unknownMarks: 0, invalidFrames: 0, gateRejections: 0 };
  private phase: Phase = 'connecting';
  private session: Session | undefined;
  private streamSid = '';
  private playout: Playout | undefined;
  private speech: CallerSpeech | undefined;
  private connectedSeen = false;
  private invalidRun = 0;
  /** Caller audio ms so far: media_ms for frames whose gateway sends no timestamp. */
  private receivedMs = 0;
  private readonly held: { data: Buffer; isBinary: boolean }[] = [];
  private feed: SessionFeed | undefined;
  private log: Logger | undefined;

  constructor(private readonly opts: MediaStreamsBridgeOptions) {
    this.log = opts.logger;
  }

  get sessionId(): string | undefined {
    return this.session?.id;
  }

  /** The kernel's logger until the stream's session opens, then that session's logger (with the stream and call sids). */
  get logger(): Logger | undefined {
    return this.log;
  }

  // ------------------------------------------------------------ inbound

  /** One WebSocket message from the gateway. Never throws. */
  receive(data: Buffer, isBinary: boolean): void {
    if (this.phase === 'closed' || this.phase === 'stopping') return;
    if (this.busy) {
      if (this.held.length >= MAX_HELD_FRAMES) {
        this.closeWith(CLOSE_CODES.overloaded, 'frames arrived faster than the session could take them');
        return;
      }
      this.held.push({ data, isBinary });
      return;
    }
    this.handle(data, isBinary);
    this.drainHeld();
  }

  /** The socket closed (either side): the session loses its stream and runs its reconnect grace and idle timers. */
  transportClosed(): void {
    this.phase = 'closed';
    this.held.length = 0;
    this.feed?.dispose();
    this.session?.detach(this);
  }

  private get busy(): boolean {
    return this.phase === 'opening' || (this.feed?.busy ?? false);
  }

  private drainHeld(): void {
    while (this.held.length > 0 && !this.busy && (this.phase === 'connecting' || this.phase === 'streaming')) {
      const next = this.held.shift()!;
      this.handle(next.data, next.isBinary);
    }
  }

  private handle(data: Buffer, isBinary: boolean): void {
    this.stats.framesIn += 1;
    if (isBinary) {
      this.closeWith(UNSUPPORTED_DATA, 'binary frames are not part of the media-streams dialect; send JSON text frames');
      return;
    }
    const parsed = parseInbound(data.toString('utf8'));
    if (!parsed.ok) {
      this.invalid(parsed.problem.code, parsed.problem.message);
      return;
    }
    const frame = parsed.frame;
    if (this.phase === 'connecting') {
      this.beforeStart(frame);
      return;
    }
    // A well-formed frame that does not belong in this call counts as invalid too; only an accepted one ends a run.
    if (frame.event === 'connected' || frame.event === 'start') {
      this.invalid(POLICY_VIOLATION, `${frame.event} may only be sent once, before media`);
      return;
    }
    if (frame.streamSid !== undefined && frame.streamSid !== this.streamSid) {
      this.invalid(POLICY_VIOLATION, `${frame.event} names stream ${frame.streamSid.slice(0, 64)}, not this stream`);
      return;
    }
    this.invalidRun = 0;
    this.duringStream(frame);
  }

  /**
   * A frame the dialect does not allow. Before `start` there is no call to
   * protect and the gateway is plainly speaking something else: close now.
   * During a call one bad frame must not hang up on the caller (DESIGN 4):
   * it is recorded as an `error` in the session's timeline, and
   * MAX_CONSECUTIVE_INVALID in a row close the stream with 1008.
   */
  private invalid(code: number, message: string): void {
    this.stats.invalidFrames += 1;
    this.opts.metrics?.ingressRejected.inc({ code: 'invalid_event' });
    const session = this.session;
    if (!session || this.phase === 'connecting') {
      this.closeWith(code, message);
      return;
    }
    session.sendError('invalid_event', `media-streams frame rejected: ${message}`);
    this.invalidRun += 1;
    if (code === UNSUPPORTED_DATA) {
      this.closeWith(code, message);
      return;
    }
    if (this.invalidRun >= MAX_CONSECUTIVE_INVALID) this.closeWith(POLICY_VIOLATION, `${MAX_CONSECUTIVE_INVALID} consecutive invalid frames; last: ${message}`);
  }

  private beforeStart(frame: InboundFrame): void {
    switch (frame.event) {
      case 'connected':
        if (this.connectedSeen) this.closeWith(POLICY_VIOLATION, 'connected was sent twice');
        this.connectedSeen = true;
        return;
      case 'start':
        this.start(frame);
        return;
      case 'stop':
        this.closeWith(CLOSE_CODES.normal, 'stream stopped before it started');
        return;
      default:
        this.closeWith(POLICY_VIOLATION, `${frame.event} before start: the stream must begin with connected and start`);
    }
  }

  private duringStream(frame: Exclude<InboundFrame, { event: 'connected' | 'start' }>): void {
    switch (frame.event) {
      case 'media':
        this.media(frame.track, frame.payload, frame.timestamp);
        return;
      case 'mark': {
        const ack = this.playout!.echo(frame.name);
        if (!ack) {
          // Echoes of cleared audio and of closed turns, and marks Baton never sent: nothing to acknowledge.
          this.stats.unknownMarks += 1;
          return;
        }
        this.enqueue({ kind: ack.kind, payload: { played_ms: ack.played_ms }, turn_id: ack.turn_id });
        return;
      }
      case 'dtmf':
        this.enqueue({ kind: 'dtmf', payload: { digit: frame.digit } });
        return;
      case 'stop':
        this.enqueue({ kind: 'session.end', payload: { reason: STOP_REASON } });
        // Nothing the gateway sends after stop matters; the session ends and closes the socket with 1000.
        this.phase = 'stopping';
        return;
    }
  }

  private media(track: 'inbound' | 'outbound', payload: Uint8Array, timestamp: number | undefined): void {
    if (track !== 'inbound') {
      this.stats.outboundTrackIgnored += 1;
      return;
    }
    if (payload.length === 0) return;
    const media_ms = timestamp ?? Math.round(this.receivedMs);
    this.receivedMs += audioMs(FORMAT, payload.length);
    for (const out of this.speech!.push(payload, media_ms)) {
      if (out.type === 'audio') this.enqueue({ kind: 'audio.in', payload: { audio: out.audio }, media_ms: out.media_ms });
      else if (out.type === 'speech_started') this.enqueue({ kind: 'speech.started', payload: {}, media_ms: out.media_ms });
      else this.enqueue({ kind: 'speech.stopped', payload: {}, media_ms: out.media_ms });
    }
  }

  private start(frame: Extract<InboundFrame, { event: 'start' }>): void {
    if (!this.opts.accepting()) {
      this.closeWith(CLOSE_CODES.draining, 'kernel draining');
      return;
    }
    this.phase = 'opening';
    this.streamSid = frame.streamSid;
    this.opts.transport.pause();
    const request: OpenRequest = { pipeline: this.opts.pipeline, codec: FORMAT.codec, sample_rate: FORMAT.sample_rate };
    this.opts.sessions.open(this.opts.tenant, request).then(
      (opened) => this.opened(opened, frame),
      (err: unknown) => {
        this.log?.error({ err, stream_sid: this.streamSid }, 'opening a session for a media stream failed');
        if (this.phase === 'opening') this.closeWith(CLOSE_CODES.internal, 'internal error');
      },
    );
  }

  private opened(opened: OpenResult, frame: Extract<InboundFrame, { event: 'start' }>): void {
    if (!opened.ok) {
      this.log?.warn({ stream_sid: this.streamSid, code: opened.code, reason: opened.message }, 'media stream refused');
      const overloaded = opened.code === 'resource_exhausted' || opened.code === 'unavailable';
      if (this.phase === 'opening') this.closeWith(overloaded ? CLOSE_CODES.overloaded : POLICY_VIOLATION, opened.message);
      return;
    }
    const session = opened.session;
    if (this.phase !== 'opening') {
      // The gateway left while the session was opening: it starts without a stream and idles out.
      session.detach(this);
      return;
    }
    this.session = session;
    this.log = sessionLogger(this.opts.logger, session.id, session.epoch)?.child({ stream_sid: this.streamSid, call_sid: frame.callSid });
    this.log?.info({ pipeline: session.version.name, tracks: frame.tracks, pii: { customParameters: frame.customParameters } }, 'media stream started');
    this.playout = new Playout({ streamSid: this.streamSid, write: (text, lane) => this.writeFrame(text, lane) });
    this.feed = new SessionFeed({
      session,
      clock: this.opts.clock,
      ...(this.opts.metrics ? { metrics: this.opts.metrics } : {}),
      onBlocked: () => this.opts.transport.pause(),
      onFlowing: () => {
        if (this.phase !== 'streaming') return;
        this.opts.transport.resume();
        this.drainHeld();
      },
      onClose: (code, reason) => this.closeWith(code, reason),
    });
    this.speech = new CallerSpeech(FORMAT, this.speechDetection(session));
    this.phase = 'streaming';
    session.attach(this);
    if (this.phase !== 'streaming') return;
    this.opts.transport.resume();
    this.drainHeld();
  }

  /**
   * Telephony gateways send no speech.started/stopped. Under `gateway` turn
   * detection (the `demo` pipeline) and `manual` (turns proposed over gRPC;
   * caller speech must still barge in), the bridge is that gateway: it runs the
   * energy VAD with the pipeline's `vad_energy` settings, or the defaults.
   * Under `node` detection the session runs its own VAD on the same audio.
   */
  private speechDetection(session: Session): VadOptions | undefined {
    if (session.plan.turn_detection === 'node') return undefined;
    const settings = speechDetectorSettings(session.plan, FORMAT);
    if (!settings.ok) this.log?.warn({ problem: settings.problem }, 'vad_energy settings invalid; the media-streams VAD uses its defaults');
    return settings.options;
  }

  // ------------------------------------------------------------ into the session

  private enqueue(draft: Draft): void {
    this.feed?.push(draft);
  }

  // ------------------------------------------------------------ out of the session (EgressSink)

  /** Every event that passed the session's last hop; only playback-related ones become frames. */
  write(_frame: Uint8Array | string, event: AnyEnvelope): void {
    const playout = this.playout;
    if (this.phase === 'closed' || !playout) return;
    switch (event.kind) {
      case 'audio.out':
        playout.audio(event.turn_id, event.payload.audio);
        return;
      case 'output.end':
        playout.end(event.turn_id);
        return;
      case 'output.clear':
        playout.clear(event.turn_id);
        return;
      case 'turn.closed':
        playout.closed(event.turn_id);
        return;
      case 'error':
        this.log?.debug({ code: event.payload.code, reason: event.payload.message }, 'media stream event rejected');
        return;
      default:
        // Turn lifecycle, transcripts and flow notices have no frame in the dialect; the timeline and WatchSession carry them.
        return;
    }
  }

  /** The session closes its stream (session ended, replaced, authority moved, drain). */
  close(code: number, reason: string): void {
    this.closeWith(code, reason);
  }

  /** The session's pacer asks before producing audio; a socket over its bound holds the turn at its source. */
  get writable(): boolean {
    return this.opts.transport.writable;
  }

  onceWritable(resume: () => void): void {
    this.opts.transport.onceWritable(resume);
  }

  private writeFrame(text: string, lane: 'data' | 'control'): boolean {
    const transport = this.opts.transport;
    if (this.phase === 'closed' || !transport.open || !transport.admit(lane)) return false;
    transport.send(text);
    return true;
  }

  private closeWith(code: number, reason: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.held.length = 0;
    this.feed?.dispose();
    this.stats.gateRejections = this.feed?.rejected ?? 0;
    this.log?.info({ code, reason, ...this.stats }, 'media stream closed');
    this.opts.transport.close(code, reason);
  }
}
