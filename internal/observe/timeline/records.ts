// Owns the TimelineRecord wire format (proto/baton/v1/timeline.proto): body types, canonical encode and strict decode; it never re-encodes an ingress envelope and never does I/O.
import { createHash } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import type { AnyEnvelope } from '../../../api/eventabi/kinds.js';
import { encodeBinary } from '../../../api/eventabi/codec-binary.js';
import { protoDir, protoFile } from '../../../api/proto-files.js';

/** SessionHeader: the first record of every timeline. */
export interface SessionHeader {
  tenant: string;
  pipeline: string;
  pipeline_version: string;
  seed: number;
  codec: string;
  sample_rate: number;
  kernel_version: string;
  /** Informational only; replay never decides on it. */
  opened_wall_ms: number;
  /** TIMELINE_FORMAT_VERSION of the writer; absent in files written before it was recorded. */
  format_version?: number;
}

/**
 * The layout docs/timeline.md describes. It changes only when a reader of
 * the previous layout would misread a file; appended fields a reader can skip
 * do not change it.
 */
export const TIMELINE_FORMAT_VERSION = 1;

/** EgressRecord: one egress frame, by the SHA-256 of its canonical envelope bytes. */
export interface EgressRecord {
  kind: string;
  seq: number;
  epoch: number;
  sha256: Uint8Array;
  size: number;
}

/** Decision: `kind`, `outcome`, `reason` and `detail` keys are the vocabulary of decisions.ts (DECISIONS), checked against a real run by test/kernel/decision-vocabulary.test.ts. */
export interface Decision {
  kind: string;
  outcome: string;
  reason: string;
  detail: Record<string, string>;
}

export interface PlanFrozen {
  plan_hash: string;
  canonical_plan: Uint8Array;
  seed: number;
  /** The plan's pinned scripts by name; absent when it pins none. A source is carried once per timeline (see PinnedScript). */
  scripts?: PinnedScript[];
}

/**
 * One script a frozen plan pins. `source` is verbatim UTF-8 in the first
 * record of the timeline naming `sha256`, and empty in every later one: a
 * long session does not repeat kilobytes of code per turn.
 */
export interface PinnedScript {
  name: string;
  /** Lower-case hex SHA-256 of the source, as in the canonical plan's `scripts` map. */
  sha256: string;
  source: string;
}

export interface NodeInvocation {
  node_id: string;
  node_kind: string;
  input_sha256: Uint8Array;
  output: Uint8Array;
  outcome: string;
  duration_ms: number;
}

/** NondeterministicInput: provider responses, wall time; anything replay cannot recompute. */
export interface NondeterministicInput {
  name: string;
  value: Uint8Array;
}

export interface Rejection {
  code: string;
  message: string;
  ref_id: string;
}

/**
 * The `body` oneof members in field-number order. `ingress` is carried as the
 * canonical EventEnvelope bytes (from encodeBinary), decoded by the caller with
 * decodeBinary: audio is never re-encoded on the way in or out.
 */
export const BODY_CASES = ['header', 'ingress', 'egress', 'decision', 'plan_frozen', 'node_invocation', 'input', 'rejection'] as const;
export type BodyCase = (typeof BODY_CASES)[number];

export interface BodyValues {
  header: SessionHeader;
  ingress: Uint8Array;
  egress: EgressRecord;
  decision: Decision;
  plan_frozen: PlanFrozen;
  node_invocation: NodeInvocation;
  input: NondeterministicInput;
  rejection: Rejection;
}

export type RecordBody = { [C in BodyCase]: { case: C; value: BodyValues[C] } }[BodyCase];

export interface TimelineRecord {
  index: number;
  at_ms: number;
  session_id: string;
  turn_id: string;
  body: RecordBody;
}

/** Thrown by decodeRecord and the readers when bytes are not a valid timeline; the recorder never throws it. */
export class TimelineFormatError extends Error {
  override readonly name = 'TimelineFormatError';
  constructor(
    message: string,
    /** Byte offset of the problem within the buffer or file being read. */
    readonly offset: number,
  ) {
    super(`${message} (at byte offset ${offset})`);
  }
}

// ---- Schema, loaded once from timeline.proto ----

/** `messages` is a repeated embedded message, whose own fields are `fields`. */
type FieldShape = { name: string; shape: 'scalar' | 'bytes' | 'map' } | { name: string; shape: 'messages'; fields: readonly FieldShape[] };

