// The page's timeline model (static/timeline-model.js, run here as it runs in
// the browser): turns from turn.opened to turn.closed with their outcome,
// fence reasons on the turn they fenced, open turns, pressure marks in the
// lane they hit, node calls as spans, and the axis helpers. The page cannot
// import the decision table, so the names it matches are checked against it.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { DECISIONS, type DecisionKind, type DecisionSpec } from '../../observe/timeline/decisions.js';
import type { TimelineItem } from './timeline-view.js';

interface Turn {
  turn_id: string;
  start_ms: number;
  end_ms: number;
  outcome: 'committed' | 'aborted' | 'open';
  reason: string;
  closed: boolean;
}
interface Mark {
  row: string;
  kind: string;
  at_ms: number;
  to_ms: number;
  label: string;
  turn_id: string;
  mark?: string;
}
interface Model {
  ROWS: readonly { id: string; label: string }[];
  buildTimeline(items: TimelineItem[], options?: { live?: boolean }): { end_ms: number; turns: Turn[]; marks: Mark[]; fences: { at_ms: number; turn_id: string; reason: string }[]; header: unknown };
  tickStep(span_ms: number, target?: number): number;
  formatMs(ms: number): string;
}

let model: Model;

beforeAll(async () => {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'static', 'timeline-model.js');
  model = (await import(pathToFileURL(file).href)) as Model;
});

let index = 0;
const egress = (at_ms: number, kind: string, turn_id = ''): TimelineItem => ({ type: 'egress', index: index++, at_ms, turn_id, kind, lane: kind === 'audio.out' || kind === 'transcript' ? 'data' : 'control', seq: index, epoch: 1, size: 10 });
const decision = (at_ms: number, kind: string, outcome: string, reason: string, detail: Record<string, string> = {}, turn_id = ''): TimelineItem => ({ type: 'decision', index: index++, at_ms, turn_id, kind, outcome, reason, detail });

