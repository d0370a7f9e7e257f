// The Authority and Timelines control planes (DESIGN 5.1, 5.2, 9, 12;
// docs/control-plane.md) from Debian's python3-grpcio, with the session's
// stream held by a python3-websockets gateway, against a real kernel process.
// The scenario in py/authority_scenarios.py runs once (its steps depend on
// each other: open, stream, speak, move the lease, export) and prints its
// observations; each test below asserts one behaviour on them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEV_KEY, type KernelProcess, runPython, startKernel } from './harness.js';

const OTHER_KEY = 'other-tenant-key-0123456789';
const INSTANCE_ID = 'kernel-a.integration';

type LeaseView = { status: string; session_id?: string; holder?: string; epoch?: number; expires_at_ms?: number; details?: string };

interface RecordView {
  index: number;
  body: string;
  turn_id: string;
  decision?: { kind: string; outcome: string; reason: string; detail: Record<string, string> };
  egress?: { kind: string; epoch: number; seq: number };
  header?: { tenant: string; pipeline: string };
}

interface Observations {
  before: LeaseView & { wall_ms: number; opened_epoch: number; instance_id: string };
  proposed: string;
  speaking: boolean;
  transfer: {
    answer: LeaseView;
    stream_kinds: string[];
    aborted: { reason?: string } | null;
    ended: { reason?: string; owner?: string } | null;
    data_after_clear: string[] | null;
    tail_epochs: number[] | null;
    close_code: number | null;
    close_reason: string | null;
  };
  after_transfer: { get: LeaseView; acquire_self: LeaseView; renew_old: LeaseView; renew_new: LeaseView };
  export: { status: string; details: string; records: RecordView[] };
  fed: string | null;
  contract: Record<string, Record<'no_key' | 'wrong_key' | 'other_tenant' | 'unknown' | 'empty_id', string>>;
  quiet: {
    acquire_self: LeaseView;
    acquire_other: LeaseView;
    empty_holder: string;
    bad_holder: string;
    renew: LeaseView;
    renew_stale: string;
    release_zero: string;
    transfer_self: LeaseView;
    still_open: boolean;
    export_other_tenant: string;
    export_no_key: string;
    export_unknown: string;
    export_cancel: { first_index: number; status: string };
    export_deadline: { status: string; received: number };
    export_full: { status: string; records: number; contiguous: boolean };
  };
  release: { answer: LeaseView; stream_kinds: string[]; ended: { reason?: string; owner?: string } | null; close_code: number | null; get: LeaseView; release_again: string };
}

