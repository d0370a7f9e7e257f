// The operator page (DESIGN 5.3, 12; docs/operator.md) in Debian's headless
// Chromium against a real kernel process: a Node `ws` gateway drives a real
// session through two committed turns around a barge-in, then the page is
// opened with the tenant key, the session selected, and the timeline checked
// in the DOM (one span per turn with its outcome, the barge-in fence) and in
// a screenshot (the turn spans' colours fill the boxes the DOM says they
// occupy). Waits are for page state, never for a guessed time.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { type AnyEnvelope, type IngressKind, type Payloads, anyEnvelope, decodeJson, encodeJson } from '../../api/eventabi/index.js';
import { DEV_KEY, type KernelProcess, startKernel } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
/** The page's turn colours (operator.css --committed / --aborted). */
const COMMITTED_RGB = [0x2e, 0x9d, 0x4f] as const;
const ABORTED_RGB = [0xd1, 0x43, 0x2f] as const;
/** Evaluated in the page (the test itself compiles without DOM types). */
const STORED_KEY = "sessionStorage.getItem('baton.operator.key')";

/** A gateway on /v1/stream speaking baton.v1.json. */
class Gateway {
  private seq = 0;
  private session_id = '';
  private epoch = 0;
  readonly seen: AnyEnvelope[] = [];
  private readonly waiters: { match: (e: AnyEnvelope) => boolean; resolve: (e: AnyEnvelope) => void }[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const decoded = decodeJson(data.toString());
      if (!decoded.ok) throw new Error(`undecodable frame from the kernel: ${decoded.error.message}`);
      this.seen.push(decoded.event);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        if (this.waiters[i]!.match(decoded.event)) this.waiters.splice(i, 1)[0]!.resolve(decoded.event);
      }
    });
  }

  static async connect(http: string, key: string): Promise<Gateway> {
    const ws = new WebSocket(`ws://${http}/v1/stream`, 'baton.v1.json', { headers: { authorization: `Bearer ${key}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const gateway = new Gateway(ws);
    gateway.send('session.start', { pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 });
    const started = (await gateway.waitFor((e) => e.kind === 'session.started')) as AnyEnvelope & { kind: 'session.started' };
    gateway.session_id = started.payload.session_id;
    gateway.epoch = started.payload.epoch;
    return gateway;
  }

  get id(): string {
    return this.session_id;
  }

  send<K extends IngressKind>(kind: K, payload: Payloads[K], turn_id = ''): void {
    this.seq += 1;
    const event = anyEnvelope(kind, payload, { id: `g${this.seq}`, session_id: this.session_id, turn_id, epoch: this.epoch, seq: this.seq });
    this.ws.send(encodeJson(event));
  }

  waitFor(match: (e: AnyEnvelope) => boolean, what = 'an event'): Promise<AnyEnvelope> {
    const already = this.seen.find(match);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the kernel never sent ${what}; saw ${this.seen.map((e) => e.kind).join(' ')}`)), 20_000);
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  private async opened(): Promise<string> {
    const before = this.seen.length;
    const opened = await this.waitFor((e) => e.kind === 'turn.opened' && this.seen.indexOf(e) >= before, 'turn.opened');
    return opened.turn_id;
  }

  async committedTurn(text: string): Promise<string> {
    const opened = this.opened();
    this.send('turn.request', { text });
    const turn_id = await opened;
    const end = (await this.waitFor((e) => e.kind === 'output.end' && e.turn_id === turn_id, `output.end of ${turn_id}`)) as AnyEnvelope & { kind: 'output.end' };
    this.send('playback.completed', { played_ms: end.payload.generated_ms }, turn_id);
    await this.waitFor((e) => e.kind === 'turn.closed' && e.turn_id === turn_id, `turn.closed of ${turn_id}`);
    return turn_id;
  }

  /** The caller talks over the answer once a few frames of it have played. */
  async bargedInTurn(text: string): Promise<string> {
    const opened = this.opened();
    this.send('turn.request', { text });
    const turn_id = await opened;
    await this.waitFor((e) => e.kind === 'audio.out' && e.turn_id === turn_id && this.seen.filter((s) => s.kind === 'audio.out' && s.turn_id === turn_id).length >= 6, `audio of ${turn_id}`);
    this.send('playback.mark', { played_ms: 20 }, turn_id);
    this.send('speech.started', {});
    await this.waitFor((e) => e.kind === 'turn.closed' && e.turn_id === turn_id, `turn.closed of ${turn_id}`);
    return turn_id;
  }

  async end(): Promise<void> {
    this.send('session.end', { reason: 'operator_page_test_done' });
    await this.waitFor((e) => e.kind === 'session.ended', 'session.ended');
    this.ws.close(1000);
  }
}

