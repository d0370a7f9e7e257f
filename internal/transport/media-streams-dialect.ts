// The media-streams JSON dialect (Twilio Media Streams, also spoken by other
// telephony gateways): parses inbound text frames into typed frames and
// writes the three outbound frames (`media`, `mark`, `clear`), field by field
// as Twilio documents them. It is pure: no sockets, no sessions, no time.
import { MAX_ID_LENGTH } from '../../api/eventabi/validate.js';
import { CLOSE_CODES } from '../../api/eventabi/vocabulary.js';

/** The only audio format of the dialect: 8 kHz mono G.711 mu-law. */
export const MEDIA_FORMAT = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } as const;

/** The close codes this endpoint uses to refuse input: 1003 is "data of a type the endpoint cannot accept". */
export const UNSUPPORTED_DATA = CLOSE_CODES.unsupportedData;
export const POLICY_VIOLATION = CLOSE_CODES.policy;

/** At most this many `start.customParameters` entries are kept (Twilio allows a handful per stream). */
const MAX_CUSTOM_PARAMETERS = 64;
const MAX_CUSTOM_VALUE = 1024;
const MAX_MARK_NAME = 256;

/** Fields every inbound frame but `connected` may carry. */
interface Numbered {
  /** Twilio sends a decimal string counting from "1"; undefined when the gateway omits it. */
  readonly sequenceNumber: number | undefined;
  /** The stream the frame belongs to, when the frame names it. */
  readonly streamSid: string | undefined;
}

export type InboundFrame =
  | { readonly event: 'connected'; readonly protocol: string; readonly version: string }
  | (Numbered & {
      readonly event: 'start';
      readonly streamSid: string;
      readonly accountSid: string;
      readonly callSid: string;
      readonly tracks: readonly string[];
      readonly customParameters: Readonly<Record<string, string>>;
    })
  | (Numbered & {
      readonly event: 'media';
      readonly track: 'inbound' | 'outbound';
      readonly chunk: number | undefined;
      /** Presentation time in ms from the start of the stream. */
      readonly timestamp: number | undefined;
      readonly payload: Uint8Array;
    })
  | (Numbered & { readonly event: 'mark'; readonly name: string })
  | (Numbered & { readonly event: 'dtmf'; readonly track: string; readonly digit: string })
  | (Numbered & { readonly event: 'stop'; readonly accountSid: string; readonly callSid: string });

export type InboundEvent = InboundFrame['event'];

/** Why a frame is not a frame of the dialect, and the close code that fits when it cannot be tolerated. */
export interface DialectProblem {
  readonly code: typeof UNSUPPORTED_DATA | typeof POLICY_VIOLATION;
  readonly message: string;
}

export type ParsedFrame = { readonly ok: true; readonly frame: InboundFrame } | { readonly ok: false; readonly problem: DialectProblem };