interface BodySchema {
  readonly number: number;
  /** Undefined for ingress, which is spliced as raw bytes. */
  readonly type: protobuf.Type | undefined;
  readonly fields: readonly FieldShape[];
}

/** Field numbers of TimelineRecord's fields outside the body. */
interface HeaderFields {
  readonly index: number;
  readonly at_ms: number;
  readonly session_id: number;
  readonly turn_id: number;
}

interface TimelineSchema {
  readonly header: HeaderFields;
  readonly bodies: ReadonlyMap<BodyCase, BodySchema>;
  readonly byNumber: ReadonlyMap<number, BodyCase>;
}

function shapes(type: protobuf.Type): FieldShape[] {
  return type.fieldsArray
    .filter((f) => !f.partOf)
    .map((f): FieldShape => {
      f.resolve();
      if (f.resolvedType instanceof protobuf.Type) {
        // Only lists of messages occur in bodies; a single embedded message would need its own default handling.
        if (!f.repeated) throw new Error(`timeline.proto: ${type.name}.${f.name} must be a repeated message`);
        return { name: f.name, shape: 'messages', fields: shapes(f.resolvedType) };
      }
      return { name: f.name, shape: f.map ? 'map' : f.type === 'bytes' ? 'bytes' : 'scalar' };
    });
}

/**
 * Fields added after the first layout: optional in the body types and left
 * out of a decoded body when unset, so a body without them decodes as it was
 * appended, as it did before they existed.
 */
const LATER_FIELDS: Partial<Record<BodyCase, readonly string[]>> = {
  header: ['format_version'],
  plan_frozen: ['scripts'],
};

function loadSchema(): TimelineSchema {
  const root = new protobuf.Root();
  // timeline.proto imports "baton/v1/events.proto" relative to the proto root,
  // not to its own directory, which is protobufjs's default resolution.
  root.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(protoDir(), target));
  root.loadSync(protoFile('timeline'), { keepCase: true });
  const record = root.lookupType('baton.v1.TimelineRecord');
  const oneof = record.oneofs?.['body'];
  if (!oneof) throw new Error('timeline.proto: TimelineRecord has no body oneof');
  const members = oneof.fieldsArray;
  if (members.length !== BODY_CASES.length || members.some((f, i) => f.name !== BODY_CASES[i])) {
    throw new Error(`timeline.proto: body members ${members.map((f) => f.name).join(',')} differ from BODY_CASES`);
  }
  const bodies = new Map<BodyCase, BodySchema>();
  const byNumber = new Map<number, BodyCase>();
  for (const field of members) {
    field.resolve();
    const name = field.name as BodyCase;
    const type = name === 'ingress' ? undefined : (field.resolvedType as protobuf.Type);
    bodies.set(name, { number: field.id, type, fields: type ? shapes(type) : [] });
    byNumber.set(field.id, name);
  }
  const headerField = (name: keyof HeaderFields, type: string): number => {
    const field = record.fields[name];
    if (!field || field.type !== type || field.partOf) throw new Error(`timeline.proto: TimelineRecord.${name} must be a ${type}`);
    return field.id;
  };
  const header: HeaderFields = {
    index: headerField('index', 'uint64'),
    at_ms: headerField('at_ms', 'uint64'),
    session_id: headerField('session_id', 'string'),
    turn_id: headerField('turn_id', 'string'),
  };
  for (const [c, names] of Object.entries(LATER_FIELDS)) {
    const known = bodies.get(c as BodyCase)!.fields.map((f) => f.name);
    for (const name of names) if (!known.includes(name)) throw new Error(`timeline.proto: ${c} has no field ${name}`);
  }
  // writeRecord writes these before the body; canonical order needs them numbered lower.
  if (Math.max(...Object.values(header)) > Math.min(...byNumber.keys())) throw new Error('timeline.proto: body members must be numbered after the header fields');
  return { header, bodies, byNumber };
}

const SCHEMA = loadSchema();

// ---- Encoding ----

/**
 * A copy holding only non-default fields, map keys inserted in sorted order:
 * protobufjs writes any present field, zeros included, and maps in key
 * insertion order, so without this the same record could encode two ways.
 */
