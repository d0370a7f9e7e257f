// The read-only view of one session that every other module reads (gRPC
// GetSession, the operator page, tests): identity, authority, connection,
// the active turn, lanes, pending input, history and the fence, as plain
// values taken at one moment. Building one changes nothing; nothing reads a
// session's parts directly.
import { LANES, type Lane } from '../../api/eventabi/index.js';
import type { LaneItem, SessionLanes } from '../lanes/session-lanes.js';
import type { FrozenPlan } from '../plan/types.js';
import type { TurnState } from '../turn/arbiter.js';
import type { ConversationHistory, HistoryEntry, PendingInput } from './input.js';

export interface TurnSnapshot {
  readonly turn_id: string;
  /** The turn's frozen plan (immutable for the turn). */
  readonly plan: FrozenPlan;
  readonly state: TurnState;
  readonly fenced: boolean;
  readonly played_ms: number;
  /** Audio of the turn that has left through the egress. */
  readonly sent_audio_ms: number;
  /** Audio generated so far: sent plus queued for pacing. */
  readonly generated_ms: number;
  readonly output_ended: boolean;
}

export interface LaneSnapshot {
  readonly depth: number;
  readonly capacity: number;
  readonly bytes: number;
  readonly high_watermark: number;
  readonly low_watermark: number;
  readonly xoff: boolean;
  readonly overflow: string;
}

export interface SessionSnapshot {
  readonly session_id: string;
  readonly tenant: string;
  readonly pipeline: string;
  readonly pipeline_version: string;
  readonly codec: string;
  readonly sample_rate: number;
  readonly seed: number;
  readonly created_at_ms: number;
  readonly state: 'open' | 'ending' | 'ended';
  /** The epoch this kernel holds or last held. */
  readonly epoch: number;
  /** True while this kernel holds the lease and may speak. */
  readonly authoritative: boolean;
  readonly connected: boolean;
  readonly turns_opened: number;
  /** The open turn; undefined between turns. */
  readonly active_turn: TurnSnapshot | undefined;
  readonly lanes: Readonly<Record<Lane, LaneSnapshot>>;
  /** Seq of the last ingress event accepted. */
  readonly ingress_seq: number;
  /** Seq of the last egress event sent. */
  readonly egress_seq: number;
  readonly pending: { readonly text_chars: number; readonly audio_bytes: number; readonly dropped_audio_bytes: number };
  /** What the caller heard, oldest first (bounded). */
  readonly history: readonly HistoryEntry[];
  readonly fence: { readonly entries: number; readonly late_after_cancel: number; readonly session_fenced: boolean };
}

export function laneSnapshots<T extends LaneItem>(lanes: SessionLanes<T>): Record<Lane, LaneSnapshot> {
  const out = {} as Record<Lane, LaneSnapshot>;
  for (const lane of LANES) {
    const marks = lanes.watermarks(lane);
    out[lane] = {
      depth: lanes.depth(lane),
      capacity: lanes.capacity(lane),
      bytes: lanes.queuedBytes(lane),
      high_watermark: marks.high,
      low_watermark: marks.low,
      xoff: lanes.isXoff(lane),
      overflow: lanes.overflow(lane),
    };
  }
  return out;
}

/** The parts a snapshot reads, as the session holds them. */
export interface SnapshotParts<T extends LaneItem> {
  readonly state: SessionSnapshot['state'];
  readonly authority: { readonly epoch: number; isAuthoritative(): boolean };
  readonly connected: boolean;
  readonly turnsOpened: number;
  readonly turn:
    | {
        readonly turn_id: string;
        readonly plan: FrozenPlan;
        readonly state: TurnState;
        readonly isClosed: boolean;
        readonly fenced: boolean;
        readonly playedMs: number;
        readonly sentAudioMs: number;
        readonly generatedSoFarMs: number;
        readonly outputEnded: boolean;
      }
    | undefined;
  readonly lanes: SessionLanes<T>;
  readonly ingressSeq: number;
  readonly egressSeq: number;
  readonly pending: PendingInput;
  readonly history: ConversationHistory;
  readonly fence: { readonly size: number; readonly lateAfterCancel: number; readonly sessionFenced: boolean };
}

export function sessionSnapshot<T extends LaneItem>(
  identity: {
    readonly id: string;
    readonly tenant: string;
    readonly version: { readonly name: string; readonly version: string };
    readonly codec: string;
    readonly sample_rate: number;
    readonly seed: number;
    readonly created_at_ms: number;
  },
  parts: SnapshotParts<T>,
): SessionSnapshot {
  const turn = parts.turn && !parts.turn.isClosed ? parts.turn : undefined;
  return {
    session_id: identity.id,
    tenant: identity.tenant,
    pipeline: identity.version.name,
    pipeline_version: identity.version.version,
    codec: identity.codec,
    sample_rate: identity.sample_rate,
    seed: identity.seed,
    created_at_ms: identity.created_at_ms,
    state: parts.state,
    epoch: parts.authority.epoch,
    authoritative: parts.authority.isAuthoritative(),
    connected: parts.connected,
    turns_opened: parts.turnsOpened,
    active_turn: turn
      ? {
          turn_id: turn.turn_id,
          plan: turn.plan,
          state: turn.state,
          fenced: turn.fenced,
          played_ms: turn.playedMs,
          sent_audio_ms: turn.sentAudioMs,
          generated_ms: turn.generatedSoFarMs,
          output_ended: turn.outputEnded,
        }
      : undefined,
    lanes: laneSnapshots(parts.lanes),
    ingress_seq: parts.ingressSeq,
    egress_seq: parts.egressSeq,
    pending: parts.pending.held,
    history: [...parts.history.all],
    fence: { entries: parts.fence.size, late_after_cancel: parts.fence.lateAfterCancel, session_fenced: parts.fence.sessionFenced },
  };
}
