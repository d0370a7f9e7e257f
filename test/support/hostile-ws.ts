// Hostile gateway traffic for test/integration/hostile-ws.test.ts: a `ws`
// client that logs every event and the close, and fast-check arbitraries for
// frame templates (valid events, events with exactly one fault, mutated
// events, random bytes and text, deep JSON and protobuf nesting, invalid
// UTF-8, oversize frames). A template becomes bytes only when it is sent,
// against the live stream (session id, epoch, last accepted seq), together
// with what docs/protocol.md says the kernel must answer.
import fc from 'fast-check';
import { WebSocket } from 'ws';
import {
  type AnyEnvelope,
  type Kind,
  type Payloads,
  anyEnvelope,
  decodeBinary,
  decodeJson,
  encodeBinary,
  encodeJson,
  payloadDesc,
} from '../../api/eventabi/index.js';

export type Encoding = 'proto' | 'json';

/** Largest frame the kernel accepts (max_frame_bytes default; docs/protocol.md). */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Codes that count toward the 16 consecutive invalid events (DESIGN 4.1). */
export const VALIDATION_CODES: ReadonlySet<string> = new Set(['invalid_event', 'unknown_kind', 'invalid_payload', 'seq_regression', 'format_mismatch']);
/** Codes the ingress gate answers with: a frame that gets one of them did not advance the expected seq. */
export const GATE_CODES: ReadonlySet<string> = new Set([...VALIDATION_CODES, 'stale_epoch', 'frame_too_large']);
/** Codes a session may answer a well-formed event with (unknown or closed turn, full pending input). */
export const SESSION_CODES: ReadonlySet<string> = new Set(['not_found', 'turn_closed', 'overloaded']);

// ---------------------------------------------------------------- client

export interface Received {
  /** Position in this connection's log. */
  readonly index: number;
  readonly event?: AnyEnvelope;
  /** Why a frame from the kernel could not be decoded (it never should be). */
  readonly undecodable?: string;
}

export type Refusal = { refused: true; status: number; body: string };

/** One gateway connection: every event the kernel sends is decoded and logged in order. */
export class GatewayClient {
  readonly log: Received[] = [];
  closeCode: number | undefined;
  closeReason = '';
  private readonly listeners = new Set<() => void>();

