// Original file: /work/main/proto/baton/v1/events.proto


export interface TurnStaleEpoch {
  'reason'?: (string);
}

export interface TurnStaleEpoch__Output {
  'reason': (string);
}
