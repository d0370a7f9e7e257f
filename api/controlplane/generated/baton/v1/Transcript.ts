// Original file: proto/baton/v1/events.proto


export interface Transcript {
  'role'?: (string);
  'text'?: (string);
  'final'?: (boolean);
}

export interface Transcript__Output {
  'role': (string);
  'text': (string);
  'final': (boolean);
}
