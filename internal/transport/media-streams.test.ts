// The media-streams mapping end to end on the virtual clock: a Twilio-shaped
// gateway (recorded-shape fixtures for connected/start/media/mark/dtmf/stop)
// drives a MediaStreamsBridge over the real session manager, lanes, turn
// arbiter and mock pipeline of test/support/kernel-sim.ts. A simulated phone
// plays the `media` frames 20 ms at a time and echoes each `mark` when the
// audio before it has played, and all pending marks on `clear`, as Twilio does.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { type AnyEnvelope, decodeBinary } from '../../api/eventabi/index.js';
import { KernelSim } from '../../test/support/kernel-sim.js';
import { linearToMulaw } from '../nodes/builtin/g711.js';
import { decodeRecord } from '../observe/timeline/records.js';
import type { PipelineSpec } from '../plan/types.js';
import type { TimelineSessionRecorder } from '../session/recorder.js';
import type { Session } from '../session/session.js';
import { MediaStreamsBridge, type MediaStreamsTransport, STOP_REASON } from './media-streams-bridge.js';
import { mockPipeline, vadPipeline } from '../../test/support/pipelines.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'media-streams');
const SID = 'MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

/** 20 ms of 8 kHz mu-law: a 300 Hz tone (about -12 dBFS at 8000) or digital silence. */
function tone(amplitude: number): Uint8Array {
  const out = new Uint8Array(160);
  for (let i = 0; i < 160; i++) out[i] = linearToMulaw(Math.round(amplitude * Math.sin((2 * Math.PI * 300 * i) / 8000)));
  return out;
}
const SPEECH = tone(8000);
const SILENCE = tone(0);

type Frame = { event: string; streamSid: string; media?: { payload: string }; mark?: { name: string } };

class FakeTransport implements MediaStreamsTransport {
  readonly frames: Frame[] = [];
  readonly closes: { code: number; reason: string }[] = [];
  open = true;
  paused = false;
  pauses = 0;
  writable = true;
  onClosed: () => void = () => undefined;

  send(text: string): void {
    this.frames.push(JSON.parse(text) as Frame);
  }

  admit(): boolean {
    return true;
  }

  onceWritable(resume: () => void): void {
    queueMicrotask(resume);
  }

  close(code: number, reason: string): void {
    if (!this.open) return;
    this.open = false;
    this.closes.push({ code, reason });
    // The socket's close event follows the close handshake.
    queueMicrotask(() => this.onClosed());
  }

  pause(): void {
    this.paused = true;
    this.pauses += 1;
  }

  resume(): void {
    this.paused = false;
  }
}

/** A Twilio-like gateway for one call: sends frames, plays what comes back, echoes marks. */
class Gateway {
  readonly transport = new FakeTransport();
  readonly bridge: MediaStreamsBridge;
  readonly events: AnyEnvelope[] = [];
  session!: Session;
  private sequence = 0;
  private chunk = 0;
  private ms = 0;
  /** What the phone still has to play: audio bytes and marks, in order. */
  private readonly playQueue: ({ bytes: number } | { mark: string })[] = [];
  private seen = 0;
  played = 0;
  readonly echoed: string[] = [];

  constructor(
    readonly sim: KernelSim,
    pipeline = 'demo',
  ) {
    this.bridge = new MediaStreamsBridge({ tenant: 'dev', pipeline, sessions: sim.manager, transport: this.transport, clock: sim.clock, accepting: () => true });
    this.transport.onClosed = () => this.bridge.transportClosed();
  }

  send(frame: unknown): void {
    this.bridge.receive(Buffer.from(typeof frame === 'string' ? frame : JSON.stringify(frame)), false);
  }

  async begin(): Promise<void> {
    this.send(fixture('connected.json'));
    this.send(fixture('start.json'));
    await this.sim.settle();
    const id = this.bridge.sessionId;
    if (!id) throw new Error(`no session; closes: ${JSON.stringify(this.transport.closes)}`);
    this.session = this.sim.manager.find('dev', id)!;
    this.session.watch((event) => this.events.push(event));
  }

