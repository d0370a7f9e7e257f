import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEV_KEY, type KernelProcess, runPython, startKernel } from './harness.js';

describe('a real kernel process', () => {
  let kernel: KernelProcess;

  beforeAll(async () => {
    kernel = await startKernel();
  });

  afterAll(async () => {
    await kernel?.stop();
  });

  test('prints the ready line and answers /readyz, /healthz and /metrics', async () => {
    expect(kernel.stdout.join('')).toMatch(/^baton ready http=127\.0\.0\.1:\d+ grpc=127\.0\.0\.1:\d+$/m);
    const ready = await fetch(`http://${kernel.http}/readyz`);
    expect(ready.status).toBe(200);
    const health = await fetch(`http://${kernel.http}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await fetch(`http://${kernel.http}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toContain('# TYPE baton_turns_total counter');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  test('gRPC health answers SERVING and reflection lists the baton.v1 services to a Python grpcio client', () => {
    const result = runPython<{
      health: string;
      health_sessions: string;
      services: string[];
      sessions_descriptor: { files?: number; error?: string };
      unauthenticated: string;
    }>('check_health_reflection.py', [kernel.grpc, 'unused']);
    expect(result.health).toBe('SERVING');
    expect(result.health_sessions).toBe('SERVING');
    for (const service of ['baton.v1.Pipelines', 'baton.v1.Sessions', 'baton.v1.Authority', 'baton.v1.Scripts', 'baton.v1.Timelines']) {
      expect(result.services).toContain(service);
    }
    expect(result.services).toContain('grpc.health.v1.Health');
    expect(result.sessions_descriptor.files).toBeGreaterThanOrEqual(1);
    expect(result.unauthenticated).toBe('UNAUTHENTICATED');
  });
});

describe('draining', () => {
  test('SIGTERM makes the kernel exit 0 within its drain grace', async () => {
    const kernel = await startKernel(['--drain-grace-ms', '2000']);
    const { code, ms } = await kernel.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(2000 + 1000);
  });
});

describe('per-tenant connection limit', () => {
  test('a tenant over max_connections_per_tenant is refused with HTTP 429 before the upgrade; closing a stream frees its slot', async () => {
    const { WebSocket } = await import('ws');
    const kernel = await startKernel(['--max-connections-per-tenant', '2']);
    try {
      const url = `ws://${kernel.http}/v1/stream`;
      const headers = { authorization: `Bearer ${DEV_KEY}` };
      const connect = () =>
        new Promise<{ ws?: InstanceType<typeof WebSocket>; status?: number; body?: string }>((resolve) => {
          const ws = new WebSocket(url, ['baton.v1.json'], { headers });
          ws.once('open', () => resolve({ ws }));
          ws.once('unexpected-response', (_req, res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          ws.once('error', () => undefined);
        });
      const first = await connect();
      const second = await connect();
      expect(first.ws && second.ws).toBeTruthy();
      const third = await connect();
      expect(third.status).toBe(429);
      expect(third.body).toMatch(/max_connections_per_tenant/);
      const closed = new Promise((resolve) => first.ws!.once('close', resolve));
      first.ws!.close();
      await closed;
      // The kernel sees the close a moment after the client does.
      let fourth = await connect();
      for (let i = 0; i < 20 && !fourth.ws; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        fourth = await connect();
      }
      expect(fourth.ws).toBeTruthy();
      second.ws!.close();
      fourth.ws!.close();
    } finally {
      await kernel.stop();
    }
  });
});
