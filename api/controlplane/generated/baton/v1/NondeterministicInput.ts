// Original file: proto/baton/v1/timeline.proto


export interface NondeterministicInput {
  'name'?: (string);
  'value'?: (Buffer | Uint8Array | string);
}

export interface NondeterministicInput__Output {
  'name': (string);
  'value': (Buffer);
}
