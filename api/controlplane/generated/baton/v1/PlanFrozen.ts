// Original file: proto/baton/v1/timeline.proto

import type { PinnedScript as _baton_v1_PinnedScript, PinnedScript__Output as _baton_v1_PinnedScript__Output } from '../../baton/v1/PinnedScript.js';
import type { Long } from '@grpc/proto-loader';

export interface PlanFrozen {
  'plan_hash'?: (string);
  'canonical_plan'?: (Buffer | Uint8Array | string);
  'seed'?: (number | string | Long);
  'scripts'?: (_baton_v1_PinnedScript)[];
}

export interface PlanFrozen__Output {
  'plan_hash': (string);
  'canonical_plan': (Buffer);
  'seed': (number);
  'scripts': (_baton_v1_PinnedScript__Output)[];
}
