import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LANES, type Lane } from '../../api/eventabi/kinds.js';
import { VirtualClock } from '../determinism/clock.js';
import { DEFAULT_LANE_POLICIES, LANE_OVERFLOW_ALLOWED, type LanePolicy, OVERFLOW_POLICIES } from './policy.js';
import { type LaneAction, type LaneItem, SessionLanes, watermarks } from './session-lanes.js';

interface Item extends LaneItem {
  readonly text?: string;
}

function mergeText(tail: Item, next: Item): Item | undefined {
  if (tail.kind !== 'text.in' || next.kind !== 'text.in') return undefined;
  return { ...next, text: (tail.text ?? '') + (next.text ?? '') };
}

function policies(overrides: Partial<Record<Lane, Partial<LanePolicy>>> = {}): Record<Lane, LanePolicy> {
  return {
    control: { ...DEFAULT_LANE_POLICIES.control, ...overrides.control },
    data: { ...DEFAULT_LANE_POLICIES.data, ...overrides.data },
    telemetry: { ...DEFAULT_LANE_POLICIES.telemetry, ...overrides.telemetry },
  };
}

function lanesWith(overrides: Partial<Record<Lane, Partial<LanePolicy>>> = {}, maxLaneBytes?: number) {
  const actions: LaneAction[] = [];
  const lanes = new SessionLanes<Item>(policies(overrides), {
    onAction: (a) => actions.push(a),
    merge: mergeText,
    ...(maxLaneBytes !== undefined ? { maxLaneBytes } : {}),
  });
  let seq = 0;
  const offer = (lane: Lane, kind: string, extra: Partial<Item> = {}) => {
    const item: Item = { lane, seq: ++seq, kind, ...extra };
    return { item, result: lanes.offer(item) };
  };
  const takeAll = () => {
    const out: Item[] = [];
    for (let item = lanes.take(); item; item = lanes.take()) out.push(item);
    return out;
  };
  return { lanes, actions, offer, takeAll };
}

