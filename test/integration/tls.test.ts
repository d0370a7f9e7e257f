// Optional TLS on both servers (--tls-cert/--tls-key): a real kernel process
// serves HTTPS health, a wss:// gateway stream and gRPC over TLS with one
// certificate, and refuses plaintext clients.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { loadControlPlane } from '../../api/controlplane/loader.js';
import { DEV_KEY, type KernelProcess, startKernel } from './harness.js';

let kernel: KernelProcess;
let cert: Buffer;

/** A self-signed certificate for 127.0.0.1, made with Debian's openssl (installed by the test setup). */
function selfSigned(dir: string): { cert: string; key: string } {
  const paths = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', paths.key, '-out', paths.cert,
    ], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`openssl could not make a test certificate (scripts/setup-test-deps.sh installs it): ${(err as Error).message}`);
  }
  return paths;
}

beforeAll(async () => {
  const paths = selfSigned(mkdtempSync(join(tmpdir(), 'baton-tls-')));
  cert = readFileSync(paths.cert);
  kernel = await startKernel(['--tls-cert', paths.cert, '--tls-key', paths.key]);
});

afterAll(async () => {
  await kernel?.stop();
});

describe('TLS', () => {
  test('/readyz answers over HTTPS for a client that trusts the certificate', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      get(`https://${kernel.http}/readyz`, { ca: cert }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(200);
  });

  test('a wss:// gateway stream opens a session; a plaintext ws:// client gets no stream', async () => {
    const ws = new WebSocket(`wss://${kernel.http}/v1/stream`, ['baton.v1.json'], { ca: cert, headers: { authorization: `Bearer ${DEV_KEY}` } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const started = new Promise<{ kind: string; payload: { pipeline?: string } }>((resolve) => ws.once('message', (data) => resolve(JSON.parse(data.toString()))));
    ws.send(JSON.stringify({ v: '1.0', id: 'g1', session_id: '', turn_id: '', epoch: '0', seq: 1, kind: 'session.start', payload: { pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 } }));
    const first = await started;
    expect(first.kind).toBe('session.started');
    ws.close();

    const plain = new WebSocket(`ws://${kernel.http}/v1/stream`, ['baton.v1.json'], { headers: { authorization: `Bearer ${DEV_KEY}` } });
    const outcome = await new Promise<string>((resolve) => {
      plain.once('open', () => resolve('open'));
      plain.once('error', () => resolve('error'));
      plain.once('unexpected-response', () => resolve('refused'));
    });
    expect(outcome).not.toBe('open');
    plain.terminate();
  });

  test('gRPC over TLS opens a session; an insecure channel fails UNAVAILABLE', async () => {
    const { grpcObject } = loadControlPlane();
    const Sessions = grpcObject.baton.v1.Sessions as unknown as grpc.ServiceClientConstructor;
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${DEV_KEY}`);
    const call = (client: grpc.Client) =>
      new Promise<{ code: number; session_id?: string }>((resolve) => {
        (client as unknown as Record<string, Function>)['OpenSession']!(
          { pipeline: 'demo' },
          metadata,
          { deadline: Date.now() + 5000 },
          (err: grpc.ServiceError | null, res: { session_id: string }) => resolve(err ? { code: err.code } : { code: 0, session_id: res.session_id }),
        );
      });
    const secure = new Sessions(kernel.grpc, grpc.credentials.createSsl(cert));
    const opened = await call(secure);
    expect(opened.code).toBe(grpc.status.OK);
    expect(opened.session_id).toMatch(/^s-/);
    secure.close();
    const insecure = new Sessions(kernel.grpc, grpc.credentials.createInsecure());
    expect((await call(insecure)).code).toBe(grpc.status.UNAVAILABLE);
    insecure.close();
  });
});
