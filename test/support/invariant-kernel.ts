// An in-process kernel on the virtual clock for the kernel invariant
// properties. It composes the same real modules as KernelSim (session
// manager, lanes, scheduler, admission, registry, node host, timeline) but
// takes its authority backend from the test: a MemoryAuthority behind a
// wrapper that can be told to stall one session's renewals, so a lease can
// expire the way it does when the backend stops answering. Each gateway
// connection records what it received and when; a watcher records every
// event that passed the session's last hop, attached or not.
import { type AnyEnvelope, type IngressKind, type Payloads, SCHEMA_VERSION, encodeBinary } from '../../api/eventabi/index.js';
import { Admission } from '../../internal/admission/admission.js';
import { MemoryAuthority } from '../../internal/authority/memory.js';
import type { AuthorityBackend, AuthorityResult, Lease } from '../../internal/authority/types.js';
import { type Clock, VirtualClock } from '../../internal/determinism/clock.js';
import { LaneScheduler } from '../../internal/lanes/scheduler.js';
import { InProcessNodeHost } from '../../internal/nodes/graph.js';
import { PipelineRegistry } from '../../internal/plan/registry.js';
import type { PipelineSpec } from '../../internal/plan/types.js';
import type { EgressSink } from '../../internal/session/egress.js';
import { SessionManager } from '../../internal/session/manager.js';
import type { TimelineSessionRecorder } from '../../internal/session/recorder.js';
import type { QueuedEvent, Session } from '../../internal/session/session.js';
import type { GateResult } from '../../internal/ingress/ingress-gate.js';

export const HOLDER = 'sim-kernel';

export type StallMode = 'hang' | 'unavailable';

/**
 * The memory backend, unchanged, except that renewals of a stalled session
 * never answer (`hang`) or answer `unavailable`. It remembers, per session,
 * when the last acquire or renew that succeeded was requested: the keeper's
 * local deadline is that moment plus the TTL.
 */
export class StallableAuthority implements AuthorityBackend {
  readonly name = 'memory';
  private readonly stalled = new Map<string, StallMode>();
  private readonly grantedAt = new Map<string, number>();

  constructor(
    readonly inner: MemoryAuthority,
    private readonly clock: Clock,
  ) {}

  stall(session_id: string, mode: StallMode): void {
    this.stalled.set(session_id, mode);
  }

  isStalled(session_id: string): boolean {
    return this.stalled.has(session_id);
  }

  /** When the last successful acquire/renew of `session_id` was requested. */
  lastGrantRequestedAt(session_id: string): number | undefined {
    return this.grantedAt.get(session_id);
  }

  async acquire(session_id: string, holder: string, ttl_ms: number): Promise<AuthorityResult<Lease>> {
    const at = this.clock.now();
    const result = await this.inner.acquire(session_id, holder, ttl_ms);
    if (result.ok) this.grantedAt.set(session_id, at);
    return result;
  }

  renew(session_id: string, epoch: number, ttl_ms: number): Promise<AuthorityResult<Lease>> {
    const mode = this.stalled.get(session_id);
    if (mode === 'hang') return new Promise<AuthorityResult<Lease>>(() => undefined);
    if (mode === 'unavailable') return Promise.resolve({ ok: false, code: 'unavailable', message: 'renewals are stalled by the test' });
    const at = this.clock.now();
    return this.inner.renew(session_id, epoch, ttl_ms).then((result) => {
      if (result.ok) this.grantedAt.set(session_id, at);
      return result;
    });
  }

  release(session_id: string, epoch: number): Promise<AuthorityResult<Lease>> {
    return this.inner.release(session_id, epoch);
  }

  transfer(session_id: string, holder: string, ttl_ms: number): Promise<AuthorityResult<Lease>> {
    return this.inner.transfer(session_id, holder, ttl_ms);
  }

  get(session_id: string): Promise<AuthorityResult<Lease>> {
    return this.inner.get(session_id);
  }

