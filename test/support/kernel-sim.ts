// An in-process kernel on the virtual clock, built from the real modules
// (session manager, lanes, scheduler, authority, admission, registry, node
// host, timeline), with a capturing gateway sink. Property tests, memory
// tests and benches drive it; nothing here is a fake of kernel logic.
import { type AnyEnvelope, type EgressKind, type IngressKind, type Payloads, SCHEMA_VERSION, encodeBinary } from '../../api/eventabi/index.js';
import { Admission, type AdmissionLimits } from '../../internal/admission/admission.js';
import { MemoryAuthority } from '../../internal/authority/memory.js';
import { VirtualClock } from '../../internal/determinism/clock.js';
import { LaneScheduler } from '../../internal/lanes/scheduler.js';
import { InProcessNodeHost } from '../../internal/nodes/graph.js';
import type { NodeHost } from '../../internal/nodes/types.js';
import { PipelineRegistry } from '../../internal/plan/registry.js';
import type { PipelineSpec } from '../../internal/plan/types.js';
import type { EgressSink } from '../../internal/session/egress.js';
import { type LinkedScripts, SessionManager } from '../../internal/session/manager.js';
import type { QueuedEvent, Session } from '../../internal/session/session.js';
import type { GateResult } from '../../internal/ingress/ingress-gate.js';

export interface SimOptions {
  limits?: Partial<AdmissionLimits>;
  leaseTtlMs?: number;
  timelineMemoryRecords?: number;
  host?: NodeHost;
  /** Extra pipelines published for tenant `dev`. */
  pipelines?: PipelineSpec[];
  /** The tenant script store plans pin script hashes from. */
  scripts?: LinkedScripts;
}

export class KernelSim {
  readonly clock = new VirtualClock(1_700_000_000_000);
  readonly authority: MemoryAuthority;
  readonly admission: Admission;
  readonly registry = new PipelineRegistry();
  readonly scheduler: LaneScheduler<QueuedEvent>;
  readonly manager: SessionManager;
  private nextSession = 1;

  constructor(opts: SimOptions = {}) {
    this.authority = new MemoryAuthority(this.clock);
    this.admission = new Admission(
      {
        max_sessions: 100_000,
        max_sessions_per_tenant: 100_000,
        max_concurrent_turns: 100_000,
        max_concurrent_turns_per_tenant: 100_000,
        max_turns_per_session_per_minute: 1_000_000,
        ...opts.limits,
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
      holder: 'sim-kernel',
      leaseTtlMs: opts.leaseTtlMs ?? 10_000,
      admission: this.admission,
      registry: this.registry,
      host: opts.host ?? new InProcessNodeHost(),
      scheduler: this.scheduler,
      tenantSeed: 'sim',
      maxAudioFrameMs: 1000,
      timeline: { memoryRecords: opts.timelineMemoryRecords ?? 512 },
      newSessionId: () => `s-${this.nextSession++}`,
      ...(opts.scripts ? { scripts: opts.scripts } : {}),
    });
  }

  async open(pipeline = 'demo', codec: 'pcm16' | 'mulaw' = 'pcm16', sample_rate = 16000): Promise<SimSession> {
    const opened = await this.manager.open('dev', { pipeline, codec, sample_rate });
    if (!opened.ok) throw new Error(`open failed: ${opened.code}: ${opened.message}`);
    const sim = new SimSession(this, opened.session);
    opened.session.attach(sim.sink);
    return sim;
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

/** A gateway's view of one session: what it sent, what it received. */
export class SimSession {
  readonly out: AnyEnvelope[] = [];
  readonly frames: Uint8Array[] = [];
  readonly closes: { code: number; reason: string }[] = [];
  private seq = 0;
  readonly sink: EgressSink;

  constructor(
    readonly sim: KernelSim,
    readonly session: Session,
  ) {
    this.sink = {
      encoding: 'proto',
      write: (frame, event) => {
        this.out.push(event);
        this.frames.push(frame as Uint8Array);
      },
      close: (code, reason) => {
        this.closes.push({ code, reason });
      },
    };
  }

  get id(): string {
    return this.session.id;
  }

  /** Sends one event through the session's real ingress gate, as a gateway frame would arrive. */
  send<K extends IngressKind>(kind: K, payload: Payloads[K], opts: { turn_id?: string; epoch?: number; seq?: number } = {}): GateResult {
    const seq = opts.seq ?? ++this.seq;
    if (opts.seq !== undefined) this.seq = Math.max(this.seq, opts.seq);
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
      this.sim.scheduler.drainSync();
    } else {
      this.session.sendError(result.error.code, result.error.message, result.error.ref_id);
    }
    return result;
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
}
