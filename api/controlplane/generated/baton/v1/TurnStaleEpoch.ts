// Original file: proto/baton/v1/events.proto


export interface TurnStaleEpoch {
  'reason'?: (string);
}

export interface TurnStaleEpoch__Output {
  'reason': (string);
}
