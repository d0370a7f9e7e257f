// Original file: proto/baton/v1/events.proto


export interface TurnDeferred {
  'reason'?: (string);
}

export interface TurnDeferred__Output {
  'reason': (string);
}
