// Original file: proto/baton/v1/control.proto


export interface ScriptVersion {
  'name'?: (string);
  'hash'?: (string);
  'imports'?: (string)[];
}

export interface ScriptVersion__Output {
  'name': (string);
  'hash': (string);
  'imports': (string)[];
}
