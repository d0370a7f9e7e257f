// Original file: proto/baton/v1/control.proto


export interface CloseSessionRequest {
  'session_id'?: (string);
  'reason'?: (string);
}

export interface CloseSessionRequest__Output {
  'session_id': (string);
  'reason': (string);
}