  /** One inbound media frame, numbered as Twilio numbers them (decimal strings). */
  media(audio: Uint8Array, track = 'inbound'): void {
    this.sequence += 1;
    this.chunk += 1;
    this.send({
      event: 'media',
      sequenceNumber: String(this.sequence + 1),
      media: { track, chunk: String(this.chunk), timestamp: String(this.ms), payload: Buffer.from(audio).toString('base64') },
      streamSid: SID,
    });
    this.ms += 20;
  }

  /** 20 ms of the call: the caller's frame goes in, the phone plays 20 ms, virtual time moves on. */
  async step(audio: Uint8Array): Promise<void> {
    this.media(audio);
    this.play(160);
    await this.sim.advance(20);
    this.take();
  }

  async talk(audio: Uint8Array, frames: number): Promise<void> {
    for (let i = 0; i < frames; i++) await this.step(audio);
  }

  async until(check: () => boolean, maxFrames = 1000): Promise<void> {
    for (let i = 0; i < maxFrames && !check(); i++) await this.step(SILENCE);
    expect(check()).toBe(true);
  }

  /** Takes the frames Baton sent since the last look into the phone's queue; clear flushes it and echoes its marks. */
  private take(): void {
    for (; this.seen < this.transport.frames.length; this.seen++) {
      const frame = this.transport.frames[this.seen]!;
      expect(frame.streamSid).toBe(SID);
      if (frame.event === 'media') this.playQueue.push({ bytes: Buffer.from(frame.media!.payload, 'base64').length });
      else if (frame.event === 'mark') this.playQueue.push({ mark: frame.mark!.name });
      else if (frame.event === 'clear') {
        const marks = this.playQueue.filter((item): item is { mark: string } => 'mark' in item);
        this.playQueue.length = 0;
        for (const m of marks) this.echo(m.mark);
      }
    }
    this.echoReady();
  }

  private play(bytes: number): void {
    this.take();
    let left = bytes;
    while (left > 0 && this.playQueue.length > 0) {
      const head = this.playQueue[0]!;
      if ('mark' in head) break;
      const n = Math.min(left, head.bytes);
      head.bytes -= n;
      left -= n;
      this.played += n;
      if (head.bytes === 0) this.playQueue.shift();
    }
    this.echoReady();
  }

  /** Marks with no audio before them have played. */
  private echoReady(): void {
    while (this.playQueue.length > 0 && 'mark' in this.playQueue[0]!) this.echo((this.playQueue.shift() as { mark: string }).mark);
  }

  private echo(name: string): void {
    this.echoed.push(name);
    this.send({ event: 'mark', sequenceNumber: String(++this.sequence + 1), streamSid: SID, mark: { name } });
  }

  out(event: string): Frame[] {
    return this.transport.frames.filter((f) => f.event === event);
  }

  ofTurn(turn_id: string): AnyEnvelope[] {
    return this.events.filter((e) => e.turn_id === turn_id);
  }

  turnKinds(turn_id: string): string[] {
    return this.ofTurn(turn_id)
      .map((e) => e.kind)
      .filter((k) => k.startsWith('turn.') || k === 'output.clear');
  }

  /** The Event ABI events the bridge put into the session, as recorded in its timeline. */
  ingress(): AnyEnvelope[] {
    const recorder = this.session.recorder as TimelineSessionRecorder;
    return recorder.timeline
      .window()
      .filter((r) => r.case === 'ingress')
      .map((r) => {
        const body = decodeRecord(r.bytes).body;
        const decoded = decodeBinary(body.value as Uint8Array);
        if (!decoded.ok) throw new Error(decoded.error.message);
        return decoded.event;
      });
  }
}

const VAD_PIPELINE: PipelineSpec = vadPipeline();

/** Gateway turn detection and an answer of about ten seconds, longer than the reconnect grace. */
const LONG_PIPELINE: PipelineSpec = mockPipeline('long', { llm: { reply: 'a very long answer '.repeat(12).trim() } });

