// Original file: proto/baton/v1/events.proto


export interface Cancel {
  'scope'?: (string);
  'reason'?: (string);
}

export interface Cancel__Output {
  'scope': (string);
  'reason': (string);
}
