// One in-process gRPC control server for the service tests: real grpc-js
// on a loopback port, tenants `dev` and `other`, and handlers that forward to
// whatever the running test installed with `serve`, so a suite binds one port
// and every test gets a fresh world behind it. Answers come back as values,
// never as thrown errors, so a test states the status it expects.
import * as grpc from '@grpc/grpc-js';
import { loadControlPlane } from '../../api/controlplane/loader.js';
import { type CallContext, ControlServer, type ServiceHandlers } from '../../internal/control/grpc-server.js';
import { createRootLogger } from '../../internal/observe/logger.js';
import { Metrics } from '../../internal/observe/metrics.js';
import { Tenants } from '../../internal/tenancy/tenants.js';

export const DEV_KEY = 'dev-tenant-key-0123456789';
export const OTHER_KEY = 'other-tenant-key-0123456789';

export type ServiceName = 'Pipelines' | 'Sessions' | 'Authority' | 'Scripts' | 'Timelines';

/** One unary answer: the response, or the status name and its details. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Answer<T = any> = { ok: true; value: T } | { ok: false; code: string; details: string };

export interface CallOptions {
  /** The tenant key sent as `authorization: Bearer`; null sends none. Default DEV_KEY. */
  key?: string | null;
  /** Absolute deadline (ms since epoch); default 10 s from now. */
  deadline?: number;
}

export interface ControlHarness<S extends ServiceName> {
  readonly port: number;
  /** The typed-less client of `service`, for calls a test must hand-encode. */
  client(service: S): grpc.Client;
  /** Installs this test's handlers behind the server. */
  serve(handlers: { readonly [K in S]?: ServiceHandlers }): void;
  /** Starts one unary call: the call (to cancel) and its answer. */
  start<T = unknown>(service: S, method: string, request: unknown, opts?: CallOptions): { call: grpc.ClientUnaryCall; answer: Promise<Answer<T>> };
  rpc<T = unknown>(service: S, method: string, request: unknown, opts?: CallOptions): Promise<Answer<T>>;
  close(): Promise<void>;
}

/** Binds a control server on a free loopback port serving `methods` of each service. */
export async function startControlHarness<S extends ServiceName>(methods: { readonly [K in S]: readonly string[] }): Promise<ControlHarness<S>> {
  let serving: { [K in S]?: ServiceHandlers } = {};
  const forward = (service: S): ServiceHandlers =>
    Object.fromEntries(
      methods[service].map((m) => [
        m,
        {
          unary: (ctx: CallContext, req: unknown) => {
            const handler = serving[service]?.[m] as { unary: (c: CallContext, r: unknown) => unknown } | undefined;
            if (!handler) throw new Error(`the test installed no ${service}.${m} handler`);
            return handler.unary(ctx, req);
          },
        },
      ]),
    );
  const services = Object.keys(methods) as S[];
  const server = new ControlServer({
    tenants: new Tenants([
      { name: 'dev', key: DEV_KEY },
      { name: 'other', key: OTHER_KEY },
    ]),
    handlers: Object.fromEntries(services.map((s) => [s, forward(s)])),
    metrics: new Metrics({ processMetrics: false }),
    logger: createRootLogger({ level: 'silent' }),
    maxDeadlineMs: 10_000,
  });
  const port = await server.bind('127.0.0.1', 0);
  server.setServing(true);
  const v1 = loadControlPlane().grpcObject.baton.v1 as unknown as Record<S, new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client>;
  const clients = Object.fromEntries(services.map((s) => [s, new v1[s](`127.0.0.1:${port}`, grpc.credentials.createInsecure())])) as Record<S, grpc.Client>;

  const start = <T>(service: S, method: string, request: unknown, opts: CallOptions = {}): { call: grpc.ClientUnaryCall; answer: Promise<Answer<T>> } => {
    const client = clients[service];
    const unary = (client as unknown as Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>)[method];
    if (!unary) throw new Error(`${service} has no method ${method}`);
    const md = new grpc.Metadata();
    const key = opts.key === undefined ? DEV_KEY : opts.key;
    if (key !== null) md.set('authorization', `Bearer ${key}`);
    let call!: grpc.ClientUnaryCall;
    const answer = new Promise<Answer<T>>((resolve) => {
      call = unary.call(client, request, md, { deadline: opts.deadline ?? Date.now() + 10_000 }, (err: grpc.ServiceError | null, value: T) => {
        resolve(err ? { ok: false, code: grpc.status[err.code], details: err.details } : { ok: true, value });
      });
    });
    return { call, answer };
  };

  return {
    port,
    client: (service) => clients[service],
    serve: (handlers) => {
      serving = handlers;
    },
    start,
    rpc: <T,>(service: S, method: string, request: unknown, opts?: CallOptions) => start<T>(service, method, request, opts).answer,
    close: async () => {
      for (const client of Object.values<grpc.Client>(clients)) client.close();
      await server.shutdown(1000);
    },
  };
}

/** The response of an OK answer; a readable failure otherwise. */
export function value<T>(answer: Answer<T>): T {
  if (!answer.ok) throw new Error(`expected OK, got ${answer.code}: ${answer.details}`);
  return answer.value;
}

/** The status of a failed answer; a readable failure when it was OK. */
export function failure(answer: Answer): { code: string; details: string } {
  if (answer.ok) throw new Error(`expected an error status, got ${JSON.stringify(answer.value)}`);
  return { code: answer.code, details: answer.details };
}