const MANUAL_PIPELINE: PipelineSpec = mockPipeline('manual', {
  turn_detection: 'manual',
  llm: { reply: 'a long answer that keeps the caller listening for several seconds at least' },
});

describe('a call on the media-streams endpoint, on the virtual clock', () => {
  test('start opens a mu-law 8 kHz session on the pipeline; Baton sends nothing until it speaks', async () => {
    const sim = new KernelSim();
    const call = new Gateway(sim);
    await call.begin();
    expect(call.session).toMatchObject({ codec: 'mulaw', sample_rate: 8000 });
    expect(call.session.version.name).toBe('demo');
    expect(call.transport.frames).toEqual([]);
    expect(call.transport.paused).toBe(false);
  });

  test('caller speech then quiet commits a turn: 20 ms media frames, progress and end marks, and the echoed end mark completes playback', async () => {
    const sim = new KernelSim();
    const call = new Gateway(sim);
    await call.begin();
    await call.talk(SPEECH, 40);
    await call.until(() => call.events.some((e) => e.kind === 'turn.closed'));

    expect(call.turnKinds('t-1')).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
    const end = call.ofTurn('t-1').find((e) => e.kind === 'output.end') as Extract<AnyEnvelope, { kind: 'output.end' }>;
    const committed = call.ofTurn('t-1').find((e) => e.kind === 'turn.committed') as Extract<AnyEnvelope, { kind: 'turn.committed' }>;
    expect(end.payload.generated_ms).toBeGreaterThan(500);
    expect(committed.payload).toEqual({ generated_ms: end.payload.generated_ms, played_ms: end.payload.generated_ms });
    expect(call.events.filter((e) => e.kind === 'error')).toEqual([]);

    // What the gateway got: only media and mark frames, every media frame 160 bytes of the turn's audio.
    const media = call.out('media');
    expect(call.transport.frames.every((f) => f.event === 'media' || f.event === 'mark')).toBe(true);
    const sizes = media.map((f) => Buffer.from(f.media!.payload, 'base64').length);
    expect(sizes.every((n) => n === 160)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0) / 8).toBe(end.payload.generated_ms);
    const marks = call.out('mark').map((f) => f.mark!.name);
    expect(marks[marks.length - 1]).toBe('baton:t-1:end');
    expect(marks.slice(0, -1)).toEqual(marks.slice(0, -1).map((_, i) => `baton:t-1:${(i + 1) * 200}`));
    expect(call.echoed).toEqual(marks);

    // What the session got: the bridge's VAD framed the speech; the echoes became playback acks.
    const ingress = call.ingress();
    const kinds = ingress.map((e) => e.kind);
    expect(kinds.indexOf('speech.started')).toBeGreaterThanOrEqual(0);
    const firstLoud = ingress.findIndex((e) => e.kind === 'audio.in' && Buffer.from(e.payload.audio).equals(Buffer.from(SPEECH)));
    expect(kinds.indexOf('speech.started')).toBeLessThan(firstLoud);
    expect(kinds.indexOf('speech.stopped')).toBeGreaterThan(firstLoud);
    const acks = ingress.filter((e) => e.kind === 'playback.mark' || e.kind === 'playback.completed');
    expect(acks.map((e) => [e.kind, e.turn_id, (e.payload as { played_ms: number }).played_ms])).toEqual(
      marks.map((name) => (name.endsWith(':end') ? ['playback.completed', 't-1', end.payload.generated_ms] : ['playback.mark', 't-1', Number(name.split(':')[2])])),
    );
    // Ingress seq is strictly increasing from 1 and every event carries the session's epoch.
    expect(ingress.map((e) => e.seq)).toEqual(ingress.map((_, i) => i + 1));
    expect(new Set(ingress.map((e) => e.epoch))).toEqual(new Set([call.session.epoch]));
    expect(ingress.filter((e) => e.kind === 'audio.in').map((e) => e.media_ms).slice(0, 3)).toEqual([0, 20, 40]);
  });

  test('caller speech while Baton speaks barges in: clear, no more media of that turn, its cleared marks acknowledge nothing, and what the caller said becomes the next turn', async () => {
    const sim = new KernelSim();
    const call = new Gateway(sim);
    await call.begin();
    await call.talk(SPEECH, 30);
    await call.until(() => call.played >= 160 * 15);
    const mediaBefore = call.out('media').length;
    expect(call.out('clear')).toEqual([]);

    await call.talk(SPEECH, 40);
    const clears = call.transport.frames.flatMap((f, i) => (f.event === 'clear' ? [i] : []));
    expect(clears).toHaveLength(1);
    expect(call.transport.frames[clears[0]!]).toEqual({ event: 'clear', streamSid: SID });
    // The caller is still talking: nothing was said after the clear.
    expect(call.transport.frames.slice(clears[0]!).filter((f) => f.event === 'media')).toEqual([]);
    expect(call.out('media').length).toBeGreaterThanOrEqual(mediaBefore);

    expect(call.turnKinds('t-1')).toEqual(['turn.opened', 'turn.active', 'output.clear', 'turn.aborted', 'turn.closed']);
    const aborted = call.ofTurn('t-1').find((e) => e.kind === 'turn.aborted') as Extract<AnyEnvelope, { kind: 'turn.aborted' }>;
    expect(aborted.payload.reason).toBe('cancelled');
    const t1 = call.ofTurn('t-1');
    const clearAt = t1.findIndex((e) => e.kind === 'output.clear');
    expect(t1.slice(clearAt).filter((e) => e.kind === 'audio.out')).toEqual([]);
    // played_ms is what the echoed progress marks acknowledged before the clear, never the cleared audio.
    const acked = call.ingress().filter((e) => e.kind === 'playback.mark' && e.turn_id === 't-1');
    expect(aborted.payload.played_ms).toBe(acked.length > 0 ? (acked[acked.length - 1]!.payload as { played_ms: number }).played_ms : 0);
    expect(call.bridge.stats.unknownMarks).toBeGreaterThan(0);

    await call.until(() => call.ofTurn('t-2').some((e) => e.kind === 'turn.closed'));
    expect(call.turnKinds('t-2')).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
    expect(call.events.filter((e) => e.kind === 'error')).toEqual([]);
    expect(call.out('mark').some((f) => f.mark!.name === 'baton:t-2:end')).toBe(true);
  });

  test('stop ends the session and the kernel closes the stream with 1000', async () => {
    const sim = new KernelSim();
    const call = new Gateway(sim);
    await call.begin();
    await call.talk(SILENCE, 5);
    call.send(fixture('stop.json'));
    // Whatever a gateway sends after stop is not read.
    call.send('not json');
    await sim.settle();
    expect(call.transport.closes).toEqual([{ code: 1000, reason: STOP_REASON }]);
    expect(call.events.map((e) => e.kind)).toContain('session.ended');
    expect(call.session.ended).toBe(true);
    expect(sim.manager.find('dev', call.session.id)).toBeUndefined();
    expect(call.ingress().map((e) => e.kind).slice(-1)).toEqual(['session.end']);
  });

  test('dtmf is recorded in the timeline as a dtmf event; outbound-track media is ignored', async () => {
    const sim = new KernelSim();
    const call = new Gateway(sim);
    await call.begin();
    call.send(fixture('dtmf.json'));
    call.send(fixture('media-outbound.json'));
    await sim.settle();
    const ingress = call.ingress();
    expect(ingress.map((e) => e.kind)).toEqual(['dtmf']);
    expect(ingress[0]!.payload).toEqual({ digit: '1' });
    expect(call.bridge.stats.outboundTrackIgnored).toBe(1);
    expect(call.events.filter((e) => e.kind === 'error')).toEqual([]);
  });

  test('the recorded inbound media fixture goes in as one audio.in at its timestamp', async () => {
    const sim = new KernelSim();
    const call = new Gateway(sim);
    await call.begin();
    call.send(fixture('media-inbound.json'));
    await sim.settle();
    // Under gateway detection the bridge holds the last ~120 ms back while the caller is silent; quiet frames after it push it through.
    await call.talk(SILENCE, 10);
    const first = call.ingress()[0]!;
    expect(first.kind).toBe('audio.in');
    expect(first.media_ms).toBe(5);
    const json = fixture('media-inbound.json') as { media: { payload: string } };
    expect(Buffer.from((first as Extract<AnyEnvelope, { kind: 'audio.in' }>).payload.audio).toString('base64')).toBe(json.media.payload);
  });
});