  private constructor(
    readonly ws: WebSocket,
    readonly encoding: Encoding,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const decoded = isBinary ? decodeBinary(data) : decodeJson(data.toString('utf8'));
      const expected = encoding === 'proto' ? isBinary : !isBinary;
      if (!decoded.ok || !expected) {
        this.push({ undecodable: decoded.ok ? `${isBinary ? 'binary' : 'text'} frame on a ${encoding} stream` : decoded.error.message });
      } else {
        this.push({ event: decoded.event });
      }
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.notify();
    });
    ws.on('error', () => undefined);
  }

  /** Connects; resolves with the client, or with the HTTP refusal of the upgrade. */
  static connect(url: string, protocols: string[], headers: Record<string, string> = {}): Promise<GatewayClient | Refusal> {
    const encoding: Encoding = protocols[0] === 'baton.v1.json' ? 'json' : 'proto';
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, { headers, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
      const client = new GatewayClient(ws, encoding);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ refused: true, status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve({ refused: true, status: res.statusCode ?? 0, body }));
      });
      ws.once('error', (err) => reject(err));
    });
  }

  get open(): boolean {
    return this.closeCode === undefined && this.ws.readyState === WebSocket.OPEN;
  }

  send(data: Buffer | string, binary: boolean): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data, { binary });
  }

  /**
   * The first logged item at or after `from` matching `match`, or 'closed'
   * once the socket closed without one. 'silent' after `patienceMs` with
   * neither: the kernel owes an answer and did not give it.
   */
  until(from: number, match: (r: Received) => boolean, patienceMs = 30_000): Promise<Received | 'closed' | 'silent'> {
    return new Promise((resolve) => {
      let scanned = from;
      const check = (): boolean => {
        for (; scanned < this.log.length; scanned++) {
          if (match(this.log[scanned]!)) {
            done(this.log[scanned]!);
            return true;
          }
        }
        if (this.closeCode !== undefined) {
          done('closed');
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => done('silent'), patienceMs);
      const done = (result: Received | 'closed' | 'silent'): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(result);
      };
      const listener = (): void => {
        check();
      };
      if (!check()) this.listeners.add(listener);
    });
  }

  /** Resolves once the socket has closed. */
  closed(): Promise<void> {
    return this.until(this.log.length, () => false, 60_000).then(() => undefined);
  }

  /** Stops reading the TCP socket: the kernel's writes pile up in its buffers (a gateway that never reads). */
  pauseReading(): void {
    (this.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }

  resumeReading(): void {
    (this.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  }

  terminate(): void {
    this.ws.terminate();
  }

  private push(item: Omit<Received, 'index'>): void {
    this.log.push({ index: this.log.length, ...item });
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

// ---------------------------------------------------------------- raw protobuf

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

const key = (field: number, wireType: number): number[] => varint(field * 8 + wireType);
const pbBytes = (field: number, body: Uint8Array | string): Buffer => {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from([...key(field, 2), ...varint(bytes.length)]), bytes]);
};
const pbUint = (field: number, value: number): Buffer => Buffer.from([...key(field, 0), ...varint(value)]);

// ---------------------------------------------------------------- templates

/** The live stream a template is materialized against. */
export interface StreamState {
  encoding: Encoding;
  session_id: string;
  epoch: number;
  /** Seq of the last event the kernel accepted on this session (0 before any). */
  lastSeq: number;
}

export type Expectation =
  /** Exactly one `error` naming the frame (or no id, when it could not be read), with one of these codes. */
  | { type: 'error'; codes: readonly string[] }
  /** A proposal with a stale epoch: answered `turn.stale_epoch`, never `error` (docs/protocol.md). */
  | { type: 'stale_proposal' }
  /** Well-formed: no gate error; only session-level errors (unknown or closed turn, full input). */
  | { type: 'accepted' }
  /** Damaged in a way that may or may not still be valid: at most one error. */
  | { type: 'any' }
  /** Closed by the WebSocket layer with this code. */
  | { type: 'close'; code: number };

export interface Frame {
  readonly data: Buffer | string;
  readonly binary: boolean;
  /** The envelope id written into the frame, '' when there is none. */
  readonly id: string;
  /** Seq written into the frame, when it is an envelope. */
  readonly seq: number | undefined;
  readonly expect: Expectation;
  readonly label: string;
  /** A valid session.end: the session ends and the socket closes 1000. */
  readonly endsSession: boolean;
}

/** An ingress event before it meets the stream: kind, payload and how its seq follows the last one. */
export interface Draft {
  readonly kind: Kind;
  readonly payload: Record<string, unknown>;
  readonly turn_id: string;
  readonly seqGap: number;
}

export type Fault =
  | 'unknown_kind'
  | 'egress_kind'
  | 'payload_of_other_kind'
  | 'seq_regression'
  | 'stale_epoch'
  | 'wrong_session'
  | 'missing_session'
  | 'bad_version'
  | 'long_id'
  | 'odd_audio'
  | 'long_audio'
  | 'session_start_mid_stream'
  | 'wrong_wire_type'
  | 'json_wrong_type'
  | 'unknown_payload_field'
  | 'unknown_envelope_field'
  | 'missing_turn_id'
  | 'bad_enum'
  | 'bad_dtmf'
  | 'empty_required';

export type Template =
  | { t: 'valid'; draft: Draft }
  | { t: 'fault'; draft: Draft; fault: Fault; variant: number }
  | { t: 'mutated'; draft: Draft; cuts: number[]; flips: [number, number][] }
  | { t: 'random_binary'; bytes: Uint8Array }
  /** Random bytes in the stream's own frame type: binary on proto, text (Latin-1 read) on JSON. */
  | { t: 'random_native'; bytes: Uint8Array }
  | { t: 'random_text'; text: string }
  | { t: 'random_json'; value: unknown }
  | { t: 'deep'; depth: number; where: 'top' | 'envelope' | 'payload' }
  | { t: 'wrong_frame_type'; draft: Draft }
  | { t: 'invalid_utf8_text'; bytes: number[] }
  | { t: 'huge_text'; kind: 'text.in' | 'turn.request'; size: number }
  | { t: 'oversize'; size: number; binary: boolean }
  | { t: 'session_start' };

const DTMF = [...'0123456789*#ABCD'];
const TURN_IDS = ['t-1', 't-2', 't-3', 't-4', 't-999999'];

const shortText = fc.oneof(fc.string({ minLength: 1, maxLength: 48 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }));
const seqGap = fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 2, arbitrary: fc.integer({ min: 2, max: 5 }) });
const pcm = (bytes: number): fc.Arbitrary<Uint8Array> => fc.integer({ min: 0, max: 255 }).map((fill) => new Uint8Array(bytes).fill(fill));

