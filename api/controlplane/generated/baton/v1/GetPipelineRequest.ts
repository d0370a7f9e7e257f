// Original file: proto/baton/v1/control.proto


export interface GetPipelineRequest {
  'name'?: (string);
  'version'?: (string);
}

export interface GetPipelineRequest__Output {
  'name': (string);
  'version': (string);
}