describe('frames the dialect does not allow', () => {
  async function closedWith(frames: (unknown | Buffer)[]): Promise<{ closes: { code: number; reason: string }[]; sessions: number }> {
    const sim = new KernelSim();
    const call = new Gateway(sim);
    for (const frame of frames) {
      if (Buffer.isBuffer(frame)) call.bridge.receive(frame, true);
      else call.send(frame);
    }
    await sim.settle();
    return { closes: call.transport.closes, sessions: sim.manager.size };
  }

  test.each([
    ['media before start', [fixture('connected.json'), fixture('media-inbound.json')], 1008, /media before start/],
    ['mark before start', [fixture('mark.json')], 1008, /mark before start/],
    ['malformed JSON first', ['{"event": "conn'], 1008, /not JSON/],
    ['an unknown event first', [{ event: 'hello' }], 1008, /unknown event/],
    ['connected twice', [fixture('connected.json'), fixture('connected.json')], 1008, /connected was sent twice/],
    ['a start in another audio format', [{ ...fixture('start.json'), start: { ...(fixture('start.json')['start'] as object), mediaFormat: { encoding: 'audio/x-alaw', sampleRate: 8000, channels: 1 } } }], 1003, /unsupported mediaFormat/],
    ['a binary frame', [Buffer.from([1, 2, 3])], 1003, /binary frames/],
    ['stop before start', [fixture('connected.json'), fixture('stop.json')], 1000, /before it started/],
  ])('%s closes the socket with a clear code and opens no session', async (_name, frames, code, reason) => {
    const { closes, sessions } = await closedWith(frames);
    expect(closes).toHaveLength(1);
    expect(closes[0]!.code).toBe(code);
    expect(closes[0]!.reason).toMatch(reason);
    expect(sessions).toBe(0);
  });

  test('during a call one bad frame is an error in the timeline, not a hang-up; 16 in a row close with 1008', async () => {
    const sim = new KernelSim();
    const call = new Gateway(sim);
    await call.begin();
    call.send('garbage');
    call.send({ event: 'playedStream' });
    call.send({ event: 'media', streamSid: 'MZsomeone-else', media: { payload: 'AAAA' } });
    call.send(fixture('start.json'));
    call.send(fixture('dtmf.json'));
    await sim.settle();
    expect(call.transport.closes).toEqual([]);
    const errors = call.events.filter((e): e is Extract<AnyEnvelope, { kind: 'error' }> => e.kind === 'error');
    expect(errors.map((e) => e.payload.code)).toEqual(['invalid_event', 'invalid_event', 'invalid_event', 'invalid_event']);
    expect(errors.map((e) => e.payload.message)).toEqual([
      expect.stringMatching(/not JSON/),
      expect.stringMatching(/unknown event "playedStream"/),
      expect.stringMatching(/names stream MZsomeone-else/),
      expect.stringMatching(/start may only be sent once/),
    ]);
    expect(call.ingress().map((e) => e.kind)).toEqual(['dtmf']);
    for (let i = 0; i < 15; i++) call.send('garbage');
    expect(call.transport.closes).toEqual([]);
    call.send('garbage');
    expect(call.transport.closes).toEqual([{ code: 1008, reason: expect.stringMatching(/16 consecutive invalid frames/) }]);
  });

  test("the session's own ingress gate checks what the bridge builds: a media payload over max_audio_frame_ms is frame_too_large and the call goes on", async () => {
    const sim = new KernelSim();
    const call = new Gateway(sim);
    await call.begin();
    const long = Buffer.concat(Array.from({ length: 60 }, () => SPEECH));
    call.media(long);
    await sim.settle();
    const errors = call.events.filter((e): e is Extract<AnyEnvelope, { kind: 'error' }> => e.kind === 'error');
    expect(errors.map((e) => e.payload.code)).toEqual(['frame_too_large']);
    expect(errors[0]!.payload.message).toMatch(/1200 ms exceeds 1000 ms of mulaw\/8000/);
    expect(call.bridge.stats.invalidFrames).toBe(0);
    expect(call.transport.closes).toEqual([]);
    // The VAD still heard speech start; the rejected audio did not advance the ingress seq.
    const ingress = call.ingress();
    expect(ingress.map((e) => e.kind)).toEqual(['speech.started']);
    call.send(fixture('dtmf.json'));
    await sim.settle();
    expect(call.ingress().map((e) => e.seq)).toEqual([1, 2]);
  });

  test('well-formed frames that do not belong in the call count as invalid too: 16 repeated starts close with 1008', async () => {
    const sim = new KernelSim();
    const call = new Gateway(sim);
    await call.begin();
    for (let i = 0; i < 15; i++) call.send(i % 2 === 0 ? fixture('start.json') : { ...fixture('dtmf.json'), streamSid: 'MZother' });
    expect(call.transport.closes).toEqual([]);
    call.send(fixture('connected.json'));
    expect(call.transport.closes).toEqual([{ code: 1008, reason: expect.stringMatching(/16 consecutive invalid frames; last: connected may only be sent once/) }]);
    expect(call.ingress()).toEqual([]);
  });

  test('a session the kernel cannot open closes the stream: admission refusal with 1013, a pipeline that went away with 1008', async () => {
    const full = new KernelSim({ limits: { max_sessions: 1 } });
    await new Gateway(full).begin();
    const refused = new Gateway(full);
    refused.send(fixture('start.json'));
    await full.settle();
    expect(refused.transport.closes).toEqual([{ code: 1013, reason: expect.stringMatching(/session refused/) }]);

    const sim = new KernelSim();
    const missing = new Gateway(sim, 'no-such-pipeline');
    missing.send(fixture('start.json'));
    await sim.settle();
    expect(missing.transport.closes).toEqual([{ code: 1008, reason: 'no pipeline "no-such-pipeline"' }]);
  });
});