const draft = (kind: Kind, payload: fc.Arbitrary<Record<string, unknown>>, turnIds: fc.Arbitrary<string> = fc.constant('')): fc.Arbitrary<Draft> =>
  fc.record({ payload, turn_id: turnIds, seqGap }).map((parts) => ({ kind, ...parts }));

/** Valid ingress events of every kind but session.start (weights keep turns and their audio from dominating). */
export const draftArbitrary: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 6, arbitrary: draft('text.in', fc.record({ text: shortText })) },
  { weight: 6, arbitrary: draft('audio.in', fc.constantFrom(320, 640, 960).chain((n) => fc.record({ audio: pcm(n) }))) },
  { weight: 2, arbitrary: draft('speech.started', fc.constant({})) },
  { weight: 2, arbitrary: draft('speech.stopped', fc.constant({})) },
  { weight: 2, arbitrary: draft('turn.request', fc.record({ text: shortText }, { requiredKeys: [] })) },
  { weight: 2, arbitrary: draft('cancel', fc.record({ scope: fc.constant('session'), reason: fc.constantFrom('barge_in', 'hostile') })) },
  { weight: 2, arbitrary: draft('cancel', fc.record({ scope: fc.constant('turn'), reason: fc.constantFrom('barge_in', 'hostile') }), fc.constantFrom(...TURN_IDS)) },
  { weight: 1, arbitrary: draft('playback.started', fc.constant({}), fc.constantFrom(...TURN_IDS)) },
  { weight: 1, arbitrary: draft('playback.mark', fc.record({ played_ms: fc.nat({ max: 5000 }) }), fc.constantFrom(...TURN_IDS)) },
  { weight: 1, arbitrary: draft('playback.completed', fc.record({ played_ms: fc.nat({ max: 5000 }) }), fc.constantFrom(...TURN_IDS)) },
  { weight: 2, arbitrary: draft('dtmf', fc.record({ digit: fc.constantFrom(...DTMF) })) },
  { weight: 1, arbitrary: draft('session.end', fc.record({ reason: fc.constantFrom('hostile', 'caller_hung_up') })) },
  { weight: 2, arbitrary: draft('telemetry', fc.record({ name: fc.string({ minLength: 1, maxLength: 16 }), value: fc.double({ noNaN: true, noDefaultInfinity: true }) })) },
);

const FAULTS: readonly Fault[] = [
  'unknown_kind',
  'egress_kind',
  'payload_of_other_kind',
  'seq_regression',
  'stale_epoch',
  'wrong_session',
  'missing_session',
  'bad_version',
  'long_id',
  'odd_audio',
  'long_audio',
  'session_start_mid_stream',
  'wrong_wire_type',
  'json_wrong_type',
  'unknown_payload_field',
  'unknown_envelope_field',
  'missing_turn_id',
  'bad_enum',
  'bad_dtmf',
  'empty_required',
];

