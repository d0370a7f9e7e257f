// What a session writes into its timeline, in the kernel's own terms
// (ingress, decisions, plans, node calls, egress hashes), mapped onto
// TimelineRecorder bodies. Terminal records use the recorder's reserved
// space so an abort can always be explained. A plan's script sources go into
// the timeline once each, so replay needs no registry and a long session does
// not repeat code per turn.
import { type AbiError, type AnyEnvelope, encodeBinary } from '../../api/eventabi/index.js';
import type { NodeInvocationRecord } from '../nodes/types.js';
import type { DecisionDetail, DecisionKind, DecisionOutcome } from '../observe/timeline/decisions.js';
import type { TimelineRecorder } from '../observe/timeline/recorder.js';
import { type NodeInvocation, type PinnedScript, type SessionHeader, TIMELINE_FORMAT_VERSION } from '../observe/timeline/records.js';
import type { FrozenPlan } from '../plan/types.js';
import type { EgressRecorder } from './egress.js';

const TERMINAL_KINDS = new Set(['turn.committed', 'turn.aborted', 'turn.closed', 'session.ended']);

/** The source with this content hash (lower-case hex SHA-256), from the session's tenant scripts; undefined when none is kept. */
export type ScriptSources = (sha256: string) => string | undefined;

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
  /** False too when a script the plan pins has no source to record: the plan would not be replayable. */
  planFrozen(plan: FrozenPlan, seed: number, turn_id: string): boolean;
  nodeInvocation(record: NodeInvocationRecord, turn_id: string): boolean;
  rejection(error: AbiError): void;
}

export class TimelineSessionRecorder implements SessionRecorder {
  /** Hashes whose source a record of this timeline already carries. */
  private readonly recordedSources = new Set<string>();

  constructor(
    readonly timeline: TimelineRecorder,
    header: SessionHeader,
    /** Absent: a plan that pins scripts cannot be recorded. */
    private readonly sources?: ScriptSources,
  ) {
    timeline.appendTerminal({ case: 'header', value: { ...header, format_version: TIMELINE_FORMAT_VERSION } });
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
    const scripts = this.pinnedScripts(plan);
    if (!scripts) return false;
    const value = { plan_hash: plan.plan_hash, canonical_plan: plan.canonical, seed, ...(scripts.length > 0 ? { scripts } : {}) };
    if (!this.timeline.append({ case: 'plan_frozen', value }, turn_id).ok) return false;
    // Only once the record is kept: a refused append leaves the next plan to carry the source.
    for (const script of scripts) this.recordedSources.add(script.sha256);
    return true;
  }

  /** Sorted by name (UTF-16 code units, the default sort), so the same plan records the same bytes; undefined when a source cannot be found. */
  private pinnedScripts(plan: FrozenPlan): PinnedScript[] | undefined {
    const names = Object.keys(plan.scripts).sort();
    const carried = new Set<string>();
    const scripts: PinnedScript[] = [];
    for (const name of names) {
      const sha256 = plan.scripts[name]!;
      if (this.recordedSources.has(sha256) || carried.has(sha256)) {
        scripts.push({ name, sha256, source: '' });
        continue;
      }
      const source = this.sources?.(sha256);
      if (source === undefined) return undefined;
      carried.add(sha256);
      scripts.push({ name, sha256, source });
    }
    return scripts;
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
