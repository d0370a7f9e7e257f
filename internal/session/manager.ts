// The session manager: opens sessions (pipeline pin, admission, lease),
// finds them per tenant, lists and closes them, and forgets them when they
// end, keeping only a small record of the most recently ended ones (tenant,
// reason, closed timeline file) for the control plane. The session table is
// bounded by admission's session quota, the ended table by its own cap. It
// makes no turn decisions; sessions do.
import { randomBytes } from 'node:crypto';
import {
  type AbiError,
  type AnyEnvelope,
  CLOSE_CODES,
  type Codec,
  CODECS,
  abiError,
  formatProblem,
} from '../../api/eventabi/index.js';
import type { Admission } from '../admission/admission.js';
import type { AuthorityBackend, Lease } from '../authority/types.js';
import { LeaseKeeper } from '../authority/lease-keeper.js';
import type { Clock } from '../determinism/clock.js';
import { sessionSeed } from '../determinism/seeds.js';
import type { LaneScheduler } from '../lanes/scheduler.js';
import type { NodeHost } from '../nodes/types.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { type ClosedTimeline, closeTimeline } from '../observe/timeline/closed.js';
import { TimelineRecorder } from '../observe/timeline/recorder.js';
import { decodePageToken, encodePageToken } from '../paging/page-token.js';
import { freezePlan } from '../plan/freeze.js';
import type { PipelineRegistry } from '../plan/registry.js';
import type { FrozenPlan, PipelineVersion, TurnBudgets } from '../plan/types.js';
import { type QueuedEvent, Session } from './session.js';
import { TimelineSessionRecorder } from './recorder.js';

export const KERNEL_VERSION = '0.1.0';

export interface OpenRequest {
  pipeline: string;
  codec: string;
  sample_rate: number;
}

export type OpenFailure = { code: 'invalid_argument' | 'not_found' | 'resource_exhausted' | 'unavailable'; message: string };
export type OpenResult = { ok: true; session: Session } | ({ ok: false } & OpenFailure);

export interface SessionManagerOptions {
  clock: Clock;
  authority: AuthorityBackend;
  holder: string;
  leaseTtlMs: number;
  admission: Admission;
  registry: PipelineRegistry;
  host: NodeHost;
  scheduler: LaneScheduler<QueuedEvent>;
  tenantSeed: string;
  maxAudioFrameMs: number;
  /** Byte budget of each session's Data and Telemetry lanes. */
  laneMaxBytes?: number;
  /** Budgets the operator configured for every pipeline that does not set its own (session_idle_ms, reconnect_grace_ms). */
  budgetDefaults?: Readonly<Partial<TurnBudgets>>;
  timeline: { dir?: string; memoryRecords: number; memoryBytes?: number };
  metrics?: Metrics;
  logger?: Logger;
  /** Session id generator (tests pass a deterministic one). */
  newSessionId?: () => string;
  /** Observes every session end (the kernel uses it for drain accounting). */
  onSessionEnded?: (session: Session, reason: string) => void;
  /** Ended sessions remembered for the control plane (default ENDED_SESSIONS_KEPT); the oldest is forgotten first. */
  endedSessionsKept?: number;
  /** The tenant script store plans pin their scripts from (absent: pipelines with script nodes cannot open turns). */
  scripts?: LinkedScripts;
  /** baton:state of every session: a session's state is dropped when it ends here. */
  state?: { drop(session_id: string): Promise<void> };
}

/** Resolves a node script to its hash and the hashes of every module it imports (internal/nodes/registry). */
export interface LinkedScripts {
  linkedHashes(tenant: string, name: string): ReadonlyMap<string, string> | undefined;
  /** Keeps the sources of `hashes` readable until released, whatever replaces them meanwhile. */
  pin(tenant: string, hashes: Iterable<string>): { release(): void } | undefined;
  /** The source a frozen plan pins by this hash, for the timeline: replay needs no registry. */
  sourceByHash(tenant: string, hash: string): string | undefined;
}

/** What remains of a session after it ended: enough to answer for its lease and export its timeline. */
export interface EndedSession {
  readonly session_id: string;
  readonly tenant: string;
  readonly reason: string;
  /** Unix ms. */
  readonly ended_at_ms: number;
  /** Settles once the timeline file is closed and complete (or known not to be); never rejects. */
  readonly timeline: Promise<ClosedTimeline>;
}

