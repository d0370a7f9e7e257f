import { describe, expect, test, vi } from 'vitest';
import { KernelSim } from '../support/kernel-sim.js';
import { mockPipeline, vadPipeline } from '../support/pipelines.js';

describe('a turn end to end on the virtual clock', () => {
  test('typed text then turn.request commits after playback.completed', async () => {
    const sim = new KernelSim();
    const s = await sim.open();
    expect(s.kinds()).toEqual(['session.started']);
    s.send('text.in', { text: 'hello baton' });
    s.send('turn.request', {});
    await sim.settle();
    const opened = s.last('turn.opened')!;
    expect(opened).toBeDefined();
    await sim.advance(3000);
    const end = s.last('output.end')!;
    expect(end).toBeDefined();
    s.send('playback.completed', { played_ms: end.payload.generated_ms }, { turn_id: opened.turn_id });
    await sim.settle();
    const turnKinds = s.ofTurn(opened.turn_id).map((e) => e.kind).filter((k) => k.startsWith('turn.'));
    expect(turnKinds).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
    console.log(s.kinds().join(' '));
  });
});

function tone(amplitude: number): Buffer {
  const frame = Buffer.alloc(640);
  for (let i = 0; i < 320; i++) frame.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * 300 * i) / 16000)), i * 2);
  return frame;
}

describe('turn detection and barge-in', () => {
  test('node turn detection: the VAD proposes the turn when the caller stops talking', async () => {
    const sim = new KernelSim({
      pipelines: [vadPipeline()],
    });
    const s = await sim.open('vad-demo');
    for (let i = 0; i < 25; i++) s.send('audio.in', { audio: tone(10000) });
    await sim.settle();
    expect(s.kinds()).not.toContain('turn.opened');
    for (let i = 0; i < 40; i++) s.send('audio.in', { audio: tone(0) });
    await sim.settle();
    expect(s.kinds()).toContain('turn.opened');
    expect(s.out.find((e) => e.kind === 'transcript' && e.payload.role === 'user')).toBeDefined();
  });

  test('confirmed barge-in: a short backchannel pauses output and resumes it without cancelling', async () => {
    const sim = new KernelSim({
      pipelines: [mockPipeline('confirmed', { barge_in: { mode: 'confirmed', min_speech_ms: 300 } })],
    });
    const s = await sim.open('confirmed');
    s.send('turn.request', { text: 'tell me a long story about the sea and the lighthouse keeper' });
    await sim.advance(100);
    const turn = s.last('turn.opened')!.turn_id;
    s.send('speech.started', {});
    await sim.advance(100);
    s.send('speech.stopped', {});
    await sim.advance(100);
    expect(s.kinds()).not.toContain('output.clear');
    s.send('speech.started', {});
    await sim.advance(400);
    const kinds = s.ofTurn(turn).map((e) => e.kind);
    expect(kinds).toContain('output.clear');
    expect(s.ofTurn(turn).find((e) => e.kind === 'turn.aborted')?.payload).toMatchObject({ reason: 'cancelled' });
  });

  test('a turn with no stream attached aborts transport_lost after the reconnect grace', async () => {
    const sim = new KernelSim();
    const s = await sim.open();
    s.send('turn.request', { text: 'a long answer please about many things' });
    await sim.advance(40);
    const turn = s.last('turn.opened')!.turn_id;
    s.session.detach(s.sink);
    await sim.advance(4900, 100);
    expect(s.session.snapshot().active_turn?.turn_id).toBe(turn);
    await sim.advance(200, 100);
    expect(s.session.snapshot().active_turn).toBeUndefined();
    expect(s.session.ended).toBe(false);
  });

  test('acks naming unknown or closed turns, and impossible played_ms, get typed errors and change nothing', async () => {
    const sim = new KernelSim();
    const s = await sim.open();
    s.send('playback.mark', { played_ms: 10 }, { turn_id: 't-9' });
    s.send('turn.request', { text: 'hi' });
    await sim.advance(100);
    const turn = s.last('turn.opened')!.turn_id;
    s.send('playback.mark', { played_ms: 999_999 }, { turn_id: turn });
    s.send('cancel', { scope: 'turn', reason: 'x' }, { turn_id: turn });
    s.send('cancel', { scope: 'turn', reason: 'x' }, { turn_id: turn });
    s.send('playback.completed', { played_ms: 0 }, { turn_id: turn });
    const errors = s.out.filter((e) => e.kind === 'error').map((e) => (e.payload as { code: string }).code);
    expect(errors).toEqual(['not_found', 'invalid_payload', 'turn_closed', 'turn_closed']);
    expect(s.ofTurn(turn).filter((e) => e.kind === 'turn.aborted')).toHaveLength(1);
  });
});

