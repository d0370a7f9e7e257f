// Original file: proto/baton/v1/control.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DeleteScriptRequest as _baton_v1_DeleteScriptRequest, DeleteScriptRequest__Output as _baton_v1_DeleteScriptRequest__Output } from '../../baton/v1/DeleteScriptRequest.js';
import type { DeleteScriptResponse as _baton_v1_DeleteScriptResponse, DeleteScriptResponse__Output as _baton_v1_DeleteScriptResponse__Output } from '../../baton/v1/DeleteScriptResponse.js';
import type { GetScriptRequest as _baton_v1_GetScriptRequest, GetScriptRequest__Output as _baton_v1_GetScriptRequest__Output } from '../../baton/v1/GetScriptRequest.js';
import type { GetScriptResponse as _baton_v1_GetScriptResponse, GetScriptResponse__Output as _baton_v1_GetScriptResponse__Output } from '../../baton/v1/GetScriptResponse.js';
import type { ListScriptsRequest as _baton_v1_ListScriptsRequest, ListScriptsRequest__Output as _baton_v1_ListScriptsRequest__Output } from '../../baton/v1/ListScriptsRequest.js';
import type { ListScriptsResponse as _baton_v1_ListScriptsResponse, ListScriptsResponse__Output as _baton_v1_ListScriptsResponse__Output } from '../../baton/v1/ListScriptsResponse.js';
import type { PutScriptRequest as _baton_v1_PutScriptRequest, PutScriptRequest__Output as _baton_v1_PutScriptRequest__Output } from '../../baton/v1/PutScriptRequest.js';
import type { ScriptVersion as _baton_v1_ScriptVersion, ScriptVersion__Output as _baton_v1_ScriptVersion__Output } from '../../baton/v1/ScriptVersion.js';

export interface ScriptsClient extends grpc.Client {
  DeleteScript(argument: _baton_v1_DeleteScriptRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_DeleteScriptResponse__Output>): grpc.ClientUnaryCall;
  DeleteScript(argument: _baton_v1_DeleteScriptRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_DeleteScriptResponse__Output>): grpc.ClientUnaryCall;
  DeleteScript(argument: _baton_v1_DeleteScriptRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_DeleteScriptResponse__Output>): grpc.ClientUnaryCall;
  DeleteScript(argument: _baton_v1_DeleteScriptRequest, callback: grpc.requestCallback<_baton_v1_DeleteScriptResponse__Output>): grpc.ClientUnaryCall;
  deleteScript(argument: _baton_v1_DeleteScriptRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_DeleteScriptResponse__Output>): grpc.ClientUnaryCall;
  deleteScript(argument: _baton_v1_DeleteScriptRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_DeleteScriptResponse__Output>): grpc.ClientUnaryCall;
  deleteScript(argument: _baton_v1_DeleteScriptRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_DeleteScriptResponse__Output>): grpc.ClientUnaryCall;
  deleteScript(argument: _baton_v1_DeleteScriptRequest, callback: grpc.requestCallback<_baton_v1_DeleteScriptResponse__Output>): grpc.ClientUnaryCall;
  
  GetScript(argument: _baton_v1_GetScriptRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetScriptResponse__Output>): grpc.ClientUnaryCall;
  GetScript(argument: _baton_v1_GetScriptRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_GetScriptResponse__Output>): grpc.ClientUnaryCall;
  GetScript(argument: _baton_v1_GetScriptRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetScriptResponse__Output>): grpc.ClientUnaryCall;
  GetScript(argument: _baton_v1_GetScriptRequest, callback: grpc.requestCallback<_baton_v1_GetScriptResponse__Output>): grpc.ClientUnaryCall;
  getScript(argument: _baton_v1_GetScriptRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetScriptResponse__Output>): grpc.ClientUnaryCall;
  getScript(argument: _baton_v1_GetScriptRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_GetScriptResponse__Output>): grpc.ClientUnaryCall;
  getScript(argument: _baton_v1_GetScriptRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetScriptResponse__Output>): grpc.ClientUnaryCall;
  getScript(argument: _baton_v1_GetScriptRequest, callback: grpc.requestCallback<_baton_v1_GetScriptResponse__Output>): grpc.ClientUnaryCall;
  
