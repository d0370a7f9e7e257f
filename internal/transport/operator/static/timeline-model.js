// The operator page's timeline model: folds the items of
// GET /v1/operator/sessions/{id}/timeline into turns, lane marks and fences
// for drawing. Pure functions, no DOM, so they run in the browser and in unit
// tests alike.

/** Rows of the timeline, top to bottom. */
export const ROWS = Object.freeze([
  { id: 'turns', label: 'turns' },
  { id: 'nodes', label: 'node calls' },
  { id: 'ingress-control', label: 'in · control' },
  { id: 'ingress-data', label: 'in · data' },
  { id: 'ingress-telemetry', label: 'in · telemetry' },
  { id: 'egress-control', label: 'out · control' },
  { id: 'egress-data', label: 'out · data' },
  { id: 'egress-telemetry', label: 'out · telemetry' },
]);

const TERMINALS = { 'turn.committed': 'committed', 'turn.aborted': 'aborted' };

/**
 * @typedef {{ turn_id: string, start_ms: number, end_ms: number, outcome: 'committed'|'aborted'|'open', reason: string, closed: boolean }} Turn
 * @typedef {{ row: string, kind: string, at_ms: number, to_ms: number, label: string, turn_id: string, mark?: string }} Mark
 * @typedef {{ at_ms: number, turn_id: string, reason: string }} Fence
 * @typedef {{ end_ms: number, turns: Turn[], marks: Mark[], fences: Fence[], header: object|undefined }} Timeline
 */

/**
 * Builds the drawable timeline from page items in index order.
 * @param {Array<Record<string, any>>} items
 * @param {{ live?: boolean }} [options] a live session's open turn runs to the last record
 * @returns {Timeline}
 */
export function buildTimeline(items, options = {}) {
  /** @type {Map<string, Turn>} */
  const turns = new Map();
  /** @type {Mark[]} */
  const marks = [];
  /** @type {Fence[]} */
  const fences = [];
  let header;
  let end = 0;
  const turnOf = (turn_id, at_ms) => {
    let turn = turns.get(turn_id);
    if (!turn) {
      // A page that starts mid-turn (older records discarded) still shows the turn from its first record.
      turn = { turn_id, start_ms: at_ms, end_ms: at_ms, outcome: 'open', reason: '', closed: false };
      turns.set(turn_id, turn);
    }
    return turn;
  };
  for (const item of items) {
    const last = Math.max(item.at_ms, item.to_ms ?? 0);
    end = Math.max(end, last);
    // Only the kernel's own turn records create a turn: a gateway may name a turn that never existed.
    const known = item.turn_id ? turns.get(item.turn_id) : undefined;
    if (known && !known.closed) known.end_ms = Math.max(known.end_ms, last);
    switch (item.type) {
      case 'header':
        header = item;
        break;
      case 'ingress':
        marks.push({ row: `ingress-${item.lane}`, kind: item.kind, at_ms: item.at_ms, to_ms: item.at_ms, label: `${item.kind} seq ${item.seq}`, turn_id: item.turn_id });
        break;
      case 'audio':
        marks.push({
          row: `${item.direction}-data`,
          kind: item.direction === 'ingress' ? 'audio.in' : 'audio.out',
          at_ms: item.at_ms,
          to_ms: item.to_ms,
          label: `${item.count} × ${item.direction === 'ingress' ? 'audio.in' : 'audio.out'} seq ${item.seq_from}–${item.seq_to}`,
          turn_id: item.turn_id,
        });
        break;
      case 'egress': {
        marks.push({ row: `egress-${item.lane}`, kind: item.kind, at_ms: item.at_ms, to_ms: item.at_ms, label: `${item.kind} seq ${item.seq}`, turn_id: item.turn_id });
        if (!item.turn_id) break;
        if (item.kind === 'turn.opened') {
          const turn = turnOf(item.turn_id, item.at_ms);
          turn.start_ms = item.at_ms;
        } else if (item.kind in TERMINALS) {
          turnOf(item.turn_id, item.at_ms).outcome = TERMINALS[item.kind];
        } else if (item.kind === 'turn.closed') {
          const turn = turnOf(item.turn_id, item.at_ms);
          turn.closed = true;
          turn.end_ms = item.at_ms;
        } else if (item.kind.startsWith('turn.') || item.kind === 'output.end' || item.kind === 'output.clear') {
          turnOf(item.turn_id, item.at_ms);
        }
        break;
      }
      case 'plan':
        if (item.turn_id) turnOf(item.turn_id, item.at_ms);
        break;
      case 'decision':
        decisionMarks(item, marks, fences, turns);
        break;
      case 'node':
        marks.push({
          row: 'nodes',
          kind: item.node_kind,
          at_ms: Math.max(0, item.at_ms - item.duration_ms),
          to_ms: item.at_ms,
          label: `${item.node_id} (${item.node_kind}) ${item.outcome}, ${item.duration_ms} ms`,
          turn_id: item.turn_id,
        });
        break;
      case 'rejection':
        marks.push({ row: 'ingress-control', kind: 'rejection', at_ms: item.at_ms, to_ms: item.at_ms, label: `rejected: ${item.code}`, turn_id: '', mark: 'rejection' });
        break;
      default:
        break;
    }
  }
  // An open turn of a live session is still running; one of an ended session stops at its last record.
  if (options.live !== false) for (const turn of turns.values()) if (!turn.closed) turn.end_ms = Math.max(turn.end_ms, end);
  return { end_ms: end, turns: [...turns.values()], marks, fences, header };
}

function decisionMarks(item, marks, fences, turns) {
  const lane = item.detail?.lane;
  if (item.kind === 'fence') {
    fences.push({ at_ms: item.at_ms, turn_id: item.turn_id, reason: item.reason });
    const turn = turns.get(item.turn_id);
    if (turn && !turn.reason) turn.reason = item.reason;
    return;
  }
  if (item.kind === 'lane' && item.outcome === 'dropped' && lane) {
    const range = item.detail.seq_from === item.detail.seq_to ? `seq ${item.detail.seq_from}` : `seq ${item.detail.seq_from}–${item.detail.seq_to}`;
    marks.push({ row: `ingress-${lane}`, kind: 'drop', at_ms: item.at_ms, to_ms: item.at_ms, label: `dropped ${range} (${item.reason})`, turn_id: '', mark: 'drop' });
    return;
  }
  if (item.kind === 'flow' && (item.outcome === 'xoff' || item.outcome === 'xon') && lane) {
    marks.push({ row: `ingress-${lane}`, kind: item.outcome, at_ms: item.at_ms, to_ms: item.at_ms, label: `${item.outcome} at depth ${item.detail.depth ?? '?'}`, turn_id: '', mark: item.outcome });
    return;
  }
  if (item.kind === 'lane' && item.outcome === 'closed') {
    marks.push({ row: `ingress-${lane ?? 'control'}`, kind: 'closed', at_ms: item.at_ms, to_ms: item.at_ms, label: `session closed: ${item.reason}`, turn_id: '', mark: 'closed' });
  }
}

/**
 * A tick interval that puts about `target` ticks across `span_ms`.
 * @param {number} span_ms
 * @param {number} target
 */
export function tickStep(span_ms, target = 8) {
  const steps = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 1800000, 3600000];
  for (const step of steps) if (span_ms / step <= target) return step;
  return steps[steps.length - 1];
}

/** @param {number} ms */
export function formatMs(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
  const minutes = Math.floor(ms / 60000);
  const seconds = Math.round((ms % 60000) / 1000);
  return `${minutes} min ${seconds} s`;
}
