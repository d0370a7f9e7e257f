// The operator JSON endpoints and static files (DESIGN 5.3, 12; docs/operator.md)
// against the real session manager, lanes, node host and timelines on the
// virtual clock, served by the kernel's real HTTP server: auth, tenancy,
// bounds, paging, ended and on-disk timelines, bad ids and traversal attempts.
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { AnyEnvelope, IngressKind, Payloads } from '../../../api/eventabi/index.js';
import { Tenants } from '../../tenancy/tenants.js';
import { RealClock, type VirtualClock } from '../../determinism/clock.js';
import { type SendOptions, type Sent, SimulatedGateway, SimulationKernel } from '../../kernel/simulation.js';
import { Metrics } from '../../observe/metrics.js';
import type { SessionManager } from '../../session/manager.js';
import type { Session } from '../../session/session.js';
import { createKernelHttpServer } from '../http-server.js';
import { MAX_PAGE_ITEMS, OperatorPage, type SessionsAnswer, type TimelineAnswer } from './operator.js';
import { MAX_PRESSURE_ACTIONS } from './sessions-view.js';
import { locateStaticDir } from './static-files.js';
import type { TimelineItem } from './timeline-view.js';
import { TimelineRecorder } from '../../observe/timeline/index.js';

const DEV_KEY = 'dev-key-0123456789abcdef';
const ACME_KEY = 'acme-key-fedcba9876543210';

interface BenchOptions {
  /** Where timelines rotate to; undefined keeps them in memory only. */
  timelineDir?: string;
  memoryRecords?: number;
}

class OperatorBench {
  readonly sim: SimulationKernel;
  readonly tenants = new Tenants([
    { name: 'dev', key: DEV_KEY },
    { name: 'acme', key: ACME_KEY },
  ]);
  readonly operator: OperatorPage;
  readonly server: Server;

  constructor(opts: BenchOptions = {}) {
    this.sim = new SimulationKernel({
      holder: 'operator-bench',
      tenantSeed: 'operator',
      leaseTtlMs: 600_000,
      limits: { max_sessions: 1000, max_sessions_per_tenant: 1000, max_concurrent_turns: 1000, max_concurrent_turns_per_tenant: 1000, max_turns_per_session_per_minute: 1000 },
      timeline: { memoryRecords: opts.memoryRecords ?? 4096, ...(opts.timelineDir !== undefined ? { dir: opts.timelineDir } : {}) },
    });
    this.operator = new OperatorPage({
      sessions: this.manager,
      tenants: this.tenants,
      ...(opts.timelineDir !== undefined ? { timelineDir: opts.timelineDir } : {}),
      wallNow: () => this.clock.wallNow(),
    });
    this.server = createKernelHttpServer({
      metrics: new Metrics(),
      health: { live: () => true, ready: () => true },
      onUpgrade: (_req, socket) => socket.destroy(),
      routes: this.operator.route,
    });
  }

  get clock(): VirtualClock {
    return this.sim.clock;
  }

  get manager(): SessionManager {
    return this.sim.sessions;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.manager.endAll('test_over', 1000);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async open(tenant = 'dev'): Promise<Caller> {
    const caller = new Caller(this, await this.sim.openSession({ tenant }));
    caller.attach();
    return caller;
  }

  settle(): Promise<void> {
    return this.sim.settle();
  }

  advance(ms: number, stepMs = 20): Promise<void> {
    return this.sim.advance(ms, stepMs);
  }
}

/** One session's gateway client, refusing nothing silently, with the turns the operator page is read after. */
class Caller extends SimulatedGateway {
  constructor(
    private readonly bench: OperatorBench,
    session: Session,
  ) {
    super(bench.sim, session);
  }

  override send<K extends IngressKind>(kind: K, payload: Payloads[K], opts: SendOptions = {}): Sent {
    const sent = super.send(kind, payload, opts);
    if (!sent.result.ok) throw new Error(`${kind} refused: ${sent.result.error.message}`);
    return sent;
  }

