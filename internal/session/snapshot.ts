// The read-only view of one session that every other module reads (gRPC
// GetSession, the operator page, tests): identity, authority, connection,
// the active turn, lanes, pending input, history and the fence, as plain
// values taken at one moment. Building one changes nothing; nothing reads a
// session's parts directly.
import { LANES, type Lane } from '../../api/eventabi/index.js';
import type { LaneItem, SessionLanes } from '../lanes/session-lanes.js';
import type { FrozenPlan } from '../plan/types.js';
import type { TurnState } from '../turn/arbiter.js';
import type { HistoryEntry } from './input.js';

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
