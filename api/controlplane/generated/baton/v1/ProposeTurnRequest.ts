// Original file: proto/baton/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface ProposeTurnRequest {
  'session_id'?: (string);
  'epoch'?: (number | string | Long);
  'text'?: (string);
}

export interface ProposeTurnRequest__Output {
  'session_id': (string);
  'epoch': (number);
  'text': (string);
}
