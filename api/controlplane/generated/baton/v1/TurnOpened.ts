// Original file: proto/baton/v1/events.proto

import type { Long } from '@grpc/proto-loader';

export interface TurnOpened {
  'plan_hash'?: (string);
  'seed'?: (number | string | Long);
}

export interface TurnOpened__Output {
  'plan_hash': (string);
  'seed': (number);
}
