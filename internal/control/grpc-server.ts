// The gRPC control-plane server: registers Baton's services, health and
// reflection, and wraps every Baton handler with tenant authentication, a
// deadline cap, status mapping and metrics. Handlers return values or throw
// ServiceError; any other exception becomes INTERNAL and never crashes the
// process. A request body that does not decode is INVALID_ARGUMENT, checked
// after authentication like any other malformed request, and status messages
// are bounded so a handler echoing hostile input cannot wedge the call.
import * as grpc from '@grpc/grpc-js';
import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';
import { ReflectionService } from '@grpc/reflection';
import * as protoLoader from '@grpc/proto-loader';
import { HealthImplementation, type ServingStatus, protoPath as healthProtoPath } from 'grpc-health-check';
import { SERVICE_NAMES, loadControlPlane } from '../../api/controlplane/loader.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { type Tenants, bearerToken } from '../tenancy/tenants.js';
import { MAX_STATUS_MESSAGE_BYTES, encodedLength } from './status-message.js';

export class ServiceError extends Error {
  constructor(
    readonly status: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

export interface CallContext {
  readonly tenant: string;
  readonly method: string;
  /** Aborted when the client cancels or the (capped) deadline passes. */
  readonly signal: AbortSignal;
}

export type UnaryHandler = (ctx: CallContext, request: any) => Promise<unknown> | unknown;
export type ServerStreamHandler = (ctx: CallContext, request: any, call: grpc.ServerWritableStream<any, any>) => Promise<void>;
export type ClientStreamHandler = (ctx: CallContext, call: grpc.ServerReadableStream<any, any>) => Promise<unknown>;

export interface ServiceHandlers {
  [method: string]: { unary: UnaryHandler } | { serverStream: ServerStreamHandler } | { clientStream: ClientStreamHandler };
}

/** Handlers by short service name (`Sessions`, ...); methods left out answer UNIMPLEMENTED. */
export type ControlHandlers = Partial<Record<'Pipelines' | 'Sessions' | 'Authority' | 'Scripts' | 'Timelines', ServiceHandlers>>;

export interface GrpcServerOptions {
  tenants: Tenants;
  handlers: ControlHandlers;
  metrics: Metrics;
  logger: Logger;
  /** Deadline applied to calls that carry none, and the cap on calls that carry a longer one. */
  maxDeadlineMs: number;
  /** Which issue brings methods that are not implemented yet (named in UNIMPLEMENTED messages). */
  pendingNote?: string;
}

const STATUS_NAMES = Object.fromEntries(Object.entries(grpc.status).map(([name, value]) => [value, name])) as Record<number, string>;

/**
 * The backstop for every status message: a handler echoing hostile input (a
 * 256 KiB session id) must not produce a `grpc-message` trailer the peer
 * cannot take, or the call never ends. Services keep their own messages
 * within the same budget (status-message.ts); this only cuts what did not.
 */
function boundedDetails(details: string): string {
  if (encodedLength(details) <= MAX_STATUS_MESSAGE_BYTES) return details;
  const ellipsis = '...';
  let used = encodedLength(ellipsis);
  let kept = '';
  for (const char of details) {
    const cost = encodedLength(char);
    if (used + cost > MAX_STATUS_MESSAGE_BYTES) break;
    kept += char;
    used += cost;
  }
  return kept + ellipsis;
}

function statusOf(code: grpc.status, details: string): Partial<grpc.StatusObject> {
  return { code, details: boundedDetails(details) };
}

/**
 * What a request body that protobuf could not decode becomes. grpc-js answers
 * a throwing deserializer with INTERNAL before any handler runs; Baton wants
 * INVALID_ARGUMENT, and only after authentication (DESIGN 4.1 order).
 */
class UndecodableRequest {
  constructor(readonly problem: string) {}
}

function tolerantDeserializer(definition: grpc.MethodDefinition<unknown, unknown>): (bytes: Buffer) => unknown {
  return (bytes) => {
    try {
      return definition.requestDeserialize(bytes);
    } catch (err) {
      // Deep nesting overflows the decoder's stack: that is malformed input too.
      return new UndecodableRequest(err instanceof Error ? err.message : String(err));
    }
  };
}

function undecodableError(method: string, request: UndecodableRequest): ServiceError {
  return new ServiceError(grpc.status.INVALID_ARGUMENT, `${method}: the request is not a valid protobuf message (${request.problem})`);
}

/** The decoded request, or INVALID_ARGUMENT when its body did not decode. */
function decodedRequest(method: string, request: unknown): unknown {
  if (request instanceof UndecodableRequest) throw undecodableError(method, request);
  return request;
}

/**
 * Keeps undecodable messages of a client stream from its handler: the first
 * one fails the call with INVALID_ARGUMENT and ends the handler's stream;
 * grpc-js's later pushes (messages, end of stream) are dropped, since a
 * readable that already ended must not be pushed to again.
 */
function rejectUndecodableMessages<T extends grpc.ServerReadableStream<any, any>>(method: string, call: T, fail: (err: ServiceError) => void): T {
  const push = call.push.bind(call);
  let rejected = false;
  call.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (rejected) return false;
    if (chunk instanceof UndecodableRequest) {
      rejected = true;
      fail(undecodableError(method, chunk));
      return push(null);
    }
    return push(chunk, encoding);
  };
  return call;
}

export class ControlServer {
  readonly server: grpc.Server;
  readonly health = new HealthImplementation({ '': 'NOT_SERVING' });
  private draining = false;
  /** Open grpc.health.v1.Health/Watch streams, ended on shutdown. */
  private readonly healthWatches = new Set<grpc.ServerWritableStream<unknown, unknown>>();

