// The named values of the Event ABI that are not kinds: error codes, abort
// reasons (with their precedence), pre-turn reasons and WebSocket close codes.
// Every other module takes these names from here; none spells them again.

/** Error codes, one list used at every boundary (DESIGN 4). */
export const ERROR_CODES = [
  'invalid_event',
  'unknown_kind',
  'invalid_payload',
  'seq_regression',
  'frame_too_large',
  'format_mismatch',
  'stale_epoch',
  'unauthenticated',
  'not_found',
  'turn_closed',
  'overloaded',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes that count toward the consecutive-invalid limit (DESIGN 4.1). */
export const VALIDATION_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'invalid_event',
  'unknown_kind',
  'invalid_payload',
  'seq_regression',
  'format_mismatch',
]);

/** After this many consecutive validation errors the stream closes with 1008. */
export const MAX_CONSECUTIVE_INVALID = 16;

/** Abort reasons in precedence order: when several hold at once, the first wins. */
export const ABORT_REASONS = [
  'authority_lost',
  'cancelled',
  'budget_exhausted',
  'provider_failure',
  'node_failure',
  'transport_lost',
  'evidence_unavailable',
] as const;
export type AbortReason = (typeof ABORT_REASONS)[number];

/** The abort reason that wins among several that hold at once. */
export function strongestAbortReason(reasons: Iterable<AbortReason>): AbortReason | undefined {
  let best: AbortReason | undefined;
  for (const reason of reasons) {
    if (best === undefined || ABORT_REASONS.indexOf(reason) < ABORT_REASONS.indexOf(best)) best = reason;
  }
  return best;
}

/** WebSocket close codes (DESIGN 5.1, docs/protocol.md). */
export const CLOSE_CODES = {
  normal: 1000,
  draining: 1001,
  unsupportedData: 1003,
  policy: 1008,
  tooLarge: 1009,
  internal: 1011,
  overloaded: 1013,
  replaced: 4002,
  authorityMoved: 4009,
} as const;

/** Default maximum frame size on the gateway sockets (bytes). */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
