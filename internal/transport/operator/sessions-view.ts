// The operator page's view of a live session: turn state, lane depths and the
// recent pressure actions read from its timeline window. It only reads
// session state; it never changes a session or waits on one.
import { LANES, type Lane } from '../../../api/eventabi/index.js';
import { type TimelineRecorder, decodeRecord, isDecision } from '../../observe/timeline/index.js';
import type { Session } from '../../session/session.js';

/** Pressure actions a summary carries (the newest). */
export const MAX_PRESSURE_ACTIONS = 16;
/** Timeline records, newest first, searched for pressure actions. */
export const PRESSURE_SCAN_RECORDS = 512;

export interface LaneSummary {
  depth: number;
  capacity: number;
  high_watermark: number;
  low_watermark: number;
  xoff: boolean;
  overflow: string;
}

export interface PressureAction {
  index: number;
  at_ms: number;
  turn_id: string;
  /** drop, xoff, xon, fence, closed (Control stayed full past max_block_ms) or authority_lost. */
  action: 'drop' | 'xoff' | 'xon' | 'fence' | 'closed' | 'authority_lost';
  lane: string;
  reason: string;
  seq_from?: number;
  seq_to?: number;
  depth?: number;
}

export interface SessionSummary {
  session_id: string;
  pipeline: string;
  pipeline_version: string;
  codec: string;
  sample_rate: number;
  epoch: number;
  authoritative: boolean;
  connected: boolean;
  created_at_ms: number;
  turn_count: number;
  active_turn: { turn_id: string; state: string; fenced: boolean; played_ms: number } | null;
  lanes: Record<Lane, LaneSummary>;
  timeline_records: number;
  pressure: PressureAction[];
}


/** A live session's summary; `timeline` is the session's recorder. */
export function summarize(session: Session, timeline: TimelineRecorder | undefined): SessionSummary {
  const view = session.snapshot();
  const turn = view.active_turn;
  const lanes = {} as Record<Lane, LaneSummary>;
  for (const lane of LANES) {
    const { depth, capacity, high_watermark, low_watermark, xoff, overflow } = view.lanes[lane];
    lanes[lane] = { depth, capacity, high_watermark, low_watermark, xoff, overflow };
  }
  return {
    session_id: session.id,
    pipeline: session.version.name,
    pipeline_version: session.version.version,
    codec: session.codec,
    sample_rate: session.sample_rate,
    epoch: session.epoch,
    authoritative: view.authoritative,
    connected: view.connected,
    created_at_ms: session.created_at_ms,
    turn_count: view.turns_opened,
    active_turn: turn ? { turn_id: turn.turn_id, state: turn.state, fenced: turn.fenced, played_ms: turn.played_ms } : null,
    lanes,
    timeline_records: timeline?.length ?? 0,
    pressure: timeline ? recentPressure(timeline) : [],
  };
}

/** The newest pressure actions in the timeline's memory window, oldest first. */
export function recentPressure(timeline: TimelineRecorder): PressureAction[] {
  const window = timeline.window();
  const found: PressureAction[] = [];
  const stop = Math.max(0, window.length - PRESSURE_SCAN_RECORDS);
  for (let i = window.length - 1; i >= stop && found.length < MAX_PRESSURE_ACTIONS; i--) {
    const stored = window[i]!;
    if (stored.case !== 'decision') continue;
    const record = decodeRecord(stored.bytes);
    if (record.body.case !== 'decision') continue;
    const action = pressureAction(record.index, record.at_ms, record.turn_id, record.body.value);
    if (action) found.push(action);
  }
  return found.reverse();
}

function pressureAction(
  index: number,
  at_ms: number,
  turn_id: string,
  decision: { kind: string; outcome: string; reason: string; detail: Record<string, string> },
): PressureAction | undefined {
  const base = { index, at_ms, turn_id, lane: decision.detail['lane'] ?? '', reason: decision.reason };
  const number = (key: string): number | undefined => {
    const value = decision.detail[key];
    return value !== undefined && /^[0-9]+$/.test(value) ? Number(value) : undefined;
  };
  if (isDecision(decision, 'lane', 'dropped')) {
    const seq_from = number('seq_from');
    const seq_to = number('seq_to');
    return { ...base, action: 'drop', ...(seq_from !== undefined ? { seq_from } : {}), ...(seq_to !== undefined ? { seq_to } : {}) };
  }
  if (isDecision(decision, 'lane', 'closed')) return { ...base, action: 'closed' };
  if (isDecision(decision, 'flow', 'xoff', 'xon')) {
    const depth = number('depth');
    return { ...base, action: decision.outcome, ...(depth !== undefined ? { depth } : {}) };
  }
  if (isDecision(decision, 'fence')) return { ...base, action: 'fence' };
  if (isDecision(decision, 'authority', 'lost')) return { ...base, action: 'authority_lost' };
  return undefined;
}
