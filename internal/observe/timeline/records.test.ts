// Protects the TimelineRecord wire format: every body round-trips, ingress bytes are spliced unchanged, encoding is canonical, bad records are refused.
import { createHash } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, test } from 'vitest';
import { decodeBinary, encodeBinary, envelope } from '../../../api/eventabi/index.js';
import { protoDir, protoFile } from '../../../api/proto-files.js';
import { BODY_CASES, type RecordBody, type TimelineRecord, TimelineFormatError, decodeRecord, egressBody, encodeRecord } from './records.js';

const audioIn = envelope('audio.in', { audio: Uint8Array.from({ length: 640 }, (_, i) => (i * 37) & 0xff) }, { id: 'in-7', session_id: 'sess-1', epoch: 3, seq: 7, media_ms: 140 });

const audioOut = envelope('audio.out', { audio: new Uint8Array([1, 2, 3, 4]) }, { id: 'out-2', session_id: 'sess-1', turn_id: 'turn-1', epoch: 3, seq: 2, media_ms: 20, wall_ms: 1_700_000_000_000 });

/** One body of every case, every field non-default. */
const EVERY_BODY: RecordBody[] = [
  {
    case: 'header',
    value: {
      tenant: 'acme',
      pipeline: 'support',
      pipeline_version: '3',
      seed: 2 ** 53 - 1,
      codec: 'pcm16',
      sample_rate: 16000,
      kernel_version: '0.1.0',
      opened_wall_ms: 1_700_000_000_123,
    },
  },
  // Plain Uint8Array, as decodeRecord returns it (encodeBinary gives a Buffer).
  { case: 'ingress', value: new Uint8Array(encodeBinary(audioIn)) },
  egressBody(audioOut),
  { case: 'decision', value: { kind: 'lane', outcome: 'dropped', reason: 'drop_oldest', detail: { lane: 'data', seq_from: '4', seq_to: '9' } } },
  { case: 'plan_frozen', value: { plan_hash: 'ab'.repeat(32), canonical_plan: new TextEncoder().encode('{"nodes":[]}'), seed: 42 } },
  {
    case: 'node_invocation',
    value: {
      node_id: 'tts',
      node_kind: 'mock_tts',
      input_sha256: new Uint8Array(32).fill(9),
      output: new Uint8Array([5, 6, 7]),
      outcome: 'ok',
      duration_ms: 12,
    },
  },
  { case: 'input', value: { name: 'wall_ms', value: new Uint8Array([0x31, 0x32]) } },
  { case: 'rejection', value: { code: 'invalid_payload', message: 'audio is empty', ref_id: 'in-9' } },
];

function record(body: RecordBody, index = 5): TimelineRecord {
  return { index, at_ms: 1234, session_id: 'sess-1', turn_id: 'turn-1', body };
}

function loadTimelineRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_o, target) => (isAbsolute(target) ? target : join(protoDir(), target));
  return root.loadSync(protoFile('timeline'), { keepCase: true });
}