describe('session lanes: examples', () => {
  test('a proposal never overtakes lower-seq audio of its session', () => {
    const t = lanesWith();
    t.offer('data', 'audio.in');
    t.offer('data', 'audio.in');
    t.offer('control', 'turn.request', { barrier: true });
    t.offer('data', 'audio.in');
    t.offer('control', 'playback.mark');
    expect(t.takeAll().map((i) => `${i.seq}:${i.kind}`)).toEqual([
      '1:audio.in',
      '2:audio.in',
      '3:turn.request',
      '5:playback.mark',
      '4:audio.in',
    ]);
  });

  test('cancel overtakes queued audio', () => {
    const t = lanesWith();
    t.offer('data', 'audio.in');
    t.offer('data', 'audio.in');
    t.offer('control', 'cancel');
    expect(t.takeAll().map((i) => i.kind)).toEqual(['cancel', 'audio.in', 'audio.in']);
  });

  test('telemetry waits for data and control', () => {
    const t = lanesWith();
    t.offer('telemetry', 'telemetry');
    t.offer('data', 'audio.in');
    t.offer('control', 'dtmf');
    expect(t.takeAll().map((i) => i.lane)).toEqual(['control', 'data', 'telemetry']);
  });

  test('data drop_oldest records the dropped seq range', () => {
    const t = lanesWith({ data: { capacity: 2, overflow: 'drop_oldest' } });
    t.offer('data', 'audio.in');
    t.offer('control', 'dtmf');
    t.offer('data', 'audio.in');
    expect(t.offer('data', 'audio.in').result).toEqual({ status: 'queued' });
    expect(t.actions.filter((a) => a.type === 'drop')).toEqual([
      { type: 'drop', lane: 'data', seq_from: 1, seq_to: 1, reason: 'overflow_drop_oldest', count: 1 },
    ]);
    expect(t.takeAll().map((i) => i.seq)).toEqual([2, 3, 4]);
  });

  test('latest_only reports one range per run adjacent in session order, so no range spans another lane', () => {
    const t = lanesWith({ data: { capacity: 3, overflow: 'latest_only', high_watermark_pct: 100, low_watermark_pct: 34 } });
    t.offer('data', 'audio.in', { prevSeq: 0 });
    t.offer('data', 'audio.in', { prevSeq: 1 });
    t.offer('control', 'turn.request', { prevSeq: 2, barrier: true });
    t.offer('data', 'audio.in', { prevSeq: 3 });
    t.offer('data', 'audio.in', { prevSeq: 4 });
    expect(t.actions.filter((a) => a.type === 'drop')).toEqual([
      { type: 'drop', lane: 'data', seq_from: 1, seq_to: 2, reason: 'overflow_latest_only', count: 2, prev_seq: 0 },
      { type: 'drop', lane: 'data', seq_from: 4, seq_to: 4, reason: 'overflow_latest_only', count: 1, prev_seq: 3 },
    ]);
    expect(t.takeAll().map((i) => i.seq)).toEqual([3, 5]);
  });

  test('latest_only keeps the newest item and reports the rest as one range', () => {
    const t = lanesWith({ data: { capacity: 3, overflow: 'latest_only', high_watermark_pct: 100, low_watermark_pct: 34 } });
    for (let i = 0; i < 4; i++) t.offer('data', 'audio.in');
    expect(t.actions).toEqual([
      { type: 'xoff', lane: 'data', depth: 3 },
      { type: 'drop', lane: 'data', seq_from: 1, seq_to: 3, reason: 'overflow_latest_only', count: 3 },
      { type: 'xon', lane: 'data', depth: 1 },
    ]);
    expect(t.takeAll().map((i) => i.seq)).toEqual([4]);
  });

  test('telemetry drops newest', () => {
    const t = lanesWith({ telemetry: { capacity: 2 } });
    t.offer('telemetry', 'telemetry');
    t.offer('telemetry', 'telemetry');
    expect(t.offer('telemetry', 'telemetry').result).toEqual({ status: 'dropped' });
    expect(t.actions.filter((a) => a.type === 'drop')).toEqual([
      { type: 'drop', lane: 'telemetry', seq_from: 3, seq_to: 3, reason: 'overflow_drop_newest', count: 1 },
    ]);
    expect(t.takeAll().map((i) => i.seq)).toEqual([1, 2]);
  });

  test('coalesce merges text deltas', () => {
    const t = lanesWith({ data: { capacity: 2, overflow: 'coalesce' } });
    t.offer('data', 'text.in', { text: 'he' });
    t.offer('data', 'text.in', { text: 'l' });
    expect(t.offer('data', 'text.in', { text: 'lo' }).result).toEqual({ status: 'queued' });
    expect(t.actions.filter((a) => a.type === 'drop')).toEqual([
      { type: 'drop', lane: 'data', seq_from: 2, seq_to: 2, reason: 'coalesced', count: 1 },
    ]);
    expect(t.takeAll().map((i) => [i.seq, i.text])).toEqual([
      [1, 'he'],
      [3, 'llo'],
    ]);
  });

  test('coalesce falls back to dropping the oldest when the tail cannot merge', () => {
    const t = lanesWith({ data: { capacity: 2, overflow: 'coalesce' } });
    t.offer('data', 'text.in', { text: 'a' });
    t.offer('data', 'audio.in');
    t.offer('data', 'text.in', { text: 'b' });
    expect(t.actions.filter((a) => a.type === 'drop')).toEqual([
      { type: 'drop', lane: 'data', seq_from: 1, seq_to: 1, reason: 'overflow_drop_oldest', count: 1 },
    ]);
    expect(t.takeAll().map((i) => i.seq)).toEqual([2, 3]);
  });

  test('xoff once at high watermark and xon once at low watermark', () => {
    // capacity 8: xoff at depth >= 6, xon at depth <= 4.
    const t = lanesWith({ data: { capacity: 8, high_watermark_pct: 75, low_watermark_pct: 50 } });
    for (let i = 0; i < 8; i++) t.offer('data', 'audio.in');
    expect(t.actions).toEqual([{ type: 'xoff', lane: 'data', depth: 6 }]);
    t.lanes.take();
    t.lanes.take();
    t.lanes.take(); // depth 5: inside the hysteresis band, nothing
    t.offer('data', 'audio.in'); // back to 6: already off, nothing
    expect(t.actions).toHaveLength(1);
    t.lanes.take();
    t.lanes.take(); // depth 4
    expect(t.actions).toEqual([
      { type: 'xoff', lane: 'data', depth: 6 },
      { type: 'xon', lane: 'data', depth: 4 },
    ]);
    t.lanes.take();
    t.offer('data', 'audio.in');
    expect(t.actions).toHaveLength(2);
  });

  test('control block is reported and never dropped', () => {
    const clock = new VirtualClock();
    // A plan asking Control to drop is overridden: Control can only push back.
    const t = lanesWith({ control: { capacity: 2, overflow: 'drop_oldest' as never, max_block_ms: 250 } });
    expect(t.lanes.overflow('control')).toBe('block');
    t.offer('control', 'dtmf');
    t.offer('control', 'dtmf');
    const refused = t.offer('control', 'dtmf');
    expect(refused.result).toEqual({ status: 'blocked', lane: 'control' });
    expect(t.actions.some((a) => a.type === 'drop')).toBe(false);
    expect(t.lanes.isBlocked('control')).toBe(true);
    expect(t.lanes.blockExpired('control', clock.now())).toBe(false);
    expect(t.lanes.blockedSince('control')).toBe(0);
    clock.advance(250);
    expect(t.lanes.blockExpired('control', clock.now())).toBe(false);
    clock.advance(1);
    expect(t.lanes.blockExpired('control', clock.now())).toBe(true);
    // The caller closes the session: the refused item is never reported as dropped.
    expect(t.lanes.abandonBlocked(refused.item)).toBe(false);
    expect(t.actions.some((a) => a.type === 'drop')).toBe(false);
    expect(t.takeAll().map((i) => i.seq)).toEqual([1, 2]);
  });

  test('a plan policy a lane does not allow falls back to the lane default', () => {
    const t = lanesWith({ telemetry: { capacity: 1, overflow: 'block' } });
    expect(t.lanes.overflow('telemetry')).toBe('drop_newest');
    t.offer('telemetry', 'telemetry');
    expect(t.offer('telemetry', 'telemetry').result).toEqual({ status: 'dropped' });
    expect(lanesWith({ data: { overflow: 'drop_newest' } }).lanes.overflow('data')).toBe('drop_oldest');
  });

  test('a queued item lifts the block and restarts its timer', () => {
    const t = lanesWith({ data: { capacity: 1, overflow: 'block', max_block_ms: 10 } });
    t.offer('data', 'audio.in');
    const refused = t.offer('data', 'audio.in');
    expect(refused.result.status).toBe('blocked');
    expect(t.lanes.blockExpired('data', 100)).toBe(false);
    t.lanes.take();
    expect(t.lanes.offer(refused.item)).toEqual({ status: 'queued' });
    expect(t.lanes.isBlocked('data')).toBe(false);
    expect(t.lanes.blockedSince('data')).toBeUndefined();
    expect(t.lanes.blockExpired('data', 1000)).toBe(false);
  });

  test('a data item given up after a block is reported as block_timeout', () => {
    const t = lanesWith({ data: { capacity: 1, overflow: 'block', max_block_ms: 10 } });
    t.offer('data', 'audio.in');
    const refused = t.offer('data', 'audio.in');
    t.lanes.blockExpired('data', 0);
    expect(t.lanes.blockExpired('data', 11)).toBe(true);
    expect(t.lanes.abandonBlocked(refused.item)).toBe(true);
    expect(t.actions).toContainEqual({ type: 'drop', lane: 'data', seq_from: 2, seq_to: 2, reason: 'block_timeout', count: 1 });
  });

  test('drain empties the lanes silently for teardown', () => {
    const t = lanesWith({ data: { capacity: 4 } });
    for (let i = 0; i < 4; i++) t.offer('data', 'audio.in');
    t.offer('control', 'dtmf');
    const before = t.actions.length;
    expect(t.lanes.drain('data').map((i) => i.seq)).toEqual([1, 2, 3, 4]);
    expect(t.lanes.depth('control')).toBe(1);
    expect(t.lanes.isXoff('data')).toBe(false);
    expect(t.lanes.drain().map((i) => i.seq)).toEqual([5]);
    expect(t.lanes.hasWork()).toBe(false);
    expect(t.actions).toHaveLength(before);
  });

  test('takeFrom serves one lane regardless of priority', () => {
    const t = lanesWith();
    t.offer('data', 'audio.in');
    t.offer('control', 'turn.request', { barrier: true });
    expect(t.lanes.takeFrom('control')?.seq).toBe(2);
    expect(t.lanes.totalDepth).toBe(1);
  });

  test('watermarks stay reachable and keep a gap on tiny lanes', () => {
    const base = DEFAULT_LANE_POLICIES.data;
    expect(watermarks({ ...base, capacity: 1 })).toEqual({ high: 1, low: 0 });
    expect(watermarks({ ...base, capacity: 4, high_watermark_pct: 0, low_watermark_pct: 0 })).toEqual({ high: 1, low: 0 });
    expect(watermarks({ ...base, capacity: 4, high_watermark_pct: 50, low_watermark_pct: 90 })).toEqual({ high: 2, low: 1 });
    expect(watermarks(DEFAULT_LANE_POLICIES.control)).toEqual({ high: 48, low: 32 });
  });
});

