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

/**
 * Why a proposed turn did not open: the `reason` of turn.rejected,
 * turn.deferred and turn.stale_epoch (DESIGN 6), named by the pre-turn step
 * that gives it. A plan that fails to freeze gives its own freeze reason, and
 * a stale epoch the current one names gives `staleEpochMessage`.
 */
export const PRE_TURN_REASONS = {
  /** state: the session is ending, so no new turn may open. */
  sessionEnding: 'session_ending',
  /** state: a turn is already open (one at a time per session). */
  turnActive: 'turn_active',
  /** admission, rejected: the tenant's turns-per-minute rate. */
  rateLimited: 'rate_limited',
  /** admission, deferred: the tenant's concurrent turns are all taken. */
  tenantTurnsExhausted: 'tenant_turns_exhausted',
  /** admission, deferred: the kernel's concurrent turns are all taken. */
  poolExhausted: 'pool_exhausted',
  /** authority, stale_epoch: this kernel holds no lease, so no epoch is current. */
  authorityNotHeld: 'authority_not_held',
} as const;
export type PreTurnReason = (typeof PRE_TURN_REASONS)[keyof typeof PRE_TURN_REASONS];

/**
 * The message of an epoch that is not the current one (DESIGN 4.1), spelled
 * once for every place that answers it: `current` when the answer may name
 * it, `session_id` when it leaves the session's own stream. `epoch` is
 * undefined only where the caller named none, and the message says so.
 */
export function staleEpochMessage(epoch: number | undefined, current?: number, where?: { session_id: string }): string {
  const now = current === undefined ? '' : ` ${current}`;
  const of = where === undefined ? '' : ` of session ${where.session_id}`;
  return `epoch ${epoch} is not the current epoch${now}${of}`;
}

/** The reason of a turn.stale_epoch: no lease at all (`current` 0), or an epoch that is not the current one. */
export function staleEpochReason(epoch: number, current: number): string {
  return current === 0 ? PRE_TURN_REASONS.authorityNotHeld : staleEpochMessage(epoch, current);
}

/** Why a lane dropped an item: the `reason` of drop.notice and of the timeline's lane decision. */
export const DROP_REASONS = ['overflow_drop_oldest', 'overflow_latest_only', 'overflow_drop_newest', 'coalesced', 'block_timeout'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

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
