// Composition root: one kernel process is the kernel core (core.ts) built
// from a validated config plus its HTTP and gRPC servers, which it starts and
// drains on request. It owns their lifetimes; it makes no turn decisions itself.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ControlHandlers, ControlServer } from '../control/grpc-server.js';
import { Tenants } from '../tenancy/tenants.js';
import type { BatonConfig } from '../config/config.js';
import { scriptWorkerCount } from '../config/keys.js';
import { embeddedScripts } from '../nodes/registry/layout.js';
import { ScriptsDirectory } from '../nodes/registry/directory.js';
import { ScriptRegistry } from '../nodes/registry/store.js';
import { QuickJSTier } from '../nodes/sandbox/quickjs/index.js';
import { type Clock, RealClock } from '../determinism/clock.js';
import { type Logger, createRootLogger } from '../observe/logger.js';
import { Metrics } from '../observe/metrics.js';
import type { Admission } from '../admission/admission.js';
import { createAuthority } from '../authority/index.js';
import type { AuthorityBackend } from '../authority/types.js';
import { sessionsService } from '../control/sessions-service.js';
import { authorityService } from '../control/authority-service.js';
import { timelinesService } from '../control/timelines-service.js';
import { pipelinesService } from '../control/pipelines-service.js';
import { scriptsService } from '../control/scripts-service.js';
import { WorkerAnalyzer } from '../nodes/registry/analyzer.js';
import type { LaneScheduler } from '../lanes/scheduler.js';
import type { PipelineRegistry } from '../plan/registry.js';
import type { SessionManager } from '../session/manager.js';
import type { QueuedEvent } from '../session/session.js';
import { CLOSE_CODES } from '../../api/eventabi/vocabulary.js';
import { Connections } from '../transport/connections.js';
import { GatewayServer } from '../transport/gateway-server.js';
import { createKernelHttpServer } from '../transport/http-server.js';
import { MediaStreamsServer, isMediaStreamsRequest } from '../transport/media-streams.js';
import { operatorRoutes } from '../transport/operator/operator.js';
import { composeCore } from './core.js';

export interface KernelOptions {
  logger?: Logger;
  clock?: Clock;
  metrics?: Metrics;
}

export class Kernel {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tenants: Tenants;
  readonly control: ControlServer;
  readonly authority: AuthorityBackend;
  readonly admission: Admission;
  readonly registry: PipelineRegistry;
  readonly scheduler: LaneScheduler<QueuedEvent>;
  readonly sessions: SessionManager;
  /** Tenant scripts and modules: stored by the Scripts service, pinned by plan freezes. */
  readonly scripts: ScriptRegistry;
  /** Where script nodes run: the QuickJS worker pool. */
  readonly scriptTier: QuickJSTier;
  /** Parses scripts off the main thread, for PutScript and the scripts directory alike. */
  private readonly analyzer = new WorkerAnalyzer();
  /** The watched scripts_dir, once started. */
  private scriptsDirectory: ScriptsDirectory | undefined;
  readonly connections: Connections;
  readonly gateway: GatewayServer;
  readonly mediaStreams: MediaStreamsServer;
  private readonly http: Server;
  private state: 'starting' | 'serving' | 'draining' | 'stopped' = 'starting';
  httpAddress = '';
  grpcAddress = '';

