// Event ABI contract fixtures: the DESIGN 4 tables transcribed as data, one or
// more valid envelopes for every kind, a raw protobuf wire writer for frames
// the codec itself would never produce, and the invalid frames with the exact
// error each must get. The fixtures never use the codec under test to decide
// what is valid: expectations come from DESIGN 4 / 4.1 and docs/protocol.md.
import protobuf from 'protobufjs';
import { protoFile } from '../../api/proto-files.js';
import type { AnyEnvelope, Direction, Envelope, ErrorCode, Kind, Lane, Payloads } from '../../api/eventabi/index.js';

// ---------------------------------------------------------------- DESIGN 4, transcribed

/** Envelope keys of the JSON encoding, exactly as DESIGN 4 writes them. */
export const DESIGN_ENVELOPE_KEYS = ['v', 'id', 'session_id', 'turn_id', 'epoch', 'seq', 'kind', 'media_ms', 'wall_ms', 'payload'] as const;

export interface DesignKind {
  readonly lane: Lane;
  readonly direction: Direction;
  /** Payload fields in DESIGN's order. */
  readonly payload: readonly string[];
  /** Fields DESIGN marks optional ("optional", "when known", "set when"). */
  readonly optional?: readonly string[];
}

/** The ingress and egress kind tables of DESIGN 4. A Record over Kind, so a kind missing here fails to compile. */
export const DESIGN_KINDS: Readonly<Record<Kind, DesignKind>> = {
  'session.start': { lane: 'control', direction: 'ingress', payload: ['pipeline', 'codec', 'sample_rate'] },
  'audio.in': { lane: 'data', direction: 'ingress', payload: ['audio'] },
  'text.in': { lane: 'data', direction: 'ingress', payload: ['text'] },
  'speech.started': { lane: 'control', direction: 'ingress', payload: [] },
  'speech.stopped': { lane: 'control', direction: 'ingress', payload: [] },
  'turn.request': { lane: 'control', direction: 'ingress', payload: ['text'], optional: ['text'] },
  cancel: { lane: 'control', direction: 'ingress', payload: ['scope', 'reason'] },
  'playback.started': { lane: 'control', direction: 'ingress', payload: [] },
  'playback.mark': { lane: 'control', direction: 'ingress', payload: ['played_ms'] },
  'playback.completed': { lane: 'control', direction: 'ingress', payload: ['played_ms'] },
  dtmf: { lane: 'control', direction: 'ingress', payload: ['digit'] },
  'session.end': { lane: 'control', direction: 'ingress', payload: ['reason'] },
  telemetry: { lane: 'telemetry', direction: 'ingress', payload: ['name', 'value'] },
  'session.started': {
    lane: 'control',
    direction: 'egress',
    payload: ['session_id', 'epoch', 'seed', 'pipeline', 'pipeline_version', 'codec', 'sample_rate'],
  },
  'turn.rejected': { lane: 'control', direction: 'egress', payload: ['reason'] },
  'turn.deferred': { lane: 'control', direction: 'egress', payload: ['reason'] },
  'turn.stale_epoch': { lane: 'control', direction: 'egress', payload: ['reason'] },
  'turn.opened': { lane: 'control', direction: 'egress', payload: ['plan_hash', 'seed'] },
  'turn.active': { lane: 'control', direction: 'egress', payload: [] },
  'turn.committed': { lane: 'control', direction: 'egress', payload: ['generated_ms', 'played_ms'] },
  'turn.aborted': { lane: 'control', direction: 'egress', payload: ['reason', 'played_ms'] },
  'turn.closed': { lane: 'control', direction: 'egress', payload: [] },
  'audio.out': { lane: 'data', direction: 'egress', payload: ['audio'] },
  'output.end': { lane: 'control', direction: 'egress', payload: ['generated_ms'] },
  'output.clear': { lane: 'control', direction: 'egress', payload: ['reason'] },
  transcript: { lane: 'data', direction: 'egress', payload: ['role', 'text', 'final'] },
  'flow.xoff': { lane: 'telemetry', direction: 'egress', payload: ['lane'] },
  'flow.xon': { lane: 'telemetry', direction: 'egress', payload: ['lane'] },
  'drop.notice': { lane: 'telemetry', direction: 'egress', payload: ['lane', 'direction', 'seq_from', 'seq_to', 'reason'] },
  error: { lane: 'control', direction: 'egress', payload: ['code', 'message', 'ref_id'], optional: ['ref_id'] },
  'session.ended': { lane: 'control', direction: 'egress', payload: ['reason', 'owner'], optional: ['owner'] },
};

/** DTMF digits a gateway may send (docs/protocol.md: 0-9, *, #, A-D). */
export const DTMF_DIGITS = [...'0123456789*#ABCD'];

/** The DESIGN 4 example, verbatim. */
export const DESIGN_EXAMPLE_JSON = '{"v":"1.0","id":"g-7","session_id":"s-1","epoch":"3","seq":7,"kind":"text.in","payload":{"text":"hello"}}';

// ---------------------------------------------------------------- realistic audio

/** 20 ms of a 440 Hz tone as pcm16 little-endian mono: 320 samples, 640 bytes at 16 kHz. */
export function pcm16Tone(sampleRate = 16000, ms = 20, hz = 440): Uint8Array {
  const samples = (sampleRate * ms) / 1000;
  const out = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    out.writeInt16LE(Math.round(Math.sin((2 * Math.PI * hz * i) / sampleRate) * 8000), i * 2);
  }
  return new Uint8Array(out);
}

/** 20 ms of the same tone as G.711 mu-law at 8 kHz: 160 bytes. */
export function mulawTone(ms = 20, hz = 440): Uint8Array {
  const samples = (8000 * ms) / 1000;
  const out = new Uint8Array(samples);
  for (let i = 0; i < samples; i++) out[i] = linearToMulaw(Math.round(Math.sin((2 * Math.PI * hz * i) / 8000) * 8000));
  return out;
}