  /** A turn played to the end and acknowledged. */
  async committedTurn(text: string): Promise<string> {
    this.send('turn.request', { text });
    await this.bench.settle();
    const turn_id = this.last('turn.opened')!.turn_id;
    for (let i = 0; i < 100 && !this.out.some((e) => e.kind === 'output.end' && e.turn_id === turn_id); i++) await this.bench.advance(100);
    const end = this.out.find((e) => e.kind === 'output.end' && e.turn_id === turn_id) as (AnyEnvelope & { kind: 'output.end' }) | undefined;
    if (!end) throw new Error(`${turn_id} never reached output.end`);
    this.send('playback.completed', { played_ms: end.payload.generated_ms }, { turn_id });
    await this.bench.settle();
    return turn_id;
  }

  /** A turn the caller talks over once its audio has started. */
  async bargedInTurn(text: string): Promise<string> {
    this.send('turn.request', { text });
    await this.bench.settle();
    const turn_id = this.last('turn.opened')!.turn_id;
    for (let i = 0; i < 100 && !this.out.some((e) => e.kind === 'audio.out' && e.turn_id === turn_id); i++) await this.bench.advance(20);
    this.send('speech.started', {});
    await this.bench.advance(100);
    this.send('speech.stopped', {});
    await this.bench.settle();
    return turn_id;
  }
}

function frame(amplitude = 4000): Buffer {
  const audio = Buffer.alloc(640);
  for (let i = 0; i < 320; i++) audio.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * 300 * i) / 16000)), i * 2);
  return audio;
}

// ------------------------------------------------------------ HTTP helpers

interface Answer<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: T;
}

/** A GET with the path sent exactly as written (fetch would normalize `..`). */
function get<T = unknown>(base: string, path: string, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: json as T });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const auth = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

async function sessions(base: string, key = DEV_KEY): Promise<SessionsAnswer> {
  const answer = await get<SessionsAnswer>(base, '/v1/operator/sessions', auth(key));
  expect(answer.status, answer.text).toBe(200);
  return answer.json;
}

async function timeline(base: string, id: string, query = '', key = DEV_KEY): Promise<Answer<TimelineAnswer>> {
  return get<TimelineAnswer>(base, `/v1/operator/sessions/${encodeURIComponent(id)}/timeline${query}`, auth(key));
}

/** Every page of a timeline from `from`, following `next` until done. */
async function allItems(base: string, id: string, limit = MAX_PAGE_ITEMS): Promise<{ items: TimelineItem[]; pages: TimelineAnswer[] }> {
  const pages: TimelineAnswer[] = [];
  let from = 0;
  for (let i = 0; i < 1000; i++) {
    const answer = await timeline(base, id, `?from=${from}&limit=${limit}`);
    expect(answer.status, answer.text).toBe(200);
    pages.push(answer.json);
    from = answer.json.next;
    if (answer.json.done) break;
  }
  return { items: pages.flatMap((p) => p.items), pages };
}

function liveTimeline(bench: OperatorBench, id: string): TimelineRecorder {
  const known = bench.manager.lookup('dev', id);
  if (known?.state !== 'live') throw new Error(`${id} is not live`);
  return known.timeline;
}

const egressKinds = (items: TimelineItem[], turn_id: string): string[] =>
  items.filter((i): i is Extract<TimelineItem, { type: 'egress' }> => i.type === 'egress' && i.turn_id === turn_id).map((i) => i.kind);

// ------------------------------------------------------------ tests

