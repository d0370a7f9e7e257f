// The one way to build an EventEnvelope: every producer (kernel egress,
// gateway clients, simulations, fixtures, benches) calls `envelope`, so the
// schema version and the defaults of the optional envelope fields are
// spelled once. It builds values only; it never validates or encodes.
import { type AnyEnvelope, type Envelope, type Kind, type Payloads, SCHEMA_VERSION } from './kinds.js';

/** The envelope fields a producer may set; every one left out takes its zero value. */
export interface EnvelopeFields {
  id?: string;
  session_id?: string;
  turn_id?: string;
  epoch?: number;
  seq?: number;
  media_ms?: number;
  wall_ms?: number;
}

/** An envelope of `kind` with `payload`, stamped with the contract's schema version. */
export function envelope<K extends Kind>(kind: K, payload: Payloads[K], fields: EnvelopeFields = {}): Envelope<K> {
  return {
    v: SCHEMA_VERSION,
    id: fields.id ?? '',
    session_id: fields.session_id ?? '',
    turn_id: fields.turn_id ?? '',
    epoch: fields.epoch ?? 0,
    seq: fields.seq ?? 0,
    kind,
    media_ms: fields.media_ms ?? 0,
    wall_ms: fields.wall_ms ?? 0,
    payload,
  };
}

/** `envelope`, typed as the union every codec and sink takes. */
export function anyEnvelope<K extends Kind>(kind: K, payload: Payloads[K], fields: EnvelopeFields = {}): AnyEnvelope {
  return envelope(kind, payload, fields) as unknown as AnyEnvelope;
}
