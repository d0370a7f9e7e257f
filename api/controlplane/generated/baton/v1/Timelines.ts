// Original file: proto/baton/v1/control.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ExportTimelineRequest as _baton_v1_ExportTimelineRequest, ExportTimelineRequest__Output as _baton_v1_ExportTimelineRequest__Output } from '../../baton/v1/ExportTimelineRequest.js';
import type { ReplayReport as _baton_v1_ReplayReport, ReplayReport__Output as _baton_v1_ReplayReport__Output } from '../../baton/v1/ReplayReport.js';
import type { TimelineRecord as _baton_v1_TimelineRecord, TimelineRecord__Output as _baton_v1_TimelineRecord__Output } from '../../baton/v1/TimelineRecord.js';

export interface TimelinesClient extends grpc.Client {
  ExportTimeline(argument: _baton_v1_ExportTimelineRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_baton_v1_TimelineRecord__Output>;
  ExportTimeline(argument: _baton_v1_ExportTimelineRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_baton_v1_TimelineRecord__Output>;
  exportTimeline(argument: _baton_v1_ExportTimelineRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_baton_v1_TimelineRecord__Output>;
  exportTimeline(argument: _baton_v1_ExportTimelineRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_baton_v1_TimelineRecord__Output>;
  
  ReplayTimeline(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ReplayReport__Output>): grpc.ClientWritableStream<_baton_v1_TimelineRecord>;
  ReplayTimeline(metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ReplayReport__Output>): grpc.ClientWritableStream<_baton_v1_TimelineRecord>;
  ReplayTimeline(options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ReplayReport__Output>): grpc.ClientWritableStream<_baton_v1_TimelineRecord>;
  ReplayTimeline(callback: grpc.requestCallback<_baton_v1_ReplayReport__Output>): grpc.ClientWritableStream<_baton_v1_TimelineRecord>;
  replayTimeline(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ReplayReport__Output>): grpc.ClientWritableStream<_baton_v1_TimelineRecord>;
  replayTimeline(metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ReplayReport__Output>): grpc.ClientWritableStream<_baton_v1_TimelineRecord>;
  replayTimeline(options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ReplayReport__Output>): grpc.ClientWritableStream<_baton_v1_TimelineRecord>;
  replayTimeline(callback: grpc.requestCallback<_baton_v1_ReplayReport__Output>): grpc.ClientWritableStream<_baton_v1_TimelineRecord>;
  
}

export interface TimelinesHandlers extends grpc.UntypedServiceImplementation {
  ExportTimeline: grpc.handleServerStreamingCall<_baton_v1_ExportTimelineRequest__Output, _baton_v1_TimelineRecord>;
  
  ReplayTimeline: grpc.handleClientStreamingCall<_baton_v1_TimelineRecord__Output, _baton_v1_ReplayReport>;
  
}

export interface TimelinesDefinition extends grpc.ServiceDefinition {
  ExportTimeline: MethodDefinition<_baton_v1_ExportTimelineRequest, _baton_v1_TimelineRecord, _baton_v1_ExportTimelineRequest__Output, _baton_v1_TimelineRecord__Output>
  ReplayTimeline: MethodDefinition<_baton_v1_TimelineRecord, _baton_v1_ReplayReport, _baton_v1_TimelineRecord__Output, _baton_v1_ReplayReport__Output>
}
