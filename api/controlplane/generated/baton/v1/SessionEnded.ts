// Original file: proto/baton/v1/events.proto


export interface SessionEnded {
  'reason'?: (string);
  'owner'?: (string);
  '_owner'?: "owner";
}

export interface SessionEnded__Output {
  'reason': (string);
  'owner'?: (string);
  '_owner'?: "owner";
}
