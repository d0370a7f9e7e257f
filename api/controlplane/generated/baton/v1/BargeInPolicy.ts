// Original file: proto/baton/v1/control.proto


export interface BargeInPolicy {
  'mode'?: (string);
  'min_speech_ms'?: (number);
}

export interface BargeInPolicy__Output {
  'mode': (string);
  'min_speech_ms': (number);
}
