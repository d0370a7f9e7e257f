// Original file: proto/baton/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface CancelTurnRequest {
  'session_id'?: (string);
  'turn_id'?: (string);
  'epoch'?: (number | string | Long);
  'reason'?: (string);
}

export interface CancelTurnRequest__Output {
  'session_id': (string);
  'turn_id': (string);
  'epoch': (number);
  'reason': (string);
}