function linearToMulaw(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = Math.min(Math.abs(sample), 32635) + 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  magnitude = 0;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

// ---------------------------------------------------------------- valid fixtures

export interface ValidFixture<K extends Kind = Kind> {
  readonly name: string;
  readonly event: Envelope<K>;
}

type Header = Omit<Envelope, 'kind' | 'payload'>;

const WALL_MS = 1_754_049_600_000; // 2025-08-01T12:00:00Z, a realistic sender clock

function ingress<K extends Kind>(kind: K, seq: number, payload: Payloads[K], header: Partial<Header> = {}): Envelope<K> {
  return { v: '1.0', id: `g-${seq}`, session_id: 's-1', turn_id: '', epoch: 3, seq, kind, media_ms: 0, wall_ms: WALL_MS + seq * 20, payload, ...header };
}

function egress<K extends Kind>(kind: K, seq: number, payload: Payloads[K], header: Partial<Header> = {}): Envelope<K> {
  return { v: '1.0', id: `k-${seq}`, session_id: 's-1', turn_id: '', epoch: 3, seq, kind, media_ms: 0, wall_ms: WALL_MS + seq * 20, payload, ...header };
}

const TURN = { turn_id: 't-2' };
const PLAN_HASH = '9f2c4b1e7a3d5c6b8e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f';
/** A 53-bit seed, as Baton derives them (docs/protocol.md). */
const SEED = 7_355_608_123_456_789;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

type FixtureTable = { readonly [K in Kind]: readonly [ValidFixture<K>, ...ValidFixture<K>[]] };

/** At least one valid envelope per kind (the mapped type makes a missing kind a compile error). */
export const VALID_FIXTURES: FixtureTable = {
  'session.start': [
    // The first event on /v1/stream: no session yet, so no session_id and no epoch.
    { name: 'first session.start on /v1/stream', event: ingress('session.start', 1, { pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 }, { session_id: '', epoch: 0 }) },
    { name: 'telephony mulaw at 8 kHz', event: ingress('session.start', 1, { pipeline: 'ivr-intake', codec: 'mulaw', sample_rate: 8000 }, { session_id: 'call-CA5f1e', epoch: 1 }) },
  ],
  'audio.in': [
    { name: '20 ms pcm16 16 kHz', event: ingress('audio.in', 42, { audio: pcm16Tone() }, { media_ms: 820 }) },
    { name: '20 ms mulaw 8 kHz', event: ingress('audio.in', 43, { audio: mulawTone() }, { media_ms: 840 }) },
  ],
  'text.in': [
    { name: 'DESIGN 4 example', event: ingress('text.in', 7, { text: 'hello' }, { wall_ms: 0 }) },
    { name: 'non-ASCII text', event: ingress('text.in', 8, { text: 'Größe 42 — ¿qué tal? 你好 👋🏽' }) },
  ],
  'speech.started': [{ name: 'gateway VAD onset', event: ingress('speech.started', 44, {}, { media_ms: 860 }) }],
  'speech.stopped': [{ name: 'gateway VAD offset', event: ingress('speech.stopped', 95, {}, { media_ms: 1880 }) }],
  'turn.request': [
    { name: 'without text: pending input is the turn', event: ingress('turn.request', 96, {}) },
    { name: 'with text', event: ingress('turn.request', 97, { text: 'what is the weather in Lisbon?' }) },
  ],
  cancel: [
    { name: 'scope turn carries turn_id', event: ingress('cancel', 120, { scope: 'turn', reason: 'barge_in' }, TURN) },
    { name: 'scope session carries no turn_id', event: ingress('cancel', 121, { scope: 'session', reason: 'user_hangup' }) },
  ],
  'playback.started': [{ name: 'first frame played', event: ingress('playback.started', 110, {}, TURN) }],
  'playback.mark': [
    { name: 'mark at 480 ms', event: ingress('playback.mark', 111, { played_ms: 480 }, TURN) },
    // A required number that is zero: omitted in protobuf, present in JSON.
    { name: 'mark at 0 ms', event: ingress('playback.mark', 112, { played_ms: 0 }, TURN) },
  ],
  'playback.completed': [{ name: 'all audio played', event: ingress('playback.completed', 130, { played_ms: 2140 }, TURN) }],
  dtmf: [
    { name: 'digit 5', event: ingress('dtmf', 60, { digit: '5' }) },
    { name: 'digit #', event: ingress('dtmf', 61, { digit: '#' }) },
    { name: 'digit D', event: ingress('dtmf', 62, { digit: 'D' }) },
  ],
  'session.end': [{ name: 'caller hung up', event: ingress('session.end', 200, { reason: 'caller_hangup' }) }],
  telemetry: [
    { name: 'jitter', event: ingress('telemetry', 70, { name: 'gateway.jitter_ms', value: 12.5 }) },
    { name: 'negative fractional value', event: ingress('telemetry', 71, { name: 'clock.skew_ms', value: -3.125 }) },
    { name: 'zero value', event: ingress('telemetry', 72, { name: 'gateway.packet_loss', value: 0 }) },
  ],
  'session.started': [
    {
      name: 'pcm16 session',
      event: egress('session.started', 1, {
        session_id: 's-1',
        epoch: 3,
        seed: SEED,
        pipeline: 'demo',
        pipeline_version: '4',
        codec: 'pcm16',
        sample_rate: 16000,
      }),
    },
    {
      name: 'largest exact seed and epoch',
      event: egress(
        'session.started',
        1,
        { session_id: 's-9', epoch: MAX_SAFE, seed: MAX_SAFE, pipeline: 'ivr-intake', pipeline_version: '12', codec: 'mulaw', sample_rate: 8000 },
        { session_id: 's-9', epoch: MAX_SAFE },
      ),
    },
  ],
  'turn.rejected': [{ name: 'no pending input', event: egress('turn.rejected', 20, { reason: 'no_input' }) }],
  'turn.deferred': [{ name: 'turn in flight', event: egress('turn.deferred', 21, { reason: 'turn_in_progress' }) }],
  'turn.stale_epoch': [{ name: 'proposal with old epoch', event: egress('turn.stale_epoch', 22, { reason: 'epoch 2 is not current (3)' }) }],
  'turn.opened': [{ name: 'frozen plan', event: egress('turn.opened', 23, { plan_hash: PLAN_HASH, seed: SEED }, TURN) }],
  'turn.active': [{ name: 'first node started', event: egress('turn.active', 24, {}, TURN) }],
  'turn.committed': [{ name: 'fully played', event: egress('turn.committed', 60, { generated_ms: 2140, played_ms: 2140 }, TURN) }],
  'turn.aborted': [
    { name: 'barge-in after 480 ms', event: egress('turn.aborted', 61, { reason: 'cancelled', played_ms: 480 }, TURN) },
    { name: 'authority lost before playback', event: egress('turn.aborted', 62, { reason: 'authority_lost', played_ms: 0 }, TURN) },
  ],
  'turn.closed': [{ name: 'after terminal', event: egress('turn.closed', 63, {}, TURN) }],
  'audio.out': [{ name: '20 ms pcm16 16 kHz', event: egress('audio.out', 30, { audio: pcm16Tone() }, { ...TURN, media_ms: 1900 }) }],
  'output.end': [{ name: 'generation complete', event: egress('output.end', 55, { generated_ms: 2140 }, TURN) }],
  'output.clear': [{ name: 'fence', event: egress('output.clear', 56, { reason: 'cancelled' }, TURN) }],
  transcript: [
    { name: 'final user transcript has no turn_id', event: egress('transcript', 25, { role: 'user', text: 'what is the weather in Lisbon?', final: true }) },
    { name: 'partial assistant transcript has turn_id', event: egress('transcript', 26, { role: 'assistant', text: 'In Lisbon it is', final: false }, TURN) },
  ],
  'flow.xoff': [{ name: 'data lane full', event: egress('flow.xoff', 31, { lane: 'data' }) }],
  'flow.xon': [{ name: 'data lane drained', event: egress('flow.xon', 32, { lane: 'data' }) }],
  'drop.notice': [
    { name: 'telemetry dropped', event: egress('drop.notice', 33, { lane: 'telemetry', direction: 'ingress', seq_from: 70, seq_to: 72, reason: 'lane_full' }) },
    { name: 'single event', event: egress('drop.notice', 34, { lane: 'data', direction: 'egress', seq_from: 29, seq_to: 29, reason: 'latest_only' }) },
  ],
  error: [
    { name: 'with ref_id', event: egress('error', 40, { code: 'invalid_payload', message: 'dtmf.digit must be one of 0-9, *, #, A-D (got "E")', ref_id: 'g-63' }) },
    { name: 'without ref_id (id unreadable)', event: egress('error', 41, { code: 'invalid_event', message: 'not valid JSON' }) },
  ],
  'session.ended': [
    { name: 'authority moved names the owner', event: egress('session.ended', 300, { reason: 'authority_moved', owner: 'kernel-b:7' }, { epoch: 3 }) },
    { name: 'normal end', event: egress('session.ended', 301, { reason: 'session_end' }) },
  ],
};

/** Every valid fixture, each event typed as the union of kinds. */
export function validFixtures(): Array<{ readonly name: string; readonly event: AnyEnvelope }> {
  return (Object.values(VALID_FIXTURES) as unknown as ReadonlyArray<ReadonlyArray<{ name: string; event: AnyEnvelope }>>).flat();
}

// ---------------------------------------------------------------- comparison

/**
 * A plain, key-sorted form of an event for equality checks: bytes become hex
 * (decoders return Buffers that may alias the frame, fixtures hold
 * Uint8Arrays), and -0 becomes 0 (neither encoding keeps the sign of a zero).
 */
export function canonical(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') };
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) out[key] = canonical(item);
    }
    return out;
  }
  return value;
}

