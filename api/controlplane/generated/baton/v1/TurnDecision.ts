// Original file: proto/baton/v1/control.proto

import type { TurnOutcome as _baton_v1_TurnOutcome, TurnOutcome__Output as _baton_v1_TurnOutcome__Output } from '../../baton/v1/TurnOutcome.js';

export interface TurnDecision {
  'outcome'?: (_baton_v1_TurnOutcome);
  'turn_id'?: (string);
  'reason'?: (string);
  'plan_hash'?: (string);
}

export interface TurnDecision__Output {
  'outcome': (_baton_v1_TurnOutcome__Output);
  'turn_id': (string);
  'reason': (string);
  'plan_hash': (string);
}
