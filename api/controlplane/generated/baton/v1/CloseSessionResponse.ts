// Original file: proto/baton/v1/control.proto


export interface CloseSessionResponse {
  'session_id'?: (string);
  'closed'?: (boolean);
}

export interface CloseSessionResponse__Output {
  'session_id': (string);
  'closed': (boolean);
}
