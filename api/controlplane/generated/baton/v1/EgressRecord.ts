// Original file: proto/baton/v1/timeline.proto

import type { Long } from '@grpc/proto-loader';

export interface EgressRecord {
  'kind'?: (string);
  'seq'?: (number | string | Long);
  'epoch'?: (number | string | Long);
  'sha256'?: (Buffer | Uint8Array | string);
  'size'?: (number);
}

export interface EgressRecord__Output {
  'kind': (string);
  'seq': (number);
  'epoch': (number);
  'sha256': (Buffer);
  'size': (number);
}
