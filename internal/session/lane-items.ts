// What a session queues on its lanes: one accepted ingress event with its
// lane, its place in the session's ingress order and what it holds in
// memory, plus the coalesce rule for text. It decides nothing about delivery.
import { type AnyEnvelope, type Envelope, KINDS, type Lane } from '../../api/eventabi/index.js';

export interface QueuedEvent {
  readonly lane: Lane;
  readonly seq: number;
  readonly kind: string;
  /** A turn proposal: the Data it covers (lower seq) is delivered before it. */
  readonly barrier?: boolean;
  /** The seq of the ingress event the session took before this one, in any lane. */
  readonly prevSeq: number;
  readonly bytes: number;
  readonly event: AnyEnvelope;
}

/** The lane item for `event`; the lane comes from the kind, never from the sender. */
export function queuedEvent(event: AnyEnvelope, proposal: boolean, prevSeq: number): QueuedEvent {
  return { lane: KINDS[event.kind].lane, seq: event.seq, kind: event.kind, barrier: proposal, prevSeq, bytes: queuedBytes(event), event };
}

/** Envelope fields (ids up to 128 characters each) beside the payload. */
const ENVELOPE_BYTES = 512;

/** What a queued event holds in memory, roughly: its payload's bytes or characters plus the envelope. */
export function queuedBytes(event: AnyEnvelope): number {
  switch (event.kind) {
    case 'audio.in':
      return ENVELOPE_BYTES + event.payload.audio.length;
    case 'text.in':
      return ENVELOPE_BYTES + 2 * event.payload.text.length;
    case 'telemetry':
      return ENVELOPE_BYTES + 2 * event.payload.name.length;
    case 'turn.request':
      return ENVELOPE_BYTES + 2 * (event.payload.text?.length ?? 0);
    default:
      return ENVELOPE_BYTES;
  }
}

/** Coalesce policy for text: consecutive text.in deltas merge into one. */
export function mergeTextIn(tail: QueuedEvent, next: QueuedEvent): QueuedEvent | undefined {
  if (tail.event.kind !== 'text.in' || next.event.kind !== 'text.in') return undefined;
  const merged: Envelope<'text.in'> = { ...next.event, payload: { text: tail.event.payload.text + next.event.payload.text } };
  return { ...next, bytes: queuedBytes(merged), event: merged };
}