/** A session this kernel knows for a tenant: running here, or ended recently. */
export type KnownSession =
  | { readonly state: 'live'; readonly session: Session; readonly timeline: TimelineRecorder }
  | { readonly state: 'ended'; readonly ended: EndedSession };

const MAX_FROZEN_PLANS = 256;
/** About 300 bytes each: the ended table stays near 1 MiB however many sessions a kernel serves. */
export const ENDED_SESSIONS_KEPT = 4096;

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private readonly keepers = new Map<string, LeaseKeeper>();
  private readonly timelines = new Map<string, TimelineRecorder>();
  /** Insertion order is end order: the first entry is the oldest. */
  private readonly ended = new Map<string, EndedSession>();
  /** Timelines of ended sessions still being written out; bounded by the sessions that ended in the last few ms. */
  private readonly closingTimelines = new Set<Promise<ClosedTimeline>>();
  private readonly frozen = new Map<string, FrozenPlan>();
  private readonly endedKept: number;

  constructor(private readonly opts: SessionManagerOptions) {
    this.endedKept = opts.endedSessionsKept ?? ENDED_SESSIONS_KEPT;
    if (!Number.isInteger(this.endedKept) || this.endedKept < 0) throw new RangeError(`endedSessionsKept must be an integer >= 0 (got ${this.endedKept})`);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Ended sessions currently remembered. */
  get endedSize(): number {
    return this.ended.size;
  }

  /** This kernel's identity as a lease holder. */
  get holder(): string {
    return this.opts.holder;
  }

  /** Opens a session: validates the request, pins the pipeline, admits it and acquires its lease. */
  async open(tenant: string, request: OpenRequest, session_id = this.nextId(), afterSeq = 0): Promise<OpenResult> {
    if (!(CODECS as readonly string[]).includes(request.codec)) {
      return { ok: false, code: 'invalid_argument', message: `codec must be one of ${CODECS.join(', ')} (got "${request.codec}")` };
    }
    const codec = request.codec as Codec;
    const problem = formatProblem(codec, request.sample_rate);
    if (problem) return { ok: false, code: 'invalid_argument', message: problem };
    const version = this.opts.registry.get(tenant, request.pipeline);
    if (!version) return { ok: false, code: 'not_found', message: `no pipeline "${request.pipeline}"` };
    const plan = this.freeze(version, tenant);
    if (!plan.ok) return { ok: false, code: 'invalid_argument', message: `pipeline ${version.name} v${version.version} cannot run: ${plan.reason}` };
    if (this.sessions.has(session_id)) return { ok: false, code: 'unavailable', message: `session ${session_id} already exists` };
    const admitted = this.opts.admission.admitSession(tenant);
    if (!admitted.admitted) return { ok: false, code: 'resource_exhausted', message: `session refused: ${admitted.reason}` };
    let session: Session | undefined;
    let recorder: TimelineSessionRecorder | undefined;
    let heldEpoch = 0;
    const keeper = new LeaseKeeper({
      backend: this.opts.authority,
      clock: this.opts.clock,
      session_id,
      holder: this.opts.holder,
      ttl_ms: this.opts.leaseTtlMs,
      onLost: (reason, lease) => {
        this.opts.metrics?.leaseLosses.inc({ reason });
        const owner = lease && lease.holder !== this.opts.holder ? lease.holder : undefined;
        recorder?.decision('authority', 'lost', reason, {
          held_epoch: String(heldEpoch),
          ...(lease ? { epoch: String(lease.epoch), holder: lease.holder } : {}),
        });
        session?.authorityLost({ reason, ...(owner ? { owner } : {}) });
      },
    });
    const lease = await keeper.start();
    if (!lease.ok) {
      admitted.ticket.release();
      return { ok: false, code: 'unavailable', message: `this kernel cannot take session ${session_id}: ${lease.message}` };
    }
    heldEpoch = lease.value.epoch;
    this.opts.registry.pin(tenant, version.name, version.version, version.hash);
    const seed = sessionSeed(this.opts.tenantSeed, session_id);
    const timeline = new TimelineRecorder({
      session_id,
      memoryRecords: this.opts.timeline.memoryRecords,
      ...(this.opts.timeline.memoryBytes !== undefined ? { memoryBytes: this.opts.timeline.memoryBytes } : {}),
      clock: this.opts.clock,
      ...(this.opts.timeline.dir !== undefined ? { dir: this.opts.timeline.dir } : {}),
    });
    recorder = new TimelineSessionRecorder(timeline, {
      tenant,
      pipeline: version.name,
      pipeline_version: version.version,
      seed,
      codec,
      sample_rate: request.sample_rate,
      kernel_version: KERNEL_VERSION,
      opened_wall_ms: this.opts.clock.virtual ? 0 : this.opts.clock.wallNow(),
    }, (hash) => this.opts.scripts?.sourceByHash(tenant, hash));
    session = new Session(
      {
        session_id,
        tenant,
        version,
        plan: plan.plan,
        codec,
        sample_rate: request.sample_rate,
        seed,
        created_at_ms: Math.round(this.opts.clock.wallNow()),
        afterSeq,
      },
      {
        clock: this.opts.clock,
        host: this.opts.host,
        recorder,
        authority: keeper,
        admitTurn: () => this.opts.admission.admitTurn(tenant, session_id),
        freeze: () => this.freeze(version, tenant),
        pinScripts: (plan) => this.opts.scripts?.pin(tenant, Object.values(plan.scripts)),
        notifyScheduler: (s) => this.opts.scheduler.notify(s),
        maxAudioFrameMs: this.opts.maxAudioFrameMs,
        ...(this.opts.laneMaxBytes !== undefined ? { laneMaxBytes: this.opts.laneMaxBytes } : {}),
        ...(this.opts.metrics ? { metrics: this.opts.metrics } : {}),
        ...(this.opts.logger ? { logger: this.opts.logger } : {}),
        onEnded: (ended, reason) => {
          this.sessions.delete(ended.id);
          void this.opts.state?.drop(ended.id);
          this.keepers.delete(ended.id);
          this.timelines.delete(ended.id);
          this.opts.scheduler.remove(ended);
          this.opts.admission.forgetSession(ended.id);
          admitted.ticket.release();
          this.opts.registry.unpin(tenant, version.name, version.version, version.hash);
          this.opts.metrics?.sessions.set(this.sessions.size);
          void keeper.stop();
          const closed = closeTimeline(timeline);
          this.closingTimelines.add(closed);
          void closed.finally(() => this.closingTimelines.delete(closed));
          this.remember({ session_id: ended.id, tenant, reason, ended_at_ms: Math.round(this.opts.clock.wallNow()), timeline: closed });
          this.opts.onSessionEnded?.(ended, reason);
        },
      },
    );
    this.sessions.set(session_id, session);
    this.keepers.set(session_id, keeper);
    this.timelines.set(session_id, timeline);
    // The id belongs to the new session now (gateways may choose ids on /v1/stream).
    this.ended.delete(session_id);
    this.opts.scheduler.add(session);
    this.opts.metrics?.sessions.set(this.sessions.size);
    return { ok: true, session };
  }

  /** /v1/stream: opens the session a `session.start` asks for. */
  async openFromStream(
    tenant: string,
    start: AnyEnvelope & { kind: 'session.start' },
  ): Promise<{ ok: true; session: Session } | { ok: false; error: AbiError; closeCode: number }> {
    const requested = start.session_id || undefined;
    if (requested && this.sessions.has(requested)) {
      return { ok: false, error: abiError('invalid_event', `session ${requested} already exists; reconnect on /v1/sessions/${requested}/stream`, start.id), closeCode: CLOSE_CODES.policy };
    }
    const opened = await this.open(tenant, start.payload, requested ?? this.nextId(), start.seq);
    if (opened.ok) return opened;
    const code = opened.code === 'resource_exhausted' ? 'overloaded' : opened.code === 'unavailable' ? 'overloaded' : 'invalid_payload';
    const close = opened.code === 'resource_exhausted' || opened.code === 'unavailable' ? CLOSE_CODES.overloaded : CLOSE_CODES.policy;
    return { ok: false, error: abiError(code, opened.message, start.id), closeCode: close };
  }

  find(tenant: string, session_id: string): Session | undefined {
    const session = this.sessions.get(session_id);
    return session && session.tenant === tenant && !session.ended ? session : undefined;
  }

  /** The tenant's session with this id, running or recently ended; another tenant's is undefined. */
  lookup(tenant: string, session_id: string): KnownSession | undefined {
    const session = this.sessions.get(session_id);
    if (session && !session.ended) {
      return session.tenant === tenant ? { state: 'live', session, timeline: this.timelines.get(session_id)! } : undefined;
    }
    const ended = this.ended.get(session_id);
    return ended && ended.tenant === tenant ? { state: 'ended', ended } : undefined;
  }

  /**
   * Tells the session's lease keeper about a lease change this kernel made
   * itself (a transfer or release answered by the backend), so the session is
   * fenced now even when the backend's watch is late.
   */
  applyLease(session_id: string, lease: Lease | undefined): void {
    this.keepers.get(session_id)?.observe(lease);
  }

  /** A page of the tenant's sessions, ordered by id; the token is the last id of the previous page. */
  list(tenant: string, pageSize: number, pageToken: string): { sessions: Session[]; next: string } {
    const size = Math.min(Math.max(pageSize || 50, 1), 500);
    const position = decodePageToken('sessions', pageToken);
    // A token this kernel did not mint names no place in its listing (ListSessions refuses it before asking).
    if (!position.ok) return { sessions: [], next: '' };
    const after = position.after ?? '';
    const mine = [...this.sessions.values()].filter((s) => s.tenant === tenant && s.id > after).sort((a, b) => (a.id < b.id ? -1 : 1));
    const page = mine.slice(0, size);
    const next = mine.length > size ? encodePageToken('sessions', page[page.length - 1]!.id) : '';
    return { sessions: page, next };
  }

  close(tenant: string, session_id: string, reason: string): boolean {
    const session = this.find(tenant, session_id);
    if (!session) return false;
    session.end(reason || 'closed_by_control_plane');
    return true;
  }

  /** Ends every session (drain). */
  endAll(reason: string, closeCode: number): void {
    for (const session of [...this.sessions.values()]) session.end(reason, closeCode);
  }

  /** Resolves once every timeline of an ended session is on disk and closed (drain waits for this). */
  async timelinesClosed(): Promise<void> {
    while (this.closingTimelines.size > 0) await Promise.allSettled([...this.closingTimelines]);
  }

  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /** Frozen plans are immutable per pipeline version, so one freeze serves every turn of that version. */
  /**
   * `tenant` is the session's: an embedded pipeline belongs to every tenant,
   * and its script nodes run that tenant's scripts (its own version shadows
   * the embedded default), so the link and the cache key are per tenant.
   */
  private freeze(version: PipelineVersion, tenant: string): { ok: true; plan: FrozenPlan } | { ok: false; reason: string } {
    // The scripts a plan runs are resolved now: a script updated since the last freeze gives a new plan for later turns.
    const linked = new Map<string, ReadonlyMap<string, string> | undefined>();
    let key = `${tenant}\u0000${version.tenant}\u0000${version.name}\u0000${version.version}\u0000${version.hash}`;
    for (const node of version.spec.nodes) {
      if (node.script === undefined || linked.has(node.script)) continue;
      const hashes = this.opts.scripts?.linkedHashes(tenant, node.script);
      linked.set(node.script, hashes);
      for (const [name, hash] of hashes ?? []) key += `\u0000${name}=${hash}`;
    }
    const cached = this.frozen.get(key);
    if (cached) return { ok: true, plan: cached };
    const result = freezePlan(version, (name) => linked.get(name), this.opts.budgetDefaults);
    if (!result.ok) return result;
    if (this.frozen.size >= MAX_FROZEN_PLANS) this.frozen.delete(this.frozen.keys().next().value!);
    this.frozen.set(key, result.plan);
    return result;
  }

  private remember(entry: EndedSession): void {
    if (this.endedKept === 0) return;
    this.ended.delete(entry.session_id);
    this.ended.set(entry.session_id, entry);
    if (this.ended.size > this.endedKept) this.ended.delete(this.ended.keys().next().value!);
  }

  private nextId(): string {
    return this.opts.newSessionId ? this.opts.newSessionId() : `s-${randomBytes(12).toString('base64url')}`;
  }
}
