// Original file: proto/baton/v1/control.proto


export interface EdgeSpec {
  'from'?: (string);
  'to'?: (string);
}

export interface EdgeSpec__Output {
  'from': (string);
  'to': (string);
}
