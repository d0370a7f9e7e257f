// Original file: proto/baton/v1/control.proto


export interface GetLeaseRequest {
  'session_id'?: (string);
}

export interface GetLeaseRequest__Output {
  'session_id': (string);
}
