// Baton's Prometheus registry. Labels are bounded vocabularies (lane, kind,
// code, outcome, reason, method); a session or turn id is never a label.
// Observation is synchronous counter/histogram updates: it never awaits and
// never blocks a lane.
import client from 'prom-client';
import type { Logger } from './logger.js';

const LATENCY_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** Script runs are bounded by node budgets of up to the turn's active budget (30 s by default). */
const SCRIPT_RUN_BUCKETS_S = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30];
/** Up to and past the default 64 MiB per-tenant engine cap. */
const SCRIPT_MEMORY_BUCKETS_BYTES = [256 * 1024, 1 << 20, 4 << 20, 16 << 20, 32 << 20, 64 << 20, 128 << 20];

export class Metrics {
  readonly registry = new client.Registry();

  readonly ingressEvents = hotCounter<'kind' | 'encoding'>({
    name: 'baton_ingress_events_total',
    help: 'Ingress events accepted at the gateway boundary, by kind and encoding.',
    labelNames: ['kind', 'encoding'],
    registers: [this.registry],
  });
  readonly ingressRejected = new client.Counter({
    name: 'baton_ingress_rejected_total',
    help: 'Ingress events rejected at the boundary, by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly egressEvents = hotCounter<'kind'>({
    name: 'baton_egress_events_total',
    help: 'Egress events written to gateways, by kind.',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly egressFenced = new client.Counter({
    name: 'baton_egress_fenced_total',
    help: 'Egress events refused at the last hop, by reason (late_after_cancel, stale_epoch).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly socketCloses = new client.Counter({
    name: 'baton_socket_closes_total',
    help: 'Gateway sockets closed by the kernel, by close code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly connectionsRefused = new client.Counter({
    name: 'baton_connections_refused_total',
    help: 'WebSocket upgrades refused before the handshake, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly egressBackpressure = new client.Counter({
    name: 'baton_egress_backpressure_total',
    help: 'Times a session producer was held because its socket was above the egress high-water mark.',
    registers: [this.registry],
  });
  readonly sockets = new client.Gauge({
    name: 'baton_sockets',
    help: 'Open gateway sockets, by endpoint.',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });
  readonly sessions = new client.Gauge({
    name: 'baton_sessions',
    help: 'Sessions owned by this kernel.',
    registers: [this.registry],
  });
  readonly turns = new client.Counter({
    name: 'baton_turns_total',
    help: 'Accepted turns by terminal outcome and reason.',
    labelNames: ['outcome', 'reason'] as const,
    registers: [this.registry],
  });
  readonly preTurnOutcomes = new client.Counter({
    name: 'baton_pre_turn_outcomes_total',
    help: 'Turn proposals by pre-turn outcome (opened, rejected, deferred, stale_epoch) and reason.',
    labelNames: ['outcome', 'reason'] as const,
    registers: [this.registry],
  });
  readonly turnOpenSeconds = new client.Histogram({
    name: 'baton_turn_open_decision_seconds',
    help: 'Time from a turn proposal to its decision (gate, plan freeze, actor start).',
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  });
  readonly cancelToFenceSeconds = new client.Histogram({
    name: 'baton_cancel_to_fence_seconds',
    help: 'Time from reading a cancel to the fence closing and output.clear being written.',
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  });
  readonly laneDepth = new client.Gauge({
    name: 'baton_lane_depth',
    help: 'Items queued across all sessions, by lane.',
    labelNames: ['lane'] as const,
    registers: [this.registry],
  });
  readonly laneDrops = new client.Counter({
    name: 'baton_lane_drops_total',
    help: 'Items dropped by lane overflow policies, by lane and reason.',
    labelNames: ['lane', 'reason'] as const,
    registers: [this.registry],
  });
  readonly leaseLosses = new client.Counter({
    name: 'baton_lease_losses_total',
    help: 'Session leases this kernel lost, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly grpcRequests = new client.Counter({
    name: 'baton_grpc_requests_total',
    help: 'gRPC requests by method and status code name.',
    labelNames: ['method', 'code'] as const,
    registers: [this.registry],
  });
  readonly nodeSeconds = new client.Histogram({
    name: 'baton_node_invocation_seconds',
    help: 'Node invocation duration by node kind and outcome.',
    labelNames: ['node_kind', 'outcome'] as const,
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  });

  readonly scriptRunSeconds = new client.Histogram({
    name: 'baton_script_run_seconds',
    help: 'Script node invocation time on the kernel clock, by node kind (llm, custom) and outcome (ok, canceled or the DESIGN 11 code).',
    labelNames: ['node_kind', 'outcome'] as const,
    buckets: SCRIPT_RUN_BUCKETS_S,
    registers: [this.registry],
  });
  readonly scriptCompileSeconds = new client.Histogram({
    name: 'baton_script_compile_seconds',
    help: 'Time a script node invocation spent compiling and linking its script and modules (only calls whose context did not have them), by node kind.',
    labelNames: ['node_kind'] as const,
    buckets: SCRIPT_RUN_BUCKETS_S,
    registers: [this.registry],
  });

  readonly scriptMemoryBytes = new client.Histogram({
    name: 'baton_script_memory_bytes',
    // A tenant label would be unbounded: per-tenant peaks belong in the tier's logs, not in a series per tenant.
    help: 'Peak engine memory of successful script node invocations, by node kind; not labelled by tenant, which is unbounded.',
    labelNames: ['node_kind'] as const,
    buckets: SCRIPT_MEMORY_BUCKETS_BYTES,
    registers: [this.registry],
  });
  readonly scriptSecurityViolations = new client.Counter({
    name: 'baton_script_security_violations_total',
    help: 'Host calls refused to a script because its node was not granted the capability, by capability.',
    labelNames: ['capability'] as const,
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    // Node's default process metrics keep their standard names (DESIGN 12).
    if (opts.processMetrics !== false) client.collectDefaultMetrics({ register: this.registry });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

const SCRIPT_NODE_KINDS = new Set(['llm', 'custom']);
const SCRIPT_CAPABILITIES = new Set(['provider.call', 'state.get', 'state.put', 'clock.now', 'log', 'emit']);

/**
 * What the node host reports of script nodes (nodes/script-node.ts
 * ScriptObserver), turned into metrics and log lines. Label values are
 * clamped to their vocabularies, so a hostile plan or script cannot mint series.
 */
export function scriptEvents(metrics: Metrics | undefined, logger: Logger | undefined) {
  const kindOf = (kind: string) => (SCRIPT_NODE_KINDS.has(kind) ? kind : 'other');
  return {
    securityViolation(event: { tenant: string; node_id: string; capability: string; binding: string }): void {
      metrics?.scriptSecurityViolations.inc({ capability: SCRIPT_CAPABILITIES.has(event.capability) ? event.capability : 'other' });
      logger?.warn({ event: 'security', tenant: event.tenant, node_id: event.node_id, capability: event.capability, binding: event.binding }, 'script refused a capability its node was not granted');
    },
    invocation(event: { node_kind: string; outcome: string; seconds: number; memory_bytes?: number; compile_seconds?: number }): void {
      metrics?.scriptRunSeconds.observe({ node_kind: kindOf(event.node_kind), outcome: event.outcome }, event.seconds);
      if (event.compile_seconds !== undefined) metrics?.scriptCompileSeconds.observe({ node_kind: kindOf(event.node_kind) }, event.compile_seconds);
      if (event.memory_bytes !== undefined) metrics?.scriptMemoryBytes.observe({ node_kind: kindOf(event.node_kind) }, event.memory_bytes);
    },
    scriptLog(event: { node_id: string; level: 'debug' | 'info' | 'warn' | 'error'; message: string }): void {
      // The script's message may hold anything the user said: only under `pii`.
      logger?.[event.level]({ event: 'script_log', node_id: event.node_id, pii: { message: event.message } }, 'script log');
    },
  };
}

/** The part of a counter the per-frame paths use. */
export interface FrameCounter<L extends string> {
  inc(labels: Record<L, string>): void;
}

/**
 * A counter for paths that run once per audio frame: increments are plain
 * additions into a small table keyed by the label values, handed to
 * prom-client when it is scraped. prom-client's own `inc` hashes and
 * validates the labels on every call, which showed in kernel profiles.
 * Label values must still come from bounded vocabularies.
 */
export function hotCounter<L extends string>(config: {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: client.Registry[];
}): FrameCounter<L> {
  const pending = new Map<string, { labels: Record<L, string>; count: number }>();
  new client.Counter<L>({
    ...config,
    collect(this: client.Counter<L>) {
      for (const entry of pending.values()) {
        if (entry.count === 0) continue;
        this.inc(entry.labels as client.LabelValues<L>, entry.count);
        entry.count = 0;
      }
    },
  });
  const names = config.labelNames;
  return {
    inc(labels) {
      let key = '';
      for (const name of names) key += `${labels[name]}\u0000`;
      const entry = pending.get(key);
      if (entry) entry.count += 1;
      else pending.set(key, { labels: { ...labels }, count: 1 });
    },
  };
}