function canonical(fields: readonly FieldShape[], value: object): Record<string, unknown> {
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const { name, shape } = field;
    const v = src[name];
    if (v === undefined || v === null || v === '' || v === 0 || v === false) continue;
    if (shape === 'bytes' && (v as Uint8Array).length === 0) continue;
    if (shape === 'messages') {
      if (!Array.isArray(v)) throw new TypeError(`${name}: must be an array`);
      if (v.length === 0) continue;
      out[name] = v.map((item: unknown) => {
        if (typeof item !== 'object' || item === null) throw new TypeError(`${name}: every element must be an object`);
        return canonical(field.fields, item);
      });
      continue;
    }
    if (shape === 'map') {
      const keys = Object.keys(v as object).sort();
      if (keys.length === 0) continue;
      // Null prototype: a "__proto__" key must stay a key.
      const sorted: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const k of keys) sorted[k] = (v as Record<string, unknown>)[k];
      out[name] = sorted;
      continue;
    }
    out[name] = v;
  }
  return out;
}

function encodeMessage(type: protobuf.Type, fields: readonly FieldShape[], value: object, writer: protobuf.Writer): void {
  const msg = canonical(fields, value);
  const problem = type.verify(msg);
  if (problem) throw new TypeError(`${type.name}: ${problem}`);
  type.encode(msg, writer);
}

function bodySchema(c: BodyCase): BodySchema {
  const schema = SCHEMA.bodies.get(c);
  if (!schema) throw new TypeError(`unknown timeline body "${String(c)}"`);
  return schema;
}

/** Writes one TimelineRecord into `writer` (no length prefix). */
function writeRecord(rec: TimelineRecord, writer: protobuf.Writer): void {
  // The four fields outside the body are written by hand, not through the
  // reflection encoder: this runs for every audio frame, and fixed fields need
  // no verify-and-copy pass. They are numbered below every body member (checked
  // at load), so writing the body after them keeps canonical field order.
  const h = SCHEMA.header;
  if (rec.index !== 0) writer.uint32(h.index << 3).uint64(rec.index);
  if (rec.at_ms !== 0) writer.uint32(h.at_ms << 3).uint64(rec.at_ms);
  if (rec.session_id !== '') writer.uint32((h.session_id << 3) | 2).string(rec.session_id);
  if (rec.turn_id !== '') writer.uint32((h.turn_id << 3) | 2).string(rec.turn_id);
  const { number, type, fields } = bodySchema(rec.body.case);
  if (rec.body.case === 'ingress') {
    // An embedded message is a length-delimited field on the wire, so the
    // envelope's canonical bytes are spliced as they are.
    if (!(rec.body.value instanceof Uint8Array)) throw new TypeError('ingress body must be encoded envelope bytes');
    writer.uint32((number << 3) | 2).bytes(rec.body.value);
    return;
  }
  writer.uint32((number << 3) | 2).fork();
  encodeMessage(type!, fields, rec.body.value, writer);
  writer.ldelim();
}

