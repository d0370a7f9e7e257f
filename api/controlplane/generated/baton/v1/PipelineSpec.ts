// Original file: proto/baton/v1/control.proto

import type { NodeSpec as _baton_v1_NodeSpec, NodeSpec__Output as _baton_v1_NodeSpec__Output } from '../../baton/v1/NodeSpec.js';
import type { EdgeSpec as _baton_v1_EdgeSpec, EdgeSpec__Output as _baton_v1_EdgeSpec__Output } from '../../baton/v1/EdgeSpec.js';
import type { LanePolicy as _baton_v1_LanePolicy, LanePolicy__Output as _baton_v1_LanePolicy__Output } from '../../baton/v1/LanePolicy.js';
import type { BargeInPolicy as _baton_v1_BargeInPolicy, BargeInPolicy__Output as _baton_v1_BargeInPolicy__Output } from '../../baton/v1/BargeInPolicy.js';
import type { TurnBudgets as _baton_v1_TurnBudgets, TurnBudgets__Output as _baton_v1_TurnBudgets__Output } from '../../baton/v1/TurnBudgets.js';
import type { ProviderBinding as _baton_v1_ProviderBinding, ProviderBinding__Output as _baton_v1_ProviderBinding__Output } from '../../baton/v1/ProviderBinding.js';

export interface PipelineSpec {
  'name'?: (string);
  'nodes'?: (_baton_v1_NodeSpec)[];
  'edges'?: (_baton_v1_EdgeSpec)[];
  'lanes'?: (_baton_v1_LanePolicy)[];
  'barge_in'?: (_baton_v1_BargeInPolicy | null);
  'budgets'?: (_baton_v1_TurnBudgets | null);
  'providers'?: (_baton_v1_ProviderBinding)[];
  'recording'?: (string);
  'turn_detection'?: (string);
  'description'?: (string);
}

export interface PipelineSpec__Output {
  'name': (string);
  'nodes': (_baton_v1_NodeSpec__Output)[];
  'edges': (_baton_v1_EdgeSpec__Output)[];
  'lanes': (_baton_v1_LanePolicy__Output)[];
  'barge_in': (_baton_v1_BargeInPolicy__Output | null);
  'budgets': (_baton_v1_TurnBudgets__Output | null);
  'providers': (_baton_v1_ProviderBinding__Output)[];
  'recording': (string);
  'turn_detection': (string);
  'description': (string);
}
