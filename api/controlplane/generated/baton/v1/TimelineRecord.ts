// Original file: proto/baton/v1/timeline.proto

import type { SessionHeader as _baton_v1_SessionHeader, SessionHeader__Output as _baton_v1_SessionHeader__Output } from '../../baton/v1/SessionHeader.js';
import type { EventEnvelope as _baton_v1_EventEnvelope, EventEnvelope__Output as _baton_v1_EventEnvelope__Output } from '../../baton/v1/EventEnvelope.js';
import type { EgressRecord as _baton_v1_EgressRecord, EgressRecord__Output as _baton_v1_EgressRecord__Output } from '../../baton/v1/EgressRecord.js';
import type { Decision as _baton_v1_Decision, Decision__Output as _baton_v1_Decision__Output } from '../../baton/v1/Decision.js';
import type { PlanFrozen as _baton_v1_PlanFrozen, PlanFrozen__Output as _baton_v1_PlanFrozen__Output } from '../../baton/v1/PlanFrozen.js';
import type { NodeInvocation as _baton_v1_NodeInvocation, NodeInvocation__Output as _baton_v1_NodeInvocation__Output } from '../../baton/v1/NodeInvocation.js';
import type { NondeterministicInput as _baton_v1_NondeterministicInput, NondeterministicInput__Output as _baton_v1_NondeterministicInput__Output } from '../../baton/v1/NondeterministicInput.js';
import type { Rejection as _baton_v1_Rejection, Rejection__Output as _baton_v1_Rejection__Output } from '../../baton/v1/Rejection.js';
import type { Long } from '@grpc/proto-loader';

export interface TimelineRecord {
  'index'?: (number | string | Long);
  'at_ms'?: (number | string | Long);
  'session_id'?: (string);
  'turn_id'?: (string);
  'header'?: (_baton_v1_SessionHeader | null);
  'ingress'?: (_baton_v1_EventEnvelope | null);
  'egress'?: (_baton_v1_EgressRecord | null);
  'decision'?: (_baton_v1_Decision | null);
  'plan_frozen'?: (_baton_v1_PlanFrozen | null);
  'node_invocation'?: (_baton_v1_NodeInvocation | null);
  'input'?: (_baton_v1_NondeterministicInput | null);
  'rejection'?: (_baton_v1_Rejection | null);
  'body'?: "header"|"ingress"|"egress"|"decision"|"plan_frozen"|"node_invocation"|"input"|"rejection";
}

export interface TimelineRecord__Output {
  'index': (number);
  'at_ms': (number);
  'session_id': (string);
  'turn_id': (string);
  'header'?: (_baton_v1_SessionHeader__Output | null);
  'ingress'?: (_baton_v1_EventEnvelope__Output | null);
  'egress'?: (_baton_v1_EgressRecord__Output | null);
  'decision'?: (_baton_v1_Decision__Output | null);
  'plan_frozen'?: (_baton_v1_PlanFrozen__Output | null);
  'node_invocation'?: (_baton_v1_NodeInvocation__Output | null);
  'input'?: (_baton_v1_NondeterministicInput__Output | null);
  'rejection'?: (_baton_v1_Rejection__Output | null);
  'body'?: "header"|"ingress"|"egress"|"decision"|"plan_frozen"|"node_invocation"|"input"|"rejection";
}
