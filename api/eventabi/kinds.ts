// The Event ABI kind table: for every kind, its lane, direction and turn
// scoping, plus the TypeScript shape of its payload. Field numbers and wire
// types come from proto/baton/v1/events.proto (see schema.ts); this table holds
// only what the proto cannot say. It never decides anything per sender: the
// lane of an event is always looked up here from its kind.

export const LANES = ['control', 'data', 'telemetry'] as const;
export type Lane = (typeof LANES)[number];

export type Direction = 'ingress' | 'egress';

/**
 * How `turn_id` relates to a kind:
 * - `none`: never carries a turn id (user transcripts, pre-turn outcomes, session events);
 * - `required`: always carries one;
 * - `cancel`: required when `scope` is `turn`, absent for `session`;
 * - `transcript`: required for `assistant` transcripts, absent for `user`.
 */
export type TurnScope = 'none' | 'required' | 'cancel' | 'transcript';

export const CODECS = ['pcm16', 'mulaw'] as const;
export type Codec = (typeof CODECS)[number];

export const CANCEL_SCOPES = ['session', 'turn'] as const;
export type CancelScope = (typeof CANCEL_SCOPES)[number];

export const ROLES = ['user', 'assistant'] as const;
export type Role = (typeof ROLES)[number];

export const DROP_DIRECTIONS = ['ingress', 'egress'] as const;

export interface KindInfo {
  readonly lane: Lane;
  readonly direction: Direction;
  readonly turnScope: TurnScope;
  /** Allowed values of string fields that are enum-like in JSON and protobuf alike. */
  readonly enums?: Readonly<Record<string, readonly string[]>>;
}

export const KINDS = {
  // Ingress
  'session.start': { lane: 'control', direction: 'ingress', turnScope: 'none', enums: { codec: CODECS } },
  'audio.in': { lane: 'data', direction: 'ingress', turnScope: 'none' },
  'text.in': { lane: 'data', direction: 'ingress', turnScope: 'none' },
  'speech.started': { lane: 'control', direction: 'ingress', turnScope: 'none' },
  'speech.stopped': { lane: 'control', direction: 'ingress', turnScope: 'none' },
  'turn.request': { lane: 'control', direction: 'ingress', turnScope: 'none' },
  cancel: { lane: 'control', direction: 'ingress', turnScope: 'cancel', enums: { scope: CANCEL_SCOPES } },
  'playback.started': { lane: 'control', direction: 'ingress', turnScope: 'required' },
  'playback.mark': { lane: 'control', direction: 'ingress', turnScope: 'required' },
  'playback.completed': { lane: 'control', direction: 'ingress', turnScope: 'required' },
  dtmf: { lane: 'control', direction: 'ingress', turnScope: 'none' },
  'session.end': { lane: 'control', direction: 'ingress', turnScope: 'none' },
  telemetry: { lane: 'telemetry', direction: 'ingress', turnScope: 'none' },
  // Egress
  'session.started': { lane: 'control', direction: 'egress', turnScope: 'none', enums: { codec: CODECS } },
  'turn.rejected': { lane: 'control', direction: 'egress', turnScope: 'none' },
  'turn.deferred': { lane: 'control', direction: 'egress', turnScope: 'none' },
  'turn.stale_epoch': { lane: 'control', direction: 'egress', turnScope: 'none' },
  'turn.opened': { lane: 'control', direction: 'egress', turnScope: 'required' },
  'turn.active': { lane: 'control', direction: 'egress', turnScope: 'required' },
  'turn.committed': { lane: 'control', direction: 'egress', turnScope: 'required' },
  'turn.aborted': { lane: 'control', direction: 'egress', turnScope: 'required' },
  'turn.closed': { lane: 'control', direction: 'egress', turnScope: 'required' },
  'audio.out': { lane: 'data', direction: 'egress', turnScope: 'required' },
  'output.end': { lane: 'control', direction: 'egress', turnScope: 'required' },
  'output.clear': { lane: 'control', direction: 'egress', turnScope: 'required' },
  transcript: { lane: 'data', direction: 'egress', turnScope: 'transcript', enums: { role: ROLES } },
  'flow.xoff': { lane: 'telemetry', direction: 'egress', turnScope: 'none', enums: { lane: LANES } },
  'flow.xon': { lane: 'telemetry', direction: 'egress', turnScope: 'none', enums: { lane: LANES } },
  'drop.notice': {
    lane: 'telemetry',
    direction: 'egress',
    turnScope: 'none',
    enums: { lane: LANES, direction: DROP_DIRECTIONS },
  },
  error: { lane: 'control', direction: 'egress', turnScope: 'none' },
  'session.ended': { lane: 'control', direction: 'egress', turnScope: 'none' },
} as const satisfies Record<string, KindInfo>;