/** Every frame shape of the brief, weighted toward ones that reach deep into the gate and the session. */
export const templateArbitrary: fc.Arbitrary<Template> = fc.oneof(
  { weight: 30, arbitrary: draftArbitrary.map((d): Template => ({ t: 'valid', draft: d })) },
  {
    weight: 30,
    arbitrary: fc
      .record({ draft: draftArbitrary, fault: fc.constantFrom(...FAULTS), variant: fc.nat({ max: 1000 }) })
      .map((f): Template => ({ t: 'fault', ...f })),
  },
  {
    weight: 12,
    arbitrary: fc
      .record({
        draft: draftArbitrary,
        cuts: fc.array(fc.nat({ max: 1000 }), { maxLength: 1 }),
        flips: fc.array(fc.tuple(fc.nat({ max: 1000 }), fc.nat({ max: 7 })), { maxLength: 4 }),
      })
      .filter((m) => m.cuts.length + m.flips.length > 0)
      .map((m): Template => ({ t: 'mutated', ...m })),
  },
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes): Template => ({ t: 'random_binary', bytes })) },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }).map((text): Template => ({ t: 'random_text', text })) },
  { weight: 4, arbitrary: fc.json({ depthSize: 'small' }).map((text): Template => ({ t: 'random_json', value: JSON.parse(text) as unknown })) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        // Shallow, or far deeper than any recursive walker's stack.
        depth: fc.oneof(fc.integer({ min: 50, max: 2000 }), fc.integer({ min: 50_000, max: 200_000 })),
        where: fc.constantFrom('top' as const, 'envelope' as const, 'payload' as const),
      })
      .map((d): Template => ({ t: 'deep', ...d })),
  },
  { weight: 3, arbitrary: draftArbitrary.map((d): Template => ({ t: 'wrong_frame_type', draft: d })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x7b, 0xfe, 0x7d], [0xe2, 0x82])
      .map((bytes): Template => ({ t: 'invalid_utf8_text', bytes: [...bytes] })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ kind: fc.constantFrom('text.in' as const, 'turn.request' as const), size: fc.integer({ min: 16 * 1024, max: MAX_FRAME_BYTES - 4096 }) })
      .map((h): Template => ({ t: 'huge_text', ...h })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ size: fc.integer({ min: MAX_FRAME_BYTES + 1, max: MAX_FRAME_BYTES + 64 * 1024 }), binary: fc.boolean() })
      .map((o): Template => ({ t: 'oversize', ...o })),
  },
);

/** Faults that always count toward the 16 consecutive invalid events, whatever the stream's state. */
const COUNTING_FAULTS: readonly Fault[] = FAULTS.filter((f) => !['seq_regression', 'stale_epoch', 'long_audio'].includes(f));

/** One frame of a burst: certainly a validation error, so the 1008 close is predictable. */
export const countingFaultArbitrary: fc.Arbitrary<Template> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ draft: draftArbitrary, fault: fc.constantFrom(...COUNTING_FAULTS), variant: fc.nat({ max: 1000 }) })
      .map((f): Template => ({ t: 'fault', ...f })),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes): Template => ({ t: 'random_native', bytes })) },
);

// ---------------------------------------------------------------- materializing

let frameCounter = 0;

