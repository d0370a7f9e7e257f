// `baton demo`: a simulated gateway. It connects to a running kernel over the
// native protocol, runs two committed turns (typed text, then audio with
// gateway VAD) and one barge-in, and prints what crossed the wire as a
// timeline. It is a client only: it never reaches into kernel internals.
import { WebSocket } from 'ws';
import { type AnyEnvelope, type IngressKind, type Payloads, anyEnvelope, decodeJson, encodeJson } from '../api/eventabi/index.js';

export interface DemoOptions {
  http: string;
  key: string;
  out: (line: string) => void;
}

interface Pending {
  match: (event: AnyEnvelope) => boolean;
  resolve: (event: AnyEnvelope) => void;
}

class DemoGateway {
  private seq = 0;
  private session_id = '';
  private epoch = 0;
  private readonly started = Date.now();
  private readonly waiters: Pending[] = [];
  private readonly seen: AnyEnvelope[] = [];
  private ws!: WebSocket;

  constructor(private readonly opts: DemoOptions) {}

  async connect(): Promise<void> {
    this.ws = new WebSocket(`ws://${this.opts.http}/v1/stream`, 'baton.v1.json', { headers: { authorization: `Bearer ${this.opts.key}` } });
    await new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`kernel refused the stream: HTTP ${res.statusCode}`)));
    });
    this.ws.on('message', (data) => this.onMessage(data.toString()));
  }

  private onMessage(text: string): void {
    const decoded = decodeJson(text);
    if (!decoded.ok) {
      this.print('<-', `undecodable frame: ${decoded.error.message}`);
      return;
    }
    const event = decoded.event;
    this.seen.push(event);
    this.print('<-', describe(event));
    for (let i = 0; i < this.waiters.length; i++) {
      if (this.waiters[i]!.match(event)) {
        this.waiters.splice(i, 1)[0]!.resolve(event);
        break;
      }
    }
  }

  private print(direction: string, text: string): void {
    const ms = String(Date.now() - this.started).padStart(6);
    this.opts.out(`${ms} ms  ${direction}  ${text}`);
  }

  send<K extends IngressKind>(kind: K, payload: Payloads[K], turn_id = ''): void {
    this.seq += 1;
    const event = anyEnvelope(kind, payload, { id: `g${this.seq}`, session_id: this.session_id, turn_id, epoch: this.epoch, seq: this.seq });
    if (kind !== 'audio.in') this.print('->', describe(event));
    this.ws.send(encodeJson(event));
  }

  waitFor(match: (event: AnyEnvelope) => boolean, timeoutMs = 10_000): Promise<AnyEnvelope> {
    const already = this.seen.find(match);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the kernel did not answer in time')), timeoutMs);
      this.waiters.push({
        match,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      });
    });
  }

  kindFor(turn_id: string, kind: string): (event: AnyEnvelope) => boolean {
    return (event) => event.kind === kind && event.turn_id === turn_id;
  }

  async start(): Promise<void> {
    this.send('session.start', { pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 });
    const started = (await this.waitFor((e) => e.kind === 'session.started')) as AnyEnvelope & { kind: 'session.started' };
    this.session_id = started.payload.session_id;
    this.epoch = started.payload.epoch;
  }

  /** A turn that the gateway plays to the end and acknowledges. */
  async committedTurn(propose: () => void): Promise<void> {
    const before = this.seen.length;
    propose();
    const opened = await this.waitFor((e) => e.kind === 'turn.opened' && this.seen.indexOf(e) >= before);
    const end = (await this.waitFor(this.kindFor(opened.turn_id, 'output.end'))) as AnyEnvelope & { kind: 'output.end' };
    this.send('playback.completed', { played_ms: end.payload.generated_ms }, opened.turn_id);
    await this.waitFor(this.kindFor(opened.turn_id, 'turn.closed'));
  }

  /** A turn the caller talks over after its first audio: the kernel must fence and clear. */
  async bargeInTurn(): Promise<void> {
    const before = this.seen.length;
    this.send('turn.request', { text: 'tell me a long story about the sea, the wind and the lighthouse keeper' });
    const opened = await this.waitFor((e) => e.kind === 'turn.opened' && this.seen.indexOf(e) >= before);
    await this.waitFor(this.kindFor(opened.turn_id, 'audio.out'));
    this.send('playback.mark', { played_ms: 0 }, opened.turn_id);
    this.send('speech.started', {});
    await this.waitFor(this.kindFor(opened.turn_id, 'turn.closed'));
  }

  sendSpeech(ms: number, alreadyStarted = false): void {
    const frame = Buffer.alloc(640);
    for (let i = 0; i < 320; i++) frame.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / 16000)), i * 2);
    if (!alreadyStarted) this.send('speech.started', {});
    for (let t = 0; t < ms; t += 20) this.send('audio.in', { audio: frame });
    this.send('speech.stopped', {});
  }

  async end(): Promise<void> {
    this.send('session.end', { reason: 'demo_finished' });
    await this.waitFor((e) => e.kind === 'session.ended');
    this.ws.close(1000);
  }

  summary(): string {
    const terminals = this.seen.filter((e) => e.kind === 'turn.committed' || e.kind === 'turn.aborted');
    return terminals
      .map((e) => (e.kind === 'turn.aborted' ? `${e.turn_id} aborted (${e.payload.reason})` : `${e.turn_id} committed`))
      .join(', ');
  }
}

function describe(event: AnyEnvelope): string {
  const turn = event.turn_id ? ` [${event.turn_id}]` : '';
  const payload = { ...(event.payload as Record<string, unknown>) };
  if ('audio' in payload) payload['audio'] = `${(payload['audio'] as Uint8Array).length} bytes`;
  const fields = Object.entries(payload)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v.length > 48 ? `${v.slice(0, 45)}...` : v) : String(v)}`)
    .join(' ');
  return `#${String(event.seq).padEnd(4)} ${event.kind}${turn}${fields ? `  ${fields}` : ''}`;
}

export async function runDemo(opts: DemoOptions): Promise<string> {
  const gateway = new DemoGateway(opts);
  await gateway.connect();
  await gateway.start();
  opts.out('--- turn 1: typed text, played to the end');
  await gateway.committedTurn(() => {
    gateway.send('text.in', { text: 'hello baton' });
    gateway.send('turn.request', {});
  });
  opts.out('--- turn 2: caller audio, gateway VAD proposes the turn');
  await gateway.committedTurn(() => gateway.sendSpeech(600));
  opts.out('--- turn 3: the caller barges in');
  await gateway.bargeInTurn();
  opts.out('--- turn 4: what the caller said over turn 3');
  await gateway.committedTurn(() => gateway.sendSpeech(400, true));
  await gateway.end();
  const summary = gateway.summary();
  opts.out(`--- done: ${summary}`);
  return summary;
}
