// Playback acknowledgements (playback.started/mark/completed): what the
// gateway reports it has played of a turn. The session applies them at once,
// never through the lanes, so a cancel that overtakes queued input still sees
// every ack sent before it. An ack may not claim more audio than the turn
// sent (DESIGN 4.1: invalid_payload, checked in the ingress gate so it counts
// as an invalid event). It changes nothing but the acknowledged turn.
import { type AbiError, type AnyEnvelope, type Envelope, abiError } from '../../api/eventabi/index.js';
import type { TurnLookup } from './turn-ids.js';
import type { AckResult } from './turn-runtime.js';

type PlaybackAck = Envelope<'playback.started' | 'playback.mark' | 'playback.completed'>;

/** The acknowledged turn, as acks see it. */
export interface AckedTurn {
  readonly turn_id: string;
  readonly isClosed: boolean;
  readonly sentAudioMs: number;
  playback(kind: PlaybackAck['kind'], played_ms: number): AckResult;
}

/** The gate's in-session check: a mark or completion of the open turn claiming more than it sent. */
export function playbackAckProblem(event: AnyEnvelope, turn: AckedTurn | undefined): AbiError | undefined {
  if (event.kind !== 'playback.mark' && event.kind !== 'playback.completed') return undefined;
  if (!turn || turn.isClosed || turn.turn_id !== event.turn_id) return undefined;
  const played = event.payload.played_ms;
  if (played <= turn.sentAudioMs) return undefined;
  return abiError('invalid_payload', `played_ms ${played} exceeds the ${Math.round(turn.sentAudioMs)} ms of audio sent for this turn`, event.id);
}

/** Applies an ack to the turn it names: an error for the gateway, a reason it was ignored, or nothing. */
export function applyPlaybackAck(
  event: PlaybackAck,
  lookup: TurnLookup<AckedTurn>,
): { error?: { code: 'not_found' | 'turn_closed' | 'invalid_payload'; message: string }; ignored?: string } | undefined {
  if (!lookup.ok) return { error: { code: lookup.code, message: lookup.message } };
  const played = 'played_ms' in event.payload ? event.payload.played_ms : 0;
  const result = lookup.turn.playback(event.kind, played);
  if (result.ok) return undefined;
  return 'code' in result ? { error: { code: result.code, message: result.message } } : { ignored: result.ignored };
}
