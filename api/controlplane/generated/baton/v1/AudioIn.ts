// Original file: proto/baton/v1/events.proto


export interface AudioIn {
  'audio'?: (Buffer | Uint8Array | string);
}

export interface AudioIn__Output {
  'audio': (Buffer);
}
