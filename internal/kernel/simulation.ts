// The simulation kernel: the kernel core on a virtual clock, with lane
// scheduling driven explicitly so a run is a pure function of its inputs, and
// a gateway client that speaks to sessions through their real ingress gate.
// Tests, replay and conformance build on it. It opens no socket and never
// reads the wall clock; it never fakes kernel logic.
import { type AnyEnvelope, type EgressKind, type IngressKind, type Payloads, anyEnvelope, encodeBinary } from '../../api/eventabi/index.js';
import type { AdmissionLimits } from '../admission/admission.js';
import { MemoryAuthority } from '../authority/memory.js';
import type { AuthorityBackend } from '../authority/types.js';
import { VirtualClock } from '../determinism/clock.js';
import type { GateResult } from '../ingress/ingress-gate.js';
import { LaneScheduler } from '../lanes/scheduler.js';
import type { ScriptRegistry } from '../nodes/registry/store.js';
import type { ScriptTier } from '../nodes/script-tier.js';
import type { NodeHost } from '../nodes/types.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { TimelineRecorder } from '../observe/timeline/recorder.js';
import type { PipelineSpec } from '../plan/types.js';
import type { EgressSink } from '../session/egress.js';
import type { SessionManager } from '../session/manager.js';
import type { QueuedEvent, Session } from '../session/session.js';
import { type KernelCore, composeCore } from './core.js';

/** Where every simulation's virtual clock starts (a fixed Unix ms, so wall stamps repeat run to run). */
export const SIMULATION_EPOCH_MS = 1_700_000_000_000;

/** The simulation's one tenant unless a caller names another. */
export const SIMULATION_TENANT = 'dev';

const UNBOUNDED: AdmissionLimits = {
  max_sessions: 100_000,
  max_sessions_per_tenant: 100_000,
  max_concurrent_turns: 100_000,
  max_concurrent_turns_per_tenant: 100_000,
  max_turns_per_session_per_minute: 1_000_000,
};

export interface SimulationOptions<A extends AuthorityBackend> {
  /** Builds the authority backend on the simulation's clock (default: a MemoryAuthority). */
  authority?: (clock: VirtualClock) => A;
  /** Admission limits over the simulation's defaults (far above any test's load). */
  limits?: Partial<AdmissionLimits>;
  leaseTtlMs?: number;
  holder?: string;
  tenantSeed?: string;
  timeline?: { memoryRecords?: number; memoryBytes?: number; dir?: string };
  nodeHost?: NodeHost;
  /** Where script nodes run; replay and tests pass the QuickJS tier (or a double). */
  scriptTier?: ScriptTier;
  /** Pipelines published for SIMULATION_TENANT. */
  pipelines?: readonly PipelineSpec[];
  scripts?: ScriptRegistry;
  endedSessionsKept?: number;
  metrics?: Metrics;
  logger?: Logger;
}

export interface OpenOptions {
  tenant?: string;
  /** Keep the timed record (`received`, `passed`, `strayWrites`) the invariant checks read. */
  observe?: boolean;
}

export class SimulationKernel<A extends AuthorityBackend = MemoryAuthority> implements KernelCore {
  readonly clock = new VirtualClock(SIMULATION_EPOCH_MS);
  readonly authority: A;
  readonly admission: KernelCore['admission'];
  readonly registry: KernelCore['registry'];
  readonly scripts: KernelCore['scripts'];
  readonly scheduler: LaneScheduler<QueuedEvent>;
  readonly host: NodeHost;
  readonly state: KernelCore['state'];
  readonly sessions: SessionManager;
  readonly metrics: Metrics | undefined;
  readonly logger: Logger | undefined;
  readonly leaseTtlMs: number;
  private nextSession = 1;

