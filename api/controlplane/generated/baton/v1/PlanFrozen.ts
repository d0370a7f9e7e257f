// Original file: proto/baton/v1/timeline.proto

import type { Long } from '@grpc/proto-loader';

export interface PlanFrozen {
  'plan_hash'?: (string);
  'canonical_plan'?: (Buffer | Uint8Array | string);
  'seed'?: (number | string | Long);
}

export interface PlanFrozen__Output {
  'plan_hash': (string);
  'canonical_plan': (Buffer);
  'seed': (number);
}
