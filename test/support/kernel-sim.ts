// The simulation kernel (internal/kernel/simulation.ts) under the names the
// kernel, memory and control-plane tests use: a MemoryAuthority, tenant
// `dev`, one capturing gateway connection per opened session. It adds no
// kernel wiring of its own.
import type { AdmissionLimits } from '../../internal/admission/admission.js';
import type { MemoryAuthority } from '../../internal/authority/memory.js';
import { SimulatedGateway, SimulationKernel } from '../../internal/kernel/simulation.js';
import type { ScriptRegistry } from '../../internal/nodes/registry/store.js';
import type { NodeHost } from '../../internal/nodes/types.js';
import type { PipelineSpec } from '../../internal/plan/types.js';
import type { SessionManager } from '../../internal/session/manager.js';

export interface SimOptions {
  limits?: Partial<AdmissionLimits>;
  leaseTtlMs?: number;
  timelineMemoryRecords?: number;
  host?: NodeHost;
  /** Extra pipelines published for tenant `dev`. */
  pipelines?: PipelineSpec[];
  /** The tenant script store plans pin script hashes from. */
  scripts?: ScriptRegistry;
}

export class KernelSim extends SimulationKernel<MemoryAuthority> {
  constructor(opts: SimOptions = {}) {
    super({
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.leaseTtlMs !== undefined ? { leaseTtlMs: opts.leaseTtlMs } : {}),
      ...(opts.timelineMemoryRecords !== undefined ? { timeline: { memoryRecords: opts.timelineMemoryRecords } } : {}),
      ...(opts.host ? { nodeHost: opts.host } : {}),
      ...(opts.pipelines ? { pipelines: opts.pipelines } : {}),
      ...(opts.scripts ? { scripts: opts.scripts } : {}),
    });
  }

  get manager(): SessionManager {
    return this.sessions;
  }
}

/** A gateway's view of one session: what it sent, what it received. */
export const SimSession = SimulatedGateway;
export type SimSession = SimulatedGateway;