describe('timeline model', () => {
  test('turns span turn.opened to turn.closed with the terminal\'s outcome and the fence\'s reason', () => {
    const items = [
      egress(0, 'session.started'),
      egress(100, 'turn.opened', 't-1'),
      egress(120, 'turn.active', 't-1'),
      egress(900, 'turn.committed', 't-1'),
      egress(900, 'turn.closed', 't-1'),
      egress(1000, 'turn.opened', 't-2'),
      decision(1300, 'fence', 'fenced', 'barge_in', {}, 't-2'),
      egress(1300, 'output.clear', 't-2'),
      egress(1301, 'turn.aborted', 't-2'),
      egress(1302, 'turn.closed', 't-2'),
    ];
    const timeline = model.buildTimeline(items, { live: false });
    expect(timeline.turns).toEqual([
      { turn_id: 't-1', start_ms: 100, end_ms: 900, outcome: 'committed', reason: '', closed: true },
      { turn_id: 't-2', start_ms: 1000, end_ms: 1302, outcome: 'aborted', reason: 'barge_in', closed: true },
    ]);
    expect(timeline.fences).toEqual([{ at_ms: 1300, turn_id: 't-2', reason: 'barge_in' }]);
    expect(timeline.end_ms).toBe(1302);
    expect(timeline.marks.filter((m) => m.row === 'egress-control')).toHaveLength(items.length - 1);
  });

  test('an open turn runs to the newest record while live, and to its own last record once the session ended', () => {
    const items = [egress(50, 'turn.opened', 't-3'), egress(60, 'turn.active', 't-3'), egress(700, 'flow.xoff')];
    expect(model.buildTimeline(items, { live: true }).turns).toEqual([{ turn_id: 't-3', start_ms: 50, end_ms: 700, outcome: 'open', reason: '', closed: false }]);
    expect(model.buildTimeline(items, { live: false }).turns[0]).toMatchObject({ start_ms: 50, end_ms: 60, outcome: 'open' });
  });

  test('records that name a turn the kernel never opened create no turn, and late records do not stretch a closed turn', () => {
    const items: TimelineItem[] = [
      { type: 'ingress', index: index++, at_ms: 5, turn_id: 't-77', kind: 'cancel', lane: 'control', seq: 3, epoch: 1, detail: { scope: 'turn', reason: 'x' } },
      egress(10, 'turn.opened', 't-1'),
      egress(90, 'turn.closed', 't-1'),
      { type: 'ingress', index: index++, at_ms: 400, turn_id: 't-1', kind: 'playback.mark', lane: 'control', seq: 4, epoch: 1, detail: { played_ms: 10 } },
    ];
    expect(model.buildTimeline(items).turns).toEqual([{ turn_id: 't-1', start_ms: 10, end_ms: 90, outcome: 'open', reason: '', closed: true }]);
  });

  test('a turn whose turn.opened is older than the page starts at its first record', () => {
    const turns = model.buildTimeline([egress(400, 'output.end', 't-9'), egress(450, 'turn.committed', 't-9'), egress(460, 'turn.closed', 't-9')]).turns;
    expect(turns).toEqual([{ turn_id: 't-9', start_ms: 400, end_ms: 460, outcome: 'committed', reason: '', closed: true }]);
  });

  test('drops, xoff and xon mark the ingress row of their lane; audio runs, node calls and rejections get their rows', () => {
    const items: TimelineItem[] = [
      decision(10, 'lane', 'dropped', 'overflow_drop_oldest', { lane: 'data', seq_from: '4', seq_to: '9' }),
      decision(11, 'flow', 'xoff', '', { lane: 'data', depth: '192' }),
      decision(12, 'flow', 'xon', '', { lane: 'telemetry', depth: '128' }),
      decision(13, 'admission', 'admitted', ''),
      { type: 'audio', index: index++, at_ms: 20, turn_id: '', direction: 'ingress', lane: 'data', index_to: 40, to_ms: 400, count: 20, seq_from: 1, seq_to: 20, bytes: 12800 },
      { type: 'node', index: index++, at_ms: 500, turn_id: 't-1', node_id: 'llm', node_kind: 'llm', outcome: 'ok', duration_ms: 120, output_bytes: 30 },
      { type: 'rejection', index: index++, at_ms: 600, turn_id: '', code: 'seq_regression', message: 'seq 3 is not above 9', ref_id: 'g3' },
    ];
    const marks = model.buildTimeline(items).marks;
    expect(marks.map((m) => [m.row, m.mark ?? m.kind, m.at_ms, m.to_ms])).toEqual([
      ['ingress-data', 'drop', 10, 10],
      ['ingress-data', 'xoff', 11, 11],
      ['ingress-telemetry', 'xon', 12, 12],
      ['ingress-data', 'audio.in', 20, 400],
      ['nodes', 'llm', 380, 500],
      ['ingress-control', 'rejection', 600, 600],
    ]);
    expect(marks[0]!.label).toBe('dropped seq 4–9 (overflow_drop_oldest)');
    expect(new Set(marks.map((m) => m.row)).size).toBeLessThanOrEqual(model.ROWS.length);
    for (const mark of marks) expect(model.ROWS.map((r) => r.id)).toContain(mark.row);
  });

  test('axis ticks put about eight steps across the span and times read in ms, s and min', () => {
    expect(model.tickStep(1000)).toBe(200);
    expect(model.tickStep(60_000)).toBe(10_000);
    expect(model.tickStep(10 * 3600_000)).toBe(3600_000);
    expect(model.formatMs(250)).toBe('250 ms');
    expect(model.formatMs(2000)).toBe('2 s');
    expect(model.formatMs(2500)).toBe('2.5 s');
    expect(model.formatMs(125_000)).toBe('2 min 5 s');
  });
});

describe('the decision names the page matches', () => {
  test('every decision kind, outcome and detail key timeline-model.js matches is one the decision table names', () => {
    const source = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'static', 'timeline-model.js'), 'utf8');
    const body = /function decisionMarks\([^)]*\) \{([\s\S]*?)\n\}/.exec(source)?.[1];
    expect(body).toBeDefined();
    const problems: string[] = [];
    const detailKeys = new Set<string>();
    let matched = 0;
    for (const line of body!.split('\n')) {
      const kind = /item\.kind === '([^']+)'/.exec(line)?.[1];
      if (kind === undefined) continue;
      matched += 1;
      if (!Object.hasOwn(DECISIONS, kind)) {
        problems.push(`kind ${kind}`);
        continue;
      }
      const spec: DecisionSpec = DECISIONS[kind as DecisionKind];
      for (const detail of spec.detail) detailKeys.add(detail);
      for (const [, outcome] of line.matchAll(/item\.outcome === '([^']+)'/g)) if (!Object.hasOwn(spec.outcomes, outcome!)) problems.push(`${kind} outcome ${outcome}`);
    }
    for (const [, key] of body!.matchAll(/item\.detail\??\.(\w+)/g)) if (!detailKeys.has(key!)) problems.push(`detail key ${key}`);
    expect(problems).toEqual([]);
    expect(matched).toBeGreaterThanOrEqual(4);
  });
});
