// In-process kernel benches on the real modules: turn-open decision latency
// (pre-turn gate + plan freeze + actor start) and cancel-to-fence latency with
// 500 streaming sessions, on the virtual clock. Baseline: the same-run cost of
// encoding one egress envelope (the floor of any decision that speaks).
import { anyEnvelope, encodeBinary } from '../../api/eventabi/index.js';
import { KernelSim, type SimSession } from '../support/kernel-sim.js';
import { report, rssMiB, summarize } from './stats.js';

async function openMany(sim: KernelSim, n: number): Promise<SimSession[]> {
  const sessions: SimSession[] = [];
  for (let i = 0; i < n; i++) sessions.push(await sim.open());
  return sessions;
}

/** Reads the wall clock the moment a gateway sink is handed an event of `kind`: where a measured decision ends. */
function stampWrites(sessions: readonly SimSession[], kind: string, stamp: (at: number) => void): void {
  for (const s of sessions) {
    const write = s.sink.write;
    (s.sink as { write: typeof write }).write = (frame, event) => {
      if (event.kind === kind) stamp(performance.now());
      write(frame, event);
    };
  }
}

function encodeBaselineUs(): number[] {
  const samples: number[] = [];
  const event = anyEnvelope('turn.opened', { plan_hash: 'a'.repeat(64), seed: 42 }, { id: 'k1', session_id: 's-1', turn_id: 't-1', epoch: 1, seq: 1 });
  for (let i = 0; i < 20_000; i++) {
    const t = performance.now();
    encodeBinary(event);
    samples.push((performance.now() - t) * 1000);
  }
  return samples;
}

export async function runTurnOpenBench(): Promise<void> {
  const sim = new KernelSim({ timelineMemoryRecords: 64 });
  const sessions = await openMany(sim, 100);
  const samples: number[] = [];
  // The decision ends when turn.opened has been written to the gateway sink.
  let openedAt = 0;
  stampWrites(sessions, 'turn.opened', (at) => (openedAt = at));
  for (let round = 0; round < 60; round++) {
    for (const s of sessions) {
      const start = performance.now();
      const decision = s.session.propose('grpc', s.session.epoch, 'what is the weather');
      const elapsed = openedAt - start;
      if (decision.outcome !== 'opened') throw new Error(`turn-open bench: expected opened, got ${decision.outcome} (${decision.reason})`);
      if (round > 4) samples.push(elapsed * 1000);
      s.session.cancel('turn', decision.turn_id, 'bench');
      s.out.length = 0;
      s.frames.length = 0;
    }
    await sim.settle();
  }
  const ours = summarize(samples);
  const floor = summarize(encodeBaselineUs());
  report('turn_open_decision', { turns: ours.n, p50_us: ours.p50, p99_us: ours.p99, target_p99_us: 500, baseline: 'encode_one_envelope', baseline_p50_us: floor.p50 });
}

export async function runCancelToFenceVirtualBench(sessionsCount = 500): Promise<void> {
  const sim = new KernelSim({ timelineMemoryRecords: 64 });
  const sessions = await openMany(sim, sessionsCount);
  const audio = Buffer.alloc(640, 1);
  const startTurn = (s: SimSession): void => {
    s.send('turn.request', { text: 'tell me a long story about the sea and the lighthouse keeper and the storm' });
  };
  for (const s of sessions) startTurn(s);
  await sim.settle();
  const samples: number[] = [];
  let lateAudio = 0;
  let clearedAt = 0;
  stampWrites(sessions, 'output.clear', (at) => (clearedAt = at));
  for (let step = 0; step < 400; step++) {
    sim.clock.advance(20);
    for (const s of sessions) s.send('audio.in', { audio });
    await sim.settle();
    // Cancel a few sessions per step while every other session keeps streaming.
    for (let k = 0; k < 3; k++) {
      const s = sessions[(step * 3 + k) % sessions.length]!;
      const turn = s.session.snapshot().active_turn;
      if (!turn) {
        startTurn(s);
        continue;
      }
      const before = s.out.length;
      const start = performance.now();
      s.send('cancel', { scope: 'turn', reason: 'barge_in' }, { turn_id: turn.turn_id });
      const elapsed = clearedAt - start;
      const clearAt = s.out.findIndex((e, i) => i >= before && e.kind === 'output.clear');
      if (clearAt < 0) throw new Error('cancel-to-fence bench: no output.clear');
      samples.push(elapsed * 1000);
      const turnId = turn.turn_id;
      // Checked after the next steps: nothing of the cancelled turn's Data may follow output.clear.
      s.out.splice(0, before);
      queueMicrotask(() => {
        lateAudio += s.out.filter((e) => e.turn_id === turnId && e.kind === 'audio.out').length;
      });
    }
    for (const s of sessions) {
      if (s.out.length > 200) s.out.splice(0, s.out.length - 50);
      s.frames.length = 0;
    }
  }
  const ours = summarize(samples);
  report('cancel_to_fence_virtual', {
    sessions: sessionsCount,
    cancels: ours.n,
    p50_us: ours.p50,
    p99_us: ours.p99,
    target_p99_ms: 5,
    late_audio_after_clear: lateAudio,
    rss_mib: rssMiB(),
  });
}
