// Original file: proto/baton/v1/events.proto

import type { Long } from '@grpc/proto-loader';

export interface PlaybackMark {
  'played_ms'?: (number | string | Long);
}

export interface PlaybackMark__Output {
  'played_ms': (number);
}
