// Original file: proto/baton/v1/timeline.proto


export interface Rejection {
  'code'?: (string);
  'message'?: (string);
  'ref_id'?: (string);
}

export interface Rejection__Output {
  'code': (string);
  'message': (string);
  'ref_id': (string);
}
