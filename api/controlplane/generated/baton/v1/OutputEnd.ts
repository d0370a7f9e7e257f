// Original file: proto/baton/v1/events.proto

import type { Long } from '@grpc/proto-loader';

export interface OutputEnd {
  'generated_ms'?: (number | string | Long);
}

export interface OutputEnd__Output {
  'generated_ms': (number);
}
