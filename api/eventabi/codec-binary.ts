// Binary encoding of the Event ABI (`baton.v1.proto`): one protobuf
// EventEnvelope per frame. Decoding is strict: unknown fields, wrong wire
// types, a second payload member or a payload that does not belong to the
// kind are errors, never silently skipped.
import protobuf from 'protobufjs';
import { type AbiError, type Decoded, DecodeFailure, abiError } from './errors.js';
import { type AnyEnvelope, type Kind, isKind } from './kinds.js';
import { EVENT_SCHEMA, type FieldDesc, type PayloadDesc, payloadDesc } from './schema.js';
import { checkEnvelope, checkEvent } from './validate.js';
import { WireReader } from './wire.js';

type Mutable = Record<string, unknown>;

function readField(reader: WireReader, field: FieldDesc, wireType: number): unknown {
  if (wireType !== field.wireType) reader.fail(`field ${field.name} has wire type ${wireType}, expected ${field.wireType}`);
  switch (field.type) {
    case 'string':
      return reader.string();
    case 'bytes':
      return reader.bytes();
    case 'uint32':
      return reader.uint32();
    case 'uint64':
      return reader.uint64();
    case 'bool':
      return reader.bool();
    case 'double':
      return reader.double();
  }
}

function readPayload(buf: Buffer, start: number, end: number, desc: PayloadDesc): Mutable {
  const reader: WireReader = new WireReader(buf, start, end, 'invalid_payload');
  const payload: Mutable = {};
  while (!reader.done) {
    const tag = reader.uint32();
    const field = desc.byNumber.get(tag >>> 3);
    if (!field) reader.fail(`${desc.kind} payload has unknown field ${tag >>> 3}`);
    payload[field.name] = readField(reader, field, tag & 7);
  }
  for (const field of desc.fields) {
    if (payload[field.name] === undefined && !field.optional) payload[field.name] = zeroValue(field);
  }
  return payload;
}

export function zeroValue(field: FieldDesc): unknown {
  switch (field.type) {
    case 'string':
      return '';
    case 'bytes':
      return EMPTY_BYTES;
    case 'bool':
      return false;
    default:
      return 0;
  }
}

const EMPTY_BYTES = Buffer.alloc(0);

/** Decodes one binary frame into a validated envelope, or a typed error. Never throws. */
export function decodeBinary(frame: Uint8Array): Decoded<AnyEnvelope> {
  const buf = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const env: Mutable = { v: '', id: '', session_id: '', turn_id: '', epoch: 0, seq: 0, kind: '', media_ms: 0, wall_ms: 0 };
  let payloadAt: { desc: PayloadDesc; start: number; end: number } | undefined;
  try {
    const reader: WireReader = new WireReader(buf, 0, buf.length, 'invalid_event');
    while (!reader.done) {
      const tag = reader.uint32();
      const number = tag >>> 3;
      const field = EVENT_SCHEMA.envelopeByNumber.get(number);
      if (field) {
        env[field.name] = readField(reader, field, tag & 7);
        continue;
      }
      const desc = EVENT_SCHEMA.payloadByNumber.get(number);
      if (!desc) reader.fail(`unknown envelope field ${number}`);
      if ((tag & 7) !== 2) reader.fail(`payload ${desc.member} has wire type ${tag & 7}, expected 2`);
      const [start, end] = reader.delimited();
      if (payloadAt) throw new DecodeFailure('invalid_payload', `more than one payload (${payloadAt.desc.member}, ${desc.member})`);
      payloadAt = { desc, start, end };
    }
  } catch (err) {
    return failure(err, env);
  }
  return finish(env, payloadAt, buf);
}

function finish(env: Mutable, payloadAt: { desc: PayloadDesc; start: number; end: number } | undefined, buf: Buffer): Decoded<AnyEnvelope> {
  const kind = env['kind'] as string;
  const ref = (env['id'] as string) || undefined;
  const early = checkEnvelope(env);
  if (early) return { ok: false, error: early };
  if (!isKind(kind)) return { ok: false, error: abiError('unknown_kind', `unknown kind "${kind}"`, ref) };
  const desc = payloadDesc(kind);
  try {
    if (payloadAt && payloadAt.desc !== desc) {
      throw new DecodeFailure('invalid_payload', `payload ${payloadAt.desc.member} does not match kind ${kind} (expected ${desc.member})`);
    }
    env['payload'] = payloadAt ? readPayload(buf, payloadAt.start, payloadAt.end, desc) : readPayload(buf, 0, 0, desc);
  } catch (err) {
    return failure(err, env);
  }
  const event = env as unknown as AnyEnvelope;
  const problem = checkEvent(event);
  return problem ? { ok: false, error: problem } : { ok: true, event };
}

function failure(err: unknown, env: Mutable): { ok: false; error: AbiError } {
  const ref = typeof env['id'] === 'string' && env['id'] ? (env['id'] as string) : undefined;
  if (err instanceof DecodeFailure) return { ok: false, error: abiError(err.code, err.message, ref) };
  return { ok: false, error: abiError('internal', `decoder failed: ${(err as Error)?.message ?? String(err)}`, ref) };
}

function writeField(writer: protobuf.Writer, field: FieldDesc, value: unknown): void {
  if (value === undefined) return;
  if (!field.optional && isZero(field, value)) return;
  writer.uint32((field.number << 3) | field.wireType);
  switch (field.type) {
    case 'string':
      writer.string(value as string);
      return;
    case 'bytes':
      writer.bytes(value as Uint8Array);
      return;
    case 'uint32':
      writer.uint32(value as number);
      return;
    case 'uint64':
      writer.uint64(value as number);
      return;
    case 'bool':
      writer.bool(value as boolean);
      return;
    case 'double':
      writer.double(value as number);
      return;
  }
}

function isZero(field: FieldDesc, value: unknown): boolean {
  switch (field.type) {
    case 'string':
      return value === '';
    case 'bytes':
      return (value as Uint8Array).length === 0;
    case 'bool':
      return value === false;
    default:
      return value === 0;
  }
}

/**
 * Encodes an envelope canonically (proto3: zero-valued non-optional fields
 * omitted, fields in number order). The payload member is always written, so
 * receivers can tell the kind from the oneof as well as from `kind`.
 */
export function encodeBinary(event: AnyEnvelope): Uint8Array {
  const writer = protobuf.Writer.create();
  const env = event as unknown as Mutable;
  for (const field of EVENT_SCHEMA.envelope) writeField(writer, field, env[field.name]);
  const desc = payloadDesc(event.kind as Kind);
  writer.uint32((desc.number << 3) | 2).fork();
  const payload = event.payload as Mutable;
  for (const field of desc.fields) writeField(writer, field, payload[field.name]);
  writer.ldelim();
  return writer.finish();
}
