// Original file: proto/baton/v1/timeline.proto

import type { Long } from '@grpc/proto-loader';

export interface SessionHeader {
  'tenant'?: (string);
  'pipeline'?: (string);
  'pipeline_version'?: (string);
  'seed'?: (number | string | Long);
  'codec'?: (string);
  'sample_rate'?: (number);
  'kernel_version'?: (string);
  'opened_wall_ms'?: (number | string | Long);
  'format_version'?: (number);
}

export interface SessionHeader__Output {
  'tenant': (string);
  'pipeline': (string);
  'pipeline_version': (string);
  'seed': (number);
  'codec': (string);
  'sample_rate': (number);
  'kernel_version': (string);
  'opened_wall_ms': (number);
  'format_version': (number);
}