export function sameEvent(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

// ---------------------------------------------------------------- protobufjs reflection, the reference implementation

let envelopeType: protobuf.Type | undefined;

/** EventEnvelope as any protobuf client would load it from events.proto. */
export function reflectionEnvelope(): protobuf.Type {
  envelopeType ??= new protobuf.Root().loadSync(protoFile('events'), { keepCase: true }).lookupType('baton.v1.EventEnvelope');
  return envelopeType;
}

/** The protobufjs object for an envelope: payload under its oneof member. */
export function toReflectionObject(event: AnyEnvelope): Record<string, unknown> {
  const { payload, ...header } = event;
  return { ...header, [event.kind.replace('.', '_')]: payload };
}

/** Decodes a frame with protobufjs reflection into the Envelope shape (proto3 defaults filled in). */
export function decodeWithReflection(frame: Uint8Array): Record<string, unknown> {
  const type = reflectionEnvelope();
  const object = type.toObject(type.decode(frame), { longs: Number, defaults: true, oneofs: true }) as Record<string, unknown>;
  const member = object['payload'] as string;
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) if (!field.partOf) out[field.name] = object[field.name];
  const payload = { ...(object[member] as Record<string, unknown>) };
  // oneofs:true adds a virtual key per proto3 `optional` field (`_text: "text"`); it is not data.
  for (const key of Object.keys(payload)) if (key.startsWith('_')) delete payload[key];
  out['payload'] = payload;
  out['member'] = member;
  return out;
}

/** Encodes with protobufjs reflection. Unlike encodeBinary it writes every set field, zero values included. */
export function encodeWithReflection(object: Record<string, unknown>): Uint8Array {
  const type = reflectionEnvelope();
  return type.encode(type.fromObject(object)).finish();
}

