// Fields added to the first timeline layout: the script sources a plan pins travel inside its plan_frozen record (round-trip byte for byte, one canonical encoding), the header names the format version, and a body without them is written and read as before.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type PinnedScript, type TimelineRecord, decodeRecord, encodeRecord } from './records.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function planRecord(scripts?: PinnedScript[]): TimelineRecord {
  return {
    index: 3,
    at_ms: 10,
    session_id: 's',
    turn_id: 'turn-1',
    body: { case: 'plan_frozen', value: { plan_hash: 'ab'.repeat(32), canonical_plan: new TextEncoder().encode('{}'), seed: 9, ...(scripts ? { scripts } : {}) } },
  };
}

describe('pinned script sources in plan_frozen', () => {
  test('a source survives encode and decode verbatim, multi-byte UTF-8 and newlines included, next to a by-hash reference', () => {
    const source = "export default function handle(input) {\n  return 'héllo → ' + input.text + ' 👋';\n}\n";
    const scripts = [
      { name: 'bot/rules', sha256: sha256(source), source },
      { name: 'lib/words', sha256: sha256('x'), source: '' },
    ];
    const decoded = decodeRecord(encodeRecord(planRecord(scripts)));
    expect(decoded).toEqual(planRecord(scripts));
    const value = decoded.body.case === 'plan_frozen' ? decoded.body.value : undefined;
    expect(sha256(value!.scripts![0]!.source)).toBe(value!.scripts![0]!.sha256);
  });

  test('an empty script list is not written: the record is byte-identical to one without the field', () => {
    expect(Buffer.from(encodeRecord(planRecord([]))).equals(Buffer.from(encodeRecord(planRecord())))).toBe(true);
    expect(decodeRecord(encodeRecord(planRecord([])))).toEqual(planRecord());
  });

  test('a header written before format_version existed decodes without it; one with it keeps it', () => {
    const header = { tenant: 't', pipeline: 'p', pipeline_version: '1', seed: 1, codec: 'pcm16', sample_rate: 16000, kernel_version: 'k', opened_wall_ms: 0 };
    const rec = (value: typeof header & { format_version?: number }): TimelineRecord => ({ index: 0, at_ms: 0, session_id: 's', turn_id: '', body: { case: 'header', value } });
    expect(decodeRecord(encodeRecord(rec(header))).body.value).not.toHaveProperty('format_version');
    expect(decodeRecord(encodeRecord(rec({ ...header, format_version: 1 }))).body.value).toEqual({ ...header, format_version: 1 });
  });

  test('a script list that is not a list of objects is refused, not written half', () => {
    expect(() => encodeRecord(planRecord('bot' as unknown as PinnedScript[]))).toThrow(TypeError);
    expect(() => encodeRecord(planRecord([null as unknown as PinnedScript]))).toThrow(TypeError);
    expect(() => encodeRecord(planRecord([{ name: 'bot', sha256: 7, source: '' } as unknown as PinnedScript]))).toThrow(TypeError);
  });

  test('for any scripts, decode(encode(plan)) is the plan and encode is deterministic', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 40 });
    const script = fc.record({ name: text, sha256: fc.stringMatching(/^[0-9a-f]{64}$/), source: text });
    fc.assert(
      fc.property(fc.array(script, { minLength: 1, maxLength: 6 }), (scripts) => {
        const bytes = encodeRecord(planRecord(scripts));
        expect(decodeRecord(bytes)).toEqual(planRecord(scripts));
        expect(Buffer.from(encodeRecord(decodeRecord(bytes))).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
