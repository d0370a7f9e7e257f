// Original file: proto/baton/v1/events.proto


export interface TurnRejected {
  'reason'?: (string);
}

export interface TurnRejected__Output {
  'reason': (string);
}
