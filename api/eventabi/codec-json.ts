// JSON encoding of the Event ABI (`baton.v1.json`): snake_case envelope,
// the kind's fields in `payload`, 64-bit ids (`epoch`, `seed`) as decimal
// strings, every other number a JSON number, bytes as base64. Decoding is
// strict: unknown keys, wrong types and malformed base64 are errors.
import { type Decoded, DecodeFailure, abiError } from './errors.js';
import { type AnyEnvelope, type Kind, isKind } from './kinds.js';
import { EVENT_SCHEMA, type FieldDesc, payloadDesc } from './schema.js';
import { checkEnvelope, checkEvent } from './validate.js';

type Mutable = Record<string, unknown>;
const ENVELOPE_FIELDS = new Map(EVENT_SCHEMA.envelope.map((f) => [f.name, f]));
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function jsonValue(field: FieldDesc, value: unknown, code: 'invalid_event' | 'invalid_payload', where: string): unknown {
  const fail = (expected: string): never => {
    throw new DecodeFailure(code, `${where}${field.name} must be ${expected}`);
  };
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') return fail('a string');
      // A lone surrogate cannot be encoded as UTF-8, so it could never reach protobuf or the timeline.
      return isWellFormed(value) ? value : fail('a well-formed Unicode string (no lone surrogates)');
    case 'bytes':
      return typeof value === 'string' ? decodeBase64(value, () => fail('base64')) : fail('a base64 string');
    case 'bool':
      return typeof value === 'boolean' ? value : fail('a boolean');
    case 'double':
      return typeof value === 'number' ? value : fail('a number');
    case 'uint32':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff
        ? value
        : fail('an unsigned 32-bit integer');
    case 'uint64':
      if (field.jsonAsString) {
        // 64-bit ids are decimal strings; a plain JSON integer is accepted as well (docs/protocol.md).
        if (typeof value === 'string' && DECIMAL.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
        if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
        return fail('a decimal string of an unsigned integer below 2^53');
      }
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
        ? value
        : fail('a non-negative integer below 2^53');
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeBase64(text: string, onError: () => never): Buffer {
  if (text.length % 4 !== 0 || !BASE64.test(text)) onError();
  return Buffer.from(text, 'base64');
}

/** Decodes one JSON text frame into a validated envelope, or a typed error. Never throws. */
export function decodeJson(frame: string | Uint8Array): Decoded<AnyEnvelope> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof frame === 'string' ? frame : utf8.decode(frame));
  } catch (err) {
    return { ok: false, error: abiError('invalid_event', `not valid JSON: ${(err as Error).message}`) };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, error: abiError('invalid_event', 'event must be a JSON object') };
  }
  const raw = parsed as Mutable;
  const ref = typeof raw['id'] === 'string' && raw['id'] ? raw['id'] : undefined;
  const env: Mutable = { v: '', id: '', session_id: '', turn_id: '', epoch: 0, seq: 0, kind: '', media_ms: 0, wall_ms: 0 };
  let rawPayload: unknown;
  try {
    for (const key of Object.keys(raw)) {
      if (key === 'payload') {
        rawPayload = raw[key];
        continue;
      }
      const field = ENVELOPE_FIELDS.get(key);
      if (!field) throw new DecodeFailure('invalid_event', `unknown envelope field "${key}"`);
      if (raw[key] === null) continue;
      env[key] = jsonValue(field, raw[key], 'invalid_event', '');
    }
  } catch (err) {
    return { ok: false, error: abiError((err as DecodeFailure).code, (err as Error).message, ref) };
  }
  const early = checkEnvelope(env);
  if (early) return { ok: false, error: early };
  const kind = env['kind'] as string;
  if (!isKind(kind)) return { ok: false, error: abiError('unknown_kind', `unknown kind "${kind}"`, ref) };
  try {
    env['payload'] = jsonPayload(kind, rawPayload);
  } catch (err) {
    return { ok: false, error: abiError((err as DecodeFailure).code, (err as Error).message, ref) };
  }
  const event = env as unknown as AnyEnvelope;
  const problem = checkEvent(event);
  return problem ? { ok: false, error: problem } : { ok: true, event };
}

function jsonPayload(kind: Kind, raw: unknown): Mutable {
  const desc = payloadDesc(kind);
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new DecodeFailure('invalid_payload', `${kind} payload must be a JSON object`);
  }
  const source = (raw ?? {}) as Mutable;
  const payload: Mutable = {};
  for (const key of Object.keys(source)) {
    const field = desc.byName.get(key);
    if (!field) throw new DecodeFailure('invalid_payload', `${kind} payload has unknown field "${key}"`);
    if (source[key] === null) continue;
    payload[key] = jsonValue(field, source[key], 'invalid_payload', `${kind}.`);
  }
  for (const field of desc.fields) {
    if (payload[field.name] !== undefined || field.optional) continue;
    // Zero values may be omitted in JSON only where the contract does not require the field.
    throw new DecodeFailure('invalid_payload', `${kind} payload is missing required field "${field.name}"`);
  }
  return payload;
}

/** Encodes an envelope as one JSON text frame; zero-valued optional envelope fields are omitted. */
export function encodeJson(event: AnyEnvelope): string {
  const out: Mutable = { v: event.v, id: event.id };
  if (event.session_id) out['session_id'] = event.session_id;
  if (event.turn_id) out['turn_id'] = event.turn_id;
  out['epoch'] = String(event.epoch);
  out['seq'] = event.seq;
  out['kind'] = event.kind;
  if (event.media_ms) out['media_ms'] = event.media_ms;
  if (event.wall_ms) out['wall_ms'] = event.wall_ms;
  const payload: Mutable = {};
  const source = event.payload as Mutable;
  for (const field of payloadDesc(event.kind).fields) {
    const value = source[field.name];
    if (value === undefined) continue;
    if (field.type === 'bytes') payload[field.name] = asBuffer(value as Uint8Array).toString('base64');
    else if (field.jsonAsString) payload[field.name] = String(value);
    else payload[field.name] = value;
  }
  out['payload'] = payload;
  return JSON.stringify(out);
}
