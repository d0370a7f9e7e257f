// Original file: proto/baton/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface Divergence {
  'class'?: (string);
  'record_index'?: (number | string | Long);
  'expected'?: (string);
  'actual'?: (string);
}

export interface Divergence__Output {
  'class': (string);
  'record_index': (number);
  'expected': (string);
  'actual': (string);
}
