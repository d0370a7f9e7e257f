// Original file: proto/baton/v1/events.proto

import type { Long } from '@grpc/proto-loader';

export interface TurnAborted {
  'reason'?: (string);
  'played_ms'?: (number | string | Long);
}

export interface TurnAborted__Output {
  'reason': (string);
  'played_ms': (number);
}
