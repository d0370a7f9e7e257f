// `baton demo --media-streams` (`make demo MEDIA_STREAMS=1`): a simulated
// Twilio-style telephony gateway. It calls a running kernel's
// /v1/media-streams, streams the caller's voice in real 20 ms mu-law `media`
// frames (espeak-ng speech when espeak-ng and sox are installed, a synthetic
// voice otherwise), plays Baton's answers like a phone (echoing each `mark`
// once the audio before it has played, and the held marks on `clear`), runs
// three answered turns and one barge-in, and prints the wire as a timeline.
// It is a client only: it speaks the dialect and never reaches into the kernel.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { linearToMulaw } from '../internal/nodes/index.js';
import type { DemoOptions } from './demo.js';

const FRAME_BYTES = 160;
const FRAME_MS = 20;
const SILENCE = Buffer.alloc(FRAME_BYTES, 0xff);

interface Utterance {
  text: string;
  audio: Buffer;
}

interface Received {
  readonly at: number;
  readonly event: string;
  readonly name?: string;
  readonly bytes?: number;
}

/** The caller's voice: espeak-ng speech converted by sox, or a synthetic voice when either is missing. */
function voice(texts: string[]): { source: string; utterances: Utterance[] } {
  const dir = mkdtempSync(join(tmpdir(), 'baton-demo-'));
  try {
    const utterances: Utterance[] = [];
    for (const text of texts) {
      const wav = join(dir, 'u.wav');
      const raw = join(dir, 'u.ul');
      const spoke = spawnSync('espeak-ng', ['-w', wav, text], { stdio: 'ignore' });
      const converted = spoke.status === 0 ? spawnSync('sox', [wav, '-r', '8000', '-c', '1', '-e', 'u-law', '-t', 'raw', raw], { stdio: 'ignore' }) : spoke;
      if (converted.status !== 0 || converted.error) return { source: 'a synthetic voice (espeak-ng or sox not found)', utterances: texts.map(synthetic) };
      utterances.push({ text, audio: readFileSync(raw) });
    }
    return { source: 'espeak-ng speech, 8 kHz mu-law via sox', utterances };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Voiced syllables (a 140 Hz buzz with harmonics under a syllable envelope), one per vowel group of the text. */
function synthetic(text: string): Utterance {
  const syllables = Math.max(2, (text.match(/[aeiouy]+/giu) ?? []).length);
  const samplesPer = 8000 * 0.18;
  const gap = 8000 * 0.06;
  const samples: number[] = [];
  for (let s = 0; s < syllables; s++) {
    const pitch = 120 + 40 * Math.sin(s);
    for (let i = 0; i < samplesPer; i++) {
      const envelope = Math.sin((Math.PI * i) / samplesPer);
      let value = 0;
      for (let h = 1; h <= 5; h++) value += Math.sin((2 * Math.PI * pitch * h * i) / 8000) / h;
      samples.push(Math.round(6000 * envelope * value));
    }
    for (let i = 0; i < gap; i++) samples.push(0);
  }
  return { text, audio: Buffer.from(samples.map(linearToMulaw)) };
}

class PhoneCall {
  private ws!: WebSocket;
  private readonly streamSid = `MZ${randomUUID().replaceAll('-', '')}`;
  private readonly callSid = `CA${randomUUID().replaceAll('-', '')}`;
  private readonly started = Date.now();
  private sequence = 0;
  private chunk = 0;
  private mediaMs = 0;
  private caller = Buffer.alloc(0);
  /** What the phone still has to play: audio bytes and marks, in order. */
  private readonly playQueue: ({ bytes: number } | { mark: string })[] = [];
  private readonly received: Received[] = [];
  private readonly echoed: { at: number; name: string }[] = [];
  private runMedia = 0;
  private runBytes = 0;
  private playedBytes = 0;
  private clock: NodeJS.Timeout | undefined;
  private closed: { code: number; reason: string } | undefined;
  private readonly changed = new Set<() => void>();

  constructor(private readonly opts: DemoOptions) {}

  async connect(pipeline: string): Promise<void> {
    this.ws = new WebSocket(`ws://${this.opts.http}/v1/media-streams?pipeline=${encodeURIComponent(pipeline)}`, { headers: { authorization: `Bearer ${this.opts.key}` } });
    await new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`kernel refused the media stream: HTTP ${res.statusCode}`)));
    });
    this.ws.on('error', () => undefined);
    this.ws.on('message', (data) => this.onFrame(data.toString()));
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      clearTimeout(this.clock);
      this.print('  ', `socket closed ${code} ${reason.toString()}`);
      this.notify();
    });
  }

  private print(direction: string, text: string): void {
    this.opts.out(`${String(Date.now() - this.started).padStart(6)} ms  ${direction}  ${text}`);
  }

  private send(frame: Record<string, unknown>, quiet = false): void {
    if (frame['event'] !== 'connected') frame['sequenceNumber'] = String(++this.sequence);
    if (!quiet) this.print('->', describe(frame));
    this.ws.send(JSON.stringify(frame));
  }

  begin(): void {
    this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.send({
      event: 'start',
      start: {
        accountSid: `AC${'0'.repeat(32)}`,
        streamSid: this.streamSid,
        callSid: this.callSid,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters: { demo: 'baton' },
      },
      streamSid: this.streamSid,
    });
    this.tick(Date.now(), 0);
  }

  /** Every 20 ms: one caller frame out (silence when the caller is quiet), 20 ms of Baton's audio played. */
  private tick(origin: number, n: number): void {
    if (this.closed) return;
    const chunk = this.caller.length > 0 ? this.caller.subarray(0, FRAME_BYTES) : SILENCE;
    this.caller = this.caller.subarray(chunk.length);
    this.send(
      {
        event: 'media',
        media: { track: 'inbound', chunk: String(++this.chunk), timestamp: String(this.mediaMs), payload: chunk.toString('base64') },
        streamSid: this.streamSid,
      },
      true,
    );
    this.mediaMs += FRAME_MS;
    this.play(FRAME_BYTES);
    this.notify();
    this.clock = setTimeout(() => this.tick(origin, n + 1), Math.max(0, origin + (n + 1) * FRAME_MS - Date.now()));
  }

  private play(budget: number): void {
    let left = budget;
    while (left > 0 && this.playQueue.length > 0) {
      const head = this.playQueue[0]!;
      if ('mark' in head) break;
      const n = Math.min(left, head.bytes);
      head.bytes -= n;
      left -= n;
      this.playedBytes += n;
      if (head.bytes === 0) this.playQueue.shift();
    }
    this.echoReady();
  }

  private echoReady(): void {
    while (this.playQueue.length > 0 && 'mark' in this.playQueue[0]!) this.echo((this.playQueue.shift() as { mark: string }).mark, 'played');
  }

  private echo(name: string, why: 'played' | 'cleared'): void {
    this.echoed.push({ at: this.received.length, name });
    // Progress marks (every 200 ms) and the echoes of cleared marks are summarized, not printed one by one.
    const shown = why === 'played' && name.endsWith(':end');
    this.send({ event: 'mark', streamSid: this.streamSid, mark: { name } }, !shown);
    if (shown) this.print('  ', `   (the phone played the answer to its end mark)`);
  }

  private onFrame(text: string): void {
    const frame = JSON.parse(text) as { event: string; media?: { payload: string }; mark?: { name: string } };
    if (frame.event === 'media') {
      const bytes = Buffer.from(frame.media!.payload, 'base64').length;
      if (this.runMedia === 0) this.print('<-', 'media  (Baton starts speaking; 20 ms frames of 8 kHz mu-law)');
      this.runMedia += 1;
      this.runBytes += bytes;
      this.received.push({ at: Date.now(), event: 'media', bytes });
      this.playQueue.push({ bytes });
    } else if (frame.event === 'mark') {
      const name = frame.mark!.name;
      this.received.push({ at: Date.now(), event: 'mark', name });
      if (name.endsWith(':end')) {
        this.print('<-', `mark ${name}  after ${this.runMedia} media frames (${this.runBytes / 8} ms), progress marks every 200 ms`);
        this.runMedia = 0;
        this.runBytes = 0;
      }
      this.playQueue.push({ mark: name });
      this.echoReady();
    } else if (frame.event === 'clear') {
      this.received.push({ at: Date.now(), event: 'clear' });
      const buffered = this.playQueue.reduce((n, item) => n + ('bytes' in item ? item.bytes : 0), 0);
      this.print('<-', `clear  the phone drops the ${buffered / 8} ms of the answer it had not played yet`);
      this.runMedia = 0;
      this.runBytes = 0;
      const marks = this.playQueue.filter((item): item is { mark: string } => 'mark' in item).map((item) => item.mark);
      this.playQueue.length = 0;
      for (const name of marks) this.echo(name, 'cleared');
      if (marks.length > 0) this.print('->', `mark x${marks.length}  (Twilio echoes the marks of cleared audio: ${marks.join(', ')})`);
    } else {
      this.print('<-', `unexpected ${text.slice(0, 80)}`);
    }
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.changed]) listener();
  }

  until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const listener = (): void => {
        if (this.closed && !check()) finish(new Error(`the stream closed (${this.closed.code} ${this.closed.reason}) before ${what}`));
        else if (check()) finish();
      };
      const timer = setTimeout(() => finish(new Error(`the kernel did not answer in time (waiting for ${what})`)), timeoutMs);
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        this.changed.delete(listener);
        if (err) reject(err);
        else resolve();
      };
      this.changed.add(listener);
    });
  }

  /** The caller says `utterance`; resolves once its last frame has been sent. */
  async say(utterance: Utterance, note = ''): Promise<void> {
    this.print('->', `media  caller says "${utterance.text}" (${Math.round(utterance.audio.length / 8)} ms${note})`);
    this.caller = Buffer.concat([this.caller, utterance.audio]);
    await this.until(() => this.caller.length === 0, 'the caller finished speaking', 60_000);
  }

  /** Marks echoed so far: a turn's answer is played once an end mark appears past this count. */
  get echoes(): number {
    return this.echoed.length;
  }

  /** Waits until the phone has echoed, as played, an end mark after the first `after` echoes. */
  async answerPlayed(after: number): Promise<string> {
    let name = '';
    await this.until(() => {
      const end = this.echoed.slice(after).find((e) => e.name.endsWith(':end'));
      name = end?.name ?? '';
      return end !== undefined;
    }, 'an answer played to its end mark');
    return name;
  }

  get framesReceived(): number {
    return this.received.length;
  }

  get played(): number {
    return this.playedBytes;
  }

  mediaSince(index: number): number {
    return this.received.slice(index).filter((r) => r.event === 'media').length;
  }

  clearsSince(index: number): number {
    return this.received.slice(index).filter((r) => r.event === 'clear').length;
  }

  /** Index of the first `clear` received at or after `index`, or -1. */
  clearAt(index: number): number {
    const found = this.received.slice(index).findIndex((r) => r.event === 'clear');
    return found < 0 ? -1 : index + found;
  }

  stop(): void {
    this.send({ event: 'stop', stop: { accountSid: `AC${'0'.repeat(32)}`, callSid: this.callSid }, streamSid: this.streamSid });
  }

  async closedWith(): Promise<{ code: number; reason: string }> {
    await this.until(() => this.closed !== undefined, 'the kernel closed the stream', 10_000);
    return this.closed!;
  }

  hangUp(): void {
    clearTimeout(this.clock);
    if (!this.closed) this.ws.terminate();
  }
}

