// Original file: proto/baton/v1/control.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelTurnRequest as _baton_v1_CancelTurnRequest, CancelTurnRequest__Output as _baton_v1_CancelTurnRequest__Output } from '../../baton/v1/CancelTurnRequest.js';
import type { CancelTurnResponse as _baton_v1_CancelTurnResponse, CancelTurnResponse__Output as _baton_v1_CancelTurnResponse__Output } from '../../baton/v1/CancelTurnResponse.js';
import type { CloseSessionRequest as _baton_v1_CloseSessionRequest, CloseSessionRequest__Output as _baton_v1_CloseSessionRequest__Output } from '../../baton/v1/CloseSessionRequest.js';
import type { CloseSessionResponse as _baton_v1_CloseSessionResponse, CloseSessionResponse__Output as _baton_v1_CloseSessionResponse__Output } from '../../baton/v1/CloseSessionResponse.js';
import type { EventEnvelope as _baton_v1_EventEnvelope, EventEnvelope__Output as _baton_v1_EventEnvelope__Output } from '../../baton/v1/EventEnvelope.js';
import type { GetSessionRequest as _baton_v1_GetSessionRequest, GetSessionRequest__Output as _baton_v1_GetSessionRequest__Output } from '../../baton/v1/GetSessionRequest.js';
import type { ListSessionsRequest as _baton_v1_ListSessionsRequest, ListSessionsRequest__Output as _baton_v1_ListSessionsRequest__Output } from '../../baton/v1/ListSessionsRequest.js';
import type { ListSessionsResponse as _baton_v1_ListSessionsResponse, ListSessionsResponse__Output as _baton_v1_ListSessionsResponse__Output } from '../../baton/v1/ListSessionsResponse.js';
import type { OpenSessionRequest as _baton_v1_OpenSessionRequest, OpenSessionRequest__Output as _baton_v1_OpenSessionRequest__Output } from '../../baton/v1/OpenSessionRequest.js';
import type { OpenSessionResponse as _baton_v1_OpenSessionResponse, OpenSessionResponse__Output as _baton_v1_OpenSessionResponse__Output } from '../../baton/v1/OpenSessionResponse.js';
import type { ProposeTurnRequest as _baton_v1_ProposeTurnRequest, ProposeTurnRequest__Output as _baton_v1_ProposeTurnRequest__Output } from '../../baton/v1/ProposeTurnRequest.js';
import type { Session as _baton_v1_Session, Session__Output as _baton_v1_Session__Output } from '../../baton/v1/Session.js';
import type { TurnDecision as _baton_v1_TurnDecision, TurnDecision__Output as _baton_v1_TurnDecision__Output } from '../../baton/v1/TurnDecision.js';
import type { WatchSessionRequest as _baton_v1_WatchSessionRequest, WatchSessionRequest__Output as _baton_v1_WatchSessionRequest__Output } from '../../baton/v1/WatchSessionRequest.js';

export interface SessionsClient extends grpc.Client {
  CancelTurn(argument: _baton_v1_CancelTurnRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_CancelTurnResponse__Output>): grpc.ClientUnaryCall;
  CancelTurn(argument: _baton_v1_CancelTurnRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_CancelTurnResponse__Output>): grpc.ClientUnaryCall;
  CancelTurn(argument: _baton_v1_CancelTurnRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_CancelTurnResponse__Output>): grpc.ClientUnaryCall;
  CancelTurn(argument: _baton_v1_CancelTurnRequest, callback: grpc.requestCallback<_baton_v1_CancelTurnResponse__Output>): grpc.ClientUnaryCall;
  cancelTurn(argument: _baton_v1_CancelTurnRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_CancelTurnResponse__Output>): grpc.ClientUnaryCall;
  cancelTurn(argument: _baton_v1_CancelTurnRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_CancelTurnResponse__Output>): grpc.ClientUnaryCall;
  cancelTurn(argument: _baton_v1_CancelTurnRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_CancelTurnResponse__Output>): grpc.ClientUnaryCall;
  cancelTurn(argument: _baton_v1_CancelTurnRequest, callback: grpc.requestCallback<_baton_v1_CancelTurnResponse__Output>): grpc.ClientUnaryCall;
  
