// Fuzzes the two gateway decoders with what a hostile or broken gateway can
// send: random bytes, damaged protobuf frames, random JSON and damaged JSON
// envelopes. Whatever arrives, a decoder answers (never throws), and its
// answer is either an event the validator accepts and both encodings carry
// unchanged, or a typed error from the one error taxonomy that is never
// `internal`. Valid envelopes generated from the kind table and the proto
// schema survive both encodings unchanged. About 105,000 runs in all.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  ALL_KINDS,
  type AnyEnvelope,
  type Decoded,
  ERROR_CODES,
  type FieldDesc,
  KINDS,
  type Kind,
  MAX_ID_LENGTH,
  type Payloads,
  SAMPLE_RATES,
  anyEnvelope,
  checkEvent,
  decodeBinary,
  decodeJson,
  encodeBinary,
  encodeJson,
  payloadDesc,
} from '../../api/eventabi/index.js';
import { DTMF_DIGITS, canonical } from '../contract/eventabi-fixtures.js';

const RUNS = {
  validIdentity: 15_000,
  randomBytes: 25_000,
  mutatedFrames: 30_000,
  randomJson: 15_000,
  mutatedJson: 20_000,
} as const;

// ---------------------------------------------------------------- text

/**
 * One code point of well-formed Unicode, ASCII-heavy. Two inputs are left out
 * because each is a known codec defect pinned by its own failing test in
 * test/contract/eventabi.test.ts ("codec defects"); keeping them out lets these
 * properties keep guarding everything else. Drop the exclusions once fixed:
 * - U+FEFF: decodeBinary strips it at the start of a string;
 * - unpaired surrogates: decodeJson accepts them, protobuf cannot carry them.
 */
const CHAR = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 0, max: 0x10ffff })
      .filter((cp) => (cp < 0xd800 || cp > 0xdfff) && cp !== 0xfeff)
      .map((cp) => String.fromCodePoint(cp)),
  },
);

const text = (minLength: number, maxLength: number): fc.Arbitrary<string> => fc.string({ unit: CHAR, minLength, maxLength });

/** Ids stay within MAX_ID_LENGTH UTF-16 code units (a code point may take two). */
const idText = (minLength: number): fc.Arbitrary<string> => text(minLength, MAX_ID_LENGTH / 2);

// ---------------------------------------------------------------- valid envelopes, from the kind table and the schema

const uint64 = fc.oneof(fc.constantFrom(0, 1, Number.MAX_SAFE_INTEGER), fc.maxSafeNat());

function fieldArbitrary(kind: Kind, field: FieldDesc): fc.Arbitrary<unknown> {
  const info = KINDS[kind];
  const allowed = 'enums' in info ? (info.enums as Record<string, readonly string[]>)[field.name] : undefined;
  if (allowed) return fc.constantFrom(...allowed);
  if (kind === 'dtmf' && field.name === 'digit') return fc.constantFrom(...DTMF_DIGITS);
  switch (field.type) {
    case 'string':
      // Required strings must be non-empty; an optional one may be present and empty.
      return text(field.optional ? 0 : 1, 64);
    case 'bytes':
      return fc.uint8Array({ minLength: 1, maxLength: 960 });
    case 'uint32':
      return fc.nat();
    case 'uint64':
      return uint64;
    case 'bool':
      return fc.boolean();
    case 'double':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
  }
}

const ALL_RATES = [...new Set(Object.values(SAMPLE_RATES).flat())];

function payloadArbitrary(kind: Kind): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const requiredKeys: string[] = [];
  for (const field of payloadDesc(kind).fields) {
    model[field.name] = field.name === 'sample_rate' ? fc.constantFrom(...ALL_RATES) : fieldArbitrary(kind, field);
    if (!field.optional) requiredKeys.push(field.name);
  }
  return fc.record(model, { requiredKeys }).map((raw) => {
    const payload: Record<string, unknown> = { ...raw };
    // The rules validate.ts adds beyond the schema: a negotiable format and an ordered drop range.
    if ('codec' in payload && 'sample_rate' in payload) {
      const rates = SAMPLE_RATES[payload['codec'] as keyof typeof SAMPLE_RATES];
      if (!rates.includes(payload['sample_rate'] as number)) payload['sample_rate'] = rates[0];
    }
    if (kind === 'drop.notice' && (payload['seq_to'] as number) < (payload['seq_from'] as number)) {
      [payload['seq_from'], payload['seq_to']] = [payload['seq_to'], payload['seq_from']];
    }
    return payload;
  });
}

function needsTurnId(kind: Kind, payload: Record<string, unknown>): boolean {
  switch (KINDS[kind].turnScope) {
    case 'required':
      return true;
    case 'cancel':
      return payload['scope'] === 'turn';
    case 'transcript':
      return payload['role'] === 'assistant';
    default:
      return false;
  }
}

