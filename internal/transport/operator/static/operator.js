// The operator page: asks for a tenant key (kept in sessionStorage for this
// tab only), polls the live sessions of that tenant, and draws the selected
// session's timeline as lanes over time. Read-only: it only sends GETs.
// Server data reaches the DOM through textContent and attributes only.
import { ROWS, buildTimeline, formatMs, tickStep } from './timeline-model.js';

const KEY_STORAGE = 'baton.operator.key';
const SESSIONS_POLL_MS = 2000;
const TIMELINE_POLL_MS = 1000;
/** Pages fetched per timeline refresh, and items kept: a very long session is cut, never the tab. */
const MAX_PAGES_PER_REFRESH = 20;
const MAX_ITEMS = 50000;
const SVG_NS = 'http://www.w3.org/2000/svg';
/** Ended sessions this tab remembers. */
const MAX_ENDED = 50;

const LABEL_WIDTH = 120;
const RIGHT_PAD = 16;
const AXIS_HEIGHT = 22;
const ROW_HEIGHT = 26;
const TURN_MIN_WIDTH = 6;

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const state = {
  key: sessionStorage.getItem(KEY_STORAGE) ?? '',
  sessionsTimer: 0,
  /** @type {{ session_id: string, items: any[], next: number, live: boolean, done: boolean, truncated: boolean, problem: string, timer: number, generation: number } | undefined} */
  timeline: undefined,
  generation: 0,
  /** Live sessions of the last answer, by id, and those seen live that have left the list since, newest first. */
  live: new Map(),
  ended: [],
};

class AuthError extends Error {}
class NotFoundError extends Error {}

