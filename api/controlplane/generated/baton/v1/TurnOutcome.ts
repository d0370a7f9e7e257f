// Original file: proto/baton/v1/control.proto

export const TurnOutcome = {
  TURN_OUTCOME_UNSPECIFIED: 'TURN_OUTCOME_UNSPECIFIED',
  TURN_OUTCOME_OPENED: 'TURN_OUTCOME_OPENED',
  TURN_OUTCOME_REJECTED: 'TURN_OUTCOME_REJECTED',
  TURN_OUTCOME_DEFERRED: 'TURN_OUTCOME_DEFERRED',
  TURN_OUTCOME_STALE_EPOCH: 'TURN_OUTCOME_STALE_EPOCH',
} as const;

export type TurnOutcome =
  | 'TURN_OUTCOME_UNSPECIFIED'
  | 0
  | 'TURN_OUTCOME_OPENED'
  | 1
  | 'TURN_OUTCOME_REJECTED'
  | 2
  | 'TURN_OUTCOME_DEFERRED'
  | 3
  | 'TURN_OUTCOME_STALE_EPOCH'
  | 4

export type TurnOutcome__Output = typeof TurnOutcome[keyof typeof TurnOutcome]