describe('lane pressure', () => {
  test('a run of dropped audio is announced as one drop.notice with its seq range, and each drop is recorded', async () => {
    const sim = new KernelSim();
    const s = await sim.open();
    // 300 frames arrive before the scheduler runs: the 256-deep Data lane drops the oldest 44.
    for (let seq = 1; seq <= 300; seq++) {
      const { result } = s.send('audio.in', { audio: Buffer.alloc(640) }, { deliver: false });
      if (!result.ok) throw new Error(result.error.message);
    }
    sim.scheduler.drainSync();
    const notices = s.out.filter((e) => e.kind === 'drop.notice');
    expect(notices.map((e) => e.payload)).toEqual([
      { lane: 'data', direction: 'ingress', seq_from: 1, seq_to: 44, reason: 'overflow_drop_oldest' },
    ]);
    expect(s.kinds()).toContain('flow.xoff');
  });

  test('the timeline records a protobuf frame exactly as it arrived, and a JSON frame as its canonical protobuf; both decode to the event', async () => {
    const sim = new KernelSim();
    const s = await sim.open();
    const { anyEnvelope, decodeBinary, encodeBinary, encodeJson } = await import('../../api/eventabi/index.js');
    const { decodeRecord } = await import('../../internal/observe/timeline/records.js');
    const event = (seq: number) => anyEnvelope('audio.in', { audio: Buffer.alloc(640, seq) }, { id: `g${seq}`, session_id: s.id, epoch: s.session.epoch, seq });
    const proto = encodeBinary(event(1));
    const viaProto = s.session.admit(proto, 'proto');
    if (!viaProto.ok) throw new Error(viaProto.error.message);
    expect(viaProto.raw).toBe(proto);
    s.session.ingest(viaProto.event, viaProto.raw);
    const viaJson = s.session.admit(encodeJson(event(2)) as string, 'json');
    if (!viaJson.ok) throw new Error(viaJson.error.message);
    expect(viaJson.raw).toBeUndefined();
    s.session.ingest(viaJson.event, viaJson.raw);
    const timeline = (s.session.recorder as unknown as { timeline: { window(): readonly { bytes: Uint8Array }[] } }).timeline;
    const ingress = timeline
      .window()
      .map((r) => decodeRecord(r.bytes).body)
      .filter((b) => b.case === 'ingress')
      .map((b) => b.value as Uint8Array);
    expect(ingress).toHaveLength(2);
    expect(Buffer.from(ingress[0]!).equals(Buffer.from(proto))).toBe(true);
    expect(Buffer.from(ingress[1]!).equals(Buffer.from(encodeBinary(viaJson.event)))).toBe(true);
    for (const [i, bytes] of ingress.entries()) {
      const decoded = decodeBinary(bytes);
      expect(decoded.ok && decoded.event.seq).toBe(i + 1);
    }
  });

  test('an event refused by a full Control lane and offered again is recorded in the timeline once', async () => {
    const sim = new KernelSim();
    const s = await sim.open();
    const { anyEnvelope, encodeBinary } = await import('../../api/eventabi/index.js');
    const recorded: number[] = [];
    const recorder = s.session.recorder;
    const original = recorder.ingress.bind(recorder);
    recorder.ingress = (event) => {
      recorded.push(event.seq);
      return original(event);
    };
    const admit = (seq: number) => {
      const frame = encodeBinary(anyEnvelope('dtmf', { digit: '1' }, { id: `g${seq}`, session_id: s.id, epoch: s.session.epoch, seq }));
      const admitted = s.session.admit(frame, 'proto');
      if (!admitted.ok) throw new Error(admitted.error.message);
      return admitted.event;
    };
    // The scheduler does not run: the 64-deep Control lane fills and the 65th event is refused (blocked).
    for (let seq = 1; seq <= 64; seq++) expect(s.session.ingest(admit(seq)).status).toBe('accepted');
    const refused = admit(65);
    expect(s.session.ingest(refused).status).toBe('blocked');
    expect(s.session.ingest(refused).status).toBe('blocked');
    sim.scheduler.drainSync();
    expect(s.session.ingest(refused).status).toBe('accepted');
    expect(recorded.filter((seq) => seq === 65)).toEqual([65]);
    expect(recorded).toHaveLength(65);
  });

  test('a drop.notice range never spans an event that was kept: a turn.request inside a run of drops splits it', async () => {
    const sim = new KernelSim();
    const s = await sim.open();
    for (let seq = 1; seq <= 300; seq++) {
      const { result } = seq === 20 ? s.send('turn.request', { text: 'hello' }, { deliver: false }) : s.send('audio.in', { audio: Buffer.alloc(640) }, { deliver: false });
      if (!result.ok) throw new Error(result.error.message);
    }
    sim.scheduler.drainSync();
    const notices = s.out.filter((e) => e.kind === 'drop.notice');
    // 299 audio frames into a 256-deep lane: 43 dropped, the oldest first, around the kept proposal at seq 20.
    expect(notices.map((e) => e.payload)).toEqual([
      { lane: 'data', direction: 'ingress', seq_from: 1, seq_to: 19, reason: 'overflow_drop_oldest' },
      { lane: 'data', direction: 'ingress', seq_from: 21, seq_to: 44, reason: 'overflow_drop_oldest' },
    ]);
    expect(s.kinds()).toContain('turn.opened');
  });
});

describe('evidence', () => {
  test('a turn whose frozen plan cannot be recorded aborts evidence_unavailable and runs no node', async () => {
    const sim = new KernelSim();
    const s = await sim.open();
    vi.spyOn(s.session.recorder, 'planFrozen').mockReturnValue(false);
    s.send('turn.request', { text: 'hello' });
    await sim.advance(500);
    const turn = s.last('turn.opened')!.turn_id;
    expect(s.ofTurn(turn).map((e) => e.kind)).toEqual(['turn.opened', 'turn.aborted', 'turn.closed']);
    expect(s.last('turn.aborted')!.payload.reason).toBe('evidence_unavailable');
    expect(s.kinds()).not.toContain('transcript');
  });
});
