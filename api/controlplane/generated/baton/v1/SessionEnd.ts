// Original file: proto/baton/v1/events.proto


export interface SessionEnd {
  'reason'?: (string);
}

export interface SessionEnd__Output {
  'reason': (string);
}