// ------------------------------------------------------------ properties

type Op = { op: 'offer'; lane: Lane; text: boolean; barrier: boolean } | { op: 'take' };

const policyArb = (lane: Lane): fc.Arbitrary<LanePolicy> =>
  fc.record({
    capacity: fc.integer({ min: 1, max: 6 }),
    high_watermark_pct: fc.integer({ min: 0, max: 100 }),
    low_watermark_pct: fc.integer({ min: 0, max: 100 }),
    // Mostly what the lane allows, sometimes anything: the lane promises must hold either way.
    overflow: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...LANE_OVERFLOW_ALLOWED[lane]) },
      { weight: 1, arbitrary: fc.constantFrom(...OVERFLOW_POLICIES) },
    ),
    max_block_ms: fc.constant(100),
  });

const policiesArb = fc.record({ control: policyArb('control'), data: policyArb('data'), telemetry: policyArb('telemetry') });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({ lane: fc.constantFrom(...LANES), text: fc.boolean(), barrier: fc.boolean() })
      .map(({ lane, text, barrier }) => ({ op: 'offer', lane, text, barrier: lane === 'control' && barrier }) as const),
  },
  { weight: 2, arbitrary: fc.constant({ op: 'take' } as const) },
);

type Entry = { t: 'offer'; item: Item } | { t: 'action'; action: LaneAction } | { t: 'deliver'; item: Item };