async function api(path) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${state.key}`, accept: 'application/json' }, cache: 'no-store' });
  if (response.status === 401) throw new AuthError('the kernel refused this key');
  const body = await response.json().catch(() => ({}));
  // 404 (no such session for this tenant) and 410 (its timeline is gone) will not change by asking again.
  if (response.status === 404 || response.status === 410) throw new NotFoundError(body?.error?.message ?? 'not found');
  if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
  return body;
}

function setStatus(text, kind = 'ok') {
  const status = $('status');
  status.textContent = text;
  status.dataset.state = kind;
}

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

// ------------------------------------------------------------ key

function connect(key) {
  state.key = key;
  sessionStorage.setItem(KEY_STORAGE, key);
  $('key-input').value = '';
  $('key-forget').hidden = false;
  $('main').hidden = false;
  setStatus('Connecting…');
  clearTimeout(state.sessionsTimer);
  void pollSessions();
  const wanted = new URLSearchParams(location.hash.slice(1)).get('session');
  if (wanted) selectSession(wanted);
}

function forget(message = 'Key forgotten. Enter a tenant key to see its sessions.', kind = 'ok') {
  state.key = '';
  state.live = new Map();
  state.ended = [];
  sessionStorage.removeItem(KEY_STORAGE);
  clearTimeout(state.sessionsTimer);
  stopTimeline();
  $('key-forget').hidden = true;
  $('main').hidden = true;
  setStatus(message, kind);
}

// ------------------------------------------------------------ sessions

async function pollSessions() {
  if (!state.key) return;
  try {
    const answer = await api('/v1/operator/sessions');
    renderSessions(answer);
    setStatus(`Tenant ${answer.tenant}: ${answer.total} live session${answer.total === 1 ? '' : 's'}. Updated ${new Date(answer.now_ms).toLocaleTimeString()}.`);
  } catch (err) {
    if (err instanceof AuthError) {
      forget('The kernel refused this key. Enter a tenant key.', 'error');
      return;
    }
    setStatus(`Kernel unreachable (${err.message}); retrying.`, 'error');
  }
  state.sessionsTimer = setTimeout(pollSessions, SESSIONS_POLL_MS);
}

function renderSessions(answer) {
  noteEnded(answer);
  const body = $('sessions-body');
  const rows = answer.sessions.map((session) => sessionRow(session));
  body.replaceChildren(...rows);
  $('sessions-empty').hidden = answer.sessions.length > 0;
  $('sessions-count').textContent = answer.truncated ? `(newest ${answer.sessions.length} of ${answer.total})` : `(${answer.total})`;
  const ended = state.ended.map((session) => {
    const item = el('li', { 'data-session-id': session.session_id });
    const open = el('button', { type: 'button' }, session.session_id);
    open.addEventListener('click', () => selectSession(session.session_id));
    item.append(open, ` ${session.pipeline} v${session.pipeline_version}, ${session.turn_count} turn${session.turn_count === 1 ? '' : 's'}, gone by ${new Date(session.gone_ms).toLocaleTimeString()}`);
    return item;
  });
  $('ended-sessions').replaceChildren(...ended);
  $('ended-empty').hidden = ended.length > 0;
}

/**
 * The kernel lists live sessions only: a session this tab saw live that is
 * missing from a complete answer has ended, and its timeline stays readable.
 */
function noteEnded(answer) {
  const now = new Map(answer.sessions.map((session) => [session.session_id, session]));
  if (!answer.truncated) {
    for (const [id, session] of state.live) {
      if (now.has(id)) continue;
      state.ended = [{ ...session, gone_ms: answer.now_ms }, ...state.ended.filter((e) => e.session_id !== id)].slice(0, MAX_ENDED);
    }
  }
  state.ended = state.ended.filter((e) => !now.has(e.session_id));
  state.live = now;
}

function sessionRow(session) {
  const selected = state.timeline?.session_id === session.session_id;
  const row = el('tr', { 'data-session-id': session.session_id, 'aria-selected': selected ? 'true' : 'false', tabindex: 0 });
  row.addEventListener('click', () => selectSession(session.session_id));
  row.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') selectSession(session.session_id);
  });
  row.append(
    cell(el('code', {}, session.session_id)),
    cell(`${session.pipeline} v${session.pipeline_version}`),
    cell(session.authoritative ? String(session.epoch) : `${session.epoch} (lost)`),
    cell(session.connected ? 'connected' : 'detached', { 'data-field': 'stream' }),
    cell(session.active_turn ? `${session.active_turn.turn_id} ${session.active_turn.state}${session.active_turn.fenced ? ' (fenced)' : ''}` : '—', { 'data-field': 'active-turn' }),
    cell(String(session.turn_count), { 'data-field': 'turn-count' }),
    cell(laneCells(session.lanes)),
    cell(pressureList(session.pressure)),
  );
  return row;
}

function cell(content, attrs = {}) {
  const td = el('td', attrs);
  if (typeof content === 'string') td.textContent = content;
  else td.append(content);
  return td;
}

function laneCells(lanes) {
  const wrap = document.createDocumentFragment();
  for (const lane of ['control', 'data', 'telemetry']) {
    const info = lanes[lane];
    const span = el('span', { class: `lane${info.xoff ? ' xoff' : ''}`, 'data-lane': lane, 'data-depth': info.depth, 'data-capacity': info.capacity });
    const meter = el('meter', { min: 0, max: info.capacity, low: info.low_watermark, high: info.high_watermark, value: info.depth });
    span.append(`${lane[0]} `, meter, ` ${info.depth}/${info.capacity}${info.xoff ? ' xoff' : ''}`);
    span.title = `${lane}: ${info.depth} of ${info.capacity}, ${info.overflow}, xoff at ${info.high_watermark}, xon at ${info.low_watermark}`;
    wrap.append(span);
  }
  return wrap;
}

function pressureList(actions) {
  const list = el('ul', { class: 'pressure' });
  if (actions.length === 0) {
    list.append(el('li', { class: 'muted' }, 'none'));
    return list;
  }
  for (const action of actions.slice(-4)) {
    let text = `${formatMs(action.at_ms)}: ${action.action}`;
    if (action.lane) text += ` ${action.lane}`;
    if (action.seq_from !== undefined) text += action.seq_from === action.seq_to ? ` seq ${action.seq_from}` : ` seq ${action.seq_from}–${action.seq_to}`;
    if (action.turn_id) text += ` ${action.turn_id}`;
    if (action.reason) text += ` (${action.reason})`;
    list.append(el('li', { 'data-action': action.action }, text));
  }
  if (actions.length > 4) list.append(el('li', { class: 'muted' }, `${actions.length - 4} earlier`));
  return list;
}

// ------------------------------------------------------------ timeline

function stopTimeline() {
  if (state.timeline) clearTimeout(state.timeline.timer);
  state.timeline = undefined;
}

function selectSession(session_id) {
  stopTimeline();
  state.generation += 1;
  state.timeline = { session_id, items: [], next: 0, live: true, done: false, truncated: false, problem: '', timer: 0, generation: state.generation };
  history.replaceState(null, '', `#session=${encodeURIComponent(session_id)}`);
  for (const row of $('sessions-body').querySelectorAll('tr')) row.setAttribute('aria-selected', row.dataset.sessionId === session_id ? 'true' : 'false');
  $('timeline-section').hidden = false;
  $('timeline-session').textContent = session_id;
  $('timeline-live').textContent = '';
  $('timeline-info').textContent = 'Loading…';
  const chart = $('timeline');
  chart.dataset.state = 'loading';
  chart.dataset.sessionId = session_id;
  chart.replaceChildren();
  $('turns-body').replaceChildren();
  void refreshTimeline(state.timeline);
}

