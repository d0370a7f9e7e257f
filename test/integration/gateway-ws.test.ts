// The gateway WebSocket surface (DESIGN 4, 4.1, 5.1, 6, 8; docs/protocol.md)
// driven by Debian's python3-websockets against a real kernel process. Each
// test runs one scenario of py/ws_scenarios.py, which prints what the gateway
// observed (kinds in order, error codes, ref_ids, close codes, counts); the
// assertions here are on those observations, never on timing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEV_KEY, type KernelProcess, runPython, startKernel } from './harness.js';

interface ErrorSeen {
  code: string | null;
  ref_id: string | null;
}

interface EventSummary {
  kind: string;
  seq: number;
  epoch: number;
  turn_id: string;
  payload: Record<string, unknown>;
}

interface Transcript {
  role: string;
  text: string;
  final: boolean;
  turn_id: string;
}

interface CommittedTurn {
  encoding: string;
  started: EventSummary;
  first_kind: string | null;
  kinds: string[];
  turn_kinds: string[];
  turn_ids: string[];
  transcripts: Transcript[];
  audio_frames: number;
  audio_bytes: number;
  audio_after_end: number | null;
  output_end_generated_ms: number | null;
  committed: { generated_ms?: number; played_ms?: number } | null;
  closed: boolean;
  tail_kinds: string[];
  seqs: number[];
  epochs: number[];
  session_ids: string[];
  errors: unknown[];
  bad_frames: string[];
  epoch_always_string?: boolean;
}

interface PreTurnAnswer {
  case: string;
  kind: string | null;
  turn_id: string | null;
  reason: string | null;
}

let kernel: KernelProcess;
let timelineDir: string;

/** Runs one scenario of ws_scenarios.py and returns its observations. */
function scenario<T>(name: string): T {
  const out = runPython<Record<string, T>>('ws_scenarios.py', [kernel.http, kernel.grpc, DEV_KEY, name], 55_000);
  const result = out[name];
  if (result === undefined) throw new Error(`ws_scenarios.py printed no result for ${name}`);
  return result;
}

/** DESIGN 4 ordering rules and 4.1 contract details for one committed turn, whatever the encoding. */
function expectCommittedTurn(turn: CommittedTurn): void {
  expect(turn.errors).toEqual([]);
  expect(turn.bad_frames).toEqual([]);
  expect(turn.first_kind).toBe('session.started');
  expect(turn.started.payload).toMatchObject({ pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 });
  const epoch = turn.started.payload['epoch'];
  expect(typeof epoch === 'number' && epoch >= 1).toBe(true);

  // Exactly opened, active, one terminal (committed), closed.
  expect(turn.turn_kinds).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
  expect(turn.closed).toBe(true);
  expect(turn.turn_ids).toEqual(['t-1']);
  // turn.opened and turn.active come before any output; output.end before the terminal.
  const at = (kind: string): number => turn.kinds.indexOf(kind);
  const firstOutput = Math.min(...['audio.out', 'transcript'].map(at).filter((i) => i >= 0));
  expect(at('turn.opened')).toBe(0);
  expect(at('turn.active')).toBe(1);
  expect(firstOutput).toBeGreaterThan(at('turn.active'));
  expect(at('output.end')).toBeGreaterThan(turn.kinds.lastIndexOf('audio.out'));
  expect(at('turn.committed')).toBeGreaterThan(at('output.end'));
  expect(at('turn.closed')).toBe(turn.kinds.length - 1);
  expect(turn.kinds.filter((k) => k === 'output.end')).toHaveLength(1);
  expect(turn.audio_after_end).toBe(0);
  expect(turn.tail_kinds).toEqual([]);

  // Audio: about a second of 20 ms pcm16 frames, and output.end counts exactly what was sent.
  expect(turn.audio_frames).toBeGreaterThan(10);
  expect(turn.audio_bytes % 640).toBe(0);
  expect(turn.output_end_generated_ms).toBe(turn.audio_bytes / 32);
  expect(turn.committed).toEqual({ generated_ms: turn.output_end_generated_ms, played_ms: turn.output_end_generated_ms });

  // Transcripts: the user's without a turn_id, the assistant's in the turn, ending with a final one.
  const assistant = turn.transcripts.filter((t) => t.role === 'assistant');
  expect(assistant.length).toBeGreaterThan(0);
  expect(assistant.every((t) => t.turn_id === 't-1')).toBe(true);
  expect(assistant[assistant.length - 1]).toMatchObject({ final: true });
  expect(assistant[assistant.length - 1]!.text).toContain('hello');
  for (const user of turn.transcripts.filter((t) => t.role === 'user')) expect(user.turn_id).toBe('');

  // Every egress event: seq strictly increasing from 1, the session.started epoch and session id.
  expect(turn.seqs[0]).toBe(1);
  for (let i = 1; i < turn.seqs.length; i++) expect(turn.seqs[i]!).toBeGreaterThan(turn.seqs[i - 1]!);
  expect(turn.epochs).toEqual([epoch]);
  expect(turn.session_ids).toEqual([turn.started.payload['session_id']]);
}

