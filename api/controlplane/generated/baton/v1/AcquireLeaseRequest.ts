// Original file: proto/baton/v1/control.proto


export interface AcquireLeaseRequest {
  'session_id'?: (string);
  'holder'?: (string);
}

export interface AcquireLeaseRequest__Output {
  'session_id': (string);
  'holder': (string);
}
