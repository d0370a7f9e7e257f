// The simulation kernel (internal/kernel/simulation.ts) for the kernel
// invariant properties, with its authority backend taken from the test: a
// MemoryAuthority behind a wrapper that can be told to stall one session's
// renewals, so a lease can expire the way it does when the backend stops
// answering. Its gateways observe: each connection records what it received
// and when; a watcher records every event that passed the session's last
// hop, attached or not.
import { MemoryAuthority } from '../../internal/authority/memory.js';
import type { AuthorityBackend, AuthorityResult, Lease } from '../../internal/authority/types.js';
import type { Clock } from '../../internal/determinism/clock.js';
import { type Observed, type SimulatedGateway, SimulationKernel } from '../../internal/kernel/simulation.js';
import type { PipelineSpec } from '../../internal/plan/types.js';

export type { Observed };
/** A gateway's view of one session, across its connections (an observing SimulatedGateway). */
export type Gateway = SimulatedGateway;

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

export class InvariantKernel extends SimulationKernel<StallableAuthority> {
  constructor(opts: InvariantKernelOptions = {}) {
    super({
      authority: (clock) => new StallableAuthority(new MemoryAuthority(clock), clock),
      holder: HOLDER,
      ...(opts.leaseTtlMs !== undefined ? { leaseTtlMs: opts.leaseTtlMs } : {}),
      ...(opts.timelineMemoryRecords !== undefined ? { timeline: { memoryRecords: opts.timelineMemoryRecords } } : {}),
      ...(opts.pipelines ? { pipelines: opts.pipelines } : {}),
    });
  }

  /** The backend behind the stallable wrapper, unchanged. */
  get memory(): MemoryAuthority {
    return this.authority.inner;
  }

  override open(pipeline = 'demo'): Promise<Gateway> {
    return super.open(pipeline, 'pcm16', 16000, { observe: true });
  }
}