describe('gateway WebSocket endpoints with a Python websockets client', () => {
  beforeAll(async () => {
    timelineDir = mkdtempSync(join(tmpdir(), 'baton-it-ws-'));
    kernel = await startKernel(['--timeline-dir', timelineDir]);
  });

  afterAll(async () => {
    await kernel?.stop();
    if (timelineDir) rmSync(timelineDir, { recursive: true, force: true });
  });

  test('/v1/stream refuses a missing or wrong key with HTTP 401 before the upgrade, and accepts the tenant key by header or ?token=', () => {
    const auth = scenario<Record<string, number | string>>('auth');
    expect(auth['missing']).toBe(401);
    expect(auth['wrong_header']).toBe(401);
    expect(auth['wrong_query']).toBe(401);
    expect(auth['good_header']).toBe('open');
    expect(auth['good_query']).toBe('open');
  });

  test('a first event on /v1/stream other than session.start gets error{invalid_event} naming it, then close 1008 (proto and json)', () => {
    const first = scenario<Record<'proto' | 'json', { sent_id: string; kinds: string[]; errors: ErrorSeen[]; close_code: number | null }>>('first_event');
    for (const encoding of ['proto', 'json'] as const) {
      const seen = first[encoding];
      expect(seen.kinds, encoding).toEqual(['error']);
      expect(seen.errors, encoding).toEqual([{ code: 'invalid_event', ref_id: seen.sent_id }]);
      expect(seen.close_code, encoding).toBe(1008);
    }
  });

  test('bad input on an open baton.v1.proto stream: each gets an error with its code and ref_id, does not advance the expected seq, and the stream stays usable', () => {
    const bad = scenario<{
      session_epoch: number;
      results: { case: string; sent_id: string; code: string | null; ref_id: string | null; error_epoch: number | null }[];
      opened_turn: string | null;
      user_text: string | null;
      open_after: boolean;
      error_count: number;
      egress_seqs_increasing: boolean;
    }>('bad_input');
    const byCase = Object.fromEntries(bad.results.map((r) => [r.case, r]));
    const expected: Record<string, string> = {
      not_decodable: 'invalid_event',
      unknown_kind: 'unknown_kind',
      payload_of_another_kind: 'invalid_payload',
      seq_backwards: 'seq_regression',
      odd_pcm16: 'format_mismatch',
      wrong_epoch: 'stale_epoch',
      text_frame_on_proto: 'invalid_event',
    };
    for (const [name, code] of Object.entries(expected)) {
      const result = byCase[name];
      expect(result, name).toBeDefined();
      expect(result!.code, name).toBe(code);
      expect(result!.error_epoch, name).toBe(bad.session_epoch);
    }
    // ref_id names the offending event whenever it could be decoded.
    for (const name of ['unknown_kind', 'payload_of_another_kind', 'seq_backwards', 'odd_pcm16', 'wrong_epoch']) {
      expect(byCase[name]!.ref_id, name).toBe(byCase[name]!.sent_id);
    }
    expect(byCase['not_decodable']!.ref_id).toBe('');
    // One error per bad event, nothing closed; rejected events did not advance the expected seq
    // (a text.in reusing seq 2 is accepted), and a proposal afterwards opens t-1 on that text.
    expect(bad.error_count).toBe(Object.keys(expected).length);
    expect(bad.open_after).toBe(true);
    expect(bad.opened_turn).toBe('t-1');
    expect(bad.user_text).toBe('hello');
    expect(bad.egress_seqs_increasing).toBe(true);
  });

  test('bad input on an open baton.v1.json stream: not JSON, a binary frame, unknown fields, wrong types, bad base64 and a missing required number each get their error; a plain-integer epoch is accepted', () => {
    const bad = scenario<{
      results: { case: string; code: string | null; ref_id: string | null }[];
      errors_total: number;
      opened_turn: string | null;
      user_text: string | null;
      open_after: boolean;
    }>('bad_input_json');
    expect(bad.results).toEqual([
      { case: 'not_json', code: 'invalid_event', ref_id: '' },
      { case: 'binary_frame_on_json', code: 'invalid_event', ref_id: '' },
      { case: 'unknown_envelope_field', code: 'invalid_event', ref_id: 'j-field' },
      { case: 'payload_wrong_type', code: 'invalid_payload', ref_id: 'j-type' },
      { case: 'malformed_base64', code: 'invalid_payload', ref_id: 'j-b64' },
      { case: 'missing_required_number', code: 'invalid_payload', ref_id: 'j-missing' },
    ]);
    expect(bad.errors_total).toBe(6);
    expect(bad.open_after).toBe(true);
    expect(bad.opened_turn).toBe('t-1');
    expect(bad.user_text).toBe('hello');
  });

  test('16 consecutive invalid events close the stream with 1008 after their 16 errors; a valid event in between resets the count', () => {
    const run = scenario<{
      closing: { kinds: string[]; error_codes: string[]; ref_ids: string[]; close_code: number | null };
      interrupted: { errors: number; opened_turn: string | null; close_code: number | null };
    }>('invalid_run');
    expect(run.closing.kinds).toEqual(Array(16).fill('error'));
    expect(run.closing.error_codes).toEqual(Array(16).fill('unknown_kind'));
    expect(run.closing.ref_ids).toEqual(Array.from({ length: 16 }, (_, i) => `bad-${i}`));
    expect(run.closing.close_code).toBe(1008);
    expect(run.interrupted).toEqual({ errors: 30, opened_turn: 't-1', close_code: null });
  });

  test('a frame over 1 MiB closes the stream with 1009; an over-long audio.in under the limit is only error{frame_too_large}', () => {
    const big = scenario<{ long_audio_error: ErrorSeen | null; open_after_long_audio: boolean; close_code: number | null }>('oversize');
    expect(big.long_audio_error).toEqual({ code: 'frame_too_large', ref_id: 'long-audio' });
    expect(big.open_after_long_audio).toBe(true);
    expect(big.close_code).toBe(1009);
  });

  test('a committed turn over baton.v1.json: opened, active, transcripts and audio, output.end, then after playback.completed committed{generated_ms = output.end} and closed', () => {
    const turn = scenario<CommittedTurn>('committed_json');
    expect(turn.encoding).toBe('json');
    expectCommittedTurn(turn);
    expect(turn.epoch_always_string).toBe(true);
  });

  test('the same committed turn over baton.v1.proto', () => {
    const turn = scenario<CommittedTurn>('committed_proto');
    expect(turn.encoding).toBe('proto');
    expectCommittedTurn(turn);
  });

  test('barge-in: speech.started during playback gives output.clear, turn.aborted{cancelled}, turn.closed and nothing of the turn after output.clear', () => {
    const barge = scenario<{
      first_audio_turn: string | null;
      turn_kinds: string[];
      clear: EventSummary | null;
      aborted: { reason?: string; played_ms?: number } | null;
      audio_before_clear: number | null;
      data_after_clear: string[];
      kinds_after_clear: string[];
      closed: boolean;
      extra_kinds: string[];
      open: boolean;
    }>('barge_in');
    expect(barge.first_audio_turn).toBe('t-1');
    expect(barge.turn_kinds).toEqual(['turn.opened', 'turn.active', 'output.clear', 'turn.aborted', 'turn.closed']);
    expect(barge.clear?.turn_id).toBe('t-1');
    expect(barge.aborted?.reason).toBe('cancelled');
    expect(barge.audio_before_clear).toBeGreaterThan(0);
    expect(barge.data_after_clear).toEqual([]);
    expect(barge.kinds_after_clear).toEqual(['turn.aborted', 'turn.closed']);
    expect(barge.closed).toBe(true);
    expect(barge.extra_kinds).toEqual([]);
    expect(barge.open).toBe(true);
  });

  test('a turn.request with a stale epoch (epoch+1 or 0) gets turn.stale_epoch without a turn_id and opens nothing; a current one then opens t-1', () => {
    const stale = scenario<{
      started_epoch: number;
      answers: (PreTurnAnswer & { sent_epoch: number; epoch: number | null })[];
      quiet_kinds: string[];
      opened_turn: string | null;
      opened_epoch: number | null;
    }>('stale_turn_request');
    expect(stale.answers.map((a) => [a.case, a.kind, a.turn_id])).toEqual([
      ['next_epoch', 'turn.stale_epoch', ''],
      ['zero_epoch', 'turn.stale_epoch', ''],
    ]);
    for (const answer of stale.answers) {
      expect(answer.reason).toBeTruthy();
      expect(answer.epoch).toBe(stale.started_epoch);
    }
    expect(stale.quiet_kinds).toEqual([]);
    expect(stale.opened_turn).toBe('t-1');
    expect(stale.opened_epoch).toBe(stale.started_epoch);
  });

  test('a stale-epoch turn.request while a turn is active is answered turn.stale_epoch, not turn.rejected{turn_active} (epoch is checked before turn state)', () => {
    const stale = scenario<{
      opened_turn: string | null;
      answers: PreTurnAnswer[];
      current_epoch_answer: { kind: string; reason: string } | null;
      t1_still_running: boolean;
    }>('stale_while_active');
    expect(stale.opened_turn).toBe('t-1');
    // With the current epoch, the one-active-turn rule applies.
    expect(stale.current_epoch_answer).toEqual({ kind: 'turn.rejected', reason: 'turn_active' });
    expect(stale.t1_still_running).toBe(true);
    // DESIGN 4.1: when several checks fail, epoch decides before state; DESIGN 6: the authority step gives turn.stale_epoch.
    expect(stale.answers.map((a) => [a.case, a.kind, a.turn_id])).toEqual([
      ['next_epoch', 'turn.stale_epoch', ''],
      ['zero_epoch', 'turn.stale_epoch', ''],
    ]);
  });

  test('a flood of 10,000 audio.in frames with a turn.request after 5,000 still opens the turn; drops are reported as drop.notice and the session stays usable', () => {
    const flood = scenario<{
      request_seq: number;
      opened_turn: string | null;
      t1_terminal: string[];
      t1_aborted: { reason?: string } | null;
      t1_closed: boolean;
      ack_ids: string[];
      output_after_terminal: string[];
      later_turns: { turn_id: string; kinds: string[]; aborted: { reason?: string } | null }[];
      drop_notices: number;
      dropped_events: number;
      dropped_unique: boolean;
      dropped_only_audio: boolean;
      drop_lanes: string[];
      drop_directions: string[];
      drop_reasons: string[];
      ranges_well_formed: boolean;
      request_dropped: boolean;
      errors: { code?: string; ref_id?: string }[];
      egress_seqs_increasing: boolean;
      close_code: number | null;
    }>('flood');
    console.info(
      `flood: ${flood.drop_notices} drop.notice events covering ${flood.dropped_events} dropped audio.in; ` +
        `t-1 ${flood.t1_terminal.join(',')}${flood.t1_aborted ? ` (${flood.t1_aborted.reason})` : ''}; ` +
        JSON.stringify({ later_turns: flood.later_turns, errors: flood.errors, close_code: flood.close_code }),
    );
    expect(flood.request_seq).toBe(5002);
    expect(flood.opened_turn).toBe('t-1');
    // t-1 ends with exactly one terminal and closes; nothing of it is sent after its terminal.
    expect(flood.t1_terminal).toHaveLength(1);
    expect(flood.t1_closed).toBe(true);
    expect(flood.output_after_terminal).toEqual([]);
    if (flood.t1_aborted) expect(flood.t1_aborted.reason).toBe('evidence_unavailable');
    // Drops: Data lane, ingress, drop_oldest, well-formed ranges over audio.in only (never the proposal), each seq once.
    if (flood.drop_notices > 0) {
      expect(flood.drop_lanes).toEqual(['data']);
      expect(flood.drop_directions).toEqual(['ingress']);
      expect(flood.drop_reasons.length).toBeGreaterThan(0);
      for (const reason of flood.drop_reasons) expect(reason).toMatch(/drop_oldest/);
    }
    expect(flood.ranges_well_formed).toBe(true);
    expect(flood.dropped_unique).toBe(true);
    expect(flood.dropped_only_audio).toBe(true);
    expect(flood.request_dropped).toBe(false);
    expect(flood.dropped_events).toBeLessThanOrEqual(10_000);
    // The only errors allowed are playback acks racing a terminal the kernel had already decided (turn_closed).
    for (const error of flood.errors) {
      expect(error.code).toBe('turn_closed');
      expect(flood.ack_ids).toContain(error.ref_id);
    }
    // Still usable: later turns open in order, each with the lifecycle shape, until one commits
    // (a turn may abort evidence_unavailable while the flood's timeline is still being written, DESIGN 12).
    expect(flood.later_turns.length).toBeGreaterThan(0);
    flood.later_turns.forEach((turn, i) => {
      expect(turn.turn_id).toBe(`t-${i + 2}`);
      const committed = i === flood.later_turns.length - 1;
      expect(turn.kinds, turn.turn_id).toEqual(['turn.opened', 'turn.active', committed ? 'turn.committed' : 'turn.aborted', 'turn.closed']);
      if (!committed) expect(turn.aborted?.reason).toBe('evidence_unavailable');
    });
    expect(flood.egress_seqs_increasing).toBe(true);
    expect(flood.close_code).toBeNull();
  });
});
