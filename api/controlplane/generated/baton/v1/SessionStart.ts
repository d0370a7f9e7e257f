// Original file: proto/baton/v1/events.proto


export interface SessionStart {
  'pipeline'?: (string);
  'codec'?: (string);
  'sample_rate'?: (number);
}

export interface SessionStart__Output {
  'pipeline': (string);
  'codec': (string);
  'sample_rate': (number);
}
