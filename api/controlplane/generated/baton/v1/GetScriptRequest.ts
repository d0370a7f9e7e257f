// Original file: proto/baton/v1/control.proto


export interface GetScriptRequest {
  'name'?: (string);
}

export interface GetScriptRequest__Output {
  'name': (string);
}