/** Unique per run, with a random tail so a bit flip in one frame's id cannot land on another frame's. */
function nextId(): string {
  frameCounter += 1;
  return `h-${frameCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

function envelopeOf(d: Draft, state: StreamState, over: Partial<AnyEnvelope> = {}): AnyEnvelope {
  const fields = { id: nextId(), session_id: state.session_id, turn_id: d.turn_id, epoch: state.epoch, seq: state.lastSeq + d.seqGap };
  return { ...anyEnvelope(d.kind, d.payload as Payloads[Kind], fields), ...over } as AnyEnvelope;
}

function encode(event: AnyEnvelope, encoding: Encoding): Buffer | string {
  return encoding === 'proto' ? Buffer.from(encodeBinary(event)) : encodeJson(event);
}

function native(event: AnyEnvelope, state: StreamState, expect: Expectation, label: string, endsSession = false): Frame {
  return { data: encode(event, state.encoding), binary: state.encoding === 'proto', id: event.id, seq: event.seq, expect, label, endsSession };
}

const isProposal = (kind: Kind): boolean => kind === 'turn.request' || kind === 'speech.stopped';

/** A JSON object frame (JSON streams only). */
function jsonFrame(object: Record<string, unknown>, id: string, seq: number | undefined, expect: Expectation, label: string): Frame {
  return { data: JSON.stringify(object), binary: false, id, seq, expect, label, endsSession: false };
}

/** The envelope header in protobuf, field by field, so single fields can be broken (events.proto numbers). */
function pbHeader(e: { v: string; id: string; session_id: string; turn_id: string; epoch: number; seq: number; kind: string }): Buffer {
  const parts = [pbBytes(1, e.v), pbBytes(2, e.id)];
  if (e.session_id) parts.push(pbBytes(3, e.session_id));
  if (e.turn_id) parts.push(pbBytes(4, e.turn_id));
  if (e.epoch) parts.push(pbUint(5, e.epoch));
  parts.push(pbUint(6, e.seq), pbBytes(7, e.kind));
  return Buffer.concat(parts);
}

function faultFrame(d: Draft, fault: Fault, variant: number, state: StreamState): Frame {
  const label = `fault:${fault}`;
  const err = (...codes: string[]): Expectation => ({ type: 'error', codes });
  const json = state.encoding === 'json';
  switch (fault) {
    case 'unknown_kind': {
      const kind = ['text.out', 'turn.requests', 'hello.world', 'x', 'session.started.x'][variant % 5]!;
      const id = nextId();
      const seq = state.lastSeq + 1;
      if (json) return jsonFrame({ v: '1.0', id, session_id: state.session_id, epoch: String(state.epoch), seq, kind, payload: {} }, id, seq, err('unknown_kind'), label);
      return { data: pbHeader({ v: '1.0', id, session_id: state.session_id, turn_id: '', epoch: state.epoch, seq, kind }), binary: true, id, seq, expect: err('unknown_kind'), label, endsSession: false };
    }
    case 'egress_kind': {
      const event = envelopeOf({ kind: 'turn.closed', payload: {}, turn_id: 't-1', seqGap: 1 }, state);
      return native(event, state, err('unknown_kind'), label);
    }
    case 'payload_of_other_kind': {
      const id = nextId();
      const seq = state.lastSeq + 1;
      if (json) {
        return jsonFrame({ v: '1.0', id, session_id: state.session_id, epoch: String(state.epoch), seq, kind: 'text.in', payload: { audio: 'AAAA' } }, id, seq, err('invalid_payload'), label);
      }
      const header = pbHeader({ v: '1.0', id, session_id: state.session_id, turn_id: '', epoch: state.epoch, seq, kind: 'text.in' });
      const audioMember = pbBytes(payloadDesc('audio.in').number, pbBytes(1, new Uint8Array(640)));
      return { data: Buffer.concat([header, audioMember]), binary: true, id, seq, expect: err('invalid_payload'), label, endsSession: false };
    }
    case 'seq_regression': {
      if (state.lastSeq < 1) return native(envelopeOf(d, state, { seq: 0 }), state, err('invalid_event', 'seq_regression'), label);
      const seq = Math.max(1, state.lastSeq - (variant % 3));
      return native(envelopeOf(d, state, { seq }), state, err('seq_regression'), label);
    }
    case 'stale_epoch': {
      const epoch = variant % 2 === 0 ? 0 : state.epoch + 1 + (variant % 7);
      const event = envelopeOf({ ...d, seqGap: 1 }, state, { epoch });
      // Proposals go to the turn gate, which answers turn.stale_epoch; every other kind gets error{stale_epoch}.
      return native(event, state, isProposal(d.kind) ? { type: 'stale_proposal' } : err('stale_epoch'), `${label}:${d.kind}`);
    }
    case 'wrong_session':
      return native(envelopeOf(d, state, { session_id: `${state.session_id}-other` }), state, err('invalid_event'), label);
    case 'missing_session':
      return native(envelopeOf(d, state, { session_id: '' }), state, err('invalid_event'), label);
    case 'bad_version':
      return native(envelopeOf(d, state, { v: variant % 2 === 0 ? '2.0' : '1' }), state, err('invalid_event'), label);
    case 'long_id': {
      const id = nextId();
      return native(envelopeOf(d, state, { id: `${id}-${'x'.repeat(129 + (variant % 200) - id.length)}` }), state, err('invalid_event'), label);
    }
    case 'odd_audio':
      return native(envelopeOf({ kind: 'audio.in', payload: { audio: new Uint8Array(641 + 2 * (variant % 50)) }, turn_id: '', seqGap: 1 }, state), state, err('format_mismatch'), label);
    case 'long_audio':
      // More than max_audio_frame_ms (1000 ms = 32,000 bytes of pcm16 at 16 kHz), still whole samples.
      return native(envelopeOf({ kind: 'audio.in', payload: { audio: new Uint8Array(32_002 + 2 * (variant % 4000)) }, turn_id: '', seqGap: 1 }, state), state, err('frame_too_large'), label);
    case 'session_start_mid_stream':
      return native(envelopeOf({ kind: 'session.start', payload: { pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 }, turn_id: '', seqGap: 1 }, state), state, err('invalid_event'), label);
    case 'wrong_wire_type': {
      if (json) return faultFrame(d, 'json_wrong_type', variant, state);
      const event = envelopeOf(d, state);
      const header = pbHeader({ ...event, seq: 0 });
      // seq written length-delimited instead of as a varint.
      const broken = Buffer.concat([header, pbBytes(6, String(event.seq))]);
      return { data: broken, binary: true, id: event.id, seq: event.seq, expect: err('invalid_event'), label, endsSession: false };
    }
    case 'json_wrong_type': {
      if (!json) return faultFrame(d, 'wrong_wire_type', variant, state);
      const event = envelopeOf(d, state);
      const object = JSON.parse(encodeJson(event)) as Record<string, unknown>;
      const breakers: [string, unknown, string[]][] = [
        ['seq', String(event.seq), ['invalid_event']],
        ['kind', 7, ['invalid_event']],
        ['payload', [], ['invalid_event', 'invalid_payload']],
        ['epoch', { value: event.epoch }, ['invalid_event']],
        ['v', 1, ['invalid_event']],
      ];
      const [field, value, codes] = breakers[variant % breakers.length]!;
      object[field] = value;
      return jsonFrame(object, event.id, event.seq, err(...codes), `${label}:${field}`);
    }
    case 'unknown_payload_field': {
      const event = envelopeOf(d, state);
      if (!json) {
        // An unknown field number inside the payload member.
        const member = pbBytes(payloadDesc(d.kind).number, pbUint(15, 1));
        return { data: Buffer.concat([pbHeader(event), member]), binary: true, id: event.id, seq: event.seq, expect: err('invalid_payload'), label, endsSession: false };
      }
      const object = JSON.parse(encodeJson(event)) as Record<string, unknown>;
      object['payload'] = { ...(object['payload'] as Record<string, unknown>), surplus: 1 };
      return jsonFrame(object, event.id, event.seq, err('invalid_payload'), label);
    }
    case 'unknown_envelope_field': {
      const event = envelopeOf(d, state);
      if (!json) {
        const encoded = Buffer.from(encodeBinary(event));
        return { data: Buffer.concat([encoded, pbUint(14, 1)]), binary: true, id: event.id, seq: event.seq, expect: err('invalid_event'), label, endsSession: false };
      }
      const object = JSON.parse(encodeJson(event)) as Record<string, unknown>;
      object['surplus'] = true;
      return jsonFrame(object, event.id, event.seq, err('invalid_event'), label);
    }
    case 'missing_turn_id':
      return native(envelopeOf({ kind: 'playback.mark', payload: { played_ms: 0 }, turn_id: '', seqGap: 1 }, state), state, err('invalid_event'), label);
    case 'bad_enum':
      return native(envelopeOf({ kind: 'cancel', payload: { scope: 'everything', reason: 'x' }, turn_id: '', seqGap: 1 }, state), state, err('invalid_payload'), label);
    case 'bad_dtmf':
      return native(envelopeOf({ kind: 'dtmf', payload: { digit: variant % 2 === 0 ? 'Z' : '12' }, turn_id: '', seqGap: 1 }, state), state, err('invalid_payload'), label);
    case 'empty_required':
      return native(envelopeOf({ kind: 'text.in', payload: { text: '' }, turn_id: '', seqGap: 1 }, state), state, err('invalid_payload'), label);
  }
}

function deepFrame(depth: number, where: 'top' | 'envelope' | 'payload', state: StreamState): Frame {
  const label = `deep:${where}:${depth}`;
  if (state.encoding === 'proto') {
    // Field 15 opened as a group `depth` times: a recursive skipper would overflow its stack.
    const data = Buffer.concat([Buffer.alloc(depth, 0x7b), Buffer.alloc(depth, 0x7c)]);
    return { data, binary: true, id: '', seq: undefined, expect: { type: 'error', codes: ['invalid_event'] }, label, endsSession: false };
  }
  const nested = `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;
  const id = nextId();
  const seq = state.lastSeq + 1;
  const head = `"v":"1.0","id":"${id}","session_id":"${state.session_id}","epoch":"${state.epoch}"`;
  const text =
    where === 'top'
      ? nested
      : where === 'envelope'
        ? `{${head},"seq":${nested},"kind":"text.in","payload":{"text":"a"}}`
        : `{${head},"seq":${seq},"kind":"text.in","payload":{"text":${nested}}}`;
  const codes = where === 'payload' ? ['invalid_payload'] : ['invalid_event'];
  return { data: text, binary: false, id: where === 'top' ? '' : id, seq, expect: { type: 'error', codes }, label, endsSession: false };
}