describe('operator JSON endpoints: authentication and tenancy', () => {
  let bench: OperatorBench;
  let base: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-operator-auth-'));
    bench = new OperatorBench({ timelineDir: dir });
    base = await bench.listen();
  });
  afterAll(async () => {
    await bench.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('no credentials, an unknown key or a session token get 401 JSON with a Bearer challenge, on every operator endpoint', async () => {
    const gateway = await bench.open('dev');
    const token = bench.tenants.mintSessionToken('dev', gateway.id, bench.clock.wallNow() + 60_000);
    for (const path of ['/v1/operator/sessions', `/v1/operator/sessions/${gateway.id}/timeline`, '/v1/operator/nothing-here']) {
      for (const headers of [{}, auth('not-a-key'), auth(token), { authorization: `Basic ${Buffer.from(`dev:${DEV_KEY}`).toString('base64')}` }]) {
        const answer = await get<{ error: { code: string; message: string } }>(base, path, headers);
        expect(answer.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(answer.headers['www-authenticate']).toBe('Bearer realm="baton-operator"');
        expect(answer.json.error.code).toBe('unauthenticated');
      }
    }
    const wrongQuery = await get(base, '/v1/operator/sessions?token=not-a-key');
    expect(wrongQuery.status).toBe(401);
  });

  test('the tenant key is accepted by header or ?token=, and no answer ever contains a key', async () => {
    const gateway = await bench.open('dev');
    const byHeader = await get<SessionsAnswer>(base, '/v1/operator/sessions', auth(DEV_KEY));
    const byQuery = await get<SessionsAnswer>(base, `/v1/operator/sessions?token=${encodeURIComponent(DEV_KEY)}`);
    expect(byHeader.status).toBe(200);
    expect(byQuery.status).toBe(200);
    expect(byHeader.json.tenant).toBe('dev');
    expect(byHeader.headers['cache-control']).toBe('no-store');
    expect(byHeader.headers['x-content-type-options']).toBe('nosniff');
    expect(byHeader.json.sessions.map((s) => s.session_id)).toContain(gateway.id);
    const page = await timeline(base, gateway.id);
    expect(page.status).toBe(200);
    for (const text of [byHeader.text, byQuery.text, page.text]) {
      expect(text).not.toContain(DEV_KEY);
      expect(text).not.toContain(ACME_KEY);
    }
  });

  test('a tenant lists only its own live sessions, and another tenant\'s session id answers 404 exactly like an unknown one', async () => {
    const acme = await bench.open('acme');
    await bench.open('dev');
    const devIds = (await sessions(base, DEV_KEY)).sessions.map((s) => s.session_id);
    const acmeIds = (await sessions(base, ACME_KEY)).sessions.map((s) => s.session_id);
    expect(acmeIds).toEqual([acme.id]);
    expect(devIds).not.toContain(acme.id);
    expect(devIds.length).toBeGreaterThan(0);

    const foreign = await timeline(base, acme.id, '', DEV_KEY);
    const unknown = await timeline(base, 's-never-existed', '', DEV_KEY);
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(foreign.json).toEqual({ error: { code: 'not_found', message: `no session "${acme.id}" with a timeline for this tenant` } });
    expect((await timeline(base, acme.id, '', ACME_KEY)).status).toBe(200);

    // Ended, the session's timeline is still the owner's only: remembered by the manager and on disk.
    acme.send('session.end', { reason: 'done' });
    await bench.settle();
    expect((await timeline(base, acme.id, '', DEV_KEY)).status).toBe(404);
    expect((await timeline(base, acme.id, '', ACME_KEY)).json.live).toBe(false);
  });

  test('bad session ids are 400 and bad paging parameters are 400, each naming the problem', async () => {
    const { id } = await bench.open('dev');
    const cases: [string, RegExp][] = [
      ['/v1/operator/sessions/%ZZ/timeline', /percent-encoding/],
      [`/v1/operator/sessions/${'x'.repeat(129)}/timeline`, /1 to 128 printable characters/],
      ['/v1/operator/sessions/a%00b/timeline', /printable/],
      ['/v1/operator/sessions/a%0Ab/timeline', /printable/],
      [`/v1/operator/sessions/${id}/timeline?limit=0`, /limit must be an integer from 1 to 5000 \(got "0"\)/],
      [`/v1/operator/sessions/${id}/timeline?limit=5001`, /limit must be an integer from 1 to 5000/],
      [`/v1/operator/sessions/${id}/timeline?limit=ten`, /limit must be/],
      [`/v1/operator/sessions/${id}/timeline?from=-1`, /from must be an integer/],
      [`/v1/operator/sessions/${id}/timeline?from=1e3`, /from must be an integer/],
      [`/v1/operator/sessions/${id}/timeline?from=99999999999999999`, /from must be an integer/],
    ];
    for (const [path, message] of cases) {
      const answer = await get<{ error: { code: string; message: string } }>(base, path, auth(DEV_KEY));
      expect(answer.status, path).toBe(400);
      expect(answer.json.error.code, path).toBe('invalid_argument');
      expect(answer.json.error.message, path).toMatch(message);
    }
  });

  test('unknown operator paths are 404 JSON once authenticated; other paths stay the HTTP server\'s', async () => {
    for (const path of ['/v1/operator', '/v1/operator/', '/v1/operator/sessions/', '/v1/operator/sessions/x', '/v1/operator/sessions/x/timeline/more']) {
      const answer = await get<{ error: { code: string } }>(base, path, auth(DEV_KEY));
      expect(answer.status, path).toBe(404);
      expect(answer.json.error.code, path).toBe('not_found');
    }
    expect((await get(base, '/healthz')).status).toBe(200);
    const other = await get(base, '/v1/operatorx');
    expect(other.status).toBe(404);
    expect(other.text).toBe('not found\n');
  });
});

describe('operator JSON endpoints: what a live session shows', () => {
  let bench: OperatorBench;
  let base: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-operator-live-'));
    // A small window: most of a session's records are read back from its file.
    bench = new OperatorBench({ timelineDir: dir, memoryRecords: 32 });
    base = await bench.listen();
  });
  afterAll(async () => {
    await bench.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a session summary has pipeline, epoch, stream, the active turn and its state, turn count and every lane\'s depth and capacity', async () => {
    const gateway = await bench.open();
    await gateway.committedTurn('hello there');
    gateway.send('turn.request', { text: 'tell me a long story about the sea and the lighthouse keeper' });
    await bench.advance(60);
    const summary = (await sessions(base)).sessions.find((s) => s.session_id === gateway.id)!;
    expect(summary).toMatchObject({
      pipeline: 'demo',
      pipeline_version: '1',
      codec: 'pcm16',
      sample_rate: 16000,
      epoch: gateway.session.epoch,
      authoritative: true,
      connected: true,
      turn_count: 2,
      active_turn: { turn_id: 't-2', state: 'active', fenced: false },
    });
    expect(summary.epoch).toBeGreaterThanOrEqual(1);
    expect(summary.lanes).toEqual({
      control: { depth: 0, capacity: 64, high_watermark: 48, low_watermark: 32, xoff: false, overflow: 'block' },
      data: { depth: 0, capacity: 256, high_watermark: 192, low_watermark: 128, xoff: false, overflow: 'drop_oldest' },
      telemetry: { depth: 0, capacity: 256, high_watermark: 192, low_watermark: 128, xoff: false, overflow: 'drop_newest' },
    });
    expect(summary.timeline_records).toBe(liveTimeline(bench, gateway.id).length);

    gateway.send('speech.started', {});
    await bench.advance(100);
    const after = (await sessions(base)).sessions.find((s) => s.session_id === gateway.id)!;
    expect(after.active_turn).toBeNull();
    expect(after.pressure.map((p) => [p.action, p.turn_id, p.reason])).toEqual([['fence', 't-2', 'barge_in']]);
  });

  test('queued lane depth, xoff and drops show in the summary; pressure actions are the newest, bounded and oldest first', async () => {
    const gateway = await bench.open();
    for (let i = 0; i < 300; i++) gateway.send('audio.in', { audio: frame() }, { deliver: false });
    const summary = (await sessions(base)).sessions.find((s) => s.session_id === gateway.id)!;
    expect(summary.lanes.data).toMatchObject({ depth: 256, capacity: 256, xoff: true });
    // 300 offers into 256 slots: 44 drop_oldest drops and one xoff at 192, newest 16 shown.
    expect(summary.pressure).toHaveLength(MAX_PRESSURE_ACTIONS);
    expect(summary.pressure.every((p) => p.action === 'drop' && p.lane === 'data' && p.reason === 'overflow_drop_oldest')).toBe(true);
    const seqs = summary.pressure.map((p) => p.seq_from!);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[seqs.length - 1]).toBe(44);
    await bench.settle();
    const drained = (await sessions(base)).sessions.find((s) => s.session_id === gateway.id)!;
    expect(drained.lanes.data).toMatchObject({ depth: 0, xoff: false });
    gateway.send('session.end', { reason: 'done' });
    await bench.settle();
  });

  test('the live timeline shows each turn from turn.opened to turn.closed with its terminal, the barge-in fence, and audio as runs', async () => {
    const gateway = await bench.open();
    const committed = await gateway.committedTurn('hello there');
    const barged = await gateway.bargedInTurn('tell me a long story about the sea and the lighthouse keeper');
    const { items, pages } = await allItems(base, gateway.id);
    expect(pages.every((p) => p.live)).toBe(true);
    expect(items[0]).toMatchObject({ type: 'header', index: 0, pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 });
    expect(egressKinds(items, committed)).toEqual(expect.arrayContaining(['turn.opened', 'turn.active', 'output.end', 'turn.committed', 'turn.closed']));
    expect(egressKinds(items, barged)).toEqual(expect.arrayContaining(['turn.opened', 'output.clear', 'turn.aborted', 'turn.closed']));
    expect(egressKinds(items, barged)).not.toContain('turn.committed');
    const fence = items.find((i) => i.type === 'decision' && i.kind === 'fence');
    expect(fence).toMatchObject({ turn_id: barged, outcome: 'fenced', reason: 'barge_in' });
    const runs = items.filter((i): i is Extract<TimelineItem, { type: 'audio' }> => i.type === 'audio');
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.some((r) => r.direction === 'egress' && r.turn_id === committed && r.count > 5)).toBe(true);
    for (const run of runs) expect(run.to_ms).toBeGreaterThanOrEqual(run.at_ms);
    // Every record is accounted for exactly once: one item each, or `count` in its audio run.
    const covered = items.reduce((sum, i) => sum + (i.type === 'audio' ? i.count : 1), 0);
    expect(covered).toBe(liveTimeline(bench, gateway.id).length);
    expect(pages[pages.length - 1]!.next).toBe(covered);
  });

  test('timeline JSON never carries typed text, turn text or audio bytes', async () => {
    const gateway = await bench.open();
    gateway.send('text.in', { text: 'my account number is 4242' });
    await gateway.committedTurn('please call me at 555 0100');
    gateway.send('dtmf', { digit: '7' });
    await bench.settle();
    const { pages } = await allItems(base, gateway.id);
    const text = JSON.stringify(pages);
    for (const secret of ['4242', '555 0100', 'account number', frame().toString('base64').slice(0, 24)]) expect(text).not.toContain(secret);
    const items = pages.flatMap((p) => p.items);
    const ingress = items.filter((i): i is Extract<TimelineItem, { type: 'ingress' }> => i.type === 'ingress');
    expect(ingress.find((i) => i.kind === 'text.in')?.detail).toEqual({});
    expect(ingress.find((i) => i.kind === 'dtmf')?.detail).toEqual({});
    expect(ingress.find((i) => i.kind === 'playback.completed')?.detail).toEqual({ played_ms: expect.any(Number) });
  });

  test('paging: limit bounds the items of a page, next continues where it stopped, and small pages add up to one big page', async () => {
    const gateway = await bench.open();
    await gateway.committedTurn('hello there');
    const whole = await allItems(base, gateway.id);
    expect(whole.pages).toHaveLength(1);
    const paged = await allItems(base, gateway.id, 7);
    expect(paged.pages.length).toBeGreaterThan(2);
    for (const page of paged.pages) expect(page.items.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < paged.pages.length; i++) expect(paged.pages[i]!.from).toBe(paged.pages[i - 1]!.next);
    // Pages cut audio runs at their edge only; the non-audio records are the same items in the same order.
    const nonAudio = (items: TimelineItem[]): TimelineItem[] => items.filter((i) => i.type !== 'audio');
    expect(nonAudio(paged.items)).toEqual(nonAudio(whole.items));
    const count = (items: TimelineItem[]): number => items.reduce((sum, i) => sum + (i.type === 'audio' ? i.count : 1), 0);
    expect(count(paged.items)).toBe(count(whole.items));
    // Asking beyond the end is an empty, finished page.
    const beyond = await timeline(base, gateway.id, `?from=${whole.pages[0]!.next + 100}`);
    expect(beyond.json).toMatchObject({ items: [], done: true });
  });

  test('an ended session\'s timeline is served from its closed file, complete, and no longer live', async () => {
    const gateway = await bench.open();
    await gateway.committedTurn('hello there');
    gateway.send('session.end', { reason: 'caller_hung_up' });
    await bench.settle();
    expect(bench.manager.lookup('dev', gateway.id)?.state).toBe('ended');
    const { items, pages } = await allItems(base, gateway.id);
    expect(pages.every((p) => !p.live && p.problem === undefined)).toBe(true);
    expect(items[0]).toMatchObject({ type: 'header', index: 0 });
    expect(egressKinds(items, 't-1')).toEqual(expect.arrayContaining(['turn.opened', 'turn.committed', 'turn.closed']));
    expect(items.some((i) => i.type === 'egress' && i.kind === 'session.ended')).toBe(true);
    expect(items.reduce((sum, i) => sum + (i.type === 'audio' ? i.count : 1), 0)).toBe(pages[0]!.records);
    // Ended sessions leave the live list.
    expect((await sessions(base)).sessions.map((s) => s.session_id)).not.toContain(gateway.id);
  });
});