const PAYLOADS = new Map(ALL_KINDS.map((kind) => [kind, payloadArbitrary(kind)]));

const validEnvelope: fc.Arbitrary<AnyEnvelope> = fc.constantFrom(...ALL_KINDS).chain((kind) =>
  fc
    .record({
      id: idText(1),
      session_id: idText(0),
      turn_id: idText(1),
      epoch: uint64,
      seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      media_ms: uint64,
      wall_ms: uint64,
      payload: PAYLOADS.get(kind)!,
    })
    .map(({ payload, turn_id, ...fields }) => anyEnvelope(kind, payload as Payloads[Kind], { ...fields, turn_id: needsTurnId(kind, payload) ? turn_id : '' })),
);

// ---------------------------------------------------------------- the outcome contract

function fail(message: string, detail: unknown): never {
  throw new Error(`${message}: ${JSON.stringify(canonical(detail))}`);
}

function same(a: AnyEnvelope, b: AnyEnvelope): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Runs a decoder, turning a throw into a property failure that says so. */
function decodeSafely<T>(decode: (input: T) => Decoded<AnyEnvelope>, input: T): Decoded<AnyEnvelope> {
  try {
    return decode(input);
  } catch (err) {
    throw new Error(`decoder threw instead of answering: ${(err as Error)?.stack ?? String(err)}`);
  }
}

/**
 * The answer to any frame: a valid event that both encodings carry unchanged,
 * or a typed error from ERROR_CODES, never `internal`, with a message and a
 * ref_id only when one was readable.
 */
function checkOutcome(result: Decoded<AnyEnvelope>): void {
  if (result.ok) {
    const event = result.event;
    const problem = checkEvent(event);
    if (problem) fail(`accepted an event checkEvent rejects (${problem.message})`, event);
    const viaBinary = decodeBinary(encodeBinary(event));
    if (!viaBinary.ok) fail(`accepted event does not survive protobuf (${viaBinary.error.message})`, event);
    if (!same(viaBinary.event, event)) fail('accepted event changes through protobuf', [event, viaBinary.event]);
    const viaJson = decodeJson(encodeJson(event));
    if (!viaJson.ok) fail(`accepted event does not survive JSON (${viaJson.error.message})`, event);
    if (!same(viaJson.event, event)) fail('accepted event changes through JSON', [event, viaJson.event]);
    return;
  }
  const { code, message, ref_id } = result.error;
  if (!(ERROR_CODES as readonly string[]).includes(code)) fail('error code outside ERROR_CODES', result.error);
  if (code === 'internal') fail('decoder reported internal', result.error);
  if (typeof message !== 'string' || message.length === 0) fail('error without a message', result.error);
  if (ref_id !== undefined && (typeof ref_id !== 'string' || ref_id.length === 0)) fail('empty ref_id', result.error);
}

// ---------------------------------------------------------------- frame mutations

type FrameMutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; byte: number }
  | { op: 'delete'; at: number }
  | { op: 'overwrite'; at: number; byte: number }
  | { op: 'splice'; at: number; otherAt: number }
  | { op: 'repeat'; at: number; length: number };