describe('timeline records', () => {
  test('the fixture covers every body case of timeline.proto', () => {
    expect(EVERY_BODY.map((b) => b.case)).toEqual([...BODY_CASES]);
  });

  test.each(EVERY_BODY.map((b) => [b.case, b] as const))('a %s record round-trips through encode and decode', (_case, body) => {
    const rec = record(body);
    expect(decodeRecord(encodeRecord(rec))).toEqual(rec);
  });

  test('zero-valued fields decode to their defaults and are not written', () => {
    const sparse: TimelineRecord = {
      index: 0,
      at_ms: 0,
      session_id: 's',
      turn_id: '',
      body: { case: 'rejection', value: { code: 'invalid_event', message: '', ref_id: '' } },
    };
    const bytes = encodeRecord(sparse);
    // session_id (tag, length, 1 byte), then the rejection body (2-byte tag, length)
    // holding only code (tag, length, 13 bytes).
    expect(bytes.length).toBe(3 + 3 + 2 + 'invalid_event'.length);
    expect(decodeRecord(bytes)).toEqual(sparse);
  });

  test('decision detail encodes the same whatever the key insertion order', () => {
    const a = record({ case: 'decision', value: { kind: 'k', outcome: 'o', reason: 'r', detail: { b: '2', a: '1', c: '3' } } });
    const b = record({ case: 'decision', value: { kind: 'k', outcome: 'o', reason: 'r', detail: { c: '3', a: '1', b: '2' } } });
    expect(Buffer.from(encodeRecord(a)).equals(Buffer.from(encodeRecord(b)))).toBe(true);
  });

  test('a spliced ingress envelope is byte-identical to protobufjs encoding the whole record', () => {
    const Record = loadTimelineRoot().lookupType('baton.v1.TimelineRecord');
    // The envelope as protobufjs sees it, zero-valued fields left out (proto3 canonical).
    const full = Record.encode(
      Record.fromObject({
        index: 5,
        at_ms: 1234,
        session_id: 'sess-1',
        turn_id: 'turn-1',
        ingress: {
          v: audioIn.v,
          id: audioIn.id,
          session_id: audioIn.session_id,
          epoch: audioIn.epoch,
          seq: audioIn.seq,
          kind: audioIn.kind,
          media_ms: audioIn.media_ms,
          audio_in: { audio: audioIn.payload.audio },
        },
      }),
    ).finish();
    const spliced = encodeRecord(record({ case: 'ingress', value: encodeBinary(audioIn) }));
    expect(Buffer.from(spliced).equals(Buffer.from(full))).toBe(true);
  });

  test('a decoded ingress body is the exact envelope bytes and decodes to the original event', () => {
    const canonical = encodeBinary(audioIn);
    const decoded = decodeRecord(encodeRecord(record({ case: 'ingress', value: canonical })));
    expect(decoded.body.case).toBe('ingress');
    const envelope = decoded.body.value as Uint8Array;
    expect(Buffer.from(envelope).equals(Buffer.from(canonical))).toBe(true);
    expect(decodeBinary(envelope)).toEqual(decodeBinary(canonical));
    expect(decodeBinary(envelope).ok).toBe(true);
  });

  test('an egress body holds the SHA-256 and size of the canonical envelope, not the audio', () => {
    const canonical = encodeBinary(audioOut);
    const body = egressBody(audioOut);
    expect(body).toEqual({
      case: 'egress',
      value: { kind: 'audio.out', seq: 2, epoch: 3, size: canonical.length, sha256: new Uint8Array(createHash('sha256').update(canonical).digest()) },
    });
  });

  test('a record with an unknown field, a second body or a cut-off body is refused with its offset', () => {
    const good = encodeRecord(record({ case: 'input', value: { name: 'n', value: new Uint8Array([1]) } }));
    const unknown = Buffer.concat([good, Buffer.from([0x28, 0x01])]); // field 5, varint
    expect(() => decodeRecord(unknown)).toThrow(new TimelineFormatError('unknown TimelineRecord field 5', good.length));
    const second = Buffer.concat([good, encodeRecord({ index: 0, at_ms: 0, session_id: '', turn_id: '', body: { case: 'input', value: { name: 'x', value: new Uint8Array() } } })]);
    expect(() => decodeRecord(second)).toThrow(/second body input after input/);
    expect(() => decodeRecord(good.subarray(0, good.length - 1))).toThrow(TimelineFormatError);
    expect(() => decodeRecord(Uint8Array.from([0x08, 0x01]))).toThrow(/no body/); // index 1 and nothing else
  });

  test('a malformed body is a TypeError at encode, never bytes on disk', () => {
    const bad = { case: 'header', value: { seed: 'lots' } } as unknown as RecordBody;
    expect(() => encodeRecord(record(bad))).toThrow(TypeError);
    const badIngress = { case: 'ingress', value: 'not bytes' } as unknown as RecordBody;
    expect(() => encodeRecord(record(badIngress))).toThrow(TypeError);
  });
});
