// Original file: proto/baton/v1/control.proto

import type { PipelineSpec as _baton_v1_PipelineSpec, PipelineSpec__Output as _baton_v1_PipelineSpec__Output } from '../../baton/v1/PipelineSpec.js';

export interface PublishPipelineRequest {
  'spec'?: (_baton_v1_PipelineSpec | null);
}

export interface PublishPipelineRequest__Output {
  'spec': (_baton_v1_PipelineSpec__Output | null);
}