interface Trace {
  /** Offers, actions and deliveries, in the order they happened. */
  readonly timeline: Entry[];
  readonly actions: LaneAction[];
  readonly offered: Item[];
  readonly results: Map<number, string>;
  readonly delivered: Item[];
  readonly drained: Item[];
  /** For each delivered barrier: seqs of queued Data still undelivered at that moment. */
  readonly barrierViolations: number[];
  /** Deliveries that broke lane priority. */
  readonly priorityViolations: string[];
  readonly maxDepthOverCapacity: number;
}

function runOps(pol: Record<Lane, LanePolicy>, ops: readonly Op[]): Trace {
  const timeline: Entry[] = [];
  const actions: LaneAction[] = [];
  const lanes = new SessionLanes<Item>(pol, {
    onAction: (action) => {
      actions.push(action);
      timeline.push({ t: 'action', action });
    },
    merge: mergeText,
  });
  const offered: Item[] = [];
  const results = new Map<number, string>();
  const delivered: Item[] = [];
  const barrierViolations: number[] = [];
  const priorityViolations: string[] = [];
  // What the checks believe is queued, oldest first per lane: seq -> item.
  const queued = new Map<number, Item>();
  let maxOver = 0;
  let seq = 0;
  for (const o of ops) {
    if (o.op === 'offer') {
      const item: Item = { lane: o.lane, seq: ++seq, kind: o.text ? 'text.in' : `${o.lane}.x`, text: String(seq), barrier: o.barrier };
      offered.push(item);
      timeline.push({ t: 'offer', item });
      const before = actions.length;
      const result = lanes.offer(item);
      results.set(item.seq, result.status);
      for (const a of actions.slice(before)) {
        if (a.type !== 'drop') continue;
        for (const [s, q] of [...queued]) if (q.lane === a.lane && s >= a.seq_from && s <= a.seq_to) queued.delete(s);
      }
      if (result.status === 'queued') queued.set(item.seq, item);
    } else {
      const depths = { control: lanes.depth('control'), data: lanes.depth('data'), telemetry: lanes.depth('telemetry') };
      const controlHead = [...queued.values()].find((q) => q.lane === 'control');
      const item = lanes.take();
      if (!item) continue;
      timeline.push({ t: 'deliver', item });
      delivered.push(item);
      queued.delete(item.seq);
      if (item.barrier) {
        for (const q of queued.values()) if (q.lane === 'data' && q.seq < item.seq) barrierViolations.push(q.seq);
      }
      if (item.lane === 'telemetry' && (depths.control > 0 || depths.data > 0)) priorityViolations.push(`telemetry ${item.seq}`);
      if (item.lane === 'data' && depths.control > 0 && !(controlHead?.barrier && controlHead.seq > item.seq)) {
        priorityViolations.push(`data ${item.seq} before control ${controlHead?.seq}`);
      }
    }
    for (const lane of LANES) maxOver = Math.max(maxOver, lanes.depth(lane) - pol[lane].capacity);
  }
  const drained = lanes.drain();
  return { timeline, actions, offered, results, delivered, drained, barrierViolations, priorityViolations, maxDepthOverCapacity: maxOver };
}

