// Original file: proto/baton/v1/control.proto


export interface ListSessionsRequest {
  'page_size'?: (number);
  'page_token'?: (string);
}

export interface ListSessionsRequest__Output {
  'page_size': (number);
  'page_token': (string);
}
