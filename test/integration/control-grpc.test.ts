// The Sessions control plane (DESIGN 4.1, 5.1, 5.2, 6, 8; docs/protocol.md)
// from Debian's python3-grpcio, with the session's stream held by a
// python3-websockets gateway, against a real kernel process. The scenario in
// py/grpc_scenarios.py runs once (its steps depend on each other: open, stream,
// propose, cancel, close) and prints its observations; each test below asserts
// one behaviour on them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEV_KEY, type KernelProcess, runPython, startKernel } from './harness.js';

const OTHER_KEY = 'other-tenant-key-0123456789';

interface Decision {
  status: string;
  outcome?: string;
  turn_id?: string;
  reason?: string;
  plan_hash?: string;
  details?: string;
}

interface PreTurnSeen {
  kind: string;
  turn_id: string;
  payload: Record<string, unknown>;
}

interface GrpcObservations {
  open: { session_id: string; epoch: number; has_token: boolean; stream_url: string; path_ok: boolean };
  first_stream: { kind: string | null; seq: number | null; payload: Record<string, unknown> | null };
  replaced: { first_close_code: number | null; first_kinds_after_started: string[]; second_kind: string | null; second_seq: number | null; second_epoch: number | null };
  propose: { answer: Decision; plan_hash_hex64: boolean; stream: PreTurnSeen | null; audio_started: boolean };
  stale_while_active: { answer: Decision; stream: PreTurnSeen | null };
  cancel_wrong_epoch: string;
  cancel_zero_epoch: string;
  cancel_unknown_turn: string;
  cancel_active: {
    status: string;
    fenced: boolean | null;
    stream_turn_kinds: string[];
    aborted: { reason?: string; played_ms?: number } | null;
    data_after_clear: string[] | null;
    closed: boolean;
    tail_kinds: string[];
  };
  cancel_closed_turn: string;
  stale_idle: { epoch: number; answer: Decision; stream: PreTurnSeen | null }[];
  get: { session_id?: string; pipeline?: string; state?: string; epoch?: number; turns?: number; connected?: boolean; active_turn_id?: string; status?: string };
  list_contains: boolean;
  unauthenticated: Record<string, string>;
  other_tenant: { get: string; propose: string; cancel: string; close: string; list_status: string; list_contains: boolean };
  after_other_tenant: { status: string; state: string | null; turns: number | null };
  no_pre_turn_from_other_tenant: string[];
  close: { status: string; closed: boolean | null; stream_kinds: string[]; ended: { reason?: string } | null; close_code: number | null };
  get_after_close: { status: string; state: string | null };
  stream_seqs_increasing: boolean;
  stream_epochs: number[];
}

