// Timeline pages for the operator page: every record lands in exactly one
// item, audio runs never mix directions or turns or span a gap, pages stay
// within their bounds and always make progress, read failures end a page
// with a reason, and a memory-only timeline says where it starts.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { anyEnvelope, decodeBinary, encodeBinary } from '../../../api/eventabi/index.js';
import { VirtualClock } from '../../determinism/clock.js';
import { TimelineFormatError, TimelineRecorder, type TimelineRecord } from '../../observe/timeline/index.js';
import { AUDIO_RUN_GAP_MS, type PageLimits, type TimelineItem, buildPage, itemOf, liveRecords } from './timeline-view.js';

type Shape = 'audio.in' | 'audio.out' | 'text.in' | 'turn.opened' | 'fence';

function ingressFrame(kind: 'audio.in' | 'text.in', seq: number): Uint8Array {
  const fields = { id: `g${seq}`, session_id: 's-1', epoch: 1, seq };
  return encodeBinary(kind === 'audio.in' ? anyEnvelope('audio.in', { audio: new Uint8Array(320) }, fields) : anyEnvelope('text.in', { text: 'private words' }, fields));
}

function record(index: number, at_ms: number, turn_id: string, shape: Shape): TimelineRecord {
  const base = { index, at_ms, session_id: 's-1', turn_id };
  switch (shape) {
    case 'audio.in':
    case 'text.in':
      return { ...base, body: { case: 'ingress', value: ingressFrame(shape, index + 1) } };
    case 'audio.out':
    case 'turn.opened':
      return { ...base, body: { case: 'egress', value: { kind: shape, seq: index + 1, epoch: 1, sha256: new Uint8Array(32), size: 100 } } };
    case 'fence':
      return { ...base, body: { case: 'decision', value: { kind: 'fence', outcome: 'fenced', reason: 'barge_in', detail: {} } } };
  }
}

const records = fc
  .array(fc.record({ gap: fc.nat({ max: 400 }), turn: fc.constantFrom('', 't-1', 't-2'), shape: fc.constantFrom<Shape>('audio.in', 'audio.out', 'audio.in', 'audio.out', 'text.in', 'turn.opened', 'fence') }), { maxLength: 120 })
  .map((specs) => {
    let at = 0;
    return specs.map((spec, index) => record(index, (at += spec.gap), spec.turn, spec.shape));
  });

async function* from(list: readonly TimelineRecord[]): AsyncGenerator<TimelineRecord> {
  yield* list;
}

function audioDirection(r: TimelineRecord): 'ingress' | 'egress' | undefined {
  if (r.body.case === 'egress') return r.body.value.kind === 'audio.out' ? 'egress' : undefined;
  if (r.body.case !== 'ingress') return undefined;
  const decoded = decodeBinary(r.body.value);
  return decoded.ok && decoded.event.kind === 'audio.in' ? 'ingress' : undefined;
}

async function allPages(list: readonly TimelineRecord[], limits: PageLimits): Promise<{ items: TimelineItem[]; pages: number }> {
  const items: TimelineItem[] = [];
  let next = 0;
  for (let pages = 1; ; pages++) {
    const page = await buildPage(from(list.slice(next)), next, limits);
    expect(page.items.length).toBeLessThanOrEqual(limits.maxItems);
    expect(page.next - next).toBeLessThanOrEqual(limits.maxRecords);
    items.push(...page.items);
    if (page.done) {
      expect(page.next).toBe(list.length);
      return { items, pages };
    }
    // A page that is not the last always takes at least one record.
    expect(page.next).toBeGreaterThan(next);
    next = page.next;
  }
}