// ---------------------------------------------------------------- raw protobuf wire writer

/** Minimal wire writer for frames the codec never produces (overlong varints, bad UTF-8, wrong wire types). */
export const pb = {
  varint(value: number | bigint): number[] {
    let v = BigInt(value);
    const out: number[] = [];
    do {
      const byte = Number(v & 0x7fn);
      v >>= 7n;
      out.push(v > 0n ? byte | 0x80 : byte);
    } while (v > 0n);
    return out;
  },
  key(field: number, wireType: number): number[] {
    return pb.varint((field << 3) | wireType);
  },
  uint(field: number, value: number | bigint): Uint8Array {
    return Uint8Array.from([...pb.key(field, 0), ...pb.varint(value)]);
  },
  bytes(field: number, data: string | Uint8Array | readonly number[]): Uint8Array {
    const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : Uint8Array.from(data);
    return Uint8Array.from([...pb.key(field, 2), ...pb.varint(body.length), ...body]);
  },
  double(field: number, value: number): Uint8Array {
    const body = Buffer.alloc(8);
    body.writeDoubleLE(value);
    return Uint8Array.from([...pb.key(field, 1), ...body]);
  },
  raw(...bytes: number[]): Uint8Array {
    return Uint8Array.from(bytes);
  },
  concat(...parts: Uint8Array[]): Uint8Array {
    return new Uint8Array(Buffer.concat(parts));
  },
};

/** Envelope field numbers (events.proto) and the payload members used below. */
export const F = { v: 1, id: 2, session_id: 3, turn_id: 4, epoch: 5, seq: 6, kind: 7, media_ms: 8, wall_ms: 9 } as const;
export const M = {
  session_start: 16,
  audio_in: 17,
  text_in: 18,
  speech_started: 19,
  cancel: 22,
  playback_mark: 24,
  dtmf: 26,
  telemetry: 28,
  session_started: 40,
  transcript: 52,
  drop_notice: 55,
} as const;

/** Envelope header fields for a well-formed ingress event of `kind` (id g-1, seq 1, epoch 3, session s-1). */
export function pbHeader(kind: string, over: { id?: string; seq?: number | bigint; turn_id?: string; v?: string } = {}): Uint8Array {
  const parts = [pb.bytes(F.v, over.v ?? '1.0'), pb.bytes(F.id, over.id ?? 'g-1'), pb.bytes(F.session_id, 's-1')];
  if (over.turn_id) parts.push(pb.bytes(F.turn_id, over.turn_id));
  parts.push(pb.uint(F.epoch, 3), pb.uint(F.seq, over.seq ?? 1), pb.bytes(F.kind, kind));
  return pb.concat(...parts);
}

/** A full frame: header plus one payload member holding `payload`. */
export function pbFrame(kind: string, member: number, payload: Uint8Array, over: Parameters<typeof pbHeader>[1] = {}): Uint8Array {
  return pb.concat(pbHeader(kind, over), pb.bytes(member, payload));
}

// ---------------------------------------------------------------- invalid fixtures

export interface InvalidFixture {
  readonly name: string;
  readonly encoding: 'json' | 'binary';
  readonly frame: string | Uint8Array;
  readonly code: ErrorCode;
  /** The id the error must name; undefined asserts that no ref_id is given (the id was not readable). */
  readonly ref_id: string | undefined;
}

/** A JSON envelope for an ingress event with id g-1, ready to be broken. */
function jsonEvent(kind: string, payload: unknown, header: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: '1.0', id: 'g-1', session_id: 's-1', epoch: '3', seq: 1, kind, payload, ...header };
}

const json = (value: unknown): string => JSON.stringify(value);
const TEXT_IN = (text: string) => pb.bytes(1, text);
const AUDIO_B64 = Buffer.from(pcm16Tone()).toString('base64');

