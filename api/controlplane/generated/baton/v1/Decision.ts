// Original file: proto/baton/v1/timeline.proto


export interface Decision {
  'kind'?: (string);
  'outcome'?: (string);
  'reason'?: (string);
  'detail'?: ({[key: string]: string});
}

export interface Decision__Output {
  'kind': (string);
  'outcome': (string);
  'reason': (string);
  'detail': ({[key: string]: string});
}
