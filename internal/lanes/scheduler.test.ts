import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LANES, type Lane } from '../../api/eventabi/kinds.js';
import { DEFAULT_LANE_POLICIES, type LanePolicy } from './policy.js';
import { LaneScheduler, type LaneSchedulerOptions, type SchedulableSession } from './scheduler.js';
import { type LaneItem, SessionLanes } from './session-lanes.js';

interface Item extends LaneItem {
  readonly session: number;
}

/** Counts depth reads, the scheduler's only way to look into a session. */
class CountingLanes extends SessionLanes<Item> {
  static reads = 0;
  override depth(lane: Lane): number {
    CountingLanes.reads++;
    return super.depth(lane);
  }
}

function policies(capacity: number): Record<Lane, LanePolicy> {
  return {
    control: { ...DEFAULT_LANE_POLICIES.control, capacity },
    data: { ...DEFAULT_LANE_POLICIES.data, capacity },
    telemetry: { ...DEFAULT_LANE_POLICIES.telemetry, capacity },
  };
}

class TestSession implements SchedulableSession<Item> {
  readonly lanes: SessionLanes<Item>;
  private seq = 0;

  /** Seqs dropped by overflow, for accounting. */
  readonly dropped: number[] = [];

  constructor(
    readonly id: number,
    private readonly onDeliver: (session: TestSession, item: Item) => void,
    capacity = 64,
  ) {
    this.lanes = new CountingLanes(policies(capacity), {
      onAction: (a) => {
        if (a.type === 'drop') for (let seq = a.seq_from; seq <= a.seq_to; seq++) this.dropped.push(seq);
      },
    });
  }

  offer(lane: Lane, kind = `${lane}.x`, barrier = false): { item: Item; queued: boolean } {
    const item: Item = { lane, seq: ++this.seq, kind, barrier, session: this.id };
    return { item, queued: this.lanes.offer(item).status === 'queued' };
  }

  deliver(item: Item): void {
    this.onDeliver(this, item);
  }
}

function world(n: number, opts: LaneSchedulerOptions = {}, capacity = 64) {
  const log: Item[] = [];
  const reactions: ((s: TestSession, item: Item) => void)[] = [];
  // Time stands still unless a test moves it, so no slice ends on the machine's speed.
  const scheduler = new LaneScheduler<Item>({ now: () => 0, ...opts });
  const sessions = Array.from({ length: n }, (_, id) => {
    const s = new TestSession(
      id,
      (session, item) => {
        log.push(item);
        for (const react of reactions) react(session, item);
      },
      capacity,
    );
    scheduler.add(s);
    return s;
  });
  const label = (i: Item) => `${i.session}:${i.lane[0]}${i.seq}`;
  return { scheduler, sessions, log, reactions, labels: () => log.map(label) };
}

/** A schedule that never runs anything by itself: the test decides when scheduled runs happen. */
function manualSchedule() {
  const runs: (() => void)[] = [];
  return { runs, schedule: (run: () => void) => void runs.push(run) };
}

