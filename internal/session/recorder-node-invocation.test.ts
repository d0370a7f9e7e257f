// Protects the seam between the node host's invocation record and the timeline's node_invocation body.
import { afterEach, expect, test } from 'vitest';
import { VirtualClock } from '../determinism/clock.js';
import type { NodeInvocationRecord } from '../nodes/types.js';
import { decodeRecord } from '../observe/timeline/records.js';
import { TimelineRecorder } from '../observe/timeline/recorder.js';
import { TimelineSessionRecorder } from './recorder.js';

const open: TimelineRecorder[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

test('a node call the host reports lands in the timeline as one node_invocation record, in whole milliseconds, under its turn', () => {
  const timeline = new TimelineRecorder({ session_id: 'sess-1', memoryRecords: 8, clock: new VirtualClock() });
  open.push(timeline);
  const header = { tenant: 't', pipeline: 'p', pipeline_version: '1', seed: 7, codec: 'pcm16', sample_rate: 16000, kernel_version: 'test', opened_wall_ms: 0 };
  const recorder = new TimelineSessionRecorder(timeline, header);
  const record: NodeInvocationRecord = {
    node_id: 'tts',
    node_kind: 'mock_tts',
    input_sha256: new Uint8Array(32).fill(0xab),
    output: new Uint8Array([1, 2, 3]),
    outcome: 'ok',
    duration_ms: 41.6,
  };
  expect(recorder.nodeInvocation(record, 'turn-1')).toBe(true);
  const written = timeline.window().map((r) => decodeRecord(r.bytes)).filter((r) => r.body.case === 'node_invocation');
  expect(written).toHaveLength(1);
  expect(written[0]!.turn_id).toBe('turn-1');
  expect(written[0]!.body.value).toEqual({ ...record, duration_ms: 42 });
});
