// Original file: proto/baton/v1/events.proto


export interface OutputClear {
  'reason'?: (string);
}

export interface OutputClear__Output {
  'reason': (string);
}