describe('lane scheduler: examples', () => {
  test('control of every session is delivered before any session data, and data before telemetry', () => {
    const w = world(3, { schedule: manualSchedule().schedule });
    for (const s of w.sessions) {
      s.offer('telemetry');
      s.offer('data');
      s.offer('control');
      w.scheduler.notify(s);
    }
    w.scheduler.drainSync();
    expect(w.log.map((i) => i.lane)).toEqual(['control', 'control', 'control', 'data', 'data', 'data', 'telemetry', 'telemetry', 'telemetry']);
  });

  test('a proposal drains lower-seq data of its own session at control priority', () => {
    const w = world(2, { schedule: manualSchedule().schedule });
    const [a, b] = w.sessions as [TestSession, TestSession];
    b.offer('data');
    a.offer('data');
    a.offer('data');
    a.offer('control', 'turn.request', true);
    a.offer('data');
    w.scheduler.notify(b);
    w.scheduler.notify(a);
    w.scheduler.drainSync();
    expect(w.labels()).toEqual(['0:d1', '0:d2', '0:c3', '1:d1', '0:d4']);
  });

  test('cancel enqueued by a delivery preempts data already being served', () => {
    const w = world(2, { quantum: 8, schedule: manualSchedule().schedule });
    const [a, b] = w.sessions as [TestSession, TestSession];
    for (let i = 0; i < 4; i++) a.offer('data');
    w.reactions.push((s, item) => {
      if (s === a && item.seq === 1) {
        b.offer('control', 'cancel');
        w.scheduler.notify(b);
      }
    });
    w.scheduler.notify(a);
    w.scheduler.drainSync();
    expect(w.labels()).toEqual(['0:d1', '1:c1', '0:d2', '0:d3', '0:d4']);
  });

  test('a session that gets more work during its visit rejoins behind sessions that got work meanwhile', () => {
    const w = world(2, { quantum: 2, schedule: manualSchedule().schedule });
    const [a, b] = w.sessions as [TestSession, TestSession];
    for (let i = 0; i < 4; i++) b.offer('data');
    w.reactions.push((s, item) => {
      if (s === b && item.seq === 1) {
        b.offer('data');
        w.scheduler.notify(b);
        a.offer('data');
        w.scheduler.notify(a);
      }
    });
    w.scheduler.notify(b);
    w.scheduler.drainSync();
    expect(w.labels()).toEqual(['1:d1', '1:d2', '0:d1', '1:d3', '1:d4', '1:d5']);
  });

  test('work a session queues without notify still comes out in lane order', () => {
    for (const [low, high] of [
      ['telemetry', 'control'],
      ['telemetry', 'data'],
      ['data', 'control'],
    ] as const) {
      const w = world(1, { quantum: 8, schedule: manualSchedule().schedule });
      const [a] = w.sessions as [TestSession];
      a.offer(low);
      a.offer(low);
      w.reactions.push((_, item) => {
        if (item.seq === 1) a.offer(high);
      });
      w.scheduler.notify(a);
      w.scheduler.drainSync();
      expect(w.labels()).toEqual([`0:${low[0]}1`, `0:${high[0]}3`, `0:${low[0]}2`]);
    }
  });

  test('a session with 10,000 queued data items cannot starve another', () => {
    const w = world(2, { quantum: 8, schedule: manualSchedule().schedule }, 10_000);
    const [a, b] = w.sessions as [TestSession, TestSession];
    for (let i = 0; i < 10_000; i++) a.offer('data');
    w.scheduler.notify(a);
    for (let i = 0; i < 3; i++) b.offer('data');
    w.scheduler.notify(b);
    w.scheduler.drainSync();
    const positions = w.log.flatMap((item, i) => (item.session === 1 ? [i] : []));
    expect(positions).toEqual([8, 9, 10]);
    expect(w.log).toHaveLength(10_003);
  });

  test('round-robin over 10,000 sessions reads each session a bounded number of times', () => {
    const w = world(10_000, { quantum: 2, schedule: manualSchedule().schedule }, 4);
    CountingLanes.reads = 0;
    for (const s of w.sessions) {
      for (let i = 0; i < 3; i++) s.offer('data');
      w.scheduler.notify(s);
    }
    w.scheduler.drainSync();
    expect(w.log).toHaveLength(30_000);
    // First round: two items from each session in order of arrival; second round: the third item.
    expect(w.log.slice(0, 4).map((i) => `${i.session}:${i.seq}`)).toEqual(['0:1', '0:2', '1:1', '1:2']);
    expect(w.log.slice(20_000).every((i, k) => i.session === k && i.seq === 3)).toBe(true);
    // A scan of all sessions per item would read hundreds of millions of depths.
    expect(CountingLanes.reads).toBeLessThan(10 * (30_000 + 10_000));
  });

  test('yields when the slice runs out and schedules exactly one follow-up run', () => {
    let t = 0;
    const manual = manualSchedule();
    const w = world(2, { quantum: 4, sliceMs: 3, now: () => t++, schedule: manual.schedule });
    for (const s of w.sessions) for (let i = 0; i < 5; i++) s.offer('data');
    for (const s of w.sessions) w.scheduler.notify(s);
    expect(manual.runs).toHaveLength(1);
    while (manual.runs.length > 0) {
      manual.runs.shift()!();
      expect(manual.runs.length).toBeLessThanOrEqual(1);
    }
    expect(w.log).toHaveLength(10);
    expect(w.scheduler.stats.yields).toBeGreaterThan(0);
    expect(w.scheduler.stats.delivered).toBe(10);
    expect(w.scheduler.hasWork()).toBe(false);
  });

  test('many notifies before a run schedule one run', () => {
    const manual = manualSchedule();
    const w = world(3, { schedule: manual.schedule });
    for (let i = 0; i < 100; i++) {
      const s = w.sessions[i % 3]!;
      s.offer('data');
      w.scheduler.notify(s);
    }
    expect(manual.runs).toHaveLength(1);
    manual.runs[0]!();
    expect(w.log).toHaveLength(100);
    expect(manual.runs).toHaveLength(1);
  });

  test('a session removed during its delivery is not served again', () => {
    const w = world(2, { schedule: manualSchedule().schedule });
    const [a, b] = w.sessions as [TestSession, TestSession];
    for (let i = 0; i < 5; i++) a.offer('data');
    b.offer('data');
    w.reactions.push((s) => {
      if (s === a) w.scheduler.remove(a);
    });
    w.scheduler.notify(a);
    w.scheduler.notify(b);
    w.scheduler.drainSync();
    expect(w.labels()).toEqual(['0:d1', '1:d1']);
    expect(w.scheduler.size).toBe(1);
    w.scheduler.notify(a);
    expect(w.scheduler.hasWork()).toBe(false);
  });

  test('a delivery that throws leaves the rest of the work scheduled', () => {
    const manual = manualSchedule();
    const w = world(1, { schedule: manual.schedule });
    const [a] = w.sessions as [TestSession];
    for (let i = 0; i < 3; i++) a.offer('data');
    let thrown = false;
    w.reactions.push(() => {
      if (!thrown) {
        thrown = true;
        throw new Error('deliver bug');
      }
    });
    w.scheduler.notify(a);
    expect(() => manual.runs.shift()!()).toThrow('deliver bug');
    expect(manual.runs).toHaveLength(1);
    manual.runs.shift()!();
    expect(w.labels()).toEqual(['0:d1', '0:d2', '0:d3']);
  });
});

