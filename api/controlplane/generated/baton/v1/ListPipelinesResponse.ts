// Original file: proto/baton/v1/control.proto

import type { PipelineVersion as _baton_v1_PipelineVersion, PipelineVersion__Output as _baton_v1_PipelineVersion__Output } from '../../baton/v1/PipelineVersion.js';

export interface ListPipelinesResponse {
  'pipelines'?: (_baton_v1_PipelineVersion)[];
  'next_page_token'?: (string);
}

export interface ListPipelinesResponse__Output {
  'pipelines': (_baton_v1_PipelineVersion__Output)[];
  'next_page_token': (string);
}