async function refreshTimeline(view) {
  try {
    for (let page = 0; page < MAX_PAGES_PER_REFRESH; page++) {
      const answer = await api(`/v1/operator/sessions/${encodeURIComponent(view.session_id)}/timeline?from=${view.next}`);
      if (view.generation !== state.generation) return;
      if (answer.first_available > view.next && view.items.length === 0) view.problem = `records before ${answer.first_available} are no longer available`;
      view.items.push(...answer.items);
      view.next = answer.next;
      view.live = answer.live;
      if (answer.problem) view.problem = answer.problem;
      if (view.items.length > MAX_ITEMS) {
        view.truncated = true;
        break;
      }
      if (answer.done) {
        view.done = true;
        break;
      }
    }
    renderTimeline(view);
  } catch (err) {
    if (view.generation !== state.generation) return;
    if (err instanceof AuthError) {
      forget('The kernel refused this key. Enter a tenant key.', 'error');
      return;
    }
    $('timeline').dataset.state = 'error';
    $('timeline-info').textContent = err instanceof NotFoundError ? `No timeline: ${err.message}` : `Timeline unavailable (${err.message}); retrying.`;
    if (err instanceof NotFoundError) return;
  }
  // A live session keeps growing; an ended one is complete once read to the end.
  if (!view.truncated && (view.live || !view.done)) view.timer = setTimeout(() => refreshTimeline(view), TIMELINE_POLL_MS);
}

function renderTimeline(view) {
  const model = buildTimeline(view.items, { live: view.live });
  const badge = $('timeline-live');
  badge.textContent = view.live ? 'live' : 'ended';
  badge.className = view.live ? 'badge live' : 'badge';
  const notes = [`${view.next} records`, `${model.turns.length} turn${model.turns.length === 1 ? '' : 's'}`, `${formatMs(model.end_ms)}`];
  if (model.header) notes.push(`${model.header.pipeline} v${model.header.pipeline_version}, ${model.header.codec} ${model.header.sample_rate} Hz`);
  if (view.truncated) notes.push(`showing the first ${view.items.length} items only`);
  if (view.problem) notes.push(view.problem);
  $('timeline-info').textContent = notes.join(' · ');
  drawChart(model, view);
  renderTurns(model);
}

