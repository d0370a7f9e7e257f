// Original file: proto/baton/v1/control.proto


export interface TransferLeaseRequest {
  'session_id'?: (string);
  'holder'?: (string);
}

export interface TransferLeaseRequest__Output {
  'session_id': (string);
  'holder': (string);
}