function mutate(bytes: Buffer, cuts: number[], flips: [number, number][]): Buffer {
  let out = Buffer.from(bytes);
  for (const [at, bit] of flips) if (out.length > 0) out[at % out.length]! ^= 1 << bit;
  for (const cut of cuts) out = out.subarray(0, cut % Math.max(1, out.length));
  return out;
}

/** Turns a template into the frame to send on `state`'s stream, with the answer docs/protocol.md requires. */
export function materialize(template: Template, state: StreamState): Frame {
  const any: Expectation = { type: 'any' };
  const json = state.encoding === 'json';
  switch (template.t) {
    case 'valid': {
      const event = envelopeOf(template.draft, state);
      const kind = template.draft.kind;
      // An ack whose played_ms exceeds the audio sent is invalid_payload; whether it does depends on the turn.
      const expect: Expectation = kind.startsWith('playback.') ? any : { type: 'accepted' };
      return native(event, state, expect, `valid:${kind}`, kind === 'session.end');
    }
    case 'fault':
      return faultFrame(template.draft, template.fault, template.variant, state);
    case 'mutated': {
      const event = envelopeOf(template.draft, state);
      const encoded = encode(event, state.encoding);
      const bytes = mutate(Buffer.from(encoded), template.cuts, template.flips);
      // Damaged JSON must still be sent as text: invalid UTF-8 in a text frame is a different case (1007).
      const data = json ? bytes.toString('utf8') : bytes;
      return { data, binary: !json, id: event.id, seq: event.seq, expect: any, label: `mutated:${template.draft.kind}`, endsSession: false };
    }
    case 'random_binary':
      return { data: Buffer.from(template.bytes), binary: true, id: '', seq: undefined, expect: { type: 'error', codes: [...VALIDATION_CODES] }, label: 'random_binary', endsSession: false };
    case 'random_native':
      return {
        data: json ? Buffer.from(template.bytes).toString('latin1') : Buffer.from(template.bytes),
        binary: !json,
        id: '',
        seq: undefined,
        expect: { type: 'error', codes: [...VALIDATION_CODES] },
        label: 'random_native',
        endsSession: false,
      };
    case 'random_text':
      return { data: template.text, binary: false, id: '', seq: undefined, expect: { type: 'error', codes: [...VALIDATION_CODES] }, label: 'random_text', endsSession: false };
    case 'random_json':
      return { data: JSON.stringify(template.value), binary: false, id: '', seq: undefined, expect: { type: 'error', codes: [...VALIDATION_CODES] }, label: 'random_json', endsSession: false };
    case 'deep':
      return deepFrame(template.depth, template.where, state);
    case 'wrong_frame_type': {
      const event = envelopeOf(template.draft, state);
      // The other encoding in the other frame type: JSON text on a proto stream, protobuf bytes on a JSON stream.
      const data = json ? Buffer.from(encodeBinary(event)) : encodeJson(event);
      return { data, binary: json, id: event.id, seq: event.seq, expect: { type: 'error', codes: ['invalid_event'] }, label: 'wrong_frame_type', endsSession: false };
    }
    case 'invalid_utf8_text': {
      const data = Buffer.concat([Buffer.from('{"v":"1.0","id":"'), Buffer.from(template.bytes), Buffer.from('"}')]);
      return { data, binary: false, id: '', seq: undefined, expect: { type: 'close', code: 1007 }, label: 'invalid_utf8_text', endsSession: false };
    }
    case 'huge_text': {
      const text = 'hostile words '.repeat(Math.ceil(template.size / 14)).slice(0, template.size);
      const draft: Draft = { kind: template.kind, payload: { text }, turn_id: '', seqGap: 1 };
      return native(envelopeOf(draft, state), state, { type: 'accepted' }, `huge_text:${template.kind}`);
    }
    case 'oversize': {
      const data = template.binary ? Buffer.alloc(template.size, 0x01) : 'a'.repeat(template.size);
      return { data, binary: template.binary, id: '', seq: undefined, expect: { type: 'close', code: 1009 }, label: `oversize:${template.binary ? 'binary' : 'text'}`, endsSession: false };
    }
    case 'session_start': {
      const event = envelopeOf({ kind: 'session.start', payload: { pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 }, turn_id: '', seqGap: 1 }, state, { epoch: 0, session_id: '' });
      return native(event, state, { type: 'accepted' }, 'session_start');
    }
  }
}