describe('turn detection follows the pipeline', () => {
  test('node detection: the session runs its own VAD on the audio; the bridge adds no speech events', async () => {
    const sim = new KernelSim({ pipelines: [VAD_PIPELINE] });
    const call = new Gateway(sim, 'vad-demo');
    await call.begin();
    await call.talk(SPEECH, 30);
    await call.until(() => call.events.some((e) => e.kind === 'turn.closed'));
    expect(call.turnKinds('t-1')).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
    const kinds = new Set(call.ingress().map((e) => e.kind));
    expect(kinds.has('speech.started') || kinds.has('speech.stopped')).toBe(false);
    expect(kinds.has('audio.in')).toBe(true);
  });

  test("gateway detection: the bridge's VAD takes the pipeline's vad_energy settings, and the defaults when the plan's settings are invalid", async () => {
    const gatewayVad = (name: string, config: Record<string, string>): PipelineSpec => ({
      ...VAD_PIPELINE,
      name,
      turn_detection: 'gateway',
      nodes: VAD_PIPELINE.nodes.map((n) => (n.id === 'vad' ? { ...n, config } : n)),
    });
    const heard = async (pipeline: PipelineSpec): Promise<string[]> => {
      const call = new Gateway(new KernelSim({ pipelines: [pipeline] }), pipeline.name);
      await call.begin();
      await call.talk(SPEECH, 30);
      return call.ingress().map((e) => e.kind).filter((k) => k.startsWith('speech.'));
    };
    // The caller's tone is about -12 dBFS: below a -5 dB threshold, above the default -45.
    expect(await heard(gatewayVad('deaf', { threshold_db: '-5' }))).toEqual([]);
    expect(await heard(gatewayVad('invalid', { threshold_db: 'loud' }))).toEqual(['speech.started']);
  });

  test('manual detection: caller speech proposes nothing, but it still barges in on a turn proposed over the control plane', async () => {
    const sim = new KernelSim({ pipelines: [MANUAL_PIPELINE] });
    const call = new Gateway(sim, 'manual');
    await call.begin();
    await call.talk(SPEECH, 30);
    await call.talk(SILENCE, 40);
    expect(call.events.filter((e) => e.kind === 'turn.opened')).toEqual([]);
    expect(call.ingress().map((e) => e.kind)).toContain('speech.stopped');

    expect(call.session.propose('grpc', call.session.epoch, 'hello').outcome).toBe('opened');
    await call.until(() => call.played >= 160 * 10);
    await call.talk(SPEECH, 15);
    expect(call.out('clear')).toHaveLength(1);
    expect(call.turnKinds('t-1')).toEqual(['turn.opened', 'turn.active', 'output.clear', 'turn.aborted', 'turn.closed']);
  });
});