class Malformed extends Error {
  constructor(
    message: string,
    readonly code: DialectProblem['code'] = POLICY_VIOLATION,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectField(frame: Json, name: string, where: string): Json {
  const value = frame[name];
  if (!isObject(value)) throw new Malformed(`${where}${name} must be an object`);
  return value;
}

function optionalString(obj: Json, name: string, where: string, max = MAX_ID_LENGTH): string | undefined {
  const value = obj[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Malformed(`${where}${name} must be a string`);
  if (value.length > max) throw new Malformed(`${where}${name} is longer than ${max} characters`);
  return value;
}

function requiredString(obj: Json, name: string, where: string, max = MAX_ID_LENGTH): string {
  const value = optionalString(obj, name, where, max);
  if (value === undefined || value === '') throw new Malformed(`${where}${name} is required`);
  return value;
}

/** A non-negative integer sent as a decimal string (Twilio) or, leniently, as a JSON number. */
function optionalCount(obj: Json, name: string, where: string): number | undefined {
  const value = obj[name];
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^[0-9]{1,15}$/.test(value)) return Number(value);
  throw new Malformed(`${where}${name} must be a decimal string`);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Payload(obj: Json, where: string): Uint8Array {
  const value = obj['payload'];
  if (typeof value !== 'string') throw new Malformed(`${where}payload must be a base64 string`);
  if (!BASE64.test(value)) throw new Malformed(`${where}payload is not valid base64`);
  return Buffer.from(value, 'base64');
}

function numbered(frame: Json): Numbered {
  return { sequenceNumber: optionalCount(frame, 'sequenceNumber', ''), streamSid: optionalString(frame, 'streamSid', '') };
}

function parseStart(frame: Json): InboundFrame {
  const start = objectField(frame, 'start', '');
  const format = objectField(start, 'mediaFormat', 'start.');
  const { encoding, sampleRate, channels } = format;
  if (encoding !== MEDIA_FORMAT.encoding || sampleRate !== MEDIA_FORMAT.sampleRate || channels !== MEDIA_FORMAT.channels) {
    throw new Malformed(
      `unsupported mediaFormat ${JSON.stringify({ encoding, sampleRate, channels })}: only ${MEDIA_FORMAT.encoding} at ${MEDIA_FORMAT.sampleRate} Hz, ${MEDIA_FORMAT.channels} channel`,
      UNSUPPORTED_DATA,
    );
  }
  const meta = numbered(frame);
  // Twilio repeats the stream id at the top level; either place names it.
  const streamSid = optionalString(start, 'streamSid', 'start.') || meta.streamSid;
  if (!streamSid) throw new Malformed('start.streamSid is required');
  if (meta.streamSid && meta.streamSid !== streamSid) throw new Malformed('streamSid and start.streamSid differ');
  const tracks = start['tracks'] ?? [];
  if (!Array.isArray(tracks) || tracks.length > 8 || !tracks.every((t) => typeof t === 'string' && t.length <= 32)) {
    throw new Malformed('start.tracks must be an array of track names');
  }
  const rawParameters = start['customParameters'] ?? {};
  if (!isObject(rawParameters)) throw new Malformed('start.customParameters must be an object');
  const entries = Object.entries(rawParameters);
  if (entries.length > MAX_CUSTOM_PARAMETERS) throw new Malformed(`start.customParameters has more than ${MAX_CUSTOM_PARAMETERS} entries`);
  const customParameters: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of entries) {
    if (typeof value !== 'string' || value.length > MAX_CUSTOM_VALUE) {
      throw new Malformed(`start.customParameters.${key.slice(0, 64)} must be a string of at most ${MAX_CUSTOM_VALUE} characters`);
    }
    customParameters[key] = value;
  }
  return {
    event: 'start',
    sequenceNumber: meta.sequenceNumber,
    streamSid,
    accountSid: optionalString(start, 'accountSid', 'start.') ?? '',
    callSid: optionalString(start, 'callSid', 'start.') ?? '',
    tracks: tracks as string[],
    customParameters,
  };
}

function parseMedia(frame: Json): InboundFrame {
  const media = objectField(frame, 'media', '');
  const track = optionalString(media, 'track', 'media.') ?? 'inbound';
  if (track !== 'inbound' && track !== 'outbound') throw new Malformed(`media.track must be "inbound" or "outbound" (got ${JSON.stringify(track)})`);
  return {
    event: 'media',
    ...numbered(frame),
    track,
    chunk: optionalCount(media, 'chunk', 'media.'),
    timestamp: optionalCount(media, 'timestamp', 'media.'),
    payload: base64Payload(media, 'media.'),
  };
}

function parseFrame(frame: Json): InboundFrame {
  const event = frame['event'];
  if (typeof event !== 'string') throw new Malformed('a frame must have a string "event"');
  switch (event) {
    case 'connected':
      return { event, protocol: optionalString(frame, 'protocol', '') ?? '', version: optionalString(frame, 'version', '') ?? '' };
    case 'start':
      return parseStart(frame);
    case 'media':
      return parseMedia(frame);
    case 'mark':
      return { event, ...numbered(frame), name: requiredString(objectField(frame, 'mark', ''), 'name', 'mark.', MAX_MARK_NAME) };
    case 'dtmf': {
      const dtmf = objectField(frame, 'dtmf', '');
      return { event, ...numbered(frame), track: optionalString(dtmf, 'track', 'dtmf.') ?? 'inbound_track', digit: requiredString(dtmf, 'digit', 'dtmf.', 8) };
    }
    case 'stop': {
      const stop = frame['stop'] === undefined ? {} : objectField(frame, 'stop', '');
      return { event, ...numbered(frame), accountSid: optionalString(stop, 'accountSid', 'stop.') ?? '', callSid: optionalString(stop, 'callSid', 'stop.') ?? '' };
    }
    default:
      throw new Malformed(`unknown event ${JSON.stringify(event.slice(0, 64))}`);
  }
}

/** Parses one inbound text frame. Never throws. */
export function parseInbound(text: string): ParsedFrame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: { code: POLICY_VIOLATION, message: 'frame is not JSON' } };
  }
  if (!isObject(json)) return { ok: false, problem: { code: POLICY_VIOLATION, message: 'frame is not a JSON object' } };
  try {
    return { ok: true, frame: parseFrame(json) };
  } catch (err) {
    if (err instanceof Malformed) return { ok: false, problem: { code: err.code, message: err.message } };
    throw err;
  }
}

/** Outbound `media`: caller-bound audio, base64 8 kHz mu-law. */
export function mediaFrame(streamSid: string, audio: Uint8Array): string {
  return JSON.stringify({ event: 'media', streamSid, media: { payload: Buffer.from(audio.buffer, audio.byteOffset, audio.byteLength).toString('base64') } });
}

/** Outbound `mark`: the gateway echoes it when the audio sent before it has played (or was cleared). */
export function markFrame(streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
}

/** Outbound `clear`: the gateway drops every buffered byte and echoes the marks it still held. */
export function clearFrame(streamSid: string): string {
  return JSON.stringify({ event: 'clear', streamSid });
}
