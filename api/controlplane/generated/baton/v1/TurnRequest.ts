// Original file: proto/baton/v1/events.proto


export interface TurnRequest {
  'text'?: (string);
  '_text'?: "text";
}

export interface TurnRequest__Output {
  'text'?: (string);
  '_text'?: "text";
}
