// Original file: proto/baton/v1/control.proto


export interface ListPipelinesRequest {
  'page_size'?: (number);
  'page_token'?: (string);
}

export interface ListPipelinesRequest__Output {
  'page_size': (number);
  'page_token': (string);
}