// ------------------------------------------------------------ properties

interface OfferSpec {
  readonly session: number;
  readonly lane: Lane;
  readonly barrier: boolean;
}

const offerArb = (n: number): fc.Arbitrary<OfferSpec> =>
  fc
    .record({ session: fc.integer({ min: 0, max: n - 1 }), lane: fc.constantFrom(...LANES), barrier: fc.boolean() })
    .map((o) => ({ ...o, barrier: o.lane === 'control' && o.barrier }));

const scenarioArb = fc.integer({ min: 2, max: 5 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    quantum: fc.integer({ min: 1, max: 4 }),
    sliceMs: fc.integer({ min: 1, max: 12 }),
    capacity: fc.integer({ min: 2, max: 12 }),
    initial: fc.array(offerArb(n), { maxLength: 60 }),
    /** One per delivery, in order: what the delivery offers next (may be nothing). */
    reactions: fc.array(fc.option(offerArb(n), { nil: undefined }), { maxLength: 40 }),
  }),
);

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

/** Class of a delivery: a data item the session's queued proposal covers counts as Control work. */
function classOf(s: TestSession, item: Item): 0 | 1 | 2 {
  if (item.lane === 'control' || (item.lane === 'data' && s.lanes.depth('control') > 0)) return 0;
  return item.lane === 'data' ? 1 : 2;
}

function hasClassWork(s: TestSession, c: 0 | 1 | 2): boolean {
  return s.lanes.depth(LANES[c] as Lane) > 0;
}

