// Original file: proto/baton/v1/control.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetPipelineRequest as _baton_v1_GetPipelineRequest, GetPipelineRequest__Output as _baton_v1_GetPipelineRequest__Output } from '../../baton/v1/GetPipelineRequest.js';
import type { GetPipelineResponse as _baton_v1_GetPipelineResponse, GetPipelineResponse__Output as _baton_v1_GetPipelineResponse__Output } from '../../baton/v1/GetPipelineResponse.js';
import type { ListPipelinesRequest as _baton_v1_ListPipelinesRequest, ListPipelinesRequest__Output as _baton_v1_ListPipelinesRequest__Output } from '../../baton/v1/ListPipelinesRequest.js';
import type { ListPipelinesResponse as _baton_v1_ListPipelinesResponse, ListPipelinesResponse__Output as _baton_v1_ListPipelinesResponse__Output } from '../../baton/v1/ListPipelinesResponse.js';
import type { PipelineVersion as _baton_v1_PipelineVersion, PipelineVersion__Output as _baton_v1_PipelineVersion__Output } from '../../baton/v1/PipelineVersion.js';
import type { PublishPipelineRequest as _baton_v1_PublishPipelineRequest, PublishPipelineRequest__Output as _baton_v1_PublishPipelineRequest__Output } from '../../baton/v1/PublishPipelineRequest.js';

export interface PipelinesClient extends grpc.Client {
  GetPipeline(argument: _baton_v1_GetPipelineRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  GetPipeline(argument: _baton_v1_GetPipelineRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  GetPipeline(argument: _baton_v1_GetPipelineRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  GetPipeline(argument: _baton_v1_GetPipelineRequest, callback: grpc.requestCallback<_baton_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  getPipeline(argument: _baton_v1_GetPipelineRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  getPipeline(argument: _baton_v1_GetPipelineRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  getPipeline(argument: _baton_v1_GetPipelineRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  getPipeline(argument: _baton_v1_GetPipelineRequest, callback: grpc.requestCallback<_baton_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  
  ListPipelines(argument: _baton_v1_ListPipelinesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  ListPipelines(argument: _baton_v1_ListPipelinesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  ListPipelines(argument: _baton_v1_ListPipelinesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  ListPipelines(argument: _baton_v1_ListPipelinesRequest, callback: grpc.requestCallback<_baton_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  listPipelines(argument: _baton_v1_ListPipelinesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  listPipelines(argument: _baton_v1_ListPipelinesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  listPipelines(argument: _baton_v1_ListPipelinesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  listPipelines(argument: _baton_v1_ListPipelinesRequest, callback: grpc.requestCallback<_baton_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  
  PublishPipeline(argument: _baton_v1_PublishPipelineRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_PipelineVersion__Output>): grpc.ClientUnaryCall;
  PublishPipeline(argument: _baton_v1_PublishPipelineRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_PipelineVersion__Output>): grpc.ClientUnaryCall;
  PublishPipeline(argument: _baton_v1_PublishPipelineRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_PipelineVersion__Output>): grpc.ClientUnaryCall;
  PublishPipeline(argument: _baton_v1_PublishPipelineRequest, callback: grpc.requestCallback<_baton_v1_PipelineVersion__Output>): grpc.ClientUnaryCall;
  publishPipeline(argument: _baton_v1_PublishPipelineRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_PipelineVersion__Output>): grpc.ClientUnaryCall;
  publishPipeline(argument: _baton_v1_PublishPipelineRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_PipelineVersion__Output>): grpc.ClientUnaryCall;
  publishPipeline(argument: _baton_v1_PublishPipelineRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_PipelineVersion__Output>): grpc.ClientUnaryCall;
  publishPipeline(argument: _baton_v1_PublishPipelineRequest, callback: grpc.requestCallback<_baton_v1_PipelineVersion__Output>): grpc.ClientUnaryCall;
  
}

export interface PipelinesHandlers extends grpc.UntypedServiceImplementation {
  GetPipeline: grpc.handleUnaryCall<_baton_v1_GetPipelineRequest__Output, _baton_v1_GetPipelineResponse>;
  
  ListPipelines: grpc.handleUnaryCall<_baton_v1_ListPipelinesRequest__Output, _baton_v1_ListPipelinesResponse>;
  
  PublishPipeline: grpc.handleUnaryCall<_baton_v1_PublishPipelineRequest__Output, _baton_v1_PipelineVersion>;
  
}

export interface PipelinesDefinition extends grpc.ServiceDefinition {
  GetPipeline: MethodDefinition<_baton_v1_GetPipelineRequest, _baton_v1_GetPipelineResponse, _baton_v1_GetPipelineRequest__Output, _baton_v1_GetPipelineResponse__Output>
  ListPipelines: MethodDefinition<_baton_v1_ListPipelinesRequest, _baton_v1_ListPipelinesResponse, _baton_v1_ListPipelinesRequest__Output, _baton_v1_ListPipelinesResponse__Output>
  PublishPipeline: MethodDefinition<_baton_v1_PublishPipelineRequest, _baton_v1_PipelineVersion, _baton_v1_PublishPipelineRequest__Output, _baton_v1_PipelineVersion__Output>
}
