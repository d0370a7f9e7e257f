// Original file: proto/baton/v1/events.proto


export interface AudioOut {
  'audio'?: (Buffer | Uint8Array | string);
}

export interface AudioOut__Output {
  'audio': (Buffer);
}
