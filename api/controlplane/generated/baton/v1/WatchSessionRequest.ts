// Original file: proto/baton/v1/control.proto


export interface WatchSessionRequest {
  'session_id'?: (string);
}

export interface WatchSessionRequest__Output {
  'session_id': (string);
}
