// The Event ABI gateway for one session: decodes each ingress frame, applies
// the per-session rules (direction, session id, seq order, negotiated audio
// format, epoch) and counts consecutive invalid events. It lives as long as
// the session, so seq order and the invalid count continue across
// reconnections. It never changes session state and never throws.
import {
  type AbiError,
  type AnyEnvelope,
  type AudioFormat,
  CLOSE_CODES,
  KINDS,
  MAX_CONSECUTIVE_INVALID,
  VALIDATION_ERROR_CODES,
  abiError,
  audioMs,
  bytesPerSample,
  decodeBinary,
  decodeJson,
  staleEpochMessage,
} from '../../api/eventabi/index.js';

export type Encoding = 'proto' | 'json';

export type GateResult =
  | {
      readonly ok: true;
      readonly event: AnyEnvelope;
      /** The protobuf frame the event was decoded from (proto encoding only): the timeline records it as is. */
      readonly raw?: Uint8Array;
    }
  | { readonly ok: false; readonly error: AbiError; readonly close?: { readonly code: number; readonly reason: string } };

export interface IngressGateOptions {
  /** The session this gate guards; undefined until `session.start` on /v1/stream creates it. */
  session_id?: string;
  format?: AudioFormat;
  /** Longest audio.in frame accepted, in ms of the negotiated format. */
  maxAudioFrameMs: number;
  /** The session's current lease epoch, 0 when this kernel holds none. */
  currentEpoch: () => number;
  /** Seq of the last event already accepted for this session (the `session.start` that created it). */
  afterSeq?: number;
  /**
   * Events whose epoch the pre-turn gate checks instead (turn proposals), so a
   * stale proposal is answered with `turn.stale_epoch` like a gRPC proposal.
   */
  epochCheckedByTurnGate?: (event: AnyEnvelope) => boolean;
  /**
   * Validation only the session can do (a playback ack claiming more audio
   * than was sent): an error here is a validation error like any other, so
   * the event does not advance the expected seq and counts as invalid.
   */
  validateInSession?: (event: AnyEnvelope) => AbiError | undefined;
}

export class IngressGate {
  private lastSeq = 0;
  private invalidRun = 0;
  private session_id: string | undefined;
  private format: AudioFormat | undefined;

  constructor(private readonly opts: IngressGateOptions) {
    this.session_id = opts.session_id;
    this.format = opts.format;
    this.lastSeq = opts.afterSeq ?? 0;
  }

  get consecutiveInvalid(): number {
    return this.invalidRun;
  }

  get expectedAfterSeq(): number {
    return this.lastSeq;
  }

  /** Decodes and checks one frame. Epoch errors do not count toward the invalid limit. */
  admit(frame: Uint8Array | string, encoding: Encoding): GateResult {
    const decoded = encoding === 'proto' && typeof frame !== 'string' ? decodeBinary(frame) : decodeJson(frame);
    if (!decoded.ok) return this.reject(decoded.error);
    const event = decoded.event;
    const problem = this.check(event);
    if (problem) return this.reject(problem);
    this.lastSeq = event.seq;
    this.invalidRun = 0;
    return typeof frame === 'string' || encoding !== 'proto' ? { ok: true, event } : { ok: true, event, raw: frame };
  }

  private check(event: AnyEnvelope): AbiError | undefined {
    const ref = event.id;
    if (KINDS[event.kind].direction !== 'ingress') {
      return abiError('unknown_kind', `${event.kind} is an egress kind; a gateway may not send it`, ref);
    }
    const starting = this.session_id === undefined;
    if (starting !== (event.kind === 'session.start')) {
      return abiError(
        'invalid_event',
        starting ? `the first event on this stream must be session.start (got ${event.kind})` : 'session.start may only be the first event of a stream',
        ref,
      );
    }
    if (!starting) {
      if (!event.session_id) return abiError('invalid_event', 'missing session_id', ref);
      if (event.session_id !== this.session_id) {
        return abiError('invalid_event', `session_id "${event.session_id}" does not match this stream's session`, ref);
      }
    }
    if (event.seq <= this.lastSeq) {
      return abiError('seq_regression', `seq ${event.seq} is not above the last accepted seq ${this.lastSeq}`, ref);
    }
    if (event.kind === 'audio.in' && this.format) {
      const size = event.payload.audio.length;
      const sample = bytesPerSample(this.format.codec);
      if (size % sample !== 0) {
        return abiError('format_mismatch', `audio of ${size} bytes is not whole ${this.format.codec} samples`, ref);
      }
      const ms = audioMs(this.format, size);
      if (ms > this.opts.maxAudioFrameMs) {
        return abiError(
          'frame_too_large',
          `audio frame of ${Math.round(ms)} ms exceeds ${this.opts.maxAudioFrameMs} ms of ${this.format.codec}/${this.format.sample_rate}`,
          ref,
        );
      }
    }
    // Authority before content: a frame from a stale epoch is stale whatever
    // it claims, so its sender learns it must re-acquire rather than fix a payload.
    if (!starting && !this.opts.epochCheckedByTurnGate?.(event)) {
      const current = this.opts.currentEpoch();
      if (event.epoch === 0 || event.epoch !== current) {
        return abiError('stale_epoch', staleEpochMessage(event.epoch, current), ref);
      }
    }
    if (!starting) {
      const invalid = this.opts.validateInSession?.(event);
      if (invalid) return invalid;
    }
    return undefined;
  }

  /**
   * Refuses a frame the transport could not even hand to the decoder (a
   * binary frame on a JSON stream, text on a proto stream): it counts toward
   * the consecutive-invalid limit like any undecodable frame.
   */
  refuse(error: AbiError): GateResult {
    return this.reject(error);
  }

  private reject(error: AbiError): GateResult {
    if (!VALIDATION_ERROR_CODES.has(error.code)) return { ok: false, error };
    this.invalidRun += 1;
    if (this.invalidRun >= MAX_CONSECUTIVE_INVALID) {
      return {
        ok: false,
        error,
        close: { code: CLOSE_CODES.policy, reason: `${MAX_CONSECUTIVE_INVALID} consecutive invalid events` },
      };
    }
    return { ok: false, error };
  }
}