describe('gRPC Authority and Timelines with a Python grpcio client and a websockets gateway', () => {
  let kernel: KernelProcess;
  let timelineDir: string;
  let seen: Observations;

  beforeAll(async () => {
    timelineDir = mkdtempSync(join(tmpdir(), 'baton-it-authority-'));
    kernel = await startKernel(['--timeline-dir', timelineDir, '--instance-id', INSTANCE_ID], { BATON_TENANTS: `other:${OTHER_KEY}` });
    seen = runPython<Observations>('authority_scenarios.py', [kernel.http, kernel.grpc, DEV_KEY, OTHER_KEY, INSTANCE_ID], 110_000);
  });

  afterAll(async () => {
    await kernel?.stop();
    if (timelineDir) rmSync(timelineDir, { recursive: true, force: true });
  });

  test("GetLease of a running session names this kernel's instance_id, the session's epoch and a unix-ms expiry in the future", () => {
    expect(seen.before).toMatchObject({ status: 'OK', holder: INSTANCE_ID, epoch: seen.before.opened_epoch });
    expect(seen.before.expires_at_ms).toBeGreaterThan(seen.before.wall_ms);
    expect(seen.proposed).toBe('TURN_OUTCOME_OPENED');
    expect(seen.speaking).toBe(true);
  });

  test('TransferLease to "other" mid-turn answers a higher epoch held by "other"', () => {
    expect(seen.transfer.answer).toMatchObject({ status: 'OK', holder: 'other' });
    expect(seen.transfer.answer.epoch).toBeGreaterThan(seen.before.epoch!);
  });

  test('the stream sees output.clear, turn.aborted{authority_lost}, turn.closed, session.ended{authority_moved, owner: other}, then close 4009 naming the owner', () => {
    expect(seen.transfer.stream_kinds).toEqual(['output.clear', 'turn.aborted', 'turn.closed', 'session.ended']);
    expect(seen.transfer.aborted?.reason).toBe('authority_lost');
    expect(seen.transfer.ended).toEqual({ reason: 'authority_moved', owner: 'other' });
    expect(seen.transfer.close_code).toBe(4009);
    expect(seen.transfer.close_reason).toContain('other');
  });

  test('nothing of the turn after output.clear, and the stop events carry the epoch this kernel held', () => {
    expect(seen.transfer.data_after_clear).toEqual([]);
    expect(seen.transfer.tail_epochs).toEqual([seen.before.epoch]);
  });

  test('after the move: GetLease shows "other"; this kernel cannot take the ended session back; only the new epoch renews', () => {
    expect(seen.after_transfer.get).toMatchObject({ status: 'OK', holder: 'other', epoch: seen.transfer.answer.epoch });
    expect(seen.after_transfer.acquire_self.status).toBe('FAILED_PRECONDITION');
    expect(seen.after_transfer.renew_old.status).toBe('ABORTED');
    expect(seen.after_transfer.renew_new).toMatchObject({ status: 'OK', holder: 'other', epoch: seen.transfer.answer.epoch });
  });

  test('ExportTimeline of the ended session decodes from index 0 without gaps, header first', () => {
    expect(seen.export.status).toBe('OK');
    const records = seen.export.records;
    expect(records.map((r) => r.index)).toEqual(records.map((_, i) => i));
    expect(records[0]).toMatchObject({ body: 'header', header: { tenant: 'dev', pipeline: 'demo' } });
  });

  test('the exported timeline holds the authority loss, the fence and the terminal records at the old epoch, last of all', () => {
    const records = seen.export.records;
    const lost = records.findIndex((r) => r.decision?.kind === 'authority' && r.decision.outcome === 'lost');
    expect(lost).toBeGreaterThan(0);
    expect(records[lost]!.decision).toMatchObject({ reason: 'superseded', detail: { holder: 'other', epoch: String(seen.transfer.answer.epoch), held_epoch: String(seen.before.epoch) } });
    const egress = records.slice(lost).filter((r) => r.body === 'egress');
    expect(egress.map((r) => r.egress!.kind)).toEqual(['output.clear', 'turn.aborted', 'turn.closed', 'session.ended']);
    expect(new Set(egress.map((r) => r.egress!.epoch))).toEqual(new Set([seen.before.epoch]));
    expect(egress.slice(0, 3).every((r) => r.turn_id === 't-1')).toBe(true);
    expect(records.at(-1)).toMatchObject({ body: 'egress', egress: { kind: 'session.ended' } });
  });

  test('every Authority method: UNAUTHENTICATED without or with a wrong key, NOT_FOUND for another tenant and for unknown ids, INVALID_ARGUMENT for an empty id', () => {
    const expected = { no_key: 'UNAUTHENTICATED', wrong_key: 'UNAUTHENTICATED', other_tenant: 'NOT_FOUND', unknown: 'NOT_FOUND', empty_id: 'INVALID_ARGUMENT' };
    expect(Object.keys(seen.contract).sort()).toEqual(['AcquireLease', 'GetLease', 'ReleaseLease', 'RenewLease', 'TransferLease']);
    for (const [method, statuses] of Object.entries(seen.contract)) expect(statuses, method).toEqual(expected);
  });

  test('AcquireLease by this kernel keeps its epoch, by another holder is FAILED_PRECONDITION; malformed holders are INVALID_ARGUMENT; stale and zero epochs ABORTED; transfer to itself is a no-op', () => {
    const q = seen.quiet;
    expect(q.acquire_self).toMatchObject({ status: 'OK', holder: INSTANCE_ID });
    expect(q.acquire_other.status).toBe('FAILED_PRECONDITION');
    expect(q.empty_holder).toBe('INVALID_ARGUMENT');
    expect(q.bad_holder).toBe('INVALID_ARGUMENT');
    expect(q.renew).toMatchObject({ status: 'OK', holder: INSTANCE_ID, epoch: q.acquire_self.epoch });
    expect(q.renew_stale).toBe('ABORTED');
    expect(q.release_zero).toBe('ABORTED');
    expect(q.transfer_self).toMatchObject({ status: 'OK', holder: INSTANCE_ID, epoch: q.acquire_self.epoch });
    expect(q.still_open).toBe(true);
  });

  test('ExportTimeline: NOT_FOUND for another tenant and unknown ids, UNAUTHENTICATED without a key', () => {
    expect(seen.quiet.export_other_tenant).toBe('NOT_FOUND');
    expect(seen.quiet.export_unknown).toBe('NOT_FOUND');
    expect(seen.quiet.export_no_key).toBe('UNAUTHENTICATED');
  });

  test('ExportTimeline of a large running timeline: a client cancel ends it CANCELLED, a client deadline DEADLINE_EXCEEDED, and a reader that keeps up gets it all', () => {
    expect(seen.fed).toBe('not_found');
    expect(seen.quiet.export_cancel).toEqual({ first_index: 0, status: 'CANCELLED' });
    expect(seen.quiet.export_deadline.status).toBe('DEADLINE_EXCEEDED');
    expect(seen.quiet.export_full.status).toBe('OK');
    expect(seen.quiet.export_full.records).toBeGreaterThan(3000);
    expect(seen.quiet.export_full.contiguous).toBe(true);
  });

  test('ReleaseLease with the current epoch answers the released lease and ends the session (authority_moved, 4009); the lease is then free', () => {
    expect(seen.release.answer).toMatchObject({ status: 'OK', holder: INSTANCE_ID, epoch: seen.quiet.renew.epoch });
    // One epoch's expiry never moves backwards (renewals only extend it).
    expect(seen.release.answer.expires_at_ms).toBeGreaterThanOrEqual(seen.quiet.renew.expires_at_ms!);
    expect(seen.release.stream_kinds).toEqual(['session.ended']);
    expect(seen.release.ended).toEqual({ reason: 'authority_moved' });
    expect(seen.release.close_code).toBe(4009);
    expect(seen.release.get).toMatchObject({ status: 'OK', holder: '', epoch: 0, expires_at_ms: 0 });
    expect(seen.release.release_again).toBe('ABORTED');
  });
});