describe('operator JSON endpoints: timelines the manager no longer knows', () => {
  let dir: string;
  let bench: OperatorBench;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-operator-disk-'));
    // Files left by an earlier kernel process: the id was used twice, by two tenants.
    for (const tenant of ['dev', 'acme']) {
      const recorder = new TimelineRecorder({ session_id: 'from-last-week', dir, clock: new RealClock() });
      recorder.appendTerminal({ case: 'header', value: { tenant, pipeline: tenant === 'dev' ? 'demo' : 'voice', pipeline_version: '3', seed: 7, codec: 'mulaw', sample_rate: 8000, kernel_version: '0.0.9', opened_wall_ms: 0 } });
      recorder.append({ case: 'decision', value: { kind: 'fence', outcome: 'fenced', reason: 'barge_in', detail: {} } }, 't-4');
      await recorder.close();
    }
    bench = new OperatorBench({ timelineDir: dir });
    base = await bench.listen();
  });
  afterAll(async () => {
    await bench.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a timeline file in timeline_dir is served to the tenant its header names, and to no other', async () => {
    const dev = await timeline(base, 'from-last-week', '', DEV_KEY);
    expect(dev.status).toBe(200);
    expect(dev.json).toMatchObject({ live: false, done: true, next: 2 });
    expect(dev.json.items).toEqual([
      expect.objectContaining({ type: 'header', pipeline: 'demo', codec: 'mulaw', sample_rate: 8000 }),
      expect.objectContaining({ type: 'decision', kind: 'fence', turn_id: 't-4', reason: 'barge_in' }),
    ]);
    // The second file (from-last-week~1.timeline) is acme's.
    const acme = await timeline(base, 'from-last-week', '', ACME_KEY);
    expect(acme.json.items[0]).toMatchObject({ type: 'header', pipeline: 'voice' });
    const ids = ['../from-last-week', 'from-last-week/../from-last-week', '/etc/passwd', '..'];
    for (const id of ids) expect((await timeline(base, id)).status, id).toBe(404);
  });

  test('an ended session whose file was removed answers 410; one whose file is short is served up to where it stops, saying why', async () => {
    const removed = await bench.open();
    removed.send('session.end', { reason: 'done' });
    await bench.settle();
    const known = bench.manager.lookup('dev', removed.id);
    if (known?.state !== 'ended') throw new Error('session should have ended');
    rmSync((await known.ended.timeline).path!);
    const gone = await get<{ error: { code: string; message: string } }>(base, `/v1/operator/sessions/${removed.id}/timeline`, auth(DEV_KEY));
    expect(gone.status).toBe(410);
    expect(gone.json.error).toEqual({ code: 'unavailable', message: `the timeline file of ${removed.id} no longer exists` });

    // A sink that failed after two records: the manager reports the file as incomplete.
    const recorder = new TimelineRecorder({ session_id: 'short-file', dir, clock: new RealClock() });
    recorder.appendTerminal({ case: 'header', value: { tenant: 'dev', pipeline: 'demo', pipeline_version: '1', seed: 1, codec: 'pcm16', sample_rate: 16000, kernel_version: '0.1.0', opened_wall_ms: 0 } });
    recorder.append({ case: 'decision', value: { kind: 'flow', outcome: 'xoff', reason: '', detail: { lane: 'data', depth: '192' } } });
    await recorder.close();
    const problem = { kind: 'incomplete' as const, message: 'timeline file short-file.timeline holds 2 of 5 records' };
    const page = new OperatorPage({
      sessions: {
        all: () => [],
        lookup: (tenant, id) =>
          tenant === 'dev' && id === 'short-file'
            ? { state: 'ended', ended: { session_id: id, tenant, reason: 'x', ended_at_ms: 0, timeline: Promise.resolve({ session_id: id, path: recorder.filePath, records: 5, problem }) } }
            : undefined,
      },
      tenants: bench.tenants,
      wallNow: () => 0,
    });
    const server = createKernelHttpServer({ metrics: new Metrics(), health: { live: () => true, ready: () => true }, onUpgrade: (_r, s) => s.destroy(), routes: page.route });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const short = await timeline(url, 'short-file');
      expect(short.status).toBe(200);
      expect(short.json).toMatchObject({ live: false, records: 5, next: 2, done: true, problem: problem.message });
      expect(short.json.items.map((i) => i.type)).toEqual(['header', 'decision']);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('a memory-only ended timeline answers 410 with the reason', async () => {
    const memory = new OperatorBench();
    const url = await memory.listen();
    try {
      const gateway = await memory.open();
      gateway.send('session.end', { reason: 'done' });
      await memory.settle();
      const answer = await get<{ error: { code: string; message: string } }>(url, `/v1/operator/sessions/${gateway.id}/timeline`, auth(DEV_KEY));
      expect(answer.status).toBe(410);
      expect(answer.json.error).toEqual({ code: 'unavailable', message: `the timeline of ${gateway.id} was kept in memory only and ended with its session` });
    } finally {
      await memory.close();
    }
  });
});

