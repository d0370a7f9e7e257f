// The kernel core: the one composition of admission, pipeline and script
// registries, lane scheduler, node host and session manager around an
// injected clock and authority backend. The running kernel, the simulation
// kernel and every harness are this core; nothing else constructs a
// SessionManager. It builds nothing network-facing and makes no turn decisions.
import { Admission, type AdmissionLimits } from '../admission/admission.js';
import type { AuthorityBackend } from '../authority/types.js';
import type { Clock } from '../determinism/clock.js';
import { LaneScheduler } from '../lanes/scheduler.js';
import { InProcessNodeHost } from '../nodes/graph.js';
import { ScriptRegistry } from '../nodes/registry/store.js';
import type { ScriptTier } from '../nodes/script-tier.js';
import { MemoryStateStore, type SessionStateStore } from '../nodes/state-store.js';
import type { NodeHost } from '../nodes/types.js';
import type { Logger } from '../observe/logger.js';
import { type Metrics, scriptEvents } from '../observe/metrics.js';
import { PipelineRegistry } from '../plan/registry.js';
import type { PipelineSpec, TurnBudgets } from '../plan/types.js';
import { SessionManager, type SessionManagerOptions } from '../session/manager.js';
import type { QueuedEvent } from '../session/session.js';

export interface CoreOptions {
  clock: Clock;
  authority: AuthorityBackend;
  limits: AdmissionLimits;
  /** This kernel's identity as a lease holder. */
  holder: string;
  leaseTtlMs: number;
  tenantSeed: string;
  maxAudioFrameMs: number;
  timeline: SessionManagerOptions['timeline'];
  /** Default: an InProcessNodeHost, running script nodes on `scriptTier` when one is given. */
  nodeHost?: NodeHost;
  /** Where script nodes run (the QuickJS worker pool); without one a script node fails not_found. */
  scriptTier?: ScriptTier;
  /** baton:state of every session; default: in memory. */
  stateStore?: SessionStateStore;
  /** Default: a scheduler on the event loop; a simulation passes one it drains itself. */
  scheduler?: LaneScheduler<QueuedEvent>;
  /** Default: an empty store. */
  scripts?: ScriptRegistry;
  /** Byte budget of each session's Data and Telemetry lanes. */
  laneMaxBytes?: number;
  /** Budgets for every pipeline that does not set its own. */
  budgetDefaults?: Readonly<Partial<TurnBudgets>>;
  newSessionId?: () => string;
  endedSessionsKept?: number;
  metrics?: Metrics;
  logger?: Logger;
  /** Pipelines published before the core serves anything; an invalid one is a wiring error and throws. */
  pipelines?: { tenant: string; specs: readonly PipelineSpec[] };
}

export interface KernelCore {
  readonly clock: Clock;
  readonly authority: AuthorityBackend;
  readonly admission: Admission;
  readonly registry: PipelineRegistry;
  /** Tenant scripts and modules: stored by the Scripts service, pinned by plan freezes. */
  readonly scripts: ScriptRegistry;
  readonly scheduler: LaneScheduler<QueuedEvent>;
  readonly host: NodeHost;
  readonly state: SessionStateStore;
  readonly sessions: SessionManager;
  readonly metrics: Metrics | undefined;
  readonly logger: Logger | undefined;
}

export function composeCore(opts: CoreOptions): KernelCore {
  const admission = new Admission(opts.limits, opts.clock);
  const registry = new PipelineRegistry();
  for (const spec of opts.pipelines?.specs ?? []) {
    const published = registry.publish(opts.pipelines!.tenant, spec);
    if (!published.ok) throw new Error(`pipeline ${spec.name} is invalid: ${published.problems.join('; ')}`);
  }
  const scripts = opts.scripts ?? new ScriptRegistry();
  const scheduler = opts.scheduler ?? new LaneScheduler<QueuedEvent>();
  const state = opts.stateStore ?? new MemoryStateStore();
  const tier = opts.scriptTier;
  const host =
    opts.nodeHost ??
    new InProcessNodeHost(
      tier
        ? {
            scripts: {
              tier,
              // Plans pin every script and module they run by hash: the code a turn runs is the code its plan froze.
              link: (tenant, name, pinned) => scripts.pinnedScript(tenant, name, new Map(Object.entries(pinned))),
              state,
              observer: scriptEvents(opts.metrics, opts.logger),
            },
          }
        : {},
    );
  const sessions = new SessionManager({
    clock: opts.clock,
    authority: opts.authority,
    holder: opts.holder,
    leaseTtlMs: opts.leaseTtlMs,
    admission,
    registry,
    host,
    scheduler,
    tenantSeed: opts.tenantSeed,
    maxAudioFrameMs: opts.maxAudioFrameMs,
    timeline: opts.timeline,
    scripts,
    state,
    ...(opts.laneMaxBytes !== undefined ? { laneMaxBytes: opts.laneMaxBytes } : {}),
    ...(opts.budgetDefaults !== undefined ? { budgetDefaults: opts.budgetDefaults } : {}),
    ...(opts.newSessionId !== undefined ? { newSessionId: opts.newSessionId } : {}),
    ...(opts.endedSessionsKept !== undefined ? { endedSessionsKept: opts.endedSessionsKept } : {}),
    ...(opts.metrics !== undefined ? { metrics: opts.metrics } : {}),
    ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
  });
  return { clock: opts.clock, authority: opts.authority, admission, registry, scripts, scheduler, host, state, sessions, metrics: opts.metrics, logger: opts.logger };
}
