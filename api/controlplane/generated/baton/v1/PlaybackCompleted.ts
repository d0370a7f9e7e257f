// Original file: proto/baton/v1/events.proto

import type { Long } from '@grpc/proto-loader';

export interface PlaybackCompleted {
  'played_ms'?: (number | string | Long);
}

export interface PlaybackCompleted__Output {
  'played_ms': (number);
}