describe('operator page static files', () => {
  let bench: OperatorBench;
  let base: string;

  beforeAll(async () => {
    bench = new OperatorBench();
    base = await bench.listen();
  });
  afterAll(() => bench.close());

  test('/operator redirects to /operator/, which serves the page with its content type, CSP and an ETag that revalidates to 304', async () => {
    const redirect = await get(base, '/operator');
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe('/operator/');
    const page = await get(base, '/operator/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.text).toContain('<svg id="timeline"');
    const etag = page.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    const again = await get(base, '/operator/', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect((await get(base, '/operator/index.html')).text).toBe(page.text);
    const script = await get(base, '/operator/operator.js?v=1');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get(base, '/operator/timeline-model.js')).status).toBe(200);
    expect((await get(base, '/operator/operator.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  test('traversal and anything not shipped as a page file is 404, whatever the encoding', async () => {
    const attempts = [
      '/operator/../operator.ts',
      '/operator/..%2foperator.ts',
      '/operator/%2e%2e/operator.ts',
      '/operator/%2e%2e%2f%2e%2e%2fpackage.json',
      '/operator/static/index.html',
      '/operator//etc/passwd',
      '/operator/..\\operator.ts',
      '/operator/operator.ts',
      '/operator/operator.test.ts',
      '/operator/./index.html',
      '/operator/INDEX.HTML',
      '/operator/index.html/',
      '/operator/%00index.html',
    ];
    for (const path of attempts) {
      const answer = await get(base, path);
      expect(answer.status, path).toBe(404);
      expect(answer.text, path).toBe('not found\n');
    }
  });

  test('the static directory is found beside the source module and from the compiled module under dist/', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const root = join(here, '..', '..', '..');
    expect(locateStaticDir(pathToFileURL(join(here, 'static-files.ts')).href)).toBe(join(here, 'static'));
    expect(locateStaticDir(pathToFileURL(join(root, 'dist', 'internal', 'transport', 'operator', 'static-files.js')).href)).toBe(join(here, 'static'));
    expect(locateStaticDir(pathToFileURL(join(tmpdir(), 'nowhere', 'static-files.js')).href)).toBeUndefined();
  });

  test('without its files the page answers 404 and the JSON API still works', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'baton-operator-nostatic-'));
    const page = new OperatorPage({ sessions: bench.manager, tenants: bench.tenants, wallNow: () => 0, staticDir: empty });
    const server = createKernelHttpServer({ metrics: new Metrics(), health: { live: () => true, ready: () => true }, onUpgrade: (_r, s) => s.destroy(), routes: page.route });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await get(url, '/operator/')).status).toBe(404);
      expect((await get(url, '/v1/operator/sessions', auth(DEV_KEY))).status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the HTTP server route hook', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  test('a route that throws is answered 500 and the server keeps serving; a route that declines falls through to 404', async () => {
    let calls = 0;
    server = createKernelHttpServer({
      metrics: new Metrics(),
      health: { live: () => true, ready: () => true },
      onUpgrade: (_r, s) => s.destroy(),
      routes: (req, res) => {
        calls++;
        if (req.url === '/boom') throw new Error('route bug');
        if (req.url !== '/mine') return false;
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('mine');
        return true;
      },
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const boom = await get(url, '/boom');
    expect(boom.status).toBe(500);
    expect(boom.text).toBe('internal error\n');
    expect((await get(url, '/mine')).text).toBe('mine');
    expect((await get(url, '/other')).status).toBe(404);
    expect((await get(url, '/healthz')).status).toBe(200);
    expect(calls).toBe(3);
  });
});
