// Original file: proto/baton/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface ReleaseLeaseRequest {
  'session_id'?: (string);
  'epoch'?: (number | string | Long);
}

export interface ReleaseLeaseRequest__Output {
  'session_id': (string);
  'epoch': (number);
}
