// Original file: proto/baton/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface OpenSessionResponse {
  'session_id'?: (string);
  'epoch'?: (number | string | Long);
  'session_token'?: (string);
  'stream_url'?: (string);
}

export interface OpenSessionResponse__Output {
  'session_id': (string);
  'epoch': (number);
  'session_token': (string);
  'stream_url': (string);
}
