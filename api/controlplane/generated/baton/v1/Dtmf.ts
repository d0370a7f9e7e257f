// Original file: proto/baton/v1/events.proto


export interface Dtmf {
  'digit'?: (string);
}

export interface Dtmf__Output {
  'digit': (string);
}
