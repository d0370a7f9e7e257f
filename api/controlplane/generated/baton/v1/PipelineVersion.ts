// Original file: proto/baton/v1/control.proto


export interface PipelineVersion {
  'name'?: (string);
  'version'?: (string);
  'hash'?: (string);
}

export interface PipelineVersion__Output {
  'name': (string);
  'version': (string);
  'hash': (string);
}
