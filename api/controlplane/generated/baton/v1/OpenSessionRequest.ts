// Original file: proto/baton/v1/control.proto


export interface OpenSessionRequest {
  'pipeline'?: (string);
  'codec'?: (string);
  'sample_rate'?: (number);
}

export interface OpenSessionRequest__Output {
  'pipeline': (string);
  'codec': (string);
  'sample_rate': (number);
}
