import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AcquireLeaseRequest as _baton_v1_AcquireLeaseRequest, AcquireLeaseRequest__Output as _baton_v1_AcquireLeaseRequest__Output } from './baton/v1/AcquireLeaseRequest.js';
import type { AudioIn as _baton_v1_AudioIn, AudioIn__Output as _baton_v1_AudioIn__Output } from './baton/v1/AudioIn.js';
import type { AudioOut as _baton_v1_AudioOut, AudioOut__Output as _baton_v1_AudioOut__Output } from './baton/v1/AudioOut.js';
import type { AuthorityClient as _baton_v1_AuthorityClient, AuthorityDefinition as _baton_v1_AuthorityDefinition } from './baton/v1/Authority.js';
import type { BargeInPolicy as _baton_v1_BargeInPolicy, BargeInPolicy__Output as _baton_v1_BargeInPolicy__Output } from './baton/v1/BargeInPolicy.js';
import type { Cancel as _baton_v1_Cancel, Cancel__Output as _baton_v1_Cancel__Output } from './baton/v1/Cancel.js';
import type { CancelTurnRequest as _baton_v1_CancelTurnRequest, CancelTurnRequest__Output as _baton_v1_CancelTurnRequest__Output } from './baton/v1/CancelTurnRequest.js';
import type { CancelTurnResponse as _baton_v1_CancelTurnResponse, CancelTurnResponse__Output as _baton_v1_CancelTurnResponse__Output } from './baton/v1/CancelTurnResponse.js';
import type { CloseSessionRequest as _baton_v1_CloseSessionRequest, CloseSessionRequest__Output as _baton_v1_CloseSessionRequest__Output } from './baton/v1/CloseSessionRequest.js';
import type { CloseSessionResponse as _baton_v1_CloseSessionResponse, CloseSessionResponse__Output as _baton_v1_CloseSessionResponse__Output } from './baton/v1/CloseSessionResponse.js';
import type { Decision as _baton_v1_Decision, Decision__Output as _baton_v1_Decision__Output } from './baton/v1/Decision.js';
import type { DeleteScriptRequest as _baton_v1_DeleteScriptRequest, DeleteScriptRequest__Output as _baton_v1_DeleteScriptRequest__Output } from './baton/v1/DeleteScriptRequest.js';
import type { DeleteScriptResponse as _baton_v1_DeleteScriptResponse, DeleteScriptResponse__Output as _baton_v1_DeleteScriptResponse__Output } from './baton/v1/DeleteScriptResponse.js';
import type { Divergence as _baton_v1_Divergence, Divergence__Output as _baton_v1_Divergence__Output } from './baton/v1/Divergence.js';
import type { DropNotice as _baton_v1_DropNotice, DropNotice__Output as _baton_v1_DropNotice__Output } from './baton/v1/DropNotice.js';
import type { Dtmf as _baton_v1_Dtmf, Dtmf__Output as _baton_v1_Dtmf__Output } from './baton/v1/Dtmf.js';
import type { EdgeSpec as _baton_v1_EdgeSpec, EdgeSpec__Output as _baton_v1_EdgeSpec__Output } from './baton/v1/EdgeSpec.js';
import type { EgressRecord as _baton_v1_EgressRecord, EgressRecord__Output as _baton_v1_EgressRecord__Output } from './baton/v1/EgressRecord.js';
import type { Error as _baton_v1_Error, Error__Output as _baton_v1_Error__Output } from './baton/v1/Error.js';
import type { EventEnvelope as _baton_v1_EventEnvelope, EventEnvelope__Output as _baton_v1_EventEnvelope__Output } from './baton/v1/EventEnvelope.js';
import type { ExportTimelineRequest as _baton_v1_ExportTimelineRequest, ExportTimelineRequest__Output as _baton_v1_ExportTimelineRequest__Output } from './baton/v1/ExportTimelineRequest.js';
import type { FlowXoff as _baton_v1_FlowXoff, FlowXoff__Output as _baton_v1_FlowXoff__Output } from './baton/v1/FlowXoff.js';
import type { FlowXon as _baton_v1_FlowXon, FlowXon__Output as _baton_v1_FlowXon__Output } from './baton/v1/FlowXon.js';
import type { GetLeaseRequest as _baton_v1_GetLeaseRequest, GetLeaseRequest__Output as _baton_v1_GetLeaseRequest__Output } from './baton/v1/GetLeaseRequest.js';
import type { GetPipelineRequest as _baton_v1_GetPipelineRequest, GetPipelineRequest__Output as _baton_v1_GetPipelineRequest__Output } from './baton/v1/GetPipelineRequest.js';
import type { GetPipelineResponse as _baton_v1_GetPipelineResponse, GetPipelineResponse__Output as _baton_v1_GetPipelineResponse__Output } from './baton/v1/GetPipelineResponse.js';
import type { GetScriptRequest as _baton_v1_GetScriptRequest, GetScriptRequest__Output as _baton_v1_GetScriptRequest__Output } from './baton/v1/GetScriptRequest.js';
import type { GetScriptResponse as _baton_v1_GetScriptResponse, GetScriptResponse__Output as _baton_v1_GetScriptResponse__Output } from './baton/v1/GetScriptResponse.js';
import type { GetSessionRequest as _baton_v1_GetSessionRequest, GetSessionRequest__Output as _baton_v1_GetSessionRequest__Output } from './baton/v1/GetSessionRequest.js';
import type { LanePolicy as _baton_v1_LanePolicy, LanePolicy__Output as _baton_v1_LanePolicy__Output } from './baton/v1/LanePolicy.js';
import type { Lease as _baton_v1_Lease, Lease__Output as _baton_v1_Lease__Output } from './baton/v1/Lease.js';
import type { ListPipelinesRequest as _baton_v1_ListPipelinesRequest, ListPipelinesRequest__Output as _baton_v1_ListPipelinesRequest__Output } from './baton/v1/ListPipelinesRequest.js';
import type { ListPipelinesResponse as _baton_v1_ListPipelinesResponse, ListPipelinesResponse__Output as _baton_v1_ListPipelinesResponse__Output } from './baton/v1/ListPipelinesResponse.js';
import type { ListScriptsRequest as _baton_v1_ListScriptsRequest, ListScriptsRequest__Output as _baton_v1_ListScriptsRequest__Output } from './baton/v1/ListScriptsRequest.js';
import type { ListScriptsResponse as _baton_v1_ListScriptsResponse, ListScriptsResponse__Output as _baton_v1_ListScriptsResponse__Output } from './baton/v1/ListScriptsResponse.js';
import type { ListSessionsRequest as _baton_v1_ListSessionsRequest, ListSessionsRequest__Output as _baton_v1_ListSessionsRequest__Output } from './baton/v1/ListSessionsRequest.js';
import type { ListSessionsResponse as _baton_v1_ListSessionsResponse, ListSessionsResponse__Output as _baton_v1_ListSessionsResponse__Output } from './baton/v1/ListSessionsResponse.js';
import type { NodeInvocation as _baton_v1_NodeInvocation, NodeInvocation__Output as _baton_v1_NodeInvocation__Output } from './baton/v1/NodeInvocation.js';
import type { NodeSpec as _baton_v1_NodeSpec, NodeSpec__Output as _baton_v1_NodeSpec__Output } from './baton/v1/NodeSpec.js';
import type { NondeterministicInput as _baton_v1_NondeterministicInput, NondeterministicInput__Output as _baton_v1_NondeterministicInput__Output } from './baton/v1/NondeterministicInput.js';
import type { OpenSessionRequest as _baton_v1_OpenSessionRequest, OpenSessionRequest__Output as _baton_v1_OpenSessionRequest__Output } from './baton/v1/OpenSessionRequest.js';
import type { OpenSessionResponse as _baton_v1_OpenSessionResponse, OpenSessionResponse__Output as _baton_v1_OpenSessionResponse__Output } from './baton/v1/OpenSessionResponse.js';
import type { OutputClear as _baton_v1_OutputClear, OutputClear__Output as _baton_v1_OutputClear__Output } from './baton/v1/OutputClear.js';
import type { OutputEnd as _baton_v1_OutputEnd, OutputEnd__Output as _baton_v1_OutputEnd__Output } from './baton/v1/OutputEnd.js';
import type { PinnedScript as _baton_v1_PinnedScript, PinnedScript__Output as _baton_v1_PinnedScript__Output } from './baton/v1/PinnedScript.js';
import type { PipelineSpec as _baton_v1_PipelineSpec, PipelineSpec__Output as _baton_v1_PipelineSpec__Output } from './baton/v1/PipelineSpec.js';
import type { PipelineVersion as _baton_v1_PipelineVersion, PipelineVersion__Output as _baton_v1_PipelineVersion__Output } from './baton/v1/PipelineVersion.js';
import type { PipelinesClient as _baton_v1_PipelinesClient, PipelinesDefinition as _baton_v1_PipelinesDefinition } from './baton/v1/Pipelines.js';
import type { PlanFrozen as _baton_v1_PlanFrozen, PlanFrozen__Output as _baton_v1_PlanFrozen__Output } from './baton/v1/PlanFrozen.js';
import type { PlaybackCompleted as _baton_v1_PlaybackCompleted, PlaybackCompleted__Output as _baton_v1_PlaybackCompleted__Output } from './baton/v1/PlaybackCompleted.js';
import type { PlaybackMark as _baton_v1_PlaybackMark, PlaybackMark__Output as _baton_v1_PlaybackMark__Output } from './baton/v1/PlaybackMark.js';
import type { PlaybackStarted as _baton_v1_PlaybackStarted, PlaybackStarted__Output as _baton_v1_PlaybackStarted__Output } from './baton/v1/PlaybackStarted.js';
import type { ProposeTurnRequest as _baton_v1_ProposeTurnRequest, ProposeTurnRequest__Output as _baton_v1_ProposeTurnRequest__Output } from './baton/v1/ProposeTurnRequest.js';
import type { ProviderBinding as _baton_v1_ProviderBinding, ProviderBinding__Output as _baton_v1_ProviderBinding__Output } from './baton/v1/ProviderBinding.js';
import type { PublishPipelineRequest as _baton_v1_PublishPipelineRequest, PublishPipelineRequest__Output as _baton_v1_PublishPipelineRequest__Output } from './baton/v1/PublishPipelineRequest.js';
import type { PutScriptRequest as _baton_v1_PutScriptRequest, PutScriptRequest__Output as _baton_v1_PutScriptRequest__Output } from './baton/v1/PutScriptRequest.js';
import type { Rejection as _baton_v1_Rejection, Rejection__Output as _baton_v1_Rejection__Output } from './baton/v1/Rejection.js';
import type { ReleaseLeaseRequest as _baton_v1_ReleaseLeaseRequest, ReleaseLeaseRequest__Output as _baton_v1_ReleaseLeaseRequest__Output } from './baton/v1/ReleaseLeaseRequest.js';
import type { RenewLeaseRequest as _baton_v1_RenewLeaseRequest, RenewLeaseRequest__Output as _baton_v1_RenewLeaseRequest__Output } from './baton/v1/RenewLeaseRequest.js';
import type { ReplayReport as _baton_v1_ReplayReport, ReplayReport__Output as _baton_v1_ReplayReport__Output } from './baton/v1/ReplayReport.js';
import type { ScriptVersion as _baton_v1_ScriptVersion, ScriptVersion__Output as _baton_v1_ScriptVersion__Output } from './baton/v1/ScriptVersion.js';
import type { ScriptsClient as _baton_v1_ScriptsClient, ScriptsDefinition as _baton_v1_ScriptsDefinition } from './baton/v1/Scripts.js';
import type { Session as _baton_v1_Session, Session__Output as _baton_v1_Session__Output } from './baton/v1/Session.js';
import type { SessionEnd as _baton_v1_SessionEnd, SessionEnd__Output as _baton_v1_SessionEnd__Output } from './baton/v1/SessionEnd.js';
import type { SessionEnded as _baton_v1_SessionEnded, SessionEnded__Output as _baton_v1_SessionEnded__Output } from './baton/v1/SessionEnded.js';
import type { SessionHeader as _baton_v1_SessionHeader, SessionHeader__Output as _baton_v1_SessionHeader__Output } from './baton/v1/SessionHeader.js';
import type { SessionStart as _baton_v1_SessionStart, SessionStart__Output as _baton_v1_SessionStart__Output } from './baton/v1/SessionStart.js';
import type { SessionStarted as _baton_v1_SessionStarted, SessionStarted__Output as _baton_v1_SessionStarted__Output } from './baton/v1/SessionStarted.js';
import type { SessionsClient as _baton_v1_SessionsClient, SessionsDefinition as _baton_v1_SessionsDefinition } from './baton/v1/Sessions.js';
import type { SpeechStarted as _baton_v1_SpeechStarted, SpeechStarted__Output as _baton_v1_SpeechStarted__Output } from './baton/v1/SpeechStarted.js';
import type { SpeechStopped as _baton_v1_SpeechStopped, SpeechStopped__Output as _baton_v1_SpeechStopped__Output } from './baton/v1/SpeechStopped.js';
import type { Telemetry as _baton_v1_Telemetry, Telemetry__Output as _baton_v1_Telemetry__Output } from './baton/v1/Telemetry.js';
import type { TextIn as _baton_v1_TextIn, TextIn__Output as _baton_v1_TextIn__Output } from './baton/v1/TextIn.js';
import type { TimelineRecord as _baton_v1_TimelineRecord, TimelineRecord__Output as _baton_v1_TimelineRecord__Output } from './baton/v1/TimelineRecord.js';
import type { TimelinesClient as _baton_v1_TimelinesClient, TimelinesDefinition as _baton_v1_TimelinesDefinition } from './baton/v1/Timelines.js';
import type { Transcript as _baton_v1_Transcript, Transcript__Output as _baton_v1_Transcript__Output } from './baton/v1/Transcript.js';
import type { TransferLeaseRequest as _baton_v1_TransferLeaseRequest, TransferLeaseRequest__Output as _baton_v1_TransferLeaseRequest__Output } from './baton/v1/TransferLeaseRequest.js';
import type { TurnAborted as _baton_v1_TurnAborted, TurnAborted__Output as _baton_v1_TurnAborted__Output } from './baton/v1/TurnAborted.js';
import type { TurnActive as _baton_v1_TurnActive, TurnActive__Output as _baton_v1_TurnActive__Output } from './baton/v1/TurnActive.js';
import type { TurnBudgets as _baton_v1_TurnBudgets, TurnBudgets__Output as _baton_v1_TurnBudgets__Output } from './baton/v1/TurnBudgets.js';
import type { TurnClosed as _baton_v1_TurnClosed, TurnClosed__Output as _baton_v1_TurnClosed__Output } from './baton/v1/TurnClosed.js';
import type { TurnCommitted as _baton_v1_TurnCommitted, TurnCommitted__Output as _baton_v1_TurnCommitted__Output } from './baton/v1/TurnCommitted.js';
import type { TurnDecision as _baton_v1_TurnDecision, TurnDecision__Output as _baton_v1_TurnDecision__Output } from './baton/v1/TurnDecision.js';
import type { TurnDeferred as _baton_v1_TurnDeferred, TurnDeferred__Output as _baton_v1_TurnDeferred__Output } from './baton/v1/TurnDeferred.js';
import type { TurnOpened as _baton_v1_TurnOpened, TurnOpened__Output as _baton_v1_TurnOpened__Output } from './baton/v1/TurnOpened.js';
import type { TurnRejected as _baton_v1_TurnRejected, TurnRejected__Output as _baton_v1_TurnRejected__Output } from './baton/v1/TurnRejected.js';
import type { TurnRequest as _baton_v1_TurnRequest, TurnRequest__Output as _baton_v1_TurnRequest__Output } from './baton/v1/TurnRequest.js';
import type { TurnStaleEpoch as _baton_v1_TurnStaleEpoch, TurnStaleEpoch__Output as _baton_v1_TurnStaleEpoch__Output } from './baton/v1/TurnStaleEpoch.js';
import type { WatchSessionRequest as _baton_v1_WatchSessionRequest, WatchSessionRequest__Output as _baton_v1_WatchSessionRequest__Output } from './baton/v1/WatchSessionRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  baton: {
    v1: {
      AcquireLeaseRequest: MessageTypeDefinition<_baton_v1_AcquireLeaseRequest, _baton_v1_AcquireLeaseRequest__Output>
      AudioIn: MessageTypeDefinition<_baton_v1_AudioIn, _baton_v1_AudioIn__Output>
      AudioOut: MessageTypeDefinition<_baton_v1_AudioOut, _baton_v1_AudioOut__Output>
      Authority: SubtypeConstructor<typeof grpc.Client, _baton_v1_AuthorityClient> & { service: _baton_v1_AuthorityDefinition }
      BargeInPolicy: MessageTypeDefinition<_baton_v1_BargeInPolicy, _baton_v1_BargeInPolicy__Output>
      Cancel: MessageTypeDefinition<_baton_v1_Cancel, _baton_v1_Cancel__Output>
      CancelTurnRequest: MessageTypeDefinition<_baton_v1_CancelTurnRequest, _baton_v1_CancelTurnRequest__Output>
      CancelTurnResponse: MessageTypeDefinition<_baton_v1_CancelTurnResponse, _baton_v1_CancelTurnResponse__Output>
      CloseSessionRequest: MessageTypeDefinition<_baton_v1_CloseSessionRequest, _baton_v1_CloseSessionRequest__Output>
      CloseSessionResponse: MessageTypeDefinition<_baton_v1_CloseSessionResponse, _baton_v1_CloseSessionResponse__Output>
      Decision: MessageTypeDefinition<_baton_v1_Decision, _baton_v1_Decision__Output>
      DeleteScriptRequest: MessageTypeDefinition<_baton_v1_DeleteScriptRequest, _baton_v1_DeleteScriptRequest__Output>
      DeleteScriptResponse: MessageTypeDefinition<_baton_v1_DeleteScriptResponse, _baton_v1_DeleteScriptResponse__Output>
      Divergence: MessageTypeDefinition<_baton_v1_Divergence, _baton_v1_Divergence__Output>
      DropNotice: MessageTypeDefinition<_baton_v1_DropNotice, _baton_v1_DropNotice__Output>
      Dtmf: MessageTypeDefinition<_baton_v1_Dtmf, _baton_v1_Dtmf__Output>
      EdgeSpec: MessageTypeDefinition<_baton_v1_EdgeSpec, _baton_v1_EdgeSpec__Output>
      EgressRecord: MessageTypeDefinition<_baton_v1_EgressRecord, _baton_v1_EgressRecord__Output>
      Error: MessageTypeDefinition<_baton_v1_Error, _baton_v1_Error__Output>
      EventEnvelope: MessageTypeDefinition<_baton_v1_EventEnvelope, _baton_v1_EventEnvelope__Output>
      ExportTimelineRequest: MessageTypeDefinition<_baton_v1_ExportTimelineRequest, _baton_v1_ExportTimelineRequest__Output>
      FlowXoff: MessageTypeDefinition<_baton_v1_FlowXoff, _baton_v1_FlowXoff__Output>
      FlowXon: MessageTypeDefinition<_baton_v1_FlowXon, _baton_v1_FlowXon__Output>
      GetLeaseRequest: MessageTypeDefinition<_baton_v1_GetLeaseRequest, _baton_v1_GetLeaseRequest__Output>
      GetPipelineRequest: MessageTypeDefinition<_baton_v1_GetPipelineRequest, _baton_v1_GetPipelineRequest__Output>
      GetPipelineResponse: MessageTypeDefinition<_baton_v1_GetPipelineResponse, _baton_v1_GetPipelineResponse__Output>
      GetScriptRequest: MessageTypeDefinition<_baton_v1_GetScriptRequest, _baton_v1_GetScriptRequest__Output>
      GetScriptResponse: MessageTypeDefinition<_baton_v1_GetScriptResponse, _baton_v1_GetScriptResponse__Output>
      GetSessionRequest: MessageTypeDefinition<_baton_v1_GetSessionRequest, _baton_v1_GetSessionRequest__Output>
      LanePolicy: MessageTypeDefinition<_baton_v1_LanePolicy, _baton_v1_LanePolicy__Output>
      Lease: MessageTypeDefinition<_baton_v1_Lease, _baton_v1_Lease__Output>
      ListPipelinesRequest: MessageTypeDefinition<_baton_v1_ListPipelinesRequest, _baton_v1_ListPipelinesRequest__Output>
      ListPipelinesResponse: MessageTypeDefinition<_baton_v1_ListPipelinesResponse, _baton_v1_ListPipelinesResponse__Output>
      ListScriptsRequest: MessageTypeDefinition<_baton_v1_ListScriptsRequest, _baton_v1_ListScriptsRequest__Output>
      ListScriptsResponse: MessageTypeDefinition<_baton_v1_ListScriptsResponse, _baton_v1_ListScriptsResponse__Output>
      ListSessionsRequest: MessageTypeDefinition<_baton_v1_ListSessionsRequest, _baton_v1_ListSessionsRequest__Output>
      ListSessionsResponse: MessageTypeDefinition<_baton_v1_ListSessionsResponse, _baton_v1_ListSessionsResponse__Output>
      NodeInvocation: MessageTypeDefinition<_baton_v1_NodeInvocation, _baton_v1_NodeInvocation__Output>
      NodeSpec: MessageTypeDefinition<_baton_v1_NodeSpec, _baton_v1_NodeSpec__Output>
      NondeterministicInput: MessageTypeDefinition<_baton_v1_NondeterministicInput, _baton_v1_NondeterministicInput__Output>
      OpenSessionRequest: MessageTypeDefinition<_baton_v1_OpenSessionRequest, _baton_v1_OpenSessionRequest__Output>
      OpenSessionResponse: MessageTypeDefinition<_baton_v1_OpenSessionResponse, _baton_v1_OpenSessionResponse__Output>
      OutputClear: MessageTypeDefinition<_baton_v1_OutputClear, _baton_v1_OutputClear__Output>
      OutputEnd: MessageTypeDefinition<_baton_v1_OutputEnd, _baton_v1_OutputEnd__Output>
      PinnedScript: MessageTypeDefinition<_baton_v1_PinnedScript, _baton_v1_PinnedScript__Output>
      PipelineSpec: MessageTypeDefinition<_baton_v1_PipelineSpec, _baton_v1_PipelineSpec__Output>
      PipelineVersion: MessageTypeDefinition<_baton_v1_PipelineVersion, _baton_v1_PipelineVersion__Output>
      Pipelines: SubtypeConstructor<typeof grpc.Client, _baton_v1_PipelinesClient> & { service: _baton_v1_PipelinesDefinition }
      PlanFrozen: MessageTypeDefinition<_baton_v1_PlanFrozen, _baton_v1_PlanFrozen__Output>
      PlaybackCompleted: MessageTypeDefinition<_baton_v1_PlaybackCompleted, _baton_v1_PlaybackCompleted__Output>
      PlaybackMark: MessageTypeDefinition<_baton_v1_PlaybackMark, _baton_v1_PlaybackMark__Output>
      PlaybackStarted: MessageTypeDefinition<_baton_v1_PlaybackStarted, _baton_v1_PlaybackStarted__Output>
      ProposeTurnRequest: MessageTypeDefinition<_baton_v1_ProposeTurnRequest, _baton_v1_ProposeTurnRequest__Output>
      ProviderBinding: MessageTypeDefinition<_baton_v1_ProviderBinding, _baton_v1_ProviderBinding__Output>
      PublishPipelineRequest: MessageTypeDefinition<_baton_v1_PublishPipelineRequest, _baton_v1_PublishPipelineRequest__Output>
      PutScriptRequest: MessageTypeDefinition<_baton_v1_PutScriptRequest, _baton_v1_PutScriptRequest__Output>
      Rejection: MessageTypeDefinition<_baton_v1_Rejection, _baton_v1_Rejection__Output>
      ReleaseLeaseRequest: MessageTypeDefinition<_baton_v1_ReleaseLeaseRequest, _baton_v1_ReleaseLeaseRequest__Output>
      RenewLeaseRequest: MessageTypeDefinition<_baton_v1_RenewLeaseRequest, _baton_v1_RenewLeaseRequest__Output>
      ReplayReport: MessageTypeDefinition<_baton_v1_ReplayReport, _baton_v1_ReplayReport__Output>
      ScriptKind: EnumTypeDefinition
      ScriptVersion: MessageTypeDefinition<_baton_v1_ScriptVersion, _baton_v1_ScriptVersion__Output>
      Scripts: SubtypeConstructor<typeof grpc.Client, _baton_v1_ScriptsClient> & { service: _baton_v1_ScriptsDefinition }
      Session: MessageTypeDefinition<_baton_v1_Session, _baton_v1_Session__Output>
      SessionEnd: MessageTypeDefinition<_baton_v1_SessionEnd, _baton_v1_SessionEnd__Output>
      SessionEnded: MessageTypeDefinition<_baton_v1_SessionEnded, _baton_v1_SessionEnded__Output>
      SessionHeader: MessageTypeDefinition<_baton_v1_SessionHeader, _baton_v1_SessionHeader__Output>
      SessionStart: MessageTypeDefinition<_baton_v1_SessionStart, _baton_v1_SessionStart__Output>
      SessionStarted: MessageTypeDefinition<_baton_v1_SessionStarted, _baton_v1_SessionStarted__Output>
      Sessions: SubtypeConstructor<typeof grpc.Client, _baton_v1_SessionsClient> & { service: _baton_v1_SessionsDefinition }
      SpeechStarted: MessageTypeDefinition<_baton_v1_SpeechStarted, _baton_v1_SpeechStarted__Output>
      SpeechStopped: MessageTypeDefinition<_baton_v1_SpeechStopped, _baton_v1_SpeechStopped__Output>
      Telemetry: MessageTypeDefinition<_baton_v1_Telemetry, _baton_v1_Telemetry__Output>
      TextIn: MessageTypeDefinition<_baton_v1_TextIn, _baton_v1_TextIn__Output>
      TimelineRecord: MessageTypeDefinition<_baton_v1_TimelineRecord, _baton_v1_TimelineRecord__Output>
      Timelines: SubtypeConstructor<typeof grpc.Client, _baton_v1_TimelinesClient> & { service: _baton_v1_TimelinesDefinition }
      Transcript: MessageTypeDefinition<_baton_v1_Transcript, _baton_v1_Transcript__Output>
      TransferLeaseRequest: MessageTypeDefinition<_baton_v1_TransferLeaseRequest, _baton_v1_TransferLeaseRequest__Output>
      TurnAborted: MessageTypeDefinition<_baton_v1_TurnAborted, _baton_v1_TurnAborted__Output>
      TurnActive: MessageTypeDefinition<_baton_v1_TurnActive, _baton_v1_TurnActive__Output>
      TurnBudgets: MessageTypeDefinition<_baton_v1_TurnBudgets, _baton_v1_TurnBudgets__Output>
      TurnClosed: MessageTypeDefinition<_baton_v1_TurnClosed, _baton_v1_TurnClosed__Output>
      TurnCommitted: MessageTypeDefinition<_baton_v1_TurnCommitted, _baton_v1_TurnCommitted__Output>
      TurnDecision: MessageTypeDefinition<_baton_v1_TurnDecision, _baton_v1_TurnDecision__Output>
      TurnDeferred: MessageTypeDefinition<_baton_v1_TurnDeferred, _baton_v1_TurnDeferred__Output>
      TurnOpened: MessageTypeDefinition<_baton_v1_TurnOpened, _baton_v1_TurnOpened__Output>
      TurnOutcome: EnumTypeDefinition
      TurnRejected: MessageTypeDefinition<_baton_v1_TurnRejected, _baton_v1_TurnRejected__Output>
      TurnRequest: MessageTypeDefinition<_baton_v1_TurnRequest, _baton_v1_TurnRequest__Output>
      TurnStaleEpoch: MessageTypeDefinition<_baton_v1_TurnStaleEpoch, _baton_v1_TurnStaleEpoch__Output>
      WatchSessionRequest: MessageTypeDefinition<_baton_v1_WatchSessionRequest, _baton_v1_WatchSessionRequest__Output>
    }
  }
}

