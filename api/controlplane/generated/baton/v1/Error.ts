// Original file: proto/baton/v1/events.proto


export interface Error {
  'code'?: (string);
  'message'?: (string);
  'ref_id'?: (string);
  '_ref_id'?: "ref_id";
}

export interface Error__Output {
  'code': (string);
  'message': (string);
  'ref_id'?: (string);
  '_ref_id'?: "ref_id";
}
