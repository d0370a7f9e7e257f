// Original file: proto/baton/v1/control.proto


export interface ListScriptsRequest {
  'page_size'?: (number);
  'page_token'?: (string);
}

export interface ListScriptsRequest__Output {
  'page_size': (number);
  'page_token': (string);
}