export type Kind = keyof typeof KINDS;
export type IngressKind = { [K in Kind]: (typeof KINDS)[K]['direction'] extends 'ingress' ? K : never }[Kind];
export type EgressKind = Exclude<Kind, IngressKind>;

export const ALL_KINDS = Object.keys(KINDS) as Kind[];

export function isKind(value: string): value is Kind {
  return Object.prototype.hasOwnProperty.call(KINDS, value);
}

export function kindInfo(kind: Kind): KindInfo {
  return KINDS[kind];
}

/** The protobuf oneof member of a kind: the kind with `.` replaced by `_`. */
export function payloadMember(kind: Kind): string {
  return kind.replace('.', '_');
}

/** Payload shapes, field names exactly as in the proto and the JSON encoding. */
export interface Payloads {
  'session.start': { pipeline: string; codec: Codec; sample_rate: number };
  'audio.in': { audio: Uint8Array };
  'text.in': { text: string };
  'speech.started': Record<string, never>;
  'speech.stopped': Record<string, never>;
  'turn.request': { text?: string };
  cancel: { scope: CancelScope; reason: string };
  'playback.started': Record<string, never>;
  'playback.mark': { played_ms: number };
  'playback.completed': { played_ms: number };
  dtmf: { digit: string };
  'session.end': { reason: string };
  telemetry: { name: string; value: number };
  'session.started': {
    session_id: string;
    epoch: number;
    seed: number;
    pipeline: string;
    pipeline_version: string;
    codec: Codec;
    sample_rate: number;
  };
  'turn.rejected': { reason: string };
  'turn.deferred': { reason: string };
  'turn.stale_epoch': { reason: string };
  'turn.opened': { plan_hash: string; seed: number };
  'turn.active': Record<string, never>;
  'turn.committed': { generated_ms: number; played_ms: number };
  'turn.aborted': { reason: string; played_ms: number };
  'turn.closed': Record<string, never>;
  'audio.out': { audio: Uint8Array };
  'output.end': { generated_ms: number };
  'output.clear': { reason: string };
  transcript: { role: Role; text: string; final: boolean };
  'flow.xoff': { lane: Lane };
  'flow.xon': { lane: Lane };
  'drop.notice': { lane: Lane; direction: 'ingress' | 'egress'; seq_from: number; seq_to: number; reason: string };
  error: { code: string; message: string; ref_id?: string };
  'session.ended': { reason: string; owner?: string };
}

/**
 * One event, as decoded from either encoding. Field names are the contract's
 * snake_case names. 64-bit numbers (`epoch`, `seq`, seeds, milliseconds) are
 * JS numbers: the codec rejects values above 2^53-1, and Baton's own seeds
 * are 53-bit (see docs/protocol.md).
 */
export interface Envelope<K extends Kind = Kind> {
  v: string;
  id: string;
  session_id: string;
  turn_id: string;
  epoch: number;
  seq: number;
  kind: K;
  media_ms: number;
  wall_ms: number;
  payload: Payloads[K];
}

export type AnyEnvelope = { [K in Kind]: Envelope<K> }[Kind];

export const SCHEMA_VERSION = '1.0';