/** The seq a frame carries if the kernel could read it (for frames that were damaged on purpose). */
export function readableSeq(frame: Frame, encoding: Encoding): number | undefined {
  if (frame.binary !== (encoding === 'proto')) return undefined;
  const decoded = typeof frame.data === 'string' ? decodeJson(frame.data) : encoding === 'proto' ? decodeBinary(frame.data) : decodeJson(frame.data.toString('utf8'));
  return decoded.ok ? decoded.event.seq : undefined;
}

/** A valid ingress event to send on the stream (session.start, turn.request, the barrier probe, ...). */
export function eventFrame(kind: Kind, payload: Record<string, unknown>, state: StreamState, over: Partial<AnyEnvelope> = {}): { frame: Buffer | string; id: string; seq: number } {
  const event = envelopeOf({ kind, payload, turn_id: '', seqGap: 1 }, state, over);
  return { frame: encode(event, state.encoding), id: event.id, seq: event.seq };
}

/** Opens a session on `/v1/stream` with session.start; resolves once session.started arrived, with the state for the next event. */
export async function startStreamSession(
  http: string,
  key: string,
  { encoding = 'proto', pipeline = 'demo', sample_rate = 16000 }: { encoding?: Encoding; pipeline?: string; sample_rate?: number } = {},
): Promise<{ client: GatewayClient; state: StreamState }> {
  const client = await GatewayClient.connect(`ws://${http}/v1/stream`, [encoding === 'json' ? 'baton.v1.json' : 'baton.v1.proto'], { authorization: `Bearer ${key}` });
  if ('refused' in client) throw new Error(`upgrade refused ${client.status}: ${client.body}`);
  const start = eventFrame('session.start', { pipeline, codec: 'pcm16', sample_rate }, { encoding, session_id: '', epoch: 0, lastSeq: 0 });
  client.send(start.frame, encoding === 'proto');
  const seen = await client.until(0, (r) => r.event?.kind === 'session.started');
  if (typeof seen === 'string') throw new Error(`no session.started: ${seen}`);
  const payload = (seen.event as AnyEnvelope & { kind: 'session.started' }).payload;
  return { client, state: { encoding, session_id: payload.session_id, epoch: payload.epoch, lastSeq: start.seq } };
}