// Writers hand out slices of shared 8 KiB pools; a record kept in the window
// must not pin a whole slab, so finished bytes are copied to an exact array.
function exact(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Canonical bytes of one TimelineRecord. Throws TypeError on a malformed body. */
export function encodeRecord(rec: TimelineRecord): Uint8Array {
  const writer = protobuf.Writer.create();
  writeRecord(rec, writer);
  return exact(writer.finish());
}

/** One record as a length-delimited frame (varint length, then the record), plus where the record starts. */
export function encodeFrame(rec: TimelineRecord): { frame: Uint8Array; recordOffset: number } {
  const writer = protobuf.Writer.create();
  writer.fork();
  writeRecord(rec, writer);
  writer.ldelim();
  const frame = exact(writer.finish());
  return { frame, recordOffset: frame.length - recordLength(frame) };
}

function recordLength(frame: Uint8Array): number {
  let len = 0;
  for (let i = 0, shift = 0; i < frame.length; i++, shift += 7) {
    const byte = frame[i]!;
    len += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return len;
  }
  return 0;
}

/** The egress body for one frame: hash and size of its canonical envelope bytes. */
export function egressBody(event: AnyEnvelope, canonicalBytes: Uint8Array = encodeBinary(event)): RecordBody {
  return {
    case: 'egress',
    value: {
      kind: event.kind,
      seq: event.seq,
      epoch: event.epoch,
      sha256: new Uint8Array(createHash('sha256').update(canonicalBytes).digest()),
      size: canonicalBytes.length,
    },
  };
}

// ---- Decoding ----

type Long = { toNumber(): number; greaterThan(n: number): boolean };

function safeUint64(reader: protobuf.Reader, what: string, base: number): number {
  const at = reader.pos;
  const v = reader.uint64() as unknown as Long | number;
  if (typeof v === 'number') return v;
  if (v.greaterThan(Number.MAX_SAFE_INTEGER)) throw new TimelineFormatError(`${what} exceeds 2^53-1`, base + at);
  return v.toNumber();
}

function asView(v: unknown): Uint8Array {
  const b = v as Uint8Array;
  return Buffer.isBuffer(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : b;
}

/** Plain Uint8Array views for bytes, so decoded records compare equal to what was appended. */
function plain(fields: readonly FieldShape[], obj: Record<string, unknown>): void {
  for (const f of fields) {
    if (f.shape === 'bytes') obj[f.name] = asView(obj[f.name]);
    if (f.shape === 'messages') for (const item of obj[f.name] as Record<string, unknown>[]) plain(f.fields, item);
  }
}

function decodeBody(c: BodyCase, bytes: Uint8Array): RecordBody {
  if (c === 'ingress') return { case: 'ingress', value: asView(bytes) };
  const { type, fields } = bodySchema(c);
  const obj = type!.toObject(type!.decode(bytes), { longs: Number, defaults: true }) as Record<string, unknown>;
  plain(fields, obj);
  for (const name of LATER_FIELDS[c] ?? []) {
    const v = obj[name];
    if (v === 0 || v === '' || (Array.isArray(v) && v.length === 0)) delete obj[name];
  }
  return { case: c, value: obj } as unknown as RecordBody;
}

/**
 * Decodes one TimelineRecord (no length prefix). Strict at the record level:
 * unknown fields, wrong wire types and a second body are errors. The ingress
 * body is returned as a view of `bytes` (no copy). `base` shifts the offsets
 * reported in errors (the record's position in a larger stream).
 */
export function decodeRecord(bytes: Uint8Array, base = 0): TimelineRecord {
  const reader = protobuf.Reader.create(bytes);
  const rec: Omit<TimelineRecord, 'body'> & { body?: RecordBody } = { index: 0, at_ms: 0, session_id: '', turn_id: '' };
  const h = SCHEMA.header;
  try {
    while (reader.pos < reader.len) {
      const at = reader.pos;
      const tag = reader.uint32();
      const number = tag >>> 3;
      const wire = tag & 7;
      const wants = (expected: number): void => {
        if (wire !== expected) throw new TimelineFormatError(`field ${number} has wire type ${wire}, expected ${expected}`, base + at);
      };
      if (number === h.index || number === h.at_ms) {
        wants(0);
        const name = number === h.index ? 'index' : 'at_ms';
        rec[name] = safeUint64(reader, name, base);
        continue;
      }
      if (number === h.session_id || number === h.turn_id) {
        wants(2);
        rec[number === h.session_id ? 'session_id' : 'turn_id'] = reader.string();
        continue;
      }
      const c = SCHEMA.byNumber.get(number);
      if (!c) throw new TimelineFormatError(`unknown TimelineRecord field ${number}`, base + at);
      wants(2);
      if (rec.body) throw new TimelineFormatError(`second body ${c} after ${rec.body.case}`, base + at);
      const len = reader.uint32();
      const start = reader.pos;
      if (start + len > reader.len) throw new TimelineFormatError(`body ${c} of ${len} bytes is truncated`, base + at);
      reader.pos = start + len;
      try {
        rec.body = decodeBody(c, bytes.subarray(start, start + len));
      } catch (err) {
        if (err instanceof TimelineFormatError) throw err;
        throw new TimelineFormatError(`body ${c}: ${(err as Error).message}`, base + start);
      }
    }
  } catch (err) {
    if (err instanceof TimelineFormatError) throw err;
    // protobufjs reports running off the end as a RangeError ("index out of range").
    throw new TimelineFormatError(`malformed TimelineRecord: ${(err as Error).message}`, base + reader.pos);
  }
  if (!rec.body) throw new TimelineFormatError('TimelineRecord has no body', base);
  return rec as TimelineRecord;
}