describe('flow into the session', () => {
  test('a full Data lane pauses reading the socket; held frames go in order once the lane drains, and none is lost', async () => {
    const sim = new KernelSim({
      pipelines: [
        mockPipeline('tight', { lanes: [{ lane: 'data', capacity: 4, overflow: 'block', max_block_ms: 10_000 }] }),
      ],
    });
    const call = new Gateway(sim, 'tight');
    await call.begin();
    // Loud frames pass the VAD at once (speaking after the first 100 ms); send 20 without letting the scheduler run.
    for (let i = 0; i < 20; i++) call.media(SPEECH);
    expect(call.transport.paused).toBe(true);
    expect(call.transport.closes).toEqual([]);
    for (let i = 0; i < 20; i++) {
      await sim.settle();
      sim.clock.advance(2);
    }
    await sim.settle();
    expect(call.transport.paused).toBe(false);
    // The timeline records an event each time it is offered (a blocked offer included), so count distinct seqs.
    const audio = [...new Map(call.ingress().filter((e) => e.kind === 'audio.in').map((e) => [e.seq, e])).values()];
    expect(audio).toHaveLength(20);
    expect(audio.map((e) => e.media_ms)).toEqual(audio.map((_, i) => i * 20));
    expect(call.events.filter((e) => e.kind === 'drop.notice' || e.kind === 'error')).toEqual([]);
  });

  test('more than 64 frames while the session cannot take them close the stream with 1013', async () => {
    const sim = new KernelSim({
      pipelines: [
        {
          name: 'tight',
          lanes: [{ lane: 'data', capacity: 4, overflow: 'block', max_block_ms: 10_000 }],
          nodes: [{ id: 'stt', kind: 'stt', builtin: 'mock_stt' }],
          edges: [],
        },
      ],
    });
    const call = new Gateway(sim, 'tight');
    await call.begin();
    for (let i = 0; i < 100; i++) call.media(SPEECH);
    expect(call.transport.closes).toEqual([{ code: 1013, reason: expect.stringMatching(/faster than the session could take them/) }]);
  });

  test('a socket that goes away mid-turn leaves the session to its reconnect grace: the turn aborts transport_lost', async () => {
    const sim = new KernelSim({ pipelines: [LONG_PIPELINE] });
    const call = new Gateway(sim, 'long');
    await call.begin();
    await call.talk(SPEECH, 30);
    await call.until(() => call.out('media').length > 0);
    call.bridge.transportClosed();
    await sim.advance(call.session.plan.budgets.reconnect_grace_ms + 100, 50);
    const aborted = call.ofTurn('t-1').find((e) => e.kind === 'turn.aborted') as Extract<AnyEnvelope, { kind: 'turn.aborted' }>;
    expect(aborted.payload.reason).toBe('transport_lost');
    expect(call.session.ended).toBe(false);
  });
});
