// The media-streams endpoint (DESIGN 5.1; docs/media-streams.md) against a
// real kernel process, driven by a Twilio-style gateway in Debian's
// python3-websockets that speaks with real espeak-ng speech converted by sox
// to 8 kHz mu-law and streamed in real 20 ms frames. Each test runs one
// scenario of py/media_streams_scenarios.py; the assertions are on what the
// gateway and a gRPC WatchSession observed, never on timing.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLI, DEV_KEY, type KernelProcess, ROOT, runPython, startKernel } from './harness.js';

interface TurnWatch {
  kinds: string[];
  'turn.committed'?: { generated_ms: number; played_ms: number; order: number };
  'turn.aborted'?: { reason: string; played_ms: number; order: number };
  'output.end'?: { generated_ms: number; order: number };
  audio_out_after_clear: number;
  audio_out: number;
}

interface Close {
  code: number | null;
  reason: string | null;
}

let kernel: KernelProcess;

function scenario<T>(name: string): T {
  const out = runPython<Record<string, T>>('media_streams_scenarios.py', [kernel.http, kernel.grpc, DEV_KEY, name], 120_000);
  const result = out[name];
  if (result === undefined) throw new Error(`media_streams_scenarios.py printed no result for ${name}`);
  return result;
}

describe('/v1/media-streams with a Python Twilio-style gateway and real speech', () => {
  beforeAll(async () => {
    kernel = await startKernel();
  });

  afterAll(async () => {
    await kernel?.stop();
  });

  test('the tenant key is required before the upgrade (header or ?token=), and the pipeline must exist', () => {
    expect(scenario<Record<string, number | string>>('refusals')).toEqual({
      missing_token: 401,
      wrong_query: 401,
      wrong_header: 401,
      unknown_pipeline: 404,
      good_query: 'open',
      good_header: 'open',
    });
  });

  test('frames outside the dialect close with 1003 or 1008 and a reason; one bad frame during a call does not hang up, sixteen do', () => {
    const bad = scenario<Record<string, Close>>('bad_input');
    expect(bad['binary']).toMatchObject({ code: 1003, reason: expect.stringMatching(/binary frames/) });
    expect(bad['not_json']).toEqual({ code: 1008, reason: 'frame is not JSON' });
    expect(bad['unknown_event']).toMatchObject({ code: 1008, reason: expect.stringMatching(/unknown event "hello"/) });
    expect(bad['media_before_start']).toMatchObject({ code: 1008, reason: expect.stringMatching(/media before start/) });
    expect(bad['wrong_media_format']).toMatchObject({ code: 1003, reason: expect.stringMatching(/unsupported mediaFormat/) });
    expect(bad['garbage_then_stop']).toEqual({ code: 1000, reason: 'stream_stopped' });
    expect(bad['sixteen_garbage']).toMatchObject({ code: 1008, reason: expect.stringMatching(/16 consecutive invalid frames/) });
  });

  test('a call: a committed turn played to its end mark, a barge-in that clears the answer, the turn that follows, and stop closing 1000', () => {
    const call = scenario<{
      utterance_ms: Record<string, number>;
      session_found: boolean;
      turn1: {
        media_frames: number;
        media_bytes: number;
        frame_sizes: number[];
        marks: string[];
        echoed: string[];
        end_echo_order: number | null;
        watch: TurnWatch;
        user_transcripts: number;
      };
      barge: { acked_before_barge: number; acked_before_clear: number; media_before_barge: number; clears: number; clear_order_ok: boolean; media_after_clear_while_caller_spoke: number; echoed_after_clear: number };
      turn2: TurnWatch;
      turn3: TurnWatch;
      t3_end_mark_echoed: boolean;
      errors: unknown[];
      close: Close;
      session_ended: { reason: string }[];
      session_gone: boolean;
      bad_frames: string[];
    }>('conversation');
    // espeak-ng produced real utterances of a second or more.
    for (const ms of Object.values(call.utterance_ms)) expect(ms).toBeGreaterThan(800);
    expect(call.session_found).toBe(true);
    expect(call.bad_frames).toEqual([]);
    expect(call.errors).toEqual([]);

    // Turn 1: the adapter's VAD ended the caller's speech, the turn committed on the echoed end mark.
    const t1 = call.turn1;
    expect(t1.watch.kinds).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
    expect(t1.user_transcripts).toBeGreaterThanOrEqual(1);
    const generated = t1.watch['output.end']!.generated_ms;
    expect(generated).toBeGreaterThan(500);
    expect(t1.frame_sizes).toEqual([160]);
    expect(t1.media_bytes / 8).toBe(generated);
    expect(t1.marks[t1.marks.length - 1]).toBe('baton:t-1:end');
    expect(t1.echoed).toEqual(t1.marks);
    // Played time came from the marks: all of it acknowledged, and the commit followed the end mark's echo.
    expect(t1.watch['turn.committed']).toMatchObject({ generated_ms: generated, played_ms: generated });
    expect(t1.watch['turn.committed']!.order).toBeGreaterThan(t1.end_echo_order!);

    // Turn 2: the caller talked over it: clear, nothing more of it, aborted with what the marks said had played.
    expect(call.barge.media_before_barge).toBeGreaterThan(0);
    expect(call.barge.clears).toBe(1);
    expect(call.barge.clear_order_ok).toBe(true);
    expect(call.barge.media_after_clear_while_caller_spoke).toBe(0);
    expect(call.turn2.kinds).toEqual(['turn.opened', 'turn.active', 'output.clear', 'turn.aborted', 'turn.closed']);
    expect(call.turn2['turn.aborted']!.reason).toBe('cancelled');
    // played_ms is what the echoed marks acknowledged: at least what was acked before the caller spoke, at most what was acked before the clear.
    expect(call.barge.acked_before_barge).toBeGreaterThan(0);
    expect(call.turn2['turn.aborted']!.played_ms).toBeGreaterThanOrEqual(call.barge.acked_before_barge);
    expect(call.turn2['turn.aborted']!.played_ms).toBeLessThanOrEqual(call.barge.acked_before_clear);
    expect(call.turn2.audio_out_after_clear).toBe(0);

    // Turn 3: what the caller said over turn 2.
    expect(call.turn3.kinds).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
    expect(call.t3_end_mark_echoed).toBe(true);

    // stop: the session ends and the kernel closes the stream with 1000.
    expect(call.close).toEqual({ code: 1000, reason: 'stream_stopped' });
    expect(call.session_ended).toEqual([{ reason: 'stream_stopped', owner: '' }]);
    expect(call.session_gone).toBe(true);
  });

  test('a phone that never echoes marks: the turn still commits on the playback timeout, with nothing acknowledged as played', () => {
    const muted = scenario<{ turn1: TurnWatch; marks_received: number; close: number }>('muted_phone');
    expect(muted.marks_received).toBeGreaterThan(0);
    expect(muted.turn1.kinds).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
    expect(muted.turn1['turn.committed']!.generated_ms).toBeGreaterThan(0);
    expect(muted.turn1['turn.committed']!.played_ms).toBe(0);
    expect(muted.close).toBe(1000);
  });

  test('baton demo --media-streams (make demo MEDIA_STREAMS=1) places a call: three answers played to their end mark, one barge-in cleared, close 1000', () => {
    const demo = spawnSync(process.execPath, [CLI, 'demo', '--media-streams', '--http', kernel.http, '--key', DEV_KEY], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });
    expect(demo.stderr).toBe('');
    expect(demo.status).toBe(0);
    const lines = demo.stdout.trim().split('\n');
    expect(lines.some((l) => / -> {2}start {2}streamSid=MZ[0-9a-f]{32} mediaFormat=audio\/x-mulaw\/8000\/1$/.test(l))).toBe(true);
    expect(lines.filter((l) => /<- {2}clear/.test(l))).toHaveLength(1);
    expect(lines).toContain("             no media from Baton between its clear and the end of the caller's speech");
    expect(lines[lines.length - 1]).toBe(
      '--- done: 3 answers played to their end mark (baton:t-1:end, baton:t-2:end, baton:t-4:end), 1 barge-in cleared, stream closed 1000 stream_stopped',
    );
  });
});