function drawChart(model, view) {
  const chart = $('timeline');
  const width = Math.max(640, $('timeline-frame').clientWidth - 2);
  const height = AXIS_HEIGHT + ROWS.length * ROW_HEIGHT + 4;
  // A little room after the newest record, so a live session's edge is visible.
  const span = Math.max(model.end_ms * 1.02, 200);
  const plot = width - LABEL_WIDTH - RIGHT_PAD;
  const x = (ms) => LABEL_WIDTH + (ms / span) * plot;
  const rowY = new Map(ROWS.map((row, i) => [row.id, AXIS_HEIGHT + i * ROW_HEIGHT]));
  chart.setAttribute('width', width);
  chart.setAttribute('height', height);
  chart.setAttribute('viewBox', `0 0 ${width} ${height}`);

  const parts = [];
  const step = tickStep(span);
  for (let t = 0; t <= span; t += step) {
    parts.push(svg('line', { class: 'axis-tick', x1: x(t), x2: x(t), y1: AXIS_HEIGHT - 4, y2: height }));
    parts.push(svg('text', { class: 'axis-label', x: x(t) + 2, y: 14 }, formatMs(t)));
  }
  for (const row of ROWS) {
    const y = rowY.get(row.id);
    parts.push(svg('line', { class: 'row-line', x1: 0, x2: width, y1: y + ROW_HEIGHT, y2: y + ROW_HEIGHT }));
    parts.push(svg('text', { class: 'row-label', x: 6, y: y + ROW_HEIGHT / 2 + 4, 'data-row': row.id }, row.label));
  }

  // One element per row and pixel column for point events: a long session draws in bounded time.
  const drawn = new Set();
  for (const mark of model.marks) {
    const y = rowY.get(mark.row);
    if (y === undefined) continue;
    const x0 = x(mark.at_ms);
    const w = Math.max(2, x(mark.to_ms) - x0);
    if (w <= 2) {
      const column = `${mark.row}:${mark.mark ?? ''}:${Math.round(x0)}`;
      if (drawn.has(column)) continue;
      drawn.add(column);
    }
    if (mark.mark) {
      parts.push(pressureMark(mark, x0, y));
      continue;
    }
    const lane = mark.row === 'nodes' ? 'node' : mark.row.split('-')[1];
    const rect = svg('rect', { class: `event ${lane}`, x: x0, y: y + 6, width: w, height: ROW_HEIGHT - 12, 'data-kind': mark.kind });
    if (mark.turn_id) rect.setAttribute('data-event-turn', mark.turn_id);
    rect.append(svg('title', {}, `${formatMs(mark.at_ms)}: ${mark.label}${mark.turn_id ? ` [${mark.turn_id}]` : ''}`));
    parts.push(rect);
  }

  // Fences go under the turn spans: a span stays whole, the line shows in every lane row.
  for (const fence of model.fences) {
    const fx = x(fence.at_ms);
    const line = svg('line', { class: 'fence', x1: fx, x2: fx, y1: AXIS_HEIGHT, y2: height, 'data-fence-turn-id': fence.turn_id, 'data-reason': fence.reason });
    line.append(svg('title', {}, `${formatMs(fence.at_ms)}: fence ${fence.turn_id} (${fence.reason})`));
    parts.push(line);
  }

  const turnsY = rowY.get('turns');
  for (const turn of model.turns) {
    const x0 = x(turn.start_ms);
    const w = Math.max(TURN_MIN_WIDTH, x(turn.end_ms) - x0);
    const group = svg('g', { class: 'turn-span', 'data-turn-id': turn.turn_id, 'data-outcome': turn.outcome });
    const rect = svg('rect', { class: `turn ${turn.outcome}`, x: x0, y: turnsY + 3, width: w, height: ROW_HEIGHT - 6, rx: 2 });
    rect.append(svg('title', {}, `${turn.turn_id} ${turn.outcome}${turn.reason ? ` (${turn.reason})` : ''}: ${formatMs(turn.start_ms)} → ${formatMs(turn.end_ms)}`));
    group.append(rect);
    if (w > 34) group.append(svg('text', { class: 'turn-label', x: x0 + 4, y: turnsY + ROW_HEIGHT / 2 + 4 }, turn.turn_id));
    parts.push(group);
  }

  if (model.turns.length === 0 && model.marks.length === 0) {
    parts.push(svg('text', { class: 'empty-note', x: LABEL_WIDTH + 8, y: AXIS_HEIGHT + ROW_HEIGHT / 2 + 4 }, 'no records yet'));
  }
  chart.replaceChildren(...parts);
  chart.dataset.state = 'ready';
  chart.dataset.turns = String(model.turns.length);
  chart.dataset.records = String(view.next);
  chart.dataset.live = String(view.live);
}

function pressureMark(mark, x0, y) {
  const top = y + 4;
  const bottom = y + ROW_HEIGHT - 4;
  // Drops and xoff point down (something was held back), xon points up.
  const points = mark.mark === 'xon' ? `${x0 - 5},${bottom} ${x0 + 5},${bottom} ${x0},${top}` : `${x0 - 5},${top} ${x0 + 5},${top} ${x0},${bottom}`;
  const shape = svg('polygon', { class: `mark ${mark.mark}`, points, 'data-mark': mark.mark });
  shape.append(svg('title', {}, `${formatMs(mark.at_ms)}: ${mark.label}`));
  return shape;
}

function renderTurns(model) {
  const rows = model.turns.map((turn) => {
    const row = el('tr', { 'data-turn-id': turn.turn_id });
    row.append(
      el('td', {}, turn.turn_id),
      el('td', { 'data-outcome': turn.outcome }, turn.outcome),
      el('td', {}, turn.reason || '—'),
      el('td', {}, formatMs(turn.start_ms)),
      el('td', {}, turn.closed ? formatMs(turn.end_ms - turn.start_ms) : 'running'),
    );
    return row;
  });
  $('turns-body').replaceChildren(...rows);
}

// ------------------------------------------------------------ start

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $('key-input').value.trim();
  if (key) connect(key);
});
$('key-forget').addEventListener('click', () => forget());
$('open-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const id = $('open-input').value.trim();
  if (id) selectSession(id);
});
window.addEventListener('resize', () => {
  if (state.timeline && $('timeline').dataset.state === 'ready') renderTimeline(state.timeline);
});
if (state.key) connect(state.key);