  constructor(private readonly opts: GrpcServerOptions) {
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': 4 * 1024 * 1024,
      'grpc.keepalive_permit_without_calls': 1,
    });
    const { packageDefinition, grpcObject } = loadControlPlane();
    const services = grpcObject.baton.v1;
    for (const fullName of SERVICE_NAMES) {
      const short = fullName.split('.').pop() as keyof ControlHandlers;
      const loaded = (services[short] as unknown as { service: grpc.ServiceDefinition }).service;
      const definition: grpc.ServiceDefinition = Object.fromEntries(
        Object.entries(loaded).map(([method, def]) => [method, { ...def, requestDeserialize: tolerantDeserializer(def) }]),
      );
      this.server.addService(definition, this.implement(short, definition));
      this.health.setStatus(fullName, 'NOT_SERVING');
    }
    // grpc-health-check registers its own Watch handler; each Watch call is noted on the way in so shutdown can end it.
    this.health.addToServer({
      addService: (service: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation) => {
        const watch = implementation['watch'] as grpc.handleServerStreamingCall<unknown, unknown>;
        this.server.addService(service, {
          ...implementation,
          watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
            this.healthWatches.add(call);
            call.on('cancelled', () => this.healthWatches.delete(call));
            watch(call);
          },
        });
      },
    } as grpc.Server);
    // Reflection describes everything this server answers: Baton's services and health.
    const healthDefinition = protoLoader.loadSync(healthProtoPath, { keepCase: true });
    new ReflectionService({ ...packageDefinition, ...healthDefinition }).addToServer(this.server);
  }

  setServing(serving: boolean): void {
    const status: ServingStatus = serving && !this.draining ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', status);
    for (const name of SERVICE_NAMES) this.health.setStatus(name, status);
  }

  startDraining(): void {
    this.draining = true;
    this.setServing(false);
  }

  get isDraining(): boolean {
    return this.draining;
  }

  bind(host: string, port: number, tls?: { cert: Buffer; key: Buffer }): Promise<number> {
    const credentials = tls
      ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false)
      : grpc.ServerCredentials.createInsecure();
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
    });
  }

  /**
   * Stops accepting calls and waits up to `graceMs` for running ones before
   * forcing shutdown. Health watches never end by themselves; they have
   * already been told NOT_SERVING (startDraining), so they are ended here and
   * a load balancer watching health does not hold a drain for its whole grace.
   */
  async shutdown(graceMs: number): Promise<void> {
    for (const watch of this.healthWatches) watch.end();
    this.healthWatches.clear();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private implement(service: keyof ControlHandlers, definition: grpc.ServiceDefinition): grpc.UntypedServiceImplementation {
    const impl: grpc.UntypedServiceImplementation = {};
    const handlers = this.opts.handlers[service] ?? {};
    for (const [method, def] of Object.entries(definition)) {
      const name = `${service}.${method}`;
      const handler = handlers[method];
      if (def.requestStream && def.responseStream) continue;
      if (def.requestStream) {
        impl[method] = (call: grpc.ServerReadableStream<any, any>, callback: grpc.sendUnaryData<any>) => {
          if (!handler || !('clientStream' in handler)) return callback(this.unimplemented(name));
          this.run(name, call, callback, (ctx, fail) => handler.clientStream(ctx, rejectUndecodableMessages(name, call, fail)));
        };
      } else if (def.responseStream) {
        impl[method] = (call: grpc.ServerWritableStream<any, any>) => {
          if (!handler || !('serverStream' in handler)) {
            call.emit('error', this.unimplemented(name));
            return;
          }
          this.runStream(name, call, handler.serverStream);
        };
      } else {
        impl[method] = (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
          if (!handler || !('unary' in handler)) return callback(this.unimplemented(name));
          this.run(name, call, callback, (ctx) => handler.unary(ctx, decodedRequest(name, call.request)));
        };
      }
    }
    return impl;
  }

  private unimplemented(method: string): Partial<grpc.StatusObject> {
    this.opts.metrics.grpcRequests.inc({ method, code: 'UNIMPLEMENTED' });
    const note = this.opts.pendingNote ? ` (${this.opts.pendingNote})` : '';
    return statusOf(grpc.status.UNIMPLEMENTED, `${method} is not implemented yet${note}`);
  }

  /** Authenticates and builds the call context, or returns the status to fail with. */
  private context(
    method: string,
    call: ServerSurfaceCall,
    capDeadline = true,
  ): { ctx: CallContext; done: () => void; fail: (err: ServiceError) => void } | Partial<grpc.StatusObject> {
    if (this.draining) return statusOf(grpc.status.UNAVAILABLE, 'kernel is draining; retry on another instance');
    const raw = call.metadata.get('authorization');
    const token = bearerToken(typeof raw[0] === 'string' ? raw[0] : undefined);
    if (!token) return statusOf(grpc.status.UNAUTHENTICATED, 'missing authorization metadata: expected "Bearer <tenant key>"');
    const tenant = this.opts.tenants.tenantForKey(token);
    if (!tenant) return statusOf(grpc.status.UNAUTHENTICATED, 'unknown tenant key');
    const controller = new AbortController();
    const deadline = call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
    const remaining = Number.isFinite(deadlineMs) ? Math.max(0, deadlineMs - Date.now()) : Infinity;
    // Long-lived streams (WatchSession) end with their session or the client, not at the unary cap.
    const budget = capDeadline ? Math.min(remaining, this.opts.maxDeadlineMs) : remaining;
    const timer = Number.isFinite(budget)
      ? setTimeout(() => controller.abort(new ServiceError(grpc.status.DEADLINE_EXCEEDED, `${method} exceeded its deadline of ${budget} ms`)), budget)
      : undefined;
    timer?.unref();
    const onCancel = (): void => controller.abort(new ServiceError(grpc.status.CANCELLED, 'cancelled by the client'));
    call.on('cancelled', onCancel);
    return {
      ctx: { tenant, method, signal: controller.signal },
      fail: (err) => controller.abort(err),
      done: () => {
        clearTimeout(timer);
        call.removeListener('cancelled', onCancel);
      },
    };
  }

  private toStatus(method: string, err: unknown): Partial<grpc.StatusObject> {
    if (err instanceof ServiceError) return statusOf(err.status, err.message);
    this.opts.logger.error({ method, err }, 'gRPC handler failed');
    return statusOf(grpc.status.INTERNAL, `${method} failed inside the kernel`);
  }

  private run(
    method: string,
    call: ServerSurfaceCall,
    callback: grpc.sendUnaryData<any>,
    body: (ctx: CallContext, fail: (err: ServiceError) => void) => Promise<unknown> | unknown,
  ): void {
    const started = this.context(method, call);
    if (!('ctx' in started)) {
      this.count(method, started.code);
      callback(started);
      return;
    }
    const { ctx, done, fail } = started;
    const aborted = new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
    aborted.catch(() => undefined);
    Promise.race([Promise.resolve().then(() => body(ctx, fail)), aborted]).then(
      (response) => {
        done();
        this.count(method, grpc.status.OK);
        callback(null, response);
      },
      (err: unknown) => {
        done();
        const status = this.toStatus(method, err);
        this.count(method, status.code);
        callback(status);
      },
    );
  }

  private runStream(method: string, call: grpc.ServerWritableStream<any, any>, handler: ServerStreamHandler): void {
    const started = this.context(method, call, false);
    if (!('ctx' in started)) {
      this.count(method, started.code);
      call.emit('error', started);
      return;
    }
    const { ctx, done } = started;
    Promise.resolve().then(() => handler(ctx, decodedRequest(method, call.request), call)).then(
      () => {
        done();
        this.count(method, grpc.status.OK);
        if (!call.cancelled) call.end();
      },
      (err: unknown) => {
        done();
        const status = this.toStatus(method, err);
        this.count(method, status.code);
        if (!call.cancelled) call.emit('error', status);
      },
    );
  }

  private count(method: string, code: grpc.status | undefined): void {
    this.opts.metrics.grpcRequests.inc({ method, code: STATUS_NAMES[code ?? grpc.status.UNKNOWN] ?? 'UNKNOWN' });
  }
}
