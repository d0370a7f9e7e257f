// Original file: proto/baton/v1/events.proto

import type { Long } from '@grpc/proto-loader';

export interface SessionStarted {
  'session_id'?: (string);
  'epoch'?: (number | string | Long);
  'seed'?: (number | string | Long);
  'pipeline'?: (string);
  'pipeline_version'?: (string);
  'codec'?: (string);
  'sample_rate'?: (number);
}

export interface SessionStarted__Output {
  'session_id': (string);
  'epoch': (number);
  'seed': (number);
  'pipeline': (string);
  'pipeline_version': (string);
  'codec': (string);
  'sample_rate': (number);
}
