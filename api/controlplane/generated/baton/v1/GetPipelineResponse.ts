// Original file: proto/baton/v1/control.proto

import type { PipelineVersion as _baton_v1_PipelineVersion, PipelineVersion__Output as _baton_v1_PipelineVersion__Output } from '../../baton/v1/PipelineVersion.js';
import type { PipelineSpec as _baton_v1_PipelineSpec, PipelineSpec__Output as _baton_v1_PipelineSpec__Output } from '../../baton/v1/PipelineSpec.js';

export interface GetPipelineResponse {
  'version'?: (_baton_v1_PipelineVersion | null);
  'spec'?: (_baton_v1_PipelineSpec | null);
}

export interface GetPipelineResponse__Output {
  'version': (_baton_v1_PipelineVersion__Output | null);
  'spec': (_baton_v1_PipelineSpec__Output | null);
}