  constructor(opts: SimulationOptions<A> = {}) {
    // Without a factory the backend is a MemoryAuthority, which is what A defaults to.
    this.authority = opts.authority ? opts.authority(this.clock) : (new MemoryAuthority(this.clock) as AuthorityBackend as A);
    this.leaseTtlMs = opts.leaseTtlMs ?? 10_000;
    const core = composeCore({
      clock: this.clock,
      authority: this.authority,
      limits: { ...UNBOUNDED, ...opts.limits },
      holder: opts.holder ?? 'sim-kernel',
      leaseTtlMs: this.leaseTtlMs,
      tenantSeed: opts.tenantSeed ?? 'sim',
      maxAudioFrameMs: 1000,
      timeline: { ...opts.timeline, memoryRecords: opts.timeline?.memoryRecords ?? 512 },
      // Scheduling is driven explicitly (drainSync) so runs are deterministic.
      scheduler: new LaneScheduler<QueuedEvent>({ schedule: () => undefined, now: () => 0 }),
      newSessionId: () => `s-${this.nextSession++}`,
      ...(opts.pipelines ? { pipelines: { tenant: SIMULATION_TENANT, specs: opts.pipelines } } : {}),
      ...(opts.nodeHost ? { nodeHost: opts.nodeHost } : {}),
      ...(opts.scriptTier ? { scriptTier: opts.scriptTier } : {}),
      ...(opts.scripts ? { scripts: opts.scripts } : {}),
      ...(opts.endedSessionsKept !== undefined ? { endedSessionsKept: opts.endedSessionsKept } : {}),
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    this.admission = core.admission;
    this.registry = core.registry;
    this.scripts = core.scripts;
    this.scheduler = core.scheduler;
    this.host = core.host;
    this.state = core.state;
    this.sessions = core.sessions;
    this.metrics = core.metrics;
    this.logger = core.logger;
  }

  /** Opens a session and attaches a gateway connection to it, as a caller dialling in would. */
  async open(pipeline = 'demo', codec: 'pcm16' | 'mulaw' = 'pcm16', sample_rate = 16000, opts: OpenOptions = {}): Promise<SimulatedGateway> {
    const session = await this.openSession({ tenant: opts.tenant ?? SIMULATION_TENANT, pipeline, codec, sample_rate });
    const gateway = new SimulatedGateway(this, session, opts.observe ? { observe: true } : {});
    gateway.attach();
    return gateway;
  }

  /** Opens a session with no connection (as OpenSession on the control plane does); a refusal throws. */
  async openSession(request: { tenant?: string; pipeline?: string; codec?: 'pcm16' | 'mulaw'; sample_rate?: number; session_id?: string } = {}): Promise<Session> {
    const { tenant = SIMULATION_TENANT, pipeline = 'demo', codec = 'pcm16', sample_rate = 16000, session_id } = request;
    const opened = await this.sessions.open(tenant, { pipeline, codec, sample_rate }, session_id);
    if (!opened.ok) throw new Error(`open failed: ${opened.code}: ${opened.message}`);
    return opened.session;
  }

  /** Lets promise chains (node host) run and the scheduler deliver, until nothing moves. */
  async settle(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      this.scheduler.drainSync();
      await nextTick();
      if (!this.scheduler.hasWork()) {
        await nextTick();
        if (!this.scheduler.hasWork()) return;
      }
    }
  }

  /** Advances virtual time in steps, settling after each so paced output and timers interleave as in real time. */
  async advance(ms: number, stepMs = 20): Promise<void> {
    let left = ms;
    while (left > 0) {
      const step = Math.min(stepMs, left);
      this.clock.advance(step);
      left -= step;
      await this.settle();
    }
  }
}

function nextTick(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * One egress event as observed: the event, its canonical frame, when, on
 * which connection (0 = none attached), and since when the session had no
 * connection (undefined while one is attached).
 */
export interface Observed {
  readonly event: AnyEnvelope;
  readonly frame: Uint8Array;
  readonly at: number;
  readonly conn: number;
  readonly detachedSince: number | undefined;
}

/** A close the kernel sent a connection; `conn` only on an observing gateway. */
export interface ConnectionClose {
  readonly code: number;
  readonly reason: string;
  readonly conn?: number;
}

/** One frame the gateway sent: the gate's answer and the event id it carried. */
export interface Sent {
  readonly result: GateResult;
  readonly id: string;
}

export interface SendOptions {
  turn_id?: string;
  /** Default: the session's current epoch. */
  epoch?: number;
  /** Default: one past the last seq this gateway sent. */
  seq?: number;
  /** false leaves an accepted event queued in its lane (to build lane pressure). */
  deliver?: boolean;
}

/**
 * A gateway's view of one session, across its connections. Each connection
 * is its own sink, as in the WebSocket server: a new connection replaces the
 * attached one (which the kernel closes with 4002), and a connection's close
 * reaches the session as `detach(thatSink)`, possibly late, after the session
 * already lost or replaced it.
 */
export class SimulatedGateway {
  /** What the gateway's connections received, in order. */
  readonly out: AnyEnvelope[] = [];
  readonly frames: Uint8Array[] = [];
  readonly closes: ConnectionClose[] = [];
  /** Observing gateways only: what the connections received, with time and connection. */
  readonly received: Observed[] = [];
  /** Observing gateways only: every event that passed the session's last hop, attached or not. */
  readonly passed: Observed[] = [];
  /** Observing gateways only: writes to a connection that was not the attached one (replaced, closed or detached). */
  readonly strayWrites: Observed[] = [];
  /** True once the session has been without a connection at least once. */
  everDetached = false;
  private readonly observe: boolean;
  private readonly sinks: EgressSink[] = [];
  /** Whether the newest sink has been handed to the session yet. */
  private newestAttached = false;
  private seq = 0;
  private attachedConn = 0;
  private detachedAt: number | undefined;
  /** Connections whose close has not reached the session yet. */
  private readonly unclosed: number[] = [];
  private readonly recording: TimelineRecorder | undefined;

  constructor(
    readonly kernel: SimulationKernel<AuthorityBackend>,
    readonly session: Session,
    opts: { observe?: boolean } = {},
  ) {
    this.observe = opts.observe ?? false;
    this.sinks.push(this.newSink(1));
    const known = kernel.sessions.lookup(session.tenant, session.id);
    this.recording = known?.state === 'live' ? known.timeline : undefined;
    if (this.observe) session.watch((event) => this.passed.push(this.observed(event, encodeBinary(event), this.attachedConn)));
  }

  get id(): string {
    return this.session.id;
  }

  /** The newest connection's sink (before any `attach`, the one the first connection will use). */
  get sink(): EgressSink {
    return this.sinks[this.sinks.length - 1]!;
  }

  get attached(): boolean {
    return this.attachedConn !== 0;
  }

  get connections(): number {
    return this.newestAttached ? this.sinks.length : this.sinks.length - 1;
  }

  /** The session's timeline as written so far (also after it ended). */
  get timeline(): Uint8Array {
    if (!this.recording) throw new Error(`session ${this.id} had ended before its gateway was made`);
    return this.recording.bytes();
  }

  /** A new connection: replaces the attached one, if any (closed 4002 by the kernel; its close reaches the session later). */
  attach(): void {
    if (this.newestAttached) this.sinks.push(this.newSink(this.sinks.length + 1));
    this.newestAttached = true;
    const conn = this.sinks.length;
    this.unclosed.push(conn);
    this.attachedConn = conn;
    this.detachedAt = undefined;
    this.session.attach(this.sink);
  }

  /**
   * A connection's close reaches the session: `current` closes the attached
   * connection (if none is attached, it acts as `stale`); `stale` delivers the
   * late close of the oldest other connection still outstanding (one the
   * kernel replaced or closed itself).
   */
  detach(which: 'current' | 'stale' = 'current'): void {
    const stale = this.unclosed.find((c) => c !== this.attachedConn);
    const conn = which === 'current' && this.attachedConn !== 0 ? this.attachedConn : stale;
    if (conn === undefined) return;
    this.unclosed.splice(this.unclosed.indexOf(conn), 1);
    if (this.attachedConn === conn) this.lose();
    this.session.detach(this.sinks[conn - 1]!);
  }

  /** Sends one event through the session's real ingress gate, as a gateway frame would arrive. */
  send<K extends IngressKind>(kind: K, payload: Payloads[K], opts: SendOptions = {}): Sent {
    const seq = opts.seq ?? ++this.seq;
    this.seq = Math.max(this.seq, seq);
    const id = `g${seq}`;
    const event = anyEnvelope(kind, payload, { id, session_id: this.session.id, turn_id: opts.turn_id ?? '', epoch: opts.epoch ?? this.session.epoch, seq });
    const result = this.session.admit(encodeBinary(event), 'proto');
    if (result.ok) {
      this.session.ingest(result.event, result.raw);
      if (opts.deliver !== false) this.kernel.scheduler.drainSync();
    } else {
      this.session.sendError(result.error.code, result.error.message, result.error.ref_id);
    }
    return { result, id };
  }

  kinds(filter?: (e: AnyEnvelope) => boolean): string[] {
    return this.out.filter(filter ?? (() => true)).map((e) => e.kind);
  }

  ofTurn(turn_id: string): AnyEnvelope[] {
    return this.out.filter((e) => e.turn_id === turn_id);
  }

  last<K extends EgressKind>(kind: K): (AnyEnvelope & { kind: K }) | undefined {
    for (let i = this.out.length - 1; i >= 0; i--) if (this.out[i]!.kind === kind) return this.out[i] as AnyEnvelope & { kind: K };
    return undefined;
  }

  private newSink(conn: number): EgressSink {
    return {
      encoding: 'proto',
      write: (frame, event) => {
        this.out.push(event);
        this.frames.push(frame as Uint8Array);
        if (!this.observe) return;
        const obs = this.observed(event, frame as Uint8Array, conn);
        this.received.push(obs);
        if (conn !== this.attachedConn) this.strayWrites.push(obs);
      },
      close: (code, reason) => {
        this.closes.push(this.observe ? { code, reason, conn } : { code, reason });
        if (this.attachedConn === conn) this.lose();
      },
    };
  }

  private lose(): void {
    this.attachedConn = 0;
    this.detachedAt = this.kernel.clock.now();
    this.everDetached = true;
  }

  private observed(event: AnyEnvelope, frame: Uint8Array, conn: number): Observed {
    return { event, frame, at: this.kernel.clock.now(), conn, detachedSince: this.detachedAt };
  }
}