/** RGB(A) pixels of an 8-bit, non-interlaced PNG, as Chromium writes screenshots. */
function decodePng(png: Buffer): { width: number; height: number; pixel: (x: number, y: number) => [number, number, number] } {
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colour, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || interlace !== 0 || (colour !== 2 && colour !== 6)) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colour}, interlace ${interlace}`);
      channels = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const left = i >= channels ? out[y * stride + i - channels]! : 0;
      const up = y > 0 ? out[(y - 1) * stride + i]! : 0;
      const upLeft = y > 0 && i >= channels ? out[(y - 1) * stride + i - channels]! : 0;
      let predictor = 0;
      if (filter === 1) predictor = left;
      else if (filter === 2) predictor = up;
      else if (filter === 3) predictor = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter} on row ${y}`);
      out[y * stride + i] = (line[i]! + predictor) & 0xff;
    }
  }
  return { width, height, pixel: (x, y) => [out[y * stride + x * channels]!, out[y * stride + x * channels + 1]!, out[y * stride + x * channels + 2]!] };
}

function near(rgb: readonly number[], target: readonly number[]): boolean {
  return rgb.every((v, i) => Math.abs(v - target[i]!) <= 8);
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Pixels of `colour` inside `box` (relative to the image). */
function countInside(image: ReturnType<typeof decodePng>, box: Box, colour: readonly number[]): number {
  let count = 0;
  for (let y = Math.max(0, Math.floor(box.y)); y < Math.min(image.height, Math.ceil(box.y + box.height)); y++) {
    for (let x = Math.max(0, Math.floor(box.x)); x < Math.min(image.width, Math.ceil(box.x + box.width)); x++) if (near(image.pixel(x, y), colour)) count++;
  }
  return count;
}

let kernel: KernelProcess;
let timelineDir: string;
let browser: Browser;

describe('operator page in headless Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the operator page test needs Debian's chromium (scripts/setup-test-deps.sh installs it; make test runs it)`);
    timelineDir = mkdtempSync(join(tmpdir(), 'baton-it-operator-'));
    kernel = await startKernel(['--timeline-dir', timelineDir]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await kernel?.stop();
    if (timelineDir) rmSync(timelineDir, { recursive: true, force: true });
  });

  async function openPage(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console error: ${msg.text()}`);
    });
    await page.goto(`http://${kernel.http}/operator/`);
    return { page, errors };
  }

  test('a wrong key is refused on the page and the sessions stay hidden', async () => {
    const { page, errors } = await openPage();
    await page.fill('#key-input', 'not-the-key-0123456789');
    await page.click('#key-submit');
    await page.waitForSelector('#status[data-state="error"]');
    expect(await page.textContent('#status')).toContain('refused this key');
    expect(await page.isHidden('#main')).toBe(true);
    expect(await page.evaluate(STORED_KEY)).toBeNull();
    // The refused request itself is the only console error a browser reports.
    expect(errors.filter((e) => !e.includes('401'))).toEqual([]);
    await page.close();
  });

  test('the timeline of a real session draws one span per turn with its outcome, the barge-in fence, and the turns in its screenshot', async () => {
    const gateway = await Gateway.connect(kernel.http, DEV_KEY);
    const first = await gateway.committedTurn('hello there');
    const barged = await gateway.bargedInTurn('tell me a long story about the sea, the wind and the lighthouse keeper');
    const last = await gateway.committedTurn('thank you');
    expect([first, barged, last]).toEqual(['t-1', 't-2', 't-3']);
    expect(gateway.seen.find((e) => e.kind === 'turn.aborted' && e.turn_id === barged)).toBeDefined();

    const { page, errors } = await openPage();
    await page.fill('#key-input', DEV_KEY);
    await page.click('#key-submit');
    const row = page.locator(`#sessions-body tr[data-session-id="${gateway.id}"]`);
    await row.waitFor();
    expect(await page.evaluate(STORED_KEY)).toBe(DEV_KEY);
    expect(await row.locator('[data-field="stream"]').textContent()).toBe('connected');
    expect(await row.locator('[data-field="turn-count"]').textContent()).toBe('3');
    expect(await row.locator('[data-lane="data"]').getAttribute('data-capacity')).toBe('256');
    // The key never reaches the DOM.
    expect(await page.content()).not.toContain(DEV_KEY);

    await row.click();
    // Locator waits, not waitForFunction: its polling evaluates a string in the page, which the page's CSP (no unsafe-eval) refuses.
    await page.locator('#timeline[data-state="ready"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('#timeline .turn-span[data-outcome="committed"]').count(), { timeout: 15_000 }).toBe(2);
    const spans = await page.locator('#timeline .turn-span[data-turn-id]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-turn-id'), e.getAttribute('data-outcome')]));
    expect(spans).toEqual([
      ['t-1', 'committed'],
      ['t-2', 'aborted'],
      ['t-3', 'committed'],
    ]);
    expect(await page.locator('#timeline .fence[data-fence-turn-id="t-2"]').getAttribute('data-reason')).toBe('barge_in');
    expect(await page.locator('#turns-body tr[data-turn-id="t-2"] td[data-outcome]').textContent()).toBe('aborted');
    expect(await page.locator('#timeline').getAttribute('data-live')).toBe('true');

    // Screenshot: each span's box is filled with its outcome's colour, and the spans sit in time order.
    const chart = page.locator('#timeline');
    const chartBox = (await chart.boundingBox())!;
    const boxes: Record<string, Box> = {};
    for (const turn of ['t-1', 't-2', 't-3']) {
      const box = (await page.locator(`#timeline .turn-span[data-turn-id="${turn}"] rect`).boundingBox())!;
      boxes[turn] = { x: box.x - chartBox.x, y: box.y - chartBox.y, width: box.width, height: box.height };
    }
    expect(boxes['t-1']!.x).toBeLessThan(boxes['t-2']!.x);
    expect(boxes['t-2']!.x).toBeLessThan(boxes['t-3']!.x);
    const image = decodePng(await chart.screenshot());
    expect(image.width).toBe(Math.round(chartBox.width));
    const whole = { x: 0, y: 0, width: image.width, height: image.height };
    const committedPixels = countInside(image, whole, COMMITTED_RGB);
    const abortedPixels = countInside(image, whole, ABORTED_RGB);
    const failure = `committed ${committedPixels} px, aborted ${abortedPixels} px; boxes ${JSON.stringify(boxes)}`;
    expect(committedPixels, failure).toBeGreaterThan(200);
    expect(abortedPixels, failure).toBeGreaterThan(60);
    for (const [turn, colour] of [['t-1', COMMITTED_RGB], ['t-2', ABORTED_RGB], ['t-3', COMMITTED_RGB]] as const) {
      const box = boxes[turn]!;
      // Inset by a pixel: edges are anti-aliased; labels take a few pixels of the wider spans.
      const inner = { x: box.x + 1, y: box.y + 1, width: box.width - 2, height: box.height - 2 };
      const filled = countInside(image, inner, colour);
      expect(filled / (inner.width * inner.height), `${turn}: ${filled} of ${inner.width * inner.height} px; ${failure}`).toBeGreaterThan(0.6);
    }
    // Colours appear only where turns are drawn: nothing else on the chart uses them.
    expect(committedPixels + abortedPixels, failure).toBeLessThanOrEqual(
      Object.values(boxes).reduce((sum, b) => sum + Math.ceil(b.width + 1) * Math.ceil(b.height + 1), 0),
    );

    // The session ends: the page lists it as ended and keeps its complete timeline.
    await gateway.end();
    await page.locator(`#ended-sessions li[data-session-id="${gateway.id}"]`).waitFor();
    await page.waitForSelector('#timeline[data-live="false"]');
    expect(await page.locator('#timeline .turn-span[data-turn-id]').count()).toBe(3);
    expect(await page.locator('#timeline-live').textContent()).toBe('ended');
    expect(errors).toEqual([]);

    // An id the tenant has no session for says so and stops asking.
    await page.fill('#open-input', 's-no-such-session');
    await page.click('#open-form button');
    await page.waitForSelector('#timeline[data-state="error"]');
    expect(await page.textContent('#timeline-info')).toBe('No timeline: no session "s-no-such-session" with a timeline for this tenant');
    await page.close();
  });
});
