// Original file: proto/baton/v1/events.proto


export interface Telemetry {
  'name'?: (string);
  'value'?: (number | string);
}

export interface Telemetry__Output {
  'name': (string);
  'value': (number);
}
