// One million turns on the virtual clock: the fence registry, the session
// table, the timeline window, lanes and timers stay flat. Turns go through
// the real kernel path (pre-turn gate, plan freeze, arbiter actor, egress,
// fence, timeline) with a node host that finishes at once, so the count of
// turns, not node work, is what is exercised.
import { describe, expect, test } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { TimelineSessionRecorder } from '../../internal/session/recorder.js';
import { InstantNodeHost } from '../support/instant-host.js';
import { KernelSim, type SimSession } from '../support/kernel-sim.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const TURNS = 1_000_000;
const SESSIONS = 8;
const WINDOW = 256;

interface Sample {
  turns: number;
  heapMiB: number;
  fenceEntries: number;
  sessions: number;
  timelineWindow: number;
  pendingTimers: number;
  laneDepth: number;
}

function sample(sim: KernelSim, sessions: SimSession[], turns: number): Sample {
  gc();
  return {
    turns,
    heapMiB: process.memoryUsage().heapUsed / (1024 * 1024),
    fenceEntries: sessions.reduce((n, s) => n + s.session.snapshot().fence.entries, 0),
    sessions: sim.manager.size,
    timelineWindow: Math.max(...sessions.map((s) => (s.session.recorder as TimelineSessionRecorder).timeline.window().length)),
    pendingTimers: sim.clock.pending,
    laneDepth: sessions.reduce((n, s) => n + s.session.lanes.totalDepth, 0),
  };
}

describe('a million turns', () => {
  test('keep the fence registry, session table, timeline window, lanes and timers flat', async () => {
    const host = new InstantNodeHost();
    const sim = new KernelSim({ host, timelineMemoryRecords: WINDOW });
    const sessions: SimSession[] = [];
    for (let i = 0; i < SESSIONS; i++) sessions.push(await sim.open());
    const samples: Sample[] = [];
    let committed = 0;
    let cancelled = 0;
    for (let i = 0; i < TURNS; i++) {
      const s = sessions[i % SESSIONS]!;
      const decision = s.session.propose('grpc', s.session.epoch);
      if (decision.outcome !== 'opened') throw new Error(`turn ${i}: ${decision.outcome} ${decision.reason}`);
      // Half the turns commit on playback.completed, half are cancelled (each leaves a fence entry).
      if (i % 2 === 0) {
        s.send('playback.completed', { played_ms: 0 }, { turn_id: decision.turn_id });
        committed++;
      } else {
        const result = s.session.cancel('turn', decision.turn_id, 'barge_in');
        if (!result.ok || !result.fenced) throw new Error(`turn ${i}: cancel failed`);
        cancelled++;
      }
      if (s.session.snapshot().active_turn) throw new Error(`turn ${i} did not close`);
      s.out.length = 0;
      s.frames.length = 0;
      // Each turn takes 40 ms of virtual time, so timers and fence tails expire as in a real call.
      if (i % SESSIONS === SESSIONS - 1) sim.clock.advance(40);
      // Let lease renewals (promises) complete: 200 turns are 1 s of virtual time, renewals come every 5 s.
      if (i % 200 === 0) await sim.settle();
      if (i > 0 && i % 200_000 === 0) samples.push(sample(sim, sessions, i));
    }
    await sim.settle();
    samples.push(sample(sim, sessions, TURNS));
    console.log(samples.map((x) => JSON.stringify(x)).join('\n'));

    expect(committed + cancelled).toBe(TURNS);
    expect(host.runs).toBe(TURNS);
    const first = samples[0]!;
    for (const x of samples) {
      // Fence entries live only for turns closed within the 5 s tail.
      expect(x.fenceEntries).toBeLessThanOrEqual(SESSIONS * 70);
      expect(x.sessions).toBe(SESSIONS);
      expect(x.timelineWindow).toBeLessThanOrEqual(WINDOW);
      expect(x.pendingTimers).toBeLessThanOrEqual(SESSIONS * 4);
      expect(x.laneDepth).toBe(0);
      // The heap after 1M turns stays within a few MiB of the heap after 200k.
      expect(x.heapMiB - first.heapMiB).toBeLessThan(4);
    }
  }, 600_000);
});