/** Invalid frames, each with the code DESIGN 4 / docs/protocol.md assign and the ref_id it must carry. */
export const INVALID_FIXTURES: readonly InvalidFixture[] = [
  // --- not decodable at all: no id can be read, so no ref_id
  { name: 'not JSON', encoding: 'json', frame: '{"v":"1.0","id":"g-1",', code: 'invalid_event', ref_id: undefined },
  { name: 'JSON with NaN literal', encoding: 'json', frame: '{"v":"1.0","id":"g-1","epoch":"3","seq":1,"kind":"telemetry","payload":{"name":"x","value":NaN}}', code: 'invalid_event', ref_id: undefined },
  { name: 'JSON array of an envelope', encoding: 'json', frame: json([jsonEvent('text.in', { text: 'hi' })]), code: 'invalid_event', ref_id: undefined },
  { name: 'JSON string', encoding: 'json', frame: '"text.in"', code: 'invalid_event', ref_id: undefined },
  { name: 'JSON null', encoding: 'json', frame: 'null', code: 'invalid_event', ref_id: undefined },
  { name: 'empty text frame', encoding: 'json', frame: '', code: 'invalid_event', ref_id: undefined },
  // A JSON text on a proto stream: '{' is field 15 with the group wire type 3.
  { name: 'JSON text as a binary frame', encoding: 'binary', frame: new Uint8Array(Buffer.from(DESIGN_EXAMPLE_JSON)), code: 'invalid_event', ref_id: undefined },
  { name: 'random bytes (0xff run: varint longer than 32 bits)', encoding: 'binary', frame: pb.raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), code: 'invalid_event', ref_id: undefined },
  { name: 'truncated varint tag', encoding: 'binary', frame: pb.raw(0x80), code: 'invalid_event', ref_id: undefined },
  { name: 'length past the end of the frame', encoding: 'binary', frame: pb.raw(0x0a, 0x05, 0x31, 0x2e), code: 'invalid_event', ref_id: undefined },
  { name: 'field number 0', encoding: 'binary', frame: pb.concat(pb.raw(0x00, 0x01), pbHeader('text.in')), code: 'invalid_event', ref_id: undefined },

  // --- damaged after the id was read: the error names it
  { name: 'truncated varint after the id', encoding: 'binary', frame: pb.concat(pb.bytes(F.v, '1.0'), pb.bytes(F.id, 'g-1'), pb.raw(0x30, 0x80)), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'string length past the end after the id', encoding: 'binary', frame: pb.concat(pb.bytes(F.id, 'g-1'), pb.raw(0x3a, 0x40, 0x74)), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'seq with the length-delimited wire type', encoding: 'binary', frame: pb.concat(pbHeader('text.in'), pb.bytes(F.seq, '7'), pb.bytes(M.text_in, TEXT_IN('hi'))), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'kind with the varint wire type', encoding: 'binary', frame: pb.concat(pb.bytes(F.v, '1.0'), pb.bytes(F.id, 'g-1'), pb.uint(F.seq, 1), pb.uint(F.kind, 3)), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'seq with the group wire type', encoding: 'binary', frame: pb.concat(pbHeader('text.in'), pb.raw(0x33, 0x34)), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'payload member with the varint wire type', encoding: 'binary', frame: pb.concat(pbHeader('text.in'), pb.uint(M.text_in, 1)), code: 'invalid_event', ref_id: 'g-1' },

  // --- schema version
  { name: 'schema version 2.0', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { v: '2.0' })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'schema version 2.0', encoding: 'binary', frame: pbFrame('text.in', M.text_in, TEXT_IN('hi'), { v: '2.0' }), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'schema version as a number', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { v: 1.0 })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'missing v', encoding: 'json', frame: json({ id: 'g-1', epoch: '3', seq: 1, kind: 'text.in', payload: { text: 'hi' } }), code: 'invalid_event', ref_id: 'g-1' },

  // --- required envelope fields
  { name: 'missing id', encoding: 'json', frame: json({ v: '1.0', epoch: '3', seq: 1, kind: 'text.in', payload: { text: 'hi' } }), code: 'invalid_event', ref_id: undefined },
  { name: 'missing id', encoding: 'binary', frame: pb.concat(pb.bytes(F.v, '1.0'), pb.uint(F.seq, 1), pb.bytes(F.kind, 'text.in'), pb.bytes(M.text_in, TEXT_IN('hi'))), code: 'invalid_event', ref_id: undefined },
  { name: 'empty id', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { id: '' })), code: 'invalid_event', ref_id: undefined },
  { name: 'empty id', encoding: 'binary', frame: pbFrame('text.in', M.text_in, TEXT_IN('hi'), { id: '' }), code: 'invalid_event', ref_id: undefined },
  { name: 'missing seq', encoding: 'json', frame: json({ v: '1.0', id: 'g-1', epoch: '3', kind: 'text.in', payload: { text: 'hi' } }), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'missing seq', encoding: 'binary', frame: pb.concat(pb.bytes(F.v, '1.0'), pb.bytes(F.id, 'g-1'), pb.bytes(F.kind, 'text.in'), pb.bytes(M.text_in, TEXT_IN('hi'))), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'seq 0 (sequences start at 1)', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { seq: 0 })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'missing kind', encoding: 'json', frame: json({ v: '1.0', id: 'g-1', epoch: '3', seq: 1, payload: { text: 'hi' } }), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'missing kind', encoding: 'binary', frame: pb.concat(pb.bytes(F.v, '1.0'), pb.bytes(F.id, 'g-1'), pb.uint(F.seq, 1)), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'null kind', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { kind: null })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'id over 128 characters', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { id: 'g'.repeat(129) })), code: 'invalid_event', ref_id: 'g'.repeat(129) },
  { name: 'turn_id over 128 characters', encoding: 'binary', frame: pbFrame('playback.started', 23, new Uint8Array(), { turn_id: 't'.repeat(129) }), code: 'invalid_event', ref_id: 'g-1' },

  // --- kinds
  { name: 'unknown kind', encoding: 'json', frame: json(jsonEvent('text.out', { text: 'hi' })), code: 'unknown_kind', ref_id: 'g-1' },
  { name: 'unknown kind', encoding: 'binary', frame: pbFrame('text.out', M.text_in, TEXT_IN('hi')), code: 'unknown_kind', ref_id: 'g-1' },
  { name: 'kind differing only in case', encoding: 'json', frame: json(jsonEvent('Text.In', { text: 'hi' })), code: 'unknown_kind', ref_id: 'g-1' },
  { name: 'oneof member name used as kind', encoding: 'binary', frame: pbFrame('text_in', M.text_in, TEXT_IN('hi')), code: 'unknown_kind', ref_id: 'g-1' },
  { name: 'inherited property name used as kind', encoding: 'json', frame: json(jsonEvent('toString', {})), code: 'unknown_kind', ref_id: 'g-1' },

  // --- unknown fields: the lane is derived from the kind, so a sender-supplied one is rejected
  { name: 'unknown envelope field "lane"', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { lane: 'control' })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'camelCase envelope field "sessionId"', encoding: 'json', frame: json({ v: '1.0', id: 'g-1', sessionId: 's-1', epoch: '3', seq: 1, kind: 'text.in', payload: { text: 'hi' } }), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'unknown envelope field 10', encoding: 'binary', frame: pb.concat(pbFrame('text.in', M.text_in, TEXT_IN('hi')), pb.bytes(10, 'control')), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'unknown envelope field 99 (varint)', encoding: 'binary', frame: pb.concat(pbFrame('text.in', M.text_in, TEXT_IN('hi')), pb.uint(99, 1)), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'unknown payload field', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi', lang: 'en' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'unknown payload field 2', encoding: 'binary', frame: pbFrame('text.in', M.text_in, pb.concat(TEXT_IN('hi'), pb.bytes(2, 'en'))), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'payload field on a kind without fields', encoding: 'json', frame: json(jsonEvent('speech.started', { text: 'hi' })), code: 'invalid_payload', ref_id: 'g-1' },

  // --- payload of another kind
  { name: 'text.in carrying an audio.in payload', encoding: 'json', frame: json(jsonEvent('text.in', { audio: AUDIO_B64 })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'text.in carrying the audio_in member', encoding: 'binary', frame: pbFrame('text.in', M.audio_in, pb.bytes(1, pcm16Tone())), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'speech.started carrying the speech_stopped member', encoding: 'binary', frame: pbFrame('speech.started', 20, new Uint8Array()), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'two payload members', encoding: 'binary', frame: pb.concat(pbFrame('text.in', M.text_in, TEXT_IN('hi')), pb.bytes(M.audio_in, pb.bytes(1, pcm16Tone()))), code: 'invalid_payload', ref_id: 'g-1' },
  // Protobuf would merge a repeated member; Baton refuses it rather than guess which one the sender meant.
  { name: 'the same payload member twice', encoding: 'binary', frame: pb.concat(pbFrame('text.in', M.text_in, TEXT_IN('hi')), pb.bytes(M.text_in, TEXT_IN('there'))), code: 'invalid_payload', ref_id: 'g-1' },

  // --- wrong JSON types
  { name: 'seq as a string', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { seq: '7' })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'seq negative', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { seq: -1 })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'seq fractional', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { seq: 1.5 })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'id as a number', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { id: 7 })), code: 'invalid_event', ref_id: undefined },
  { name: 'media_ms as a string', encoding: 'json', frame: json(jsonEvent('audio.in', { audio: AUDIO_B64 }, { media_ms: '820' })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'text as a number', encoding: 'json', frame: json(jsonEvent('text.in', { text: 42 })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'audio as a boolean', encoding: 'json', frame: json(jsonEvent('audio.in', { audio: true })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'audio as an array of byte values', encoding: 'json', frame: json(jsonEvent('audio.in', { audio: [1, 2, 3, 4] })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'final as a string', encoding: 'json', frame: json(jsonEvent('transcript', { role: 'user', text: 'hi', final: 'true' }, { seq: 1 })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'sample_rate as a string', encoding: 'json', frame: json(jsonEvent('session.start', { pipeline: 'demo', codec: 'pcm16', sample_rate: '16000' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'played_ms fractional', encoding: 'json', frame: json(jsonEvent('playback.mark', { played_ms: 480.5 }, { turn_id: 't-2' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'telemetry value as a string', encoding: 'json', frame: json(jsonEvent('telemetry', { name: 'x', value: '1.5' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'payload as an array', encoding: 'json', frame: json(jsonEvent('text.in', [{ text: 'hi' }])), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'payload as a string', encoding: 'json', frame: json(jsonEvent('text.in', 'hi')), code: 'invalid_payload', ref_id: 'g-1' },

  // --- malformed base64 (standard alphabet, padded: docs/protocol.md)
  { name: 'base64 without padding', encoding: 'json', frame: json(jsonEvent('audio.in', { audio: 'AAE' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'base64 with padding inside', encoding: 'json', frame: json(jsonEvent('audio.in', { audio: 'AA=A' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'base64 with three padding characters', encoding: 'json', frame: json(jsonEvent('audio.in', { audio: 'A===' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'base64url alphabet', encoding: 'json', frame: json(jsonEvent('audio.in', { audio: 'AB-_' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'base64 with whitespace', encoding: 'json', frame: json(jsonEvent('audio.in', { audio: 'AAEC\nAwQF' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'base64 data URL', encoding: 'json', frame: json(jsonEvent('audio.in', { audio: `data:audio/L16;base64,${AUDIO_B64}` })), code: 'invalid_payload', ref_id: 'g-1' },

  // --- invalid UTF-8 in protobuf strings (overlong '/', a UTF-16 surrogate, a truncated sequence)
  { name: 'id with an overlong UTF-8 sequence', encoding: 'binary', frame: pb.concat(pb.bytes(F.v, '1.0'), pb.bytes(F.id, [0x67, 0xc0, 0xaf]), pb.uint(F.seq, 1), pb.bytes(F.kind, 'text.in')), code: 'invalid_event', ref_id: undefined },
  { name: 'kind with an encoded surrogate', encoding: 'binary', frame: pb.concat(pb.bytes(F.v, '1.0'), pb.bytes(F.id, 'g-1'), pb.uint(F.seq, 1), pb.bytes(F.kind, [0x74, 0xed, 0xa0, 0x80])), code: 'invalid_event', ref_id: 'g-1' },
  // Inside the payload region the codec reports invalid_payload (the payload does not match its kind).
  { name: 'text.in text with a truncated UTF-8 sequence', encoding: 'binary', frame: pbFrame('text.in', M.text_in, pb.bytes(1, [0x68, 0x69, 0xe2, 0x82])), code: 'invalid_payload', ref_id: 'g-1' },

  // --- required payload fields: missing in JSON, empty in both
  { name: 'text.in without text', encoding: 'json', frame: json(jsonEvent('text.in', {})), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'text.in without payload', encoding: 'json', frame: json({ v: '1.0', id: 'g-1', epoch: '3', seq: 1, kind: 'text.in' }), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'text.in with text null', encoding: 'json', frame: json(jsonEvent('text.in', { text: null })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'playback.mark without played_ms (required numbers must be present in JSON)', encoding: 'json', frame: json(jsonEvent('playback.mark', {}, { turn_id: 't-2' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'session.start without sample_rate', encoding: 'json', frame: json(jsonEvent('session.start', { pipeline: 'demo', codec: 'pcm16' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'text.in with empty text', encoding: 'json', frame: json(jsonEvent('text.in', { text: '' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'text.in with empty text written explicitly', encoding: 'binary', frame: pbFrame('text.in', M.text_in, pb.bytes(1, '')), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'text.in without the payload member', encoding: 'binary', frame: pbHeader('text.in'), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'audio.in with empty audio', encoding: 'json', frame: json(jsonEvent('audio.in', { audio: '' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'audio.in with empty audio written explicitly', encoding: 'binary', frame: pbFrame('audio.in', M.audio_in, pb.bytes(1, [])), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'session.start with empty pipeline', encoding: 'binary', frame: pbFrame('session.start', M.session_start, pb.concat(pb.bytes(1, ''), pb.bytes(2, 'pcm16'), pb.uint(3, 16000))), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'cancel with empty reason', encoding: 'json', frame: json(jsonEvent('cancel', { scope: 'session', reason: '' })), code: 'invalid_payload', ref_id: 'g-1' },

  // --- enum-like values out of range
  { name: 'codec opus', encoding: 'json', frame: json(jsonEvent('session.start', { pipeline: 'demo', codec: 'opus', sample_rate: 48000 })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'codec in upper case', encoding: 'binary', frame: pbFrame('session.start', M.session_start, pb.concat(pb.bytes(1, 'demo'), pb.bytes(2, 'PCM16'), pb.uint(3, 16000))), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'codec as the proto enum name', encoding: 'json', frame: json(jsonEvent('session.start', { pipeline: 'demo', codec: 'CODEC_PCM16', sample_rate: 16000 })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'cancel scope "all"', encoding: 'json', frame: json(jsonEvent('cancel', { scope: 'all', reason: 'x' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'cancel scope missing', encoding: 'binary', frame: pbFrame('cancel', M.cancel, pb.bytes(2, 'barge_in')), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'cancel scope "all"', encoding: 'binary', frame: pbFrame('cancel', M.cancel, pb.concat(pb.bytes(1, 'all'), pb.bytes(2, 'x'))), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'transcript role "system"', encoding: 'binary', frame: pbFrame('transcript', M.transcript, pb.concat(pb.bytes(1, 'system'), pb.bytes(2, 'hi'), pb.uint(3, 1))), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'transcript role "system"', encoding: 'json', frame: json(jsonEvent('transcript', { role: 'system', text: 'hi', final: true })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'flow.xoff lane "bulk"', encoding: 'json', frame: json(jsonEvent('flow.xoff', { lane: 'bulk' })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'flow.xon lane as the proto enum name', encoding: 'binary', frame: pbFrame('flow.xon', 54, pb.bytes(1, 'LANE_DATA')), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'drop.notice direction "sideways"', encoding: 'json', frame: json(jsonEvent('drop.notice', { lane: 'data', direction: 'sideways', seq_from: 1, seq_to: 2, reason: 'x' })), code: 'invalid_payload', ref_id: 'g-1' },

  // --- negotiated formats
  { name: 'pcm16 at 11025 Hz', encoding: 'json', frame: json(jsonEvent('session.start', { pipeline: 'demo', codec: 'pcm16', sample_rate: 11025 })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'mulaw at 16 kHz', encoding: 'binary', frame: pbFrame('session.start', M.session_start, pb.concat(pb.bytes(1, 'demo'), pb.bytes(2, 'mulaw'), pb.uint(3, 16000))), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'sample_rate 0', encoding: 'binary', frame: pbFrame('session.start', M.session_start, pb.concat(pb.bytes(1, 'demo'), pb.bytes(2, 'pcm16'))), code: 'invalid_payload', ref_id: 'g-1' },

  // --- turn scoping (DESIGN 4.1)
  { name: 'playback.started without turn_id', encoding: 'json', frame: json(jsonEvent('playback.started', {})), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'playback.mark without turn_id', encoding: 'binary', frame: pbFrame('playback.mark', M.playback_mark, pb.uint(1, 480)), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'playback.completed without turn_id', encoding: 'json', frame: json(jsonEvent('playback.completed', { played_ms: 2140 })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'cancel{scope:turn} without turn_id', encoding: 'json', frame: json(jsonEvent('cancel', { scope: 'turn', reason: 'barge_in' })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'cancel{scope:turn} without turn_id', encoding: 'binary', frame: pbFrame('cancel', M.cancel, pb.concat(pb.bytes(1, 'turn'), pb.bytes(2, 'barge_in'))), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'assistant transcript without turn_id', encoding: 'json', frame: json(jsonEvent('transcript', { role: 'assistant', text: 'hi', final: true })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'text.in with turn_id', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { turn_id: 't-2' })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'text.in with turn_id', encoding: 'binary', frame: pbFrame('text.in', M.text_in, TEXT_IN('hi'), { turn_id: 't-2' }), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'cancel{scope:session} with turn_id', encoding: 'json', frame: json(jsonEvent('cancel', { scope: 'session', reason: 'x' }, { turn_id: 't-2' })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'user transcript with turn_id', encoding: 'binary', frame: pbFrame('transcript', M.transcript, pb.concat(pb.bytes(1, 'user'), pb.bytes(2, 'hi')), { turn_id: 't-2' }), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'playback.started without turn_id', encoding: 'binary', frame: pbFrame('playback.started', 23, new Uint8Array()), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'user transcript with turn_id', encoding: 'json', frame: json(jsonEvent('transcript', { role: 'user', text: 'hi', final: true }, { turn_id: 't-2' })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'pre-turn outcome turn.rejected with turn_id', encoding: 'json', frame: json(jsonEvent('turn.rejected', { reason: 'no_input' }, { turn_id: 't-2' })), code: 'invalid_event', ref_id: 'g-1' },

  // --- 64-bit numbers: Baton keeps them as exact JS numbers, so above 2^53-1 is an error
  { name: 'seq 2^53', encoding: 'json', frame: '{"v":"1.0","id":"g-1","epoch":"3","seq":9007199254740992,"kind":"text.in","payload":{"text":"hi"}}', code: 'invalid_event', ref_id: 'g-1' },
  { name: 'seq 2^53', encoding: 'binary', frame: pbFrame('text.in', M.text_in, TEXT_IN('hi'), { seq: 2n ** 53n }), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'seq 2^64-1', encoding: 'binary', frame: pbFrame('text.in', M.text_in, TEXT_IN('hi'), { seq: 2n ** 64n - 1n }), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'seq as an 11-byte varint', encoding: 'binary', frame: pb.concat(pbHeader('text.in'), pb.raw(0x30, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'epoch "9007199254740992"', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { epoch: '9007199254740992' })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'epoch "18446744073709551615"', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { epoch: '18446744073709551615' })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'played_ms 2^53', encoding: 'json', frame: '{"v":"1.0","id":"g-1","turn_id":"t-2","epoch":"3","seq":1,"kind":"playback.mark","payload":{"played_ms":9007199254740992}}', code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'played_ms 2^53', encoding: 'binary', frame: pbFrame('playback.mark', M.playback_mark, pb.uint(1, 2n ** 53n), { turn_id: 't-2' }), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'seed "9007199254740992"', encoding: 'json', frame: json(jsonEvent('session.started', { session_id: 's-1', epoch: '3', seed: '9007199254740992', pipeline: 'demo', pipeline_version: '1', codec: 'pcm16', sample_rate: 16000 })), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'seed 2^53', encoding: 'binary', frame: pbFrame('session.started', M.session_started, pb.concat(pb.bytes(1, 's-1'), pb.uint(2, 3), pb.uint(3, 2n ** 53n), pb.bytes(4, 'demo'), pb.bytes(5, '1'), pb.bytes(6, 'pcm16'), pb.uint(7, 16000))), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'sample_rate 2^32', encoding: 'binary', frame: pbFrame('session.start', M.session_start, pb.concat(pb.bytes(1, 'demo'), pb.bytes(2, 'pcm16'), pb.uint(3, 2n ** 32n))), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'sample_rate 2^32', encoding: 'json', frame: json(jsonEvent('session.start', { pipeline: 'demo', codec: 'pcm16', sample_rate: 2 ** 32 })), code: 'invalid_payload', ref_id: 'g-1' },

  // --- epoch: a decimal string (a plain JSON integer is accepted too, docs/protocol.md)
  ...['0x3', '3.0', '-1', '+3', ' 3', '3 ', '03', '3e0', '', 'three', '٣'].map(
    (epoch): InvalidFixture => ({ name: `epoch ${JSON.stringify(epoch)}`, encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { epoch })), code: 'invalid_event', ref_id: 'g-1' }),
  ),
  { name: 'epoch as a boolean', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { epoch: true })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'epoch as a negative number', encoding: 'json', frame: json(jsonEvent('text.in', { text: 'hi' }, { epoch: -3 })), code: 'invalid_event', ref_id: 'g-1' },
  { name: 'epoch with the fixed64 wire type', encoding: 'binary', frame: pb.concat(pbHeader('text.in'), pb.double(F.epoch, 3), pb.bytes(M.text_in, TEXT_IN('hi'))), code: 'invalid_event', ref_id: 'g-1' },

  // --- DTMF digits: 0-9, *, #, A-D
  ...['E', 'a', '55', '', '٣', '+'].map(
    (digit): InvalidFixture => ({ name: `dtmf digit ${JSON.stringify(digit)}`, encoding: 'json', frame: json(jsonEvent('dtmf', { digit })), code: 'invalid_payload', ref_id: 'g-1' }),
  ),
  { name: 'dtmf digit "E"', encoding: 'binary', frame: pbFrame('dtmf', M.dtmf, pb.bytes(1, 'E')), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'dtmf digit with a trailing newline', encoding: 'binary', frame: pbFrame('dtmf', M.dtmf, pb.bytes(1, '5\n')), code: 'invalid_payload', ref_id: 'g-1' },

  // --- telemetry value must be finite: JSON has no NaN literal, but a number that overflows parses as Infinity
  { name: 'telemetry value 1e400 (parses as Infinity)', encoding: 'json', frame: '{"v":"1.0","id":"g-1","epoch":"3","seq":1,"kind":"telemetry","payload":{"name":"x","value":1e400}}', code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'telemetry value NaN', encoding: 'binary', frame: pbFrame('telemetry', M.telemetry, pb.concat(pb.bytes(1, 'x'), pb.double(2, Number.NaN))), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'telemetry value +Infinity', encoding: 'binary', frame: pbFrame('telemetry', M.telemetry, pb.concat(pb.bytes(1, 'x'), pb.double(2, Number.POSITIVE_INFINITY))), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'telemetry value -Infinity', encoding: 'binary', frame: pbFrame('telemetry', M.telemetry, pb.concat(pb.bytes(1, 'x'), pb.double(2, Number.NEGATIVE_INFINITY))), code: 'invalid_payload', ref_id: 'g-1' },
  { name: 'telemetry value as a truncated double', encoding: 'binary', frame: pbFrame('telemetry', M.telemetry, pb.concat(pb.bytes(1, 'x'), pb.raw(0x11, 0, 0, 0, 0))), code: 'invalid_payload', ref_id: 'g-1' },

  // --- drop.notice range
  { name: 'drop.notice seq_to below seq_from', encoding: 'binary', frame: pbFrame('drop.notice', M.drop_notice, pb.concat(pb.bytes(1, 'data'), pb.bytes(2, 'egress'), pb.uint(3, 9), pb.uint(4, 8), pb.bytes(5, 'x'))), code: 'invalid_payload', ref_id: 'g-1' },
];
