// Original file: proto/baton/v1/control.proto


export interface TurnBudgets {
  'opening_ms'?: (number);
  'active_ms'?: (number);
  'playback_timeout_ms'?: (number);
  'max_ahead_ms'?: (number);
  'reconnect_grace_ms'?: (number);
  'session_idle_ms'?: (number);
  'closing_ms'?: (number);
}

export interface TurnBudgets__Output {
  'opening_ms': (number);
  'active_ms': (number);
  'playback_timeout_ms': (number);
  'max_ahead_ms': (number);
  'reconnect_grace_ms': (number);
  'session_idle_ms': (number);
  'closing_ms': (number);
}
