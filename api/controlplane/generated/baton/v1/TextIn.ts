// Original file: proto/baton/v1/events.proto


export interface TextIn {
  'text'?: (string);
}

export interface TextIn__Output {
  'text': (string);
}