describe('gRPC Sessions with a Python grpcio client and a websockets gateway', () => {
  let kernel: KernelProcess;
  let timelineDir: string;
  let seen: GrpcObservations;

  beforeAll(async () => {
    timelineDir = mkdtempSync(join(tmpdir(), 'baton-it-grpc-'));
    kernel = await startKernel(['--timeline-dir', timelineDir, '--instance-id', 'kernel-a'], { BATON_TENANTS: `other:${OTHER_KEY}` });
    seen = runPython<GrpcObservations>('grpc_scenarios.py', [kernel.http, kernel.grpc, DEV_KEY, OTHER_KEY], 100_000);
  });

  afterAll(async () => {
    await kernel?.stop();
    if (timelineDir) rmSync(timelineDir, { recursive: true, force: true });
  });

  test('OpenSession (Bearer tenant key) returns a session id, an epoch >= 1, a session token and the stream URL', () => {
    expect(seen.open.session_id).toMatch(/\S/);
    expect(seen.open.epoch).toBeGreaterThanOrEqual(1);
    expect(seen.open.has_token).toBe(true);
    expect(seen.open.stream_url).toBe(`ws://${kernel.http}/v1/sessions/${encodeURIComponent(seen.open.session_id)}/stream`);
  });

  test('connecting to stream_url with ?token=<session_token> gets session.started at once, with the session id and epoch', () => {
    expect(seen.first_stream.kind).toBe('session.started');
    expect(seen.first_stream.seq).toBe(1);
    expect(seen.first_stream.payload).toMatchObject({ session_id: seen.open.session_id, epoch: seen.open.epoch, pipeline: 'demo', codec: 'pcm16', sample_rate: 16000 });
  });

  test('a second connection to the same session closes the first with 4002 and gets session.started, seq continuing', () => {
    expect(seen.replaced.first_close_code).toBe(4002);
    expect(seen.replaced.first_kinds_after_started).toEqual([]);
    expect(seen.replaced.second_kind).toBe('session.started');
    expect(seen.replaced.second_seq).toBe(2);
    expect(seen.replaced.second_epoch).toBe(seen.open.epoch);
  });

  test('ProposeTurn returns TURN_OUTCOME_OPENED with turn t-1 and a 64-hex plan_hash, and the stream shows turn.opened for t-1', () => {
    expect(seen.propose.answer).toMatchObject({ status: 'OK', outcome: 'TURN_OUTCOME_OPENED', turn_id: 't-1' });
    expect(seen.propose.plan_hash_hex64).toBe(true);
    expect(seen.propose.stream).toEqual({ kind: 'turn.opened', turn_id: 't-1', payload: expect.objectContaining({ plan_hash: seen.propose.answer.plan_hash }) });
    expect(seen.propose.audio_started).toBe(true);
  });

  test('ProposeTurn with a stale epoch and no active turn returns TURN_OUTCOME_STALE_EPOCH with an empty turn_id, and the stream gets turn.stale_epoch', () => {
    expect(seen.stale_idle).toHaveLength(2);
    for (const stale of seen.stale_idle) {
      expect(stale.answer, `epoch ${stale.epoch}`).toMatchObject({ status: 'OK', outcome: 'TURN_OUTCOME_STALE_EPOCH', turn_id: '', plan_hash: '' });
      expect(stale.stream, `epoch ${stale.epoch}`).toMatchObject({ kind: 'turn.stale_epoch', turn_id: '' });
    }
  });

  test('ProposeTurn with a stale epoch while a turn is active returns TURN_OUTCOME_STALE_EPOCH, not REJECTED turn_active (epoch is checked before turn state)', () => {
    // DESIGN 4.1: "When several checks fail, the first in this order decides: ... epoch, existence, state".
    expect(seen.stale_while_active.answer).toMatchObject({ status: 'OK', outcome: 'TURN_OUTCOME_STALE_EPOCH', turn_id: '' });
    expect(seen.stale_while_active.stream).toMatchObject({ kind: 'turn.stale_epoch', turn_id: '' });
  });

  test('CancelTurn: a wrong or zero epoch is ABORTED and an unknown turn id NOT_FOUND', () => {
    expect(seen.cancel_wrong_epoch).toBe('ABORTED');
    expect(seen.cancel_zero_epoch).toBe('ABORTED');
    expect(seen.cancel_unknown_turn).toBe('NOT_FOUND');
  });

  test('CancelTurn of the active turn answers fenced and the stream gets output.clear, turn.aborted{cancelled}, turn.closed and nothing of the turn after output.clear', () => {
    expect(seen.cancel_active.status).toBe('OK');
    expect(seen.cancel_active.fenced).toBe(true);
    expect(seen.cancel_active.stream_turn_kinds).toEqual(['output.clear', 'turn.aborted', 'turn.closed']);
    expect(seen.cancel_active.aborted?.reason).toBe('cancelled');
    expect(seen.cancel_active.data_after_clear).toEqual([]);
    expect(seen.cancel_active.closed).toBe(true);
    expect(seen.cancel_active.tail_kinds).toEqual([]);
  });

  test('CancelTurn of a closed turn is FAILED_PRECONDITION', () => {
    expect(seen.cancel_closed_turn).toBe('FAILED_PRECONDITION');
  });

  test('GetSession and ListSessions show the session, held by this kernel', () => {
    expect(seen.get).toMatchObject({ session_id: seen.open.session_id, pipeline: 'demo', state: 'open', epoch: seen.open.epoch, turns: 1, connected: true, active_turn_id: '', holder: 'kernel-a' });
    expect(seen.list_contains).toBe(true);
  });

  test('calls without the key, or with a wrong one, are UNAUTHENTICATED', () => {
    expect(seen.unauthenticated).toEqual({ get_no_key: 'UNAUTHENTICATED', get_wrong_key: 'UNAUTHENTICATED', propose_no_key: 'UNAUTHENTICATED', open_no_key: 'UNAUTHENTICATED' });
  });

  test("another tenant cannot see or act on the session: NOT_FOUND everywhere, absent from its ListSessions, and the session is unaffected", () => {
    expect(seen.other_tenant).toEqual({ get: 'NOT_FOUND', propose: 'NOT_FOUND', cancel: 'NOT_FOUND', close: 'NOT_FOUND', list_status: 'OK', list_contains: false });
    expect(seen.after_other_tenant).toEqual({ status: 'OK', state: 'open', turns: 1 });
    expect(seen.no_pre_turn_from_other_tenant).toEqual([]);
  });

  test('CloseSession ends the session: the stream gets session.ended then close 1000', () => {
    expect(seen.close.status).toBe('OK');
    expect(seen.close.closed).toBe(true);
    expect(seen.close.stream_kinds).toEqual(['session.ended']);
    expect(seen.close.ended?.reason).toBeTruthy();
    expect(seen.close.close_code).toBe(1000);
    expect(seen.get_after_close.status === 'NOT_FOUND' || seen.get_after_close.state === 'ended').toBe(true);
  });

  test('every event on the stream carries the session epoch, seq strictly increasing across the reconnection', () => {
    expect(seen.stream_seqs_increasing).toBe(true);
    expect(seen.stream_epochs).toEqual([seen.open.epoch]);
  });
});
