// Original file: proto/baton/v1/events.proto

import type { Long } from '@grpc/proto-loader';

export interface DropNotice {
  'lane'?: (string);
  'direction'?: (string);
  'seq_from'?: (number | string | Long);
  'seq_to'?: (number | string | Long);
  'reason'?: (string);
}

export interface DropNotice__Output {
  'lane': (string);
  'direction': (string);
  'seq_from': (number);
  'seq_to': (number);
  'reason': (string);
}
