// Original file: proto/baton/v1/control.proto


export interface DeleteScriptResponse {
  'deleted'?: (boolean);
}

export interface DeleteScriptResponse__Output {
  'deleted': (boolean);
}
