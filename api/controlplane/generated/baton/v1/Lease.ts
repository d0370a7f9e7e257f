// Original file: proto/baton/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface Lease {
  'session_id'?: (string);
  'holder'?: (string);
  'epoch'?: (number | string | Long);
  'expires_at_ms'?: (number | string | Long);
}

export interface Lease__Output {
  'session_id': (string);
  'holder': (string);
  'epoch': (number);
  'expires_at_ms': (number);
}
