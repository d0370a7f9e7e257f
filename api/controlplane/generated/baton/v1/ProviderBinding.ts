// Original file: proto/baton/v1/control.proto


export interface ProviderBinding {
  'name'?: (string);
  'kind'?: (string);
  'endpoint'?: (string);
  'model'?: (string);
  'fallbacks'?: (string)[];
  'max_retries'?: (number);
  'timeout_ms'?: (number);
}

export interface ProviderBinding__Output {
  'name': (string);
  'kind': (string);
  'endpoint': (string);
  'model': (string);
  'fallbacks': (string)[];
  'max_retries': (number);
  'timeout_ms': (number);
}