const position = fc.nat({ max: 4096 });
const frameMutation: fc.Arbitrary<FrameMutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.nat({ max: 7 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  fc.record({ op: fc.constant('insert' as const), at: position, byte: fc.nat({ max: 255 }) }),
  fc.record({ op: fc.constant('delete' as const), at: position }),
  fc.record({ op: fc.constant('overwrite' as const), at: position, byte: fc.constantFrom(0x00, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x30, 0xed) }),
  fc.record({ op: fc.constant('splice' as const), at: position, otherAt: position }),
  fc.record({ op: fc.constant('repeat' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
);

function mutateFrame(frame: Buffer, other: Buffer, m: FrameMutation): Buffer {
  const at = frame.length === 0 ? 0 : m.at % (frame.length + 1);
  const inside = frame.length === 0 ? 0 : m.at % frame.length;
  switch (m.op) {
    case 'flip': {
      if (frame.length === 0) return frame;
      const out = Buffer.from(frame);
      out[inside] = out[inside]! ^ (1 << m.bit);
      return out;
    }
    case 'truncate':
      return frame.subarray(0, at);
    case 'insert':
      return Buffer.concat([frame.subarray(0, at), Buffer.from([m.byte]), frame.subarray(at)]);
    case 'delete':
      return Buffer.concat([frame.subarray(0, inside), frame.subarray(inside + 1)]);
    case 'overwrite': {
      if (frame.length === 0) return frame;
      const out = Buffer.from(frame);
      out[inside] = m.byte;
      return out;
    }
    case 'splice':
      return Buffer.concat([frame.subarray(0, at), other.subarray(m.otherAt % (other.length + 1))]);
    case 'repeat':
      // Appends a copy of a slice: repeated fields, repeated payload members, or garbage after a field.
      return Buffer.concat([frame, frame.subarray(inside, inside + m.length)]);
  }
}

// ---------------------------------------------------------------- JSON mutations

type JsonObject = Record<string, unknown>;

/** One edit of a JSON envelope; `pick`, `value`, `name` and `size` are the random choices the edit draws on. */
interface JsonMutation {
  readonly op: 'delete' | 'rename' | 'swap' | 'nest' | 'huge' | 'unicode' | 'number' | 'add' | 'text';
  readonly inPayload: boolean;
  readonly pick: number;
  readonly value: unknown;
  readonly name: string;
  readonly size: number;
}

const jsonMutation: fc.Arbitrary<JsonMutation> = fc.record({
  op: fc.constantFrom('delete', 'rename', 'swap', 'nest', 'huge', 'unicode', 'number', 'add', 'text'),
  inPayload: fc.boolean(),
  pick: fc.nat(),
  value: fc.jsonValue({ maxDepth: 3, stringUnit: CHAR }),
  name: fc.oneof(fc.constantFrom('lane', 'payload', 'turnId', 'Kind', 'SEQ', '__proto__', 'constructor', 'audio', 'text', 'seed', 'epoch', ''), text(0, 12)),
  size: fc.nat({ max: 200_000 }),
});

const NUMBER_EDGES = [-1, -0.5, 0.5, 1e21, 2 ** 32, 2 ** 53, 2 ** 53 - 1, 2 ** 64, Number.MAX_VALUE, Number.MIN_VALUE, -(2 ** 53)];

function nested(depth: number, leaf: unknown, asArray: boolean): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { x: value };
  return value;
}

/** Applies one mutation to the object form of an envelope (or, for `text`, marks a text-level edit). */
function mutateJson(envelope: JsonObject, m: JsonMutation): void {
  const payload = envelope['payload'];
  const target: JsonObject = m.inPayload && payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as JsonObject) : envelope;
  const keys = Object.keys(target);
  const key = keys.length > 0 ? keys[m.pick % keys.length]! : undefined;
  switch (m.op) {
    case 'delete':
      if (key !== undefined) delete target[key];
      return;
    case 'rename': {
      if (key === undefined) return;
      const renamed = [key.toUpperCase(), key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), `${key}_`, ` ${key}`, m.name][m.pick % 5]!;
      const value = target[key];
      delete target[key];
      Object.defineProperty(target, renamed, { value, enumerable: true, configurable: true, writable: true });
      return;
    }
    case 'swap':
      if (key !== undefined) target[key] = m.value;
      return;
    case 'nest':
      // Up to 500 levels per mutation (three can stack): deep enough to test the decoder, shallow enough for the test's own JSON.stringify.
      if (key !== undefined) target[key] = nested(1 + (m.size % 500), target[key], m.pick % 2 === 0);
      return;
    case 'huge':
      if (key !== undefined) {
        const seed = typeof target[key] === 'string' && (target[key] as string).length > 0 ? (target[key] as string) : 'x';
        // Whole repetitions only: cutting inside a surrogate pair would make an unpaired surrogate (see CHAR).
        target[key] = seed.repeat(Math.ceil((1 + m.size) / seed.length));
      }
      return;
    case 'unicode':
      if (key !== undefined) target[key] = typeof m.value === 'string' ? m.value : `${String(target[key])}\u0301\u{1F44B}\u200D\u0000`;
      return;
    case 'number':
      if (key !== undefined) target[key] = NUMBER_EDGES[m.pick % NUMBER_EDGES.length];
      return;
    case 'add':
      Object.defineProperty(target, m.name, { value: m.value, enumerable: true, configurable: true, writable: true });
      return;
    case 'text':
      return; // applied to the serialized text by mutateText
  }
}

function mutateText(json: string, m: JsonMutation): string {
  if (m.op !== 'text') return json;
  // Edits at code point boundaries, so they never split a surrogate pair (see CHAR).
  const points = Array.from(json);
  const at = m.pick % (points.length + 1);
  switch (m.size % 4) {
    case 0:
      return points.slice(0, at).join('');
    case 1:
      return points.slice(0, at).join('') + (typeof m.value === 'string' ? m.value : JSON.stringify(m.value)) + points.slice(at).join('');
    case 2:
      return points.slice(0, at).join('') + points.slice(at + 1).join('');
    default:
      // Repeats the envelope's members: JSON.parse keeps the last of a duplicate key, the decoder must still be strict.
      return json.slice(0, -1) + ',' + json.slice(1);
  }
}

// ---------------------------------------------------------------- loose JSON envelopes, to reach past the first check

const payloadFieldNames = [...new Set(ALL_KINDS.flatMap((k) => payloadDesc(k).fields.map((f) => f.name)))];
const anyJson = fc.jsonValue({ maxDepth: 3, stringUnit: CHAR });

/** Mostly the right value, sometimes any JSON value, sometimes absent (JSON.stringify drops undefined). */
function mostly<T>(right: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 8, arbitrary: right }, { weight: 1, arbitrary: anyJson }, { weight: 1, arbitrary: fc.constant(undefined) });
}