function checkAccounting(pol: Record<Lane, LanePolicy>, ops: readonly Op[]): void {
  const t = runOps(pol, ops);
  const fate = new Map<number, string>();
  const settle = (seq: number, what: string) => {
    expect(fate.get(seq), `seq ${seq} ${what}`).toBeUndefined();
    fate.set(seq, what);
  };
  const seen: Item[] = [];
  for (const e of t.timeline) {
    if (e.t === 'offer') {
      seen.push(e.item);
      if (t.results.get(e.item.seq) === 'blocked') {
        expect(e.item.lane, 'telemetry never blocks').not.toBe('telemetry');
        settle(e.item.seq, 'blocked');
      }
    } else if (e.t === 'deliver') {
      settle(e.item.seq, 'delivered');
    } else if (e.action.type === 'drop') {
      const a = e.action;
      expect(a.lane).not.toBe('control');
      // The range names exactly `count` offered items of its lane that had no fate yet.
      const covered = seen.filter((i) => i.lane === a.lane && i.seq >= a.seq_from && i.seq <= a.seq_to && !fate.has(i.seq));
      expect(covered.map((i) => i.seq)).toHaveLength(a.count);
      for (const i of covered) settle(i.seq, `dropped ${a.reason}`);
    }
  }
  for (const i of t.drained) settle(i.seq, 'drained');
  for (const i of t.offered) expect(fate.has(i.seq), `seq ${i.seq} has a fate`).toBe(true);
}

