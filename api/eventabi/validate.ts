// Stateless validation shared by both codecs: envelope fields, the kind's
// turn scoping, required payload fields and enum-like values. Per-session
// rules (seq order, negotiated format, epochs) live in the ingress gate.
import { formatProblem } from './audio-format.js';
import { type AbiError, abiError } from './errors.js';
import { type AnyEnvelope, KINDS, SCHEMA_VERSION } from './kinds.js';
import { payloadDesc } from './schema.js';

/** Longest id, session_id or turn_id accepted (characters). */
export const MAX_ID_LENGTH = 128;

const DTMF_DIGIT = /^[0-9*#A-D]$/;

/** Envelope checks that need no payload; returns the first problem found. */
export function checkEnvelope(env: Record<string, unknown>): AbiError | undefined {
  const ref = (env['id'] as string) || undefined;
  if (env['v'] !== SCHEMA_VERSION) {
    return abiError('invalid_event', env['v'] ? `unsupported schema version "${String(env['v'])}" (expected "${SCHEMA_VERSION}")` : 'missing v', ref);
  }
  if (!env['id']) return abiError('invalid_event', 'missing id');
  if (!env['kind']) return abiError('invalid_event', 'missing kind', ref);
  if (!env['seq']) return abiError('invalid_event', 'missing seq (sequences start at 1)', ref);
  for (const name of ['id', 'session_id', 'turn_id'] as const) {
    if ((env[name] as string).length > MAX_ID_LENGTH) {
      return abiError('invalid_event', `${name} is longer than ${MAX_ID_LENGTH} characters`, ref);
    }
  }
  return undefined;
}

/** Checks that the decoded event is complete and well-formed for its kind. */
export function checkEvent(event: AnyEnvelope): AbiError | undefined {
  const ref = event.id;
  const info = KINDS[event.kind];
  const payload = event.payload as Record<string, unknown>;
  for (const field of payloadDesc(event.kind).fields) {
    const value = payload[field.name];
    if (field.optional || (field.type !== 'string' && field.type !== 'bytes')) continue;
    if ((value as string | Uint8Array).length === 0) {
      return abiError('invalid_payload', `${event.kind} requires a non-empty ${field.name}`, ref);
    }
  }
  if ('enums' in info) {
    for (const [name, allowed] of Object.entries(info.enums)) {
      const value = payload[name] as string;
      if (!allowed.includes(value)) {
        return abiError('invalid_payload', `${event.kind}.${name} must be one of ${allowed.join(', ')} (got "${value}")`, ref);
      }
    }
  }
  const turnProblem = turnScopeProblem(event);
  if (turnProblem) return abiError('invalid_event', turnProblem, ref);
  switch (event.kind) {
    case 'session.start':
    case 'session.started': {
      const problem = formatProblem(event.payload.codec, event.payload.sample_rate);
      if (problem) return abiError('invalid_payload', `${event.kind}: ${problem}`, ref);
      break;
    }
    case 'dtmf':
      if (!DTMF_DIGIT.test(event.payload.digit)) {
        return abiError('invalid_payload', `dtmf.digit must be one of 0-9, *, #, A-D (got "${event.payload.digit}")`, ref);
      }
      break;
    case 'telemetry':
      if (!Number.isFinite(event.payload.value)) return abiError('invalid_payload', 'telemetry.value must be finite', ref);
      break;
    case 'drop.notice':
      if (event.payload.seq_to < event.payload.seq_from) {
        return abiError('invalid_payload', 'drop.notice.seq_to is below seq_from', ref);
      }
      break;
    default:
      break;
  }
  return undefined;
}

function turnScopeProblem(event: AnyEnvelope): string | undefined {
  const scope = KINDS[event.kind].turnScope;
  let needsTurn: boolean;
  switch (scope) {
    case 'none':
      needsTurn = false;
      break;
    case 'required':
      needsTurn = true;
      break;
    case 'cancel':
      needsTurn = (event.payload as { scope: string }).scope === 'turn';
      break;
    case 'transcript':
      needsTurn = (event.payload as { role: string }).role === 'assistant';
      break;
  }
  if (needsTurn && !event.turn_id) return `${describe(event)} requires turn_id`;
  if (!needsTurn && event.turn_id) return `${describe(event)} must not carry turn_id`;
  return undefined;
}

function describe(event: AnyEnvelope): string {
  if (event.kind === 'cancel') return `cancel with scope ${event.payload.scope}`;
  if (event.kind === 'transcript') return `${event.payload.role} transcript`;
  return event.kind;
}