function runScenario(sc: Scenario, drive: 'slices' | 'drainSync') {
  let t = 0;
  const manual = manualSchedule();
  const w = world(sc.n, { quantum: sc.quantum, sliceMs: sc.sliceMs, now: () => t++, schedule: manual.schedule }, sc.capacity);
  const violations: string[] = [];
  const queued = new Set<string>();
  const key = (i: Item) => `${i.session}:${i.seq}`;
  const gaps = w.sessions.map(() => [0, 0, 0]);
  let reaction = 0;
  const offer = (o: OfferSpec) => {
    const s = w.sessions[o.session]!;
    const from = s.dropped.length;
    const { item, queued: admitted } = s.offer(o.lane, o.barrier ? 'turn.request' : `${o.lane}.x`, o.barrier);
    if (admitted) queued.add(key(item));
    for (const seq of s.dropped.slice(from)) queued.delete(`${s.id}:${seq}`);
    w.scheduler.notify(s);
  };
  w.reactions.push((s, item) => {
    if (!queued.delete(key(item))) violations.push(`unexpected or repeated delivery ${key(item)}`);
    const c = classOf(s, item);
    if (c === 1 && w.sessions.some((o) => o.lanes.depth('control') > 0)) violations.push(`data ${key(item)} while control queued`);
    if (c === 2 && w.sessions.some((o) => o.lanes.depth('control') > 0 || o.lanes.depth('data') > 0)) {
      violations.push(`telemetry ${key(item)} while control or data queued`);
    }
    for (const other of w.sessions) {
      const g = gaps[other.id]!;
      if (other === s) g[c] = 0;
      else if (hasClassWork(other, c)) {
        g[c]!++;
        if (g[c]! > (sc.n - 1) * sc.quantum) violations.push(`session ${other.id} waited ${g[c]} deliveries in class ${c}`);
      } else g[c] = 0;
    }
    const next = sc.reactions[reaction++];
    if (next) offer(next);
  });
  for (const o of sc.initial) offer(o);
  if (drive === 'drainSync') w.scheduler.drainSync();
  else while (manual.runs.length > 0) manual.runs.shift()!();
  const left = w.sessions.reduce((sum, s) => sum + s.lanes.totalDepth, 0);
  return { w, violations, left, manual, undelivered: [...queued] };
}

describe('lane scheduler: properties', () => {
  const prop = (check: (sc: Scenario) => void) => fc.assert(fc.property(scenarioArb, check), { numRuns: 500 });

  test('no data is delivered while any session has control queued, nor telemetry while data is', () => {
    prop((sc) => {
      expect(runScenario(sc, 'slices').violations.filter((v) => v.includes('while'))).toEqual([]);
    });
  });

  test('a session with work waits at most (sessions-1)*quantum deliveries to others in its lane', () => {
    prop((sc) => {
      expect(runScenario(sc, 'slices').violations.filter((v) => v.includes('waited'))).toEqual([]);
    });
  });

  test('every queued item not dropped is delivered exactly once and scheduled runs leave nothing behind', () => {
    prop((sc) => {
      const r = runScenario(sc, 'slices');
      expect(r.violations).toEqual([]);
      expect(r.undelivered).toEqual([]);
      expect(r.left).toBe(0);
      expect(r.w.scheduler.hasWork()).toBe(false);
    });
  });

  test('drainSync empties every session and schedules nothing', () => {
    prop((sc) => {
      const r = runScenario(sc, 'drainSync');
      expect(r.violations).toEqual([]);
      expect(r.undelivered).toEqual([]);
      expect(r.left).toBe(0);
      for (const s of r.w.sessions) expect(s.lanes.hasWork()).toBe(false);
      expect(r.w.scheduler.hasWork()).toBe(false);
      // The only scheduled run is the one the first notify asked for.
      expect(r.manual.runs.length).toBeLessThanOrEqual(1);
    });
  });

  test('the same scenario delivers in the same order', () => {
    prop((sc) => {
      expect(runScenario(sc, 'drainSync').w.labels()).toEqual(runScenario(sc, 'drainSync').w.labels());
    });
  });
});