describe('timeline pages', () => {
  test('every record is in exactly one item, runs hold one direction and turn without gaps, and pages stay bounded (property)', async () => {
    await fc.assert(
      fc.asyncProperty(records, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 40 }), async (list, maxItems, maxRecords) => {
        const { items } = await allPages(list, { maxItems, maxRecords });
        const claimed = new Map<number, TimelineItem>();
        for (const item of items) {
          if (item.type !== 'audio') {
            expect(claimed.has(item.index)).toBe(false);
            claimed.set(item.index, item);
            expect(item).toEqual(itemOf(list[item.index]!));
            continue;
          }
          const members = list.filter((r) => r.index >= item.index && r.index <= item.index_to && audioDirection(r) === item.direction);
          expect(members).toHaveLength(item.count);
          expect(members[0]!.index).toBe(item.index);
          expect(members[members.length - 1]!.index).toBe(item.index_to);
          expect(item.to_ms).toBe(members[members.length - 1]!.at_ms);
          for (let i = 0; i < members.length; i++) {
            expect(claimed.has(members[i]!.index)).toBe(false);
            claimed.set(members[i]!.index, item);
            expect(members[i]!.turn_id).toBe(item.turn_id);
            if (i > 0) expect(members[i]!.at_ms - members[i - 1]!.at_ms).toBeLessThanOrEqual(AUDIO_RUN_GAP_MS);
          }
        }
        expect(claimed.size).toBe(list.length);
        // Items come in the order of the record that starts them.
        for (let i = 1; i < items.length; i++) expect(items[i]!.index).toBeGreaterThan(items[i - 1]!.index);
      }),
      { numRuns: 300 },
    );
  });

  test('one page with room for everything merges each direction\'s audio into one run per turn and gap', async () => {
    const list = [
      record(0, 0, '', 'audio.in'),
      record(1, 20, 't-1', 'audio.out'),
      record(2, 20, '', 'audio.in'),
      record(3, 40, 't-1', 'audio.out'),
      record(4, 40 + AUDIO_RUN_GAP_MS + 1, '', 'audio.in'),
      record(5, 300, 't-2', 'audio.out'),
    ];
    const page = await buildPage(from(list), 0, { maxItems: 100, maxRecords: 100 });
    expect(page.items.map((i) => (i.type === 'audio' ? [i.direction, i.index, i.index_to, i.count, i.turn_id] : i.type))).toEqual([
      ['ingress', 0, 2, 2, ''],
      ['egress', 1, 3, 2, 't-1'],
      ['ingress', 4, 4, 1, ''],
      ['egress', 5, 5, 1, 't-2'],
    ]);
    expect(page).toMatchObject({ next: 6, done: true });
  });

  test('a read failure ends the page with the reason and keeps what was read', async () => {
    async function* broken(): AsyncGenerator<TimelineRecord> {
      yield record(0, 0, '', 'text.in');
      throw new TimelineFormatError('truncated timeline: record of 40 bytes has only 3', 77);
    }
    const page = await buildPage(broken(), 0, { maxItems: 10, maxRecords: 10 });
    expect(page).toMatchObject({ next: 1, done: true, problem: 'truncated timeline: record of 40 bytes has only 3 (at byte offset 77)' });
    expect(page.items).toHaveLength(1);
  });

  test('ingress items carry kind, lane and seq but never typed text', () => {
    const item = itemOf(record(3, 5, '', 'text.in'));
    expect(item).toEqual({ type: 'ingress', index: 3, at_ms: 5, turn_id: '', kind: 'text.in', lane: 'data', seq: 4, epoch: 1, detail: {} });
    expect(JSON.stringify(item)).not.toContain('private');
  });

  test('a memory-only timeline that discarded records starts at its window and says so', async () => {
    const timeline = new TimelineRecorder({ session_id: 's-1', memoryRecords: 4, clock: new VirtualClock() });
    for (let i = 0; i < 10; i++) timeline.append({ case: 'decision', value: { kind: 'flow', outcome: 'xoff', reason: '', detail: { lane: 'data' } } });
    const { firstAvailable, records: older } = liveRecords(timeline, 0);
    expect(firstAvailable).toBe(6);
    const page = await buildPage(older, firstAvailable, { maxItems: 100, maxRecords: 100 });
    expect(page.items.map((i) => i.index)).toEqual([6, 7, 8, 9]);
    const { firstAvailable: later, records: tail } = liveRecords(timeline, 8);
    expect(later).toBe(8);
    expect((await buildPage(tail, 8, { maxItems: 100, maxRecords: 100 })).items.map((i) => i.index)).toEqual([8, 9]);
  });
});