  watch(listener: (session_id: string, lease: Lease | undefined) => void): () => void {
    return this.inner.watch(listener);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface InvariantKernelOptions {
  leaseTtlMs?: number;
  timelineMemoryRecords?: number;
  /** Extra pipelines published for tenant `dev`. */
  pipelines?: PipelineSpec[];
}

export class InvariantKernel {
  readonly clock = new VirtualClock(1_700_000_000_000);
  readonly memory: MemoryAuthority;
  readonly authority: StallableAuthority;
  readonly admission: Admission;
  readonly registry = new PipelineRegistry();
  readonly scheduler: LaneScheduler<QueuedEvent>;
  readonly manager: SessionManager;
  readonly leaseTtlMs: number;
  private nextSession = 1;

  constructor(opts: InvariantKernelOptions = {}) {
    this.leaseTtlMs = opts.leaseTtlMs ?? 10_000;
    this.memory = new MemoryAuthority(this.clock);
    this.authority = new StallableAuthority(this.memory, this.clock);
    this.admission = new Admission(
      {
        max_sessions: 100_000,
        max_sessions_per_tenant: 100_000,
        max_concurrent_turns: 100_000,
        max_concurrent_turns_per_tenant: 100_000,
        max_turns_per_session_per_minute: 1_000_000,
      },
      this.clock,
    );
    // Scheduling is driven explicitly (drainSync) so runs are deterministic.
    this.scheduler = new LaneScheduler<QueuedEvent>({ schedule: () => undefined, now: () => 0 });
    for (const spec of opts.pipelines ?? []) {
      const published = this.registry.publish('dev', spec);
      if (!published.ok) throw new Error(`test pipeline ${spec.name} is invalid: ${published.problems.join('; ')}`);
    }
    this.manager = new SessionManager({
      clock: this.clock,
      authority: this.authority,
      holder: HOLDER,
      leaseTtlMs: this.leaseTtlMs,
      admission: this.admission,
      registry: this.registry,
      host: new InProcessNodeHost(),
      scheduler: this.scheduler,
      tenantSeed: 'sim',
      maxAudioFrameMs: 1000,
      timeline: { memoryRecords: opts.timelineMemoryRecords ?? 512 },
      newSessionId: () => `s-${this.nextSession++}`,
    });
  }

  async open(pipeline = 'demo'): Promise<Gateway> {
    const opened = await this.manager.open('dev', { pipeline, codec: 'pcm16', sample_rate: 16000 });
    if (!opened.ok) throw new Error(`open failed: ${opened.code}: ${opened.message}`);
    const gateway = new Gateway(this, opened.session);
    gateway.attach();
    return gateway;
  }

  /** Lets promise chains (node host) run and the scheduler deliver, until nothing moves. */
  async settle(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      this.scheduler.drainSync();
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!this.scheduler.hasWork()) {
        await new Promise<void>((resolve) => setImmediate(resolve));
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

/**
 * A gateway's view of one session, across its connections. Each connection
 * is its own sink, as in the WebSocket server: a new connection replaces the
 * attached one (which the kernel closes with 4002), and a connection's close
 * reaches the session as `detach(thatSink)`, possibly late, after the session
 * already lost or replaced it.
 */
export class Gateway {
  /** What the gateway's connections received, in order. */
  readonly received: Observed[] = [];
  /** Every event that passed the session's last hop (WatchSession's view), attached or not. */
  readonly passed: Observed[] = [];
  readonly closes: { code: number; reason: string; conn: number }[] = [];
  /** Writes to a connection that was not the attached one (replaced, closed or detached). */
  readonly strayWrites: Observed[] = [];
  private readonly sinks: EgressSink[] = [];
  private seq = 0;
  private attachedConn = 0;
  private detachedAt: number | undefined;
  /** Connections whose close has not reached the session yet. */
  private readonly unclosed: number[] = [];
  /** True once the session has been without a connection at least once. */
  everDetached = false;

  constructor(
    readonly kernel: InvariantKernel,
    readonly session: Session,
  ) {
    session.watch((event) => {
      this.passed.push({ event, frame: encodeBinary(event), at: kernel.clock.now(), conn: this.attachedConn, detachedSince: this.detachedAt });
    });
  }

  private newSink(conn: number): EgressSink {
    const clock = this.kernel.clock;
    return {
      encoding: 'proto',
      write: (frame, event) => {
        const obs = { event, frame: frame as Uint8Array, at: clock.now(), conn, detachedSince: this.detachedAt };
        this.received.push(obs);
        if (conn !== this.attachedConn) this.strayWrites.push(obs);
      },
      close: (code, reason) => {
        this.closes.push({ code, reason, conn });
        if (this.attachedConn === conn) {
          this.attachedConn = 0;
          this.detachedAt = clock.now();
          this.everDetached = true;
        }
      },
    };
  }

  get id(): string {
    return this.session.id;
  }

  get attached(): boolean {
    return this.attachedConn !== 0;
  }

  get connections(): number {
    return this.sinks.length;
  }

  get timeline(): Uint8Array {
    return (this.session.recorder as TimelineSessionRecorder).timeline.bytes();
  }

  /** A new connection: replaces the attached one, if any (closed 4002 by the kernel). */
  attach(): void {
    const conn = this.sinks.length + 1;
    const sink = this.newSink(conn);
    this.sinks.push(sink);
    this.unclosed.push(conn);
    this.attachedConn = conn;
    this.detachedAt = undefined;
    // A replaced connection is closed 4002 by the kernel; its close event reaches the session later (detach('stale')).
    this.session.attach(sink);
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
    if (this.attachedConn === conn) {
      this.attachedConn = 0;
      this.detachedAt = this.kernel.clock.now();
      this.everDetached = true;
    }
    this.session.detach(this.sinks[conn - 1]!);
  }

  /** Sends one event through the session's real ingress gate, as a gateway frame would arrive. */
  send<K extends IngressKind>(kind: K, payload: Payloads[K], opts: { turn_id?: string; epoch?: number } = {}): { result: GateResult; id: string } {
    const seq = ++this.seq;
    const event = {
      v: SCHEMA_VERSION,
      id: `g${seq}`,
      session_id: this.session.id,
      turn_id: opts.turn_id ?? '',
      epoch: opts.epoch ?? this.session.epoch,
      seq,
      kind,
      media_ms: 0,
      wall_ms: 0,
      payload,
    } as unknown as AnyEnvelope;
    const result = this.session.admit(encodeBinary(event), 'proto');
    if (result.ok) {
      this.session.ingest(result.event);
      this.kernel.scheduler.drainSync();
    } else {
      this.session.sendError(result.error.code, result.error.message, result.error.ref_id);
    }
    return { result, id: event.id };
  }
}