  CloseSession(argument: _baton_v1_CloseSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  CloseSession(argument: _baton_v1_CloseSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  CloseSession(argument: _baton_v1_CloseSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  CloseSession(argument: _baton_v1_CloseSessionRequest, callback: grpc.requestCallback<_baton_v1_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  closeSession(argument: _baton_v1_CloseSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  closeSession(argument: _baton_v1_CloseSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  closeSession(argument: _baton_v1_CloseSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  closeSession(argument: _baton_v1_CloseSessionRequest, callback: grpc.requestCallback<_baton_v1_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  
  GetSession(argument: _baton_v1_GetSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Session__Output>): grpc.ClientUnaryCall;
  GetSession(argument: _baton_v1_GetSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_Session__Output>): grpc.ClientUnaryCall;
  GetSession(argument: _baton_v1_GetSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Session__Output>): grpc.ClientUnaryCall;
  GetSession(argument: _baton_v1_GetSessionRequest, callback: grpc.requestCallback<_baton_v1_Session__Output>): grpc.ClientUnaryCall;
  getSession(argument: _baton_v1_GetSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Session__Output>): grpc.ClientUnaryCall;
  getSession(argument: _baton_v1_GetSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_Session__Output>): grpc.ClientUnaryCall;
  getSession(argument: _baton_v1_GetSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Session__Output>): grpc.ClientUnaryCall;
  getSession(argument: _baton_v1_GetSessionRequest, callback: grpc.requestCallback<_baton_v1_Session__Output>): grpc.ClientUnaryCall;
  
  ListSessions(argument: _baton_v1_ListSessionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  ListSessions(argument: _baton_v1_ListSessionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  ListSessions(argument: _baton_v1_ListSessionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  ListSessions(argument: _baton_v1_ListSessionsRequest, callback: grpc.requestCallback<_baton_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  listSessions(argument: _baton_v1_ListSessionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  listSessions(argument: _baton_v1_ListSessionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  listSessions(argument: _baton_v1_ListSessionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  listSessions(argument: _baton_v1_ListSessionsRequest, callback: grpc.requestCallback<_baton_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  
  OpenSession(argument: _baton_v1_OpenSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  OpenSession(argument: _baton_v1_OpenSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  OpenSession(argument: _baton_v1_OpenSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  OpenSession(argument: _baton_v1_OpenSessionRequest, callback: grpc.requestCallback<_baton_v1_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  openSession(argument: _baton_v1_OpenSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  openSession(argument: _baton_v1_OpenSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  openSession(argument: _baton_v1_OpenSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  openSession(argument: _baton_v1_OpenSessionRequest, callback: grpc.requestCallback<_baton_v1_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  
  ProposeTurn(argument: _baton_v1_ProposeTurnRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TurnDecision__Output>): grpc.ClientUnaryCall;
  ProposeTurn(argument: _baton_v1_ProposeTurnRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_TurnDecision__Output>): grpc.ClientUnaryCall;
  ProposeTurn(argument: _baton_v1_ProposeTurnRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TurnDecision__Output>): grpc.ClientUnaryCall;
  ProposeTurn(argument: _baton_v1_ProposeTurnRequest, callback: grpc.requestCallback<_baton_v1_TurnDecision__Output>): grpc.ClientUnaryCall;
  proposeTurn(argument: _baton_v1_ProposeTurnRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TurnDecision__Output>): grpc.ClientUnaryCall;
  proposeTurn(argument: _baton_v1_ProposeTurnRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_TurnDecision__Output>): grpc.ClientUnaryCall;
  proposeTurn(argument: _baton_v1_ProposeTurnRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TurnDecision__Output>): grpc.ClientUnaryCall;
  proposeTurn(argument: _baton_v1_ProposeTurnRequest, callback: grpc.requestCallback<_baton_v1_TurnDecision__Output>): grpc.ClientUnaryCall;
  
  WatchSession(argument: _baton_v1_WatchSessionRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_baton_v1_EventEnvelope__Output>;
  WatchSession(argument: _baton_v1_WatchSessionRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_baton_v1_EventEnvelope__Output>;
  watchSession(argument: _baton_v1_WatchSessionRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_baton_v1_EventEnvelope__Output>;
  watchSession(argument: _baton_v1_WatchSessionRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_baton_v1_EventEnvelope__Output>;
  
}

export interface SessionsHandlers extends grpc.UntypedServiceImplementation {
  CancelTurn: grpc.handleUnaryCall<_baton_v1_CancelTurnRequest__Output, _baton_v1_CancelTurnResponse>;
  
  CloseSession: grpc.handleUnaryCall<_baton_v1_CloseSessionRequest__Output, _baton_v1_CloseSessionResponse>;
  
  GetSession: grpc.handleUnaryCall<_baton_v1_GetSessionRequest__Output, _baton_v1_Session>;
  
  ListSessions: grpc.handleUnaryCall<_baton_v1_ListSessionsRequest__Output, _baton_v1_ListSessionsResponse>;
  
  OpenSession: grpc.handleUnaryCall<_baton_v1_OpenSessionRequest__Output, _baton_v1_OpenSessionResponse>;
  
  ProposeTurn: grpc.handleUnaryCall<_baton_v1_ProposeTurnRequest__Output, _baton_v1_TurnDecision>;
  
  WatchSession: grpc.handleServerStreamingCall<_baton_v1_WatchSessionRequest__Output, _baton_v1_EventEnvelope>;
  
}

export interface SessionsDefinition extends grpc.ServiceDefinition {
  CancelTurn: MethodDefinition<_baton_v1_CancelTurnRequest, _baton_v1_CancelTurnResponse, _baton_v1_CancelTurnRequest__Output, _baton_v1_CancelTurnResponse__Output>
  CloseSession: MethodDefinition<_baton_v1_CloseSessionRequest, _baton_v1_CloseSessionResponse, _baton_v1_CloseSessionRequest__Output, _baton_v1_CloseSessionResponse__Output>
  GetSession: MethodDefinition<_baton_v1_GetSessionRequest, _baton_v1_Session, _baton_v1_GetSessionRequest__Output, _baton_v1_Session__Output>
  ListSessions: MethodDefinition<_baton_v1_ListSessionsRequest, _baton_v1_ListSessionsResponse, _baton_v1_ListSessionsRequest__Output, _baton_v1_ListSessionsResponse__Output>
  OpenSession: MethodDefinition<_baton_v1_OpenSessionRequest, _baton_v1_OpenSessionResponse, _baton_v1_OpenSessionRequest__Output, _baton_v1_OpenSessionResponse__Output>
  ProposeTurn: MethodDefinition<_baton_v1_ProposeTurnRequest, _baton_v1_TurnDecision, _baton_v1_ProposeTurnRequest__Output, _baton_v1_TurnDecision__Output>
  WatchSession: MethodDefinition<_baton_v1_WatchSessionRequest, _baton_v1_EventEnvelope, _baton_v1_WatchSessionRequest__Output, _baton_v1_EventEnvelope__Output>
}
