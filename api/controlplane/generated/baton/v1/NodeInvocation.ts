// Original file: proto/baton/v1/timeline.proto

import type { Long } from '@grpc/proto-loader';

export interface NodeInvocation {
  'node_id'?: (string);
  'node_kind'?: (string);
  'input_sha256'?: (Buffer | Uint8Array | string);
  'output'?: (Buffer | Uint8Array | string);
  'outcome'?: (string);
  'duration_ms'?: (number | string | Long);
}

export interface NodeInvocation__Output {
  'node_id': (string);
  'node_kind': (string);
  'input_sha256': (Buffer);
  'output': (Buffer);
  'outcome': (string);
  'duration_ms': (number);
}