  constructor(
    readonly config: BatonConfig,
    opts: KernelOptions = {},
  ) {
    this.clock = opts.clock ?? new RealClock();
    this.logger = opts.logger ?? createRootLogger({ level: config.log_level });
    this.metrics = opts.metrics ?? new Metrics();
    this.tenants = new Tenants([{ name: 'dev', key: config.dev_key }, ...config.tenants]);
    this.authority = createAuthority(config.authority, this.clock);
    this.scriptTier = new QuickJSTier({
      poolSize: scriptWorkerCount(config.script_workers, availableParallelism()),
      maxQueued: config.script_queue,
      memoryBytes: config.script_memory_bytes,
      cacheEntries: config.script_cache_entries,
    });
    const core = composeCore({
      clock: this.clock,
      authority: this.authority,
      limits: {
        max_sessions: config.max_sessions,
        max_sessions_per_tenant: config.max_sessions_per_tenant,
        max_concurrent_turns: config.max_sessions,
        max_concurrent_turns_per_tenant: config.max_sessions_per_tenant,
        max_turns_per_session_per_minute: 120,
      },
      holder: config.instance_id,
      leaseTtlMs: config.lease_ttl_ms,
      tenantSeed: config.tenant_seed,
      maxAudioFrameMs: config.max_audio_frame_ms,
      laneMaxBytes: config.lane_max_bytes,
      budgetDefaults: { session_idle_ms: config.session_idle_ms, reconnect_grace_ms: config.reconnect_grace_ms },
      timeline: { dir: config.timeline_dir, memoryRecords: config.timeline_memory_records, memoryBytes: config.timeline_memory_bytes },
      metrics: this.metrics,
      logger: this.logger,
      // Embedded defaults for every tenant, under the scripts directory (start) and PutScript.
      scripts: new ScriptRegistry({}, { embedded: embeddedScripts() }),
      scriptTier: this.scriptTier,
    });
    this.admission = core.admission;
    this.registry = core.registry;
    this.scripts = core.scripts;
    this.scheduler = core.scheduler;
    this.sessions = core.sessions;
    this.connections = new Connections({
      maxPerTenant: config.max_connections_per_tenant,
      heartbeatMs: config.heartbeat_ms,
      metrics: this.metrics,
    });
    this.gateway = new GatewayServer({
      sessions: this.sessions,
      tenants: this.tenants,
      metrics: this.metrics,
      logger: this.logger,
      connections: this.connections,
      maxFrameBytes: config.max_frame_bytes,
      maxAudioFrameMs: config.max_audio_frame_ms,
      egressBufferBytes: config.egress_buffer_bytes,
      wallNow: () => this.clock.wallNow(),
      accepting: () => this.state === 'serving',
    });
    this.mediaStreams = new MediaStreamsServer({
      sessions: this.sessions,
      pipelines: this.registry,
      tenants: this.tenants,
      connections: this.connections,
      clock: this.clock,
      metrics: this.metrics,
      logger: this.logger,
      maxFrameBytes: config.max_frame_bytes,
      egressBufferBytes: config.egress_buffer_bytes,
      accepting: () => this.state === 'serving',
    });
    // `grpc_service`, not `service`: the root already binds `service: baton`, and a child repeating a key writes it twice in one JSON line.
    const handlers: ControlHandlers = {
      Sessions: sessionsService({
        sessions: this.sessions,
        tenants: this.tenants,
        publicUrl: () => config.public_url || `${config.tls_cert ? 'wss' : 'ws'}://${this.httpAddress}`,
        wallNow: () => this.clock.wallNow(),
        tokenTtlMs: 15 * 60 * 1000,
      }),
      Authority: authorityService({
        sessions: this.sessions,
        authority: this.authority,
        leaseTtlMs: config.lease_ttl_ms,
        clock: this.clock,
        logger: this.logger.child({ grpc_service: 'Authority' }),
      }),
      Timelines: timelinesService({ sessions: this.sessions, logger: this.logger.child({ grpc_service: 'Timelines' }) }),
      Pipelines: pipelinesService({ registry: this.registry, logger: this.logger.child({ grpc_service: 'Pipelines' }) }),
      Scripts: scriptsService({ scripts: this.scripts, analyzer: this.analyzer, logger: this.logger.child({ grpc_service: 'Scripts' }) }),
    };
    this.control = new ControlServer({
      tenants: this.tenants,
      handlers,
      metrics: this.metrics,
      logger: this.logger,
      maxDeadlineMs: config.grpc_max_deadline_ms,
      pendingNote: 'arrives with a later Baton release',
    });
    const tls = config.tls_cert ? { cert: readFileSync(config.tls_cert), key: readFileSync(config.tls_key) } : undefined;
    this.http = createKernelHttpServer({
      metrics: this.metrics,
      health: { live: () => this.state !== 'stopped', ready: () => this.state === 'serving' },
      onUpgrade: (req, socket, head) => (isMediaStreamsRequest(req) ? this.mediaStreams : this.gateway).handleUpgrade(req, socket, head),
      routes: operatorRoutes({
        sessions: this.sessions,
        tenants: this.tenants,
        timelineDir: config.timeline_dir,
        wallNow: () => this.clock.wallNow(),
        logger: this.logger.child({ component: 'operator' }),
      }),
      ...(tls ? { tls } : {}),
    });
  }

  get serving(): boolean {
    return this.state === 'serving';
  }

  async start(): Promise<void> {
    if (this.config.scripts_dir) {
      // Loaded before serving: the first turn already sees the operator's scripts.
      this.scriptsDirectory = new ScriptsDirectory({
        dir: this.config.scripts_dir,
        registry: this.scripts,
        analyzer: this.analyzer,
        logger: this.logger.child({ component: 'scripts_dir' }),
      });
      await this.scriptsDirectory.start();
    }
    const tls = this.config.tls_cert ? { cert: readFileSync(this.config.tls_cert), key: readFileSync(this.config.tls_key) } : undefined;
    const grpcPort = await this.control.bind(this.config.grpc_host, this.config.grpc_port, tls);
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.config.http_port, this.config.http_host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const httpPort = (this.http.address() as AddressInfo).port;
    this.httpAddress = `${this.config.http_host}:${httpPort}`;
    this.grpcAddress = `${this.config.grpc_host}:${grpcPort}`;
    this.state = 'serving';
    this.control.setServing(true);
    this.logger.info({ http: this.httpAddress, grpc: this.grpcAddress }, 'kernel serving');
  }

  /** Stops taking new work, ends streams and closes servers within `graceMs`. */
  async drain(graceMs = this.config.drain_grace_ms): Promise<void> {
    if (this.state === 'draining' || this.state === 'stopped') return;
    this.state = 'draining';
    this.control.startDraining();
    this.logger.info({ grace_ms: graceMs, sessions: this.sessions.size }, 'kernel draining');
    this.sessions.endAll('draining', CLOSE_CODES.draining);
    this.connections.closeAll(CLOSE_CODES.draining, 'kernel draining');
    this.connections.stop();
    const httpClosed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
    // Evidence first: every drained session's timeline reaches the disk before the process may exit.
    await Promise.race([Promise.all([httpClosed, this.control.shutdown(graceMs), this.sessions.timelinesClosed()]), delay(graceMs)]);
    this.http.closeAllConnections();
    await Promise.all([this.authority.close(), this.scriptTier.close(), this.scriptsDirectory?.close(), this.analyzer.close()]);
    this.state = 'stopped';
    this.logger.info('kernel stopped');
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