const looseEnvelope = fc.record({
  v: mostly(fc.constant('1.0')),
  id: mostly(idText(1)),
  session_id: mostly(idText(0)),
  turn_id: fc.oneof(fc.constant(undefined), idText(0), anyJson),
  epoch: mostly(fc.oneof(uint64.map(String), uint64)),
  seq: mostly(fc.integer({ min: 1, max: 100 })),
  kind: mostly(fc.constantFrom(...ALL_KINDS)),
  media_ms: fc.oneof(fc.constant(undefined), uint64, anyJson),
  payload: mostly(
    fc.dictionary(
      fc.constantFrom(...payloadFieldNames, 'x'),
      fc.oneof(
        text(0, 8),
        fc.constantFrom(...ALL_RATES, 0, 'pcm16', 'mulaw', 'turn', 'session', 'user', 'assistant', 'data', 'ingress', '5', 'AAAA', '3', true, false),
        anyJson,
      ),
      { maxKeys: 4 },
    ),
  ),
});

// ---------------------------------------------------------------- properties

describe('gateway decoders under fuzzing', () => {
  it('carry every valid envelope built from the kind table and schema through both encodings unchanged', () => {
    fc.assert(
      fc.property(validEnvelope, (event) => {
        const problem = checkEvent(event);
        if (problem) fail(`generator built an invalid envelope (${problem.message})`, event);
        const viaBinary = decodeBinary(encodeBinary(event));
        if (!viaBinary.ok) fail(`valid envelope rejected after protobuf (${viaBinary.error.code}: ${viaBinary.error.message})`, event);
        if (!same(viaBinary.event, event)) fail('protobuf encode/decode is not the identity', [event, viaBinary.event]);
        const viaJson = decodeJson(encodeJson(event));
        if (!viaJson.ok) fail(`valid envelope rejected after JSON (${viaJson.error.code}: ${viaJson.error.message})`, event);
        if (!same(viaJson.event, event)) fail('JSON encode/decode is not the identity', [event, viaJson.event]);
      }),
      { numRuns: RUNS.validIdentity },
    );
  });

  it('answer random bytes on a protobuf stream with a typed error or a valid event, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        checkOutcome(decodeSafely(decodeBinary, bytes));
      }),
      { numRuns: RUNS.randomBytes },
    );
  });

  it('answer damaged protobuf frames (bit flips, truncation, insertion, deletion, splices) with a typed error or a valid event', () => {
    fc.assert(
      fc.property(validEnvelope, validEnvelope, fc.array(frameMutation, { minLength: 1, maxLength: 4 }), (a, b, mutations) => {
        const other = Buffer.from(encodeBinary(b));
        let frame: Buffer = Buffer.from(encodeBinary(a));
        for (const m of mutations) frame = mutateFrame(frame, other, m);
        // A fresh copy, so the decoded event's bytes alias a buffer nothing else touches.
        checkOutcome(decodeSafely(decodeBinary, new Uint8Array(frame)));
      }),
      { numRuns: RUNS.mutatedFrames },
    );
  });

  it('answer random JSON texts and values with a typed error or a valid event, never a throw', () => {
    const randomText = fc.oneof(
      { weight: 2, arbitrary: fc.jsonValue({ stringUnit: CHAR }).map((v) => JSON.stringify(v) ?? 'null') },
      { weight: 1, arbitrary: text(0, 200) },
      { weight: 4, arbitrary: looseEnvelope.map((v) => JSON.stringify(v)) },
    );
    fc.assert(
      fc.property(randomText, (json) => {
        checkOutcome(decodeSafely(decodeJson, json));
      }),
      { numRuns: RUNS.randomJson },
    );
  });

  it('answer damaged JSON envelopes (deleted, renamed and retyped keys, deep nesting, huge and unicode strings) with a typed error or a valid event', () => {
    fc.assert(
      fc.property(validEnvelope, fc.array(jsonMutation, { minLength: 1, maxLength: 3 }), (event, mutations) => {
        const object = JSON.parse(encodeJson(event)) as JsonObject;
        for (const m of mutations) mutateJson(object, m);
        let json = JSON.stringify(object);
        for (const m of mutations) json = mutateText(json, m);
        checkOutcome(decodeSafely(decodeJson, json));
      }),
      { numRuns: RUNS.mutatedJson },
    );
  });
});
