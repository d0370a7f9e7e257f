// Original file: proto/baton/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface CancelTurnResponse {
  'fenced'?: (boolean);
  'played_ms'?: (number | string | Long);
}

export interface CancelTurnResponse__Output {
  'fenced': (boolean);
  'played_ms': (number);
}
