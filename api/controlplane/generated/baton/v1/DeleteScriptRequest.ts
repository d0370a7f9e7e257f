// Original file: proto/baton/v1/control.proto


export interface DeleteScriptRequest {
  'name'?: (string);
}

export interface DeleteScriptRequest__Output {
  'name': (string);
}
