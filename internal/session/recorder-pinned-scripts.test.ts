// Protects the plan_frozen evidence of script sources: every source a plan pins is in the timeline, once per hash, so replay needs no registry and long sessions do not repeat code per turn.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { makePlan } from '../../test/support/graph-run.js';
import { VirtualClock } from '../determinism/clock.js';
import { type PlanFrozen, TIMELINE_FORMAT_VERSION, decodeRecord } from '../observe/timeline/records.js';
import { TimelineRecorder } from '../observe/timeline/recorder.js';
import { TimelineSessionRecorder } from './recorder.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const BOT = "import { hi } from 'words';\nexport default function handle(input) { return hi + input.text; }\n";
const WORDS = "export const hi = 'héllo ';\n";
const WORDS_V2 = "export const hi = 'hi ';\n";
const header = { tenant: 't', pipeline: 'p', pipeline_version: '1', seed: 7, codec: 'pcm16', sample_rate: 16000, kernel_version: 'test', opened_wall_ms: 0 };

const open: TimelineRecorder[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

function recorder(sources: Record<string, string>) {
  const timeline = new TimelineRecorder({ session_id: 'sess-1', memoryRecords: 64, clock: new VirtualClock() });
  open.push(timeline);
  const asked: string[] = [];
  const byHash = new Map(Object.values(sources).map((s) => [sha256(s), s]));
  const rec = new TimelineSessionRecorder(timeline, header, (hash) => {
    asked.push(hash);
    return byHash.get(hash);
  });
  const plans = (): PlanFrozen[] =>
    timeline
      .window()
      .map((r) => decodeRecord(r.bytes).body)
      .flatMap((b) => (b.case === 'plan_frozen' ? [b.value] : []));
  return { timeline, rec, asked, plans };
}

const plan = (scripts: Record<string, string>) => makePlan([], { scripts });

test('the session header names the timeline format version the file follows', () => {
  const { timeline } = recorder({});
  const first = decodeRecord(timeline.window()[0]!.bytes);
  expect(first.body).toEqual({ case: 'header', value: { ...header, format_version: TIMELINE_FORMAT_VERSION } });
  expect(TIMELINE_FORMAT_VERSION).toBe(1);
});

describe('plan_frozen carries the pinned script sources', () => {
  test('the first plan carries every source it pins, sorted by name, each matching its hash', () => {
    const { rec, plans } = recorder({ BOT, WORDS });
    expect(rec.planFrozen(plan({ words: sha256(WORDS), bot: sha256(BOT) }), 1, 'turn-1')).toBe(true);
    expect(plans()[0]!.scripts).toEqual([
      { name: 'bot', sha256: sha256(BOT), source: BOT },
      { name: 'words', sha256: sha256(WORDS), source: WORDS },
    ]);
  });

  test('a later plan pinning the same hashes refers to them by hash only, and only a changed script brings a new source', () => {
    const { rec, plans, asked } = recorder({ BOT, WORDS, WORDS_V2 });
    rec.planFrozen(plan({ bot: sha256(BOT), words: sha256(WORDS) }), 1, 'turn-1');
    rec.planFrozen(plan({ bot: sha256(BOT), words: sha256(WORDS) }), 2, 'turn-2');
    rec.planFrozen(plan({ bot: sha256(BOT), words: sha256(WORDS_V2) }), 3, 'turn-3');
    const [, second, third] = plans();
    expect(second!.scripts).toEqual([
      { name: 'bot', sha256: sha256(BOT), source: '' },
      { name: 'words', sha256: sha256(WORDS), source: '' },
    ]);
    expect(third!.scripts).toEqual([
      { name: 'bot', sha256: sha256(BOT), source: '' },
      { name: 'words', sha256: sha256(WORDS_V2), source: WORDS_V2 },
    ]);
    // The registry is asked once per hash for the whole session.
    expect(asked.sort()).toEqual([sha256(BOT), sha256(WORDS), sha256(WORDS_V2)].sort());
  });

  test('two names with the same source carry it once within one plan', () => {
    const { rec, plans } = recorder({ WORDS });
    rec.planFrozen(plan({ a: sha256(WORDS), b: sha256(WORDS) }), 1, 'turn-1');
    expect(plans()[0]!.scripts).toEqual([
      { name: 'a', sha256: sha256(WORDS), source: WORDS },
      { name: 'b', sha256: sha256(WORDS), source: '' },
    ]);
  });

  test('a plan without scripts records no script list', () => {
    const { rec, plans } = recorder({});
    expect(rec.planFrozen(plan({}), 1, 'turn-1')).toBe(true);
    expect(plans()[0]).not.toHaveProperty('scripts');
  });

  test('a plan whose source cannot be found is not recorded and answers false: the turn has no replayable evidence', () => {
    const { rec, plans } = recorder({ BOT });
    expect(rec.planFrozen(plan({ bot: sha256(BOT), words: sha256(WORDS) }), 1, 'turn-1')).toBe(false);
    expect(plans()).toEqual([]);
    // Nothing was marked recorded: the next plan still carries the source it can find.
    rec.planFrozen(plan({ bot: sha256(BOT) }), 2, 'turn-2');
    expect(plans()[0]!.scripts).toEqual([{ name: 'bot', sha256: sha256(BOT), source: BOT }]);
  });

  test('a recorder without a source lookup refuses plans that pin scripts and keeps plans that pin none', () => {
    const timeline = new TimelineRecorder({ session_id: 'sess-1', memoryRecords: 8, clock: new VirtualClock() });
    open.push(timeline);
    const rec = new TimelineSessionRecorder(timeline, header);
    expect(rec.planFrozen(plan({ bot: sha256(BOT) }), 1, 'turn-1')).toBe(false);
    expect(rec.planFrozen(plan({}), 1, 'turn-1')).toBe(true);
  });

  test('a plan the timeline refuses answers false', async () => {
    const { timeline, rec, plans } = recorder({ BOT });
    await timeline.close();
    expect(rec.planFrozen(plan({ bot: sha256(BOT) }), 1, 'turn-1')).toBe(false);
    expect(plans()).toEqual([]);
  });
});