  ListScripts(argument: _baton_v1_ListScriptsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListScriptsResponse__Output>): grpc.ClientUnaryCall;
  ListScripts(argument: _baton_v1_ListScriptsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ListScriptsResponse__Output>): grpc.ClientUnaryCall;
  ListScripts(argument: _baton_v1_ListScriptsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListScriptsResponse__Output>): grpc.ClientUnaryCall;
  ListScripts(argument: _baton_v1_ListScriptsRequest, callback: grpc.requestCallback<_baton_v1_ListScriptsResponse__Output>): grpc.ClientUnaryCall;
  listScripts(argument: _baton_v1_ListScriptsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListScriptsResponse__Output>): grpc.ClientUnaryCall;
  listScripts(argument: _baton_v1_ListScriptsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ListScriptsResponse__Output>): grpc.ClientUnaryCall;
  listScripts(argument: _baton_v1_ListScriptsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListScriptsResponse__Output>): grpc.ClientUnaryCall;
  listScripts(argument: _baton_v1_ListScriptsRequest, callback: grpc.requestCallback<_baton_v1_ListScriptsResponse__Output>): grpc.ClientUnaryCall;
  
  PutScript(argument: _baton_v1_PutScriptRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ScriptVersion__Output>): grpc.ClientUnaryCall;
  PutScript(argument: _baton_v1_PutScriptRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ScriptVersion__Output>): grpc.ClientUnaryCall;
  PutScript(argument: _baton_v1_PutScriptRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ScriptVersion__Output>): grpc.ClientUnaryCall;
  PutScript(argument: _baton_v1_PutScriptRequest, callback: grpc.requestCallback<_baton_v1_ScriptVersion__Output>): grpc.ClientUnaryCall;
  putScript(argument: _baton_v1_PutScriptRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ScriptVersion__Output>): grpc.ClientUnaryCall;
  putScript(argument: _baton_v1_PutScriptRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ScriptVersion__Output>): grpc.ClientUnaryCall;
  putScript(argument: _baton_v1_PutScriptRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ScriptVersion__Output>): grpc.ClientUnaryCall;
  putScript(argument: _baton_v1_PutScriptRequest, callback: grpc.requestCallback<_baton_v1_ScriptVersion__Output>): grpc.ClientUnaryCall;
  
}

export interface ScriptsHandlers extends grpc.UntypedServiceImplementation {
  DeleteScript: grpc.handleUnaryCall<_baton_v1_DeleteScriptRequest__Output, _baton_v1_DeleteScriptResponse>;
  
  GetScript: grpc.handleUnaryCall<_baton_v1_GetScriptRequest__Output, _baton_v1_GetScriptResponse>;
  
  ListScripts: grpc.handleUnaryCall<_baton_v1_ListScriptsRequest__Output, _baton_v1_ListScriptsResponse>;
  
  PutScript: grpc.handleUnaryCall<_baton_v1_PutScriptRequest__Output, _baton_v1_ScriptVersion>;
  
}

export interface ScriptsDefinition extends grpc.ServiceDefinition {
  DeleteScript: MethodDefinition<_baton_v1_DeleteScriptRequest, _baton_v1_DeleteScriptResponse, _baton_v1_DeleteScriptRequest__Output, _baton_v1_DeleteScriptResponse__Output>
  GetScript: MethodDefinition<_baton_v1_GetScriptRequest, _baton_v1_GetScriptResponse, _baton_v1_GetScriptRequest__Output, _baton_v1_GetScriptResponse__Output>
  ListScripts: MethodDefinition<_baton_v1_ListScriptsRequest, _baton_v1_ListScriptsResponse, _baton_v1_ListScriptsRequest__Output, _baton_v1_ListScriptsResponse__Output>
  PutScript: MethodDefinition<_baton_v1_PutScriptRequest, _baton_v1_ScriptVersion, _baton_v1_PutScriptRequest__Output, _baton_v1_ScriptVersion__Output>
}