describe('session lanes: properties', () => {
  const prop = (check: (pol: Record<Lane, LanePolicy>, ops: Op[]) => void) =>
    fc.assert(fc.property(policiesArb, fc.array(opArb, { maxLength: 80 }), check), { numRuns: 500 });

  test('depth never exceeds capacity', () => {
    prop((pol, ops) => {
      expect(runOps(pol, ops).maxDepthOverCapacity).toBeLessThanOrEqual(0);
    });
  });

  test('every offered item is delivered once, reported dropped once, or refused as blocked', () => {
    prop(checkAccounting);
  });

  test('a coalescing data lane accounts for every item it merges or evicts', () => {
    const coalescing = policiesArb.map((pol) => ({ ...pol, data: { ...pol.data, overflow: 'coalesce' as const } }));
    const dataHeavy = fc.array(
      fc.oneof(
        { weight: 3, arbitrary: fc.boolean().map((text) => ({ op: 'offer', lane: 'data', text, barrier: false }) as const) },
        { weight: 1, arbitrary: opArb },
      ),
      { maxLength: 60 },
    );
    fc.assert(fc.property(coalescing, dataHeavy, checkAccounting), { numRuns: 300 });
  });

  test('delivered items keep FIFO order within each lane', () => {
    prop((pol, ops) => {
      const t = runOps(pol, ops);
      for (const lane of LANES) {
        const seqs = [...t.delivered, ...t.drained].filter((i) => i.lane === lane).map((i) => i.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
    });
  });

  test('a proposal is delivered only after every lower-seq data item, and lane priority holds otherwise', () => {
    prop((pol, ops) => {
      const t = runOps(pol, ops);
      expect(t.barrierViolations).toEqual([]);
      expect(t.priorityViolations).toEqual([]);
    });
  });

  test('the same sequence gives the same actions and deliveries', () => {
    prop((pol, ops) => {
      expect(JSON.stringify(runOps(pol, ops).timeline)).toBe(JSON.stringify(runOps(pol, ops).timeline));
    });
  });

  test('xoff and xon strictly alternate per lane, starting with xoff, at the watermarks', () => {
    prop((pol, ops) => {
      const t = runOps(pol, ops);
      for (const lane of LANES) {
        const marks = watermarks(pol[lane]);
        const flow = t.actions.filter((a) => a.type !== 'drop' && a.lane === lane);
        flow.forEach((a, i) => {
          expect(a.type).toBe(i % 2 === 0 ? 'xoff' : 'xon');
          if (a.type === 'xoff') expect(a.depth).toBeGreaterThanOrEqual(marks.high);
          if (a.type === 'xon') expect(a.depth).toBeLessThanOrEqual(marks.low);
        });
      }
    });
  });
});

describe('session lanes: byte budget', () => {
  test('drop_oldest evicts as many of the oldest items as it takes for a large item to fit, each reported', () => {
    const t = lanesWith({}, 1000);
    for (let i = 0; i < 3; i++) t.offer('data', 'audio.in', { bytes: 300 });
    expect(t.lanes.queuedBytes('data')).toBe(900);
    t.offer('data', 'audio.in', { bytes: 700 });
    expect(t.actions.filter((a) => a.type === 'drop')).toEqual([
      { type: 'drop', lane: 'data', seq_from: 1, seq_to: 1, reason: 'overflow_drop_oldest', count: 1 },
      { type: 'drop', lane: 'data', seq_from: 2, seq_to: 2, reason: 'overflow_drop_oldest', count: 1 },
    ]);
    expect(t.lanes.queuedBytes('data')).toBe(1000);
    expect(t.takeAll().map((i) => i.seq)).toEqual([3, 4]);
    expect(t.lanes.queuedBytes('data')).toBe(0);
  });

  test('an item larger than the whole budget still enters an empty lane, and the next one replaces it', () => {
    const t = lanesWith({}, 1000);
    expect(t.offer('data', 'audio.in', { bytes: 5000 }).result).toEqual({ status: 'queued' });
    t.offer('data', 'audio.in', { bytes: 10 });
    expect(t.takeAll().map((i) => i.seq)).toEqual([2]);
  });

  test('telemetry over its bytes drops the newest; Control is bounded by count only', () => {
    const t = lanesWith({}, 1000);
    t.offer('telemetry', 'telemetry', { bytes: 800 });
    expect(t.offer('telemetry', 'telemetry', { bytes: 800 }).result).toEqual({ status: 'dropped' });
    for (let i = 0; i < 5; i++) expect(t.offer('control', 'dtmf', { bytes: 800 }).result).toEqual({ status: 'queued' });
    expect(t.lanes.queuedBytes('control')).toBe(4000);
  });

  test('property: whatever is offered and taken, a lane holds at most its budget (or one item), and its byte count is exact', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ op: fc.constant('offer' as const), lane: fc.constantFrom<Lane>('data', 'telemetry'), bytes: fc.integer({ min: 0, max: 3000 }) }), fc.record({ op: fc.constant('take' as const) })), { maxLength: 300 }),
        fc.constantFrom<'drop_oldest' | 'latest_only' | 'coalesce'>('drop_oldest', 'latest_only', 'coalesce'),
        (ops, dataOverflow) => {
          const budget = 2000;
          const t = lanesWith({ data: { overflow: dataOverflow } }, budget);
          const queued = new Map<number, Item>();
          const fates = (a: LaneAction) => {
            if (a.type === 'drop') for (const [seq, item] of [...queued]) if (item.lane === a.lane && seq >= a.seq_from && seq <= a.seq_to) queued.delete(seq);
          };
          for (const op of ops) {
            const before = t.actions.length;
            if (op.op === 'offer') {
              const { item, result } = t.offer(op.lane, op.lane === 'data' ? 'audio.in' : 'telemetry', { bytes: op.bytes });
              if (result.status === 'queued') queued.set(item.seq, item);
            } else {
              const item = t.lanes.take();
              if (item) queued.delete(item.seq);
            }
            t.actions.slice(before).forEach(fates);
            for (const lane of ['data', 'telemetry'] as const) {
              const mine = [...queued.values()].filter((i) => i.lane === lane);
              const bytes = mine.reduce((sum, i) => sum + (i.bytes ?? 0), 0);
              expect(t.lanes.queuedBytes(lane)).toBe(bytes);
              expect(t.lanes.depth(lane)).toBe(mine.length);
              if (mine.length > 1) expect(bytes).toBeLessThanOrEqual(budget);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
