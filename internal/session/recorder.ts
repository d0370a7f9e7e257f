// What a session writes into its timeline, in the kernel's own terms
// (ingress, decisions, plans, node calls, egress hashes), mapped onto
// TimelineRecorder bodies. Terminal records use the recorder's reserved
// space so an abort can always be explained.
import { type AbiError, type AnyEnvelope, encodeBinary } from '../../api/eventabi/index.js';
import type { NodeInvocationRecord } from '../nodes/types.js';
import type { DecisionDetail, DecisionKind, DecisionOutcome } from '../observe/timeline/decisions.js';
import type { TimelineRecorder } from '../observe/timeline/recorder.js';
import type { NodeInvocation, SessionHeader } from '../observe/timeline/records.js';
import type { FrozenPlan } from '../plan/types.js';
import type { EgressRecorder } from './egress.js';

const TERMINAL_KINDS = new Set(['turn.committed', 'turn.aborted', 'turn.closed', 'session.ended']);


export interface SessionRecorder extends EgressRecorder {
  /**
   * False when the evidence could not be kept (the turn must abort
   * evidence_unavailable). `raw` is the protobuf frame the event was decoded
   * from, when there is one: it decodes to the same event, and re-encoding
   * every audio frame only to record it showed in profiles.
   */
  ingress(event: AnyEnvelope, raw?: Uint8Array): boolean;
  /** One decision record, in the vocabulary of internal/observe/timeline/decisions.ts. */
  /** Outcome and detail keys are NoInfer: only `kind` decides K, so a stray outcome or key is an error, not a wider K. */
  decision<K extends DecisionKind>(kind: K, outcome: NoInfer<DecisionOutcome<K>>, reason: string, detail?: NoInfer<DecisionDetail<K>>, turn_id?: string): boolean;
  planFrozen(plan: FrozenPlan, seed: number, turn_id: string): boolean;
  nodeInvocation(record: NodeInvocationRecord, turn_id: string): boolean;
  rejection(error: AbiError): void;
}

export class TimelineSessionRecorder implements SessionRecorder {
  constructor(
    readonly timeline: TimelineRecorder,
    header: SessionHeader,
  ) {
    timeline.appendTerminal({ case: 'header', value: header });
  }

  ingress(event: AnyEnvelope, raw?: Uint8Array): boolean {
    return this.timeline.append({ case: 'ingress', value: raw ?? encodeBinary(event) }, event.turn_id).ok;
  }

  decision<K extends DecisionKind>(kind: K, outcome: NoInfer<DecisionOutcome<K>>, reason: string, detail?: NoInfer<DecisionDetail<K>>, turn_id = ''): boolean {
    // The table types the keys; the record holds them as the plain string map the wire format has.
    const written = (detail ?? {}) as Record<string, string>;
    return this.timeline.append({ case: 'decision', value: { kind, outcome, reason, detail: written } }, turn_id).ok;
  }

  planFrozen(plan: FrozenPlan, seed: number, turn_id: string): boolean {
    return this.timeline.append({ case: 'plan_frozen', value: { plan_hash: plan.plan_hash, canonical_plan: plan.canonical, seed } }, turn_id).ok;
  }

  nodeInvocation(record: NodeInvocationRecord, turn_id: string): boolean {
    // Field by field: the node host's record and the timeline's wire body are separate contracts.
    const { node_id, node_kind, input_sha256, output, outcome } = record;
    // Durations on the real clock are fractional; the record holds whole milliseconds.
    const value: NodeInvocation = { node_id, node_kind, input_sha256, output, outcome, duration_ms: Math.round(record.duration_ms) };
    return this.timeline.append({ case: 'node_invocation', value }, turn_id).ok;
  }

  rejection(error: AbiError): void {
    this.timeline.append({ case: 'rejection', value: { code: error.code, message: error.message, ref_id: error.ref_id ?? '' } });
  }

  egress(event: AnyEnvelope, canonical: Uint8Array, sha256: Buffer): void {
    const body = { case: 'egress' as const, value: { kind: event.kind, seq: event.seq, epoch: event.epoch, sha256, size: canonical.length } };
    if (TERMINAL_KINDS.has(event.kind)) this.timeline.appendTerminal(body, event.turn_id);
    else this.timeline.append(body, event.turn_id);
  }

  egressRefused(event: AnyEnvelope, reason: string): void {
    this.decision('egress', 'refused', reason, { kind: event.kind }, event.turn_id);
  }
}
