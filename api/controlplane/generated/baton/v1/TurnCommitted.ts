// Original file: proto/baton/v1/events.proto

import type { Long } from '@grpc/proto-loader';

export interface TurnCommitted {
  'generated_ms'?: (number | string | Long);
  'played_ms'?: (number | string | Long);
}

export interface TurnCommitted__Output {
  'generated_ms': (number);
  'played_ms': (number);
}
