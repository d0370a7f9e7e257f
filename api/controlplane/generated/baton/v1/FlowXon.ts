// Original file: proto/baton/v1/events.proto


export interface FlowXon {
  'lane'?: (string);
}

export interface FlowXon__Output {
  'lane': (string);
}
