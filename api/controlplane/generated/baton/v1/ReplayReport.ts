// Original file: proto/baton/v1/control.proto

import type { Divergence as _baton_v1_Divergence, Divergence__Output as _baton_v1_Divergence__Output } from '../../baton/v1/Divergence.js';
import type { Long } from '@grpc/proto-loader';

export interface ReplayReport {
  'records'?: (number | string | Long);
  'decisions_compared'?: (number | string | Long);
  'egress_compared'?: (number | string | Long);
  'divergences'?: (_baton_v1_Divergence)[];
  'speed_vs_realtime'?: (number | string);
}

export interface ReplayReport__Output {
  'records': (number);
  'decisions_compared': (number);
  'egress_compared': (number);
  'divergences': (_baton_v1_Divergence__Output)[];
  'speed_vs_realtime': (number);
}
