// Original file: proto/baton/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface Session {
  'session_id'?: (string);
  'pipeline'?: (string);
  'pipeline_version'?: (string);
  'codec'?: (string);
  'sample_rate'?: (number);
  'epoch'?: (number | string | Long);
  'seed'?: (number | string | Long);
  'state'?: (string);
  'active_turn_id'?: (string);
  'turn_state'?: (string);
  'turns'?: (number | string | Long);
  'connected'?: (boolean);
  'created_at_ms'?: (number | string | Long);
  'holder'?: (string);
}

export interface Session__Output {
  'session_id': (string);
  'pipeline': (string);
  'pipeline_version': (string);
  'codec': (string);
  'sample_rate': (number);
  'epoch': (number);
  'seed': (number);
  'state': (string);
  'active_turn_id': (string);
  'turn_state': (string);
  'turns': (number);
  'connected': (boolean);
  'created_at_ms': (number);
  'holder': (string);
}