function describe(frame: Record<string, unknown>): string {
  switch (frame['event']) {
    case 'start': {
      const start = frame['start'] as { streamSid: string; mediaFormat: { encoding: string; sampleRate: number; channels: number } };
      const f = start.mediaFormat;
      return `start  streamSid=${start.streamSid} mediaFormat=${f.encoding}/${f.sampleRate}/${f.channels}`;
    }
    case 'mark':
      return `mark ${(frame['mark'] as { name: string }).name}`;
    default:
      return String(frame['event']);
  }
}

export async function runMediaStreamsDemo(opts: DemoOptions & { pipeline?: string }): Promise<string> {
  const { source, utterances } = voice([
    'book a table for two please',
    'what are your opening hours on sunday',
    'tell me about the menu',
    'no wait, stop, I changed my mind',
  ]);
  const [first, second, third, barge] = utterances as [Utterance, Utterance, Utterance, Utterance];
  const call = new PhoneCall(opts);
  await call.connect(opts.pipeline ?? 'demo');
  opts.out(`--- a Twilio-style media stream on /v1/media-streams; the caller's voice is ${source}`);
  try {
    call.begin();
    const played: string[] = [];
    opts.out('--- turn 1: the caller speaks; Baton hears the end of speech and answers; the phone plays it to the end');
    let echoes = call.echoes;
    await call.say(first);
    played.push(await call.answerPlayed(echoes));
    opts.out('--- turn 2: another question, answered and played to the end');
    echoes = call.echoes;
    await call.say(second);
    played.push(await call.answerPlayed(echoes));
    opts.out('--- turn 3: the caller talks over the answer once 400 ms of it have played');
    const mark = call.framesReceived;
    await call.say(third);
    await call.until(() => call.mediaSince(mark) > 0, 'the answer to turn 3');
    const playedAtStart = call.played;
    await call.until(() => call.played - playedAtStart >= 8 * 400, '400 ms of the answer to play');
    const bargeAt = call.framesReceived;
    await call.say(barge, ', over Baton');
    await call.until(() => call.clearsSince(bargeAt) > 0, 'clear');
    const clearAt = call.clearAt(bargeAt);
    const late = call.mediaSince(clearAt);
    opts.out(`             ${late === 0 ? 'no media from Baton between its clear and the end of the caller\'s speech' : `${late} media frames after the clear while the caller spoke`}`);
    opts.out('--- turn 4: what the caller said over turn 3');
    played.push(await call.answerPlayed(call.echoes));
    call.stop();
    const closed = await call.closedWith();
    const summary = `${played.length} answers played to their end mark (${played.join(', ')}), 1 barge-in cleared, stream closed ${closed.code} ${closed.reason}`;
    opts.out(`--- done: ${summary}`);
    return summary;
  } finally {
    call.hangUp();
  }
}
