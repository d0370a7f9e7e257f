// Original file: proto/baton/v1/events.proto


export interface FlowXoff {
  'lane'?: (string);
}

export interface FlowXoff__Output {
  'lane': (string);
}
