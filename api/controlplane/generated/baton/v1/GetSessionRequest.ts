// Original file: proto/baton/v1/control.proto


export interface GetSessionRequest {
  'session_id'?: (string);
}

export interface GetSessionRequest__Output {
  'session_id': (string);
}
