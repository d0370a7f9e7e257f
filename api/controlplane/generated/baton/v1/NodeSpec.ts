// Original file: proto/baton/v1/control.proto


export interface NodeSpec {
  'id'?: (string);
  'kind'?: (string);
  'builtin'?: (string);
  'script'?: (string);
  'config'?: ({[key: string]: string});
  'budget_ms'?: (number);
  'provider'?: (string);
}

export interface NodeSpec__Output {
  'id': (string);
  'kind': (string);
  'builtin': (string);
  'script': (string);
  'config': ({[key: string]: string});
  'budget_ms': (number);
  'provider': (string);
}
