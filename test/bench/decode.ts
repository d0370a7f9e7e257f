// Decode + validate cost of one 20 ms audio frame (pcm16 16 kHz, 640 bytes)
// through the ingress gate, in both encodings, against same-run baselines:
// protobufjs reflection decode (no validation) and JSON.parse (no validation).
import protobuf from 'protobufjs';
import { type AnyEnvelope, anyEnvelope, encodeBinary, encodeJson } from '../../api/eventabi/index.js';
import { protoFile } from '../../api/proto-files.js';
import { IngressGate } from '../../internal/ingress/ingress-gate.js';
import { report, summarize } from './stats.js';

const FRAMES = 200_000;

function frame(seq: number): AnyEnvelope {
  return anyEnvelope('audio.in', { audio: Buffer.alloc(640, seq & 0xff) }, { id: `g${seq}`, session_id: 's-bench', epoch: 1, seq, media_ms: seq * 20 });
}

/** Per-frame µs, measured in batches of 100 so timer overhead stays negligible. */
function measure(frames: (Uint8Array | string)[], run: (f: Uint8Array | string) => void): number[] {
  const samples: number[] = [];
  const batch = 100;
  for (let i = 0; i + batch <= frames.length; i += batch) {
    const start = process.hrtime.bigint();
    for (let j = i; j < i + batch; j++) run(frames[j]!);
    samples.push(Number(process.hrtime.bigint() - start) / 1000 / batch);
  }
  return samples;
}

export function runDecodeBench(): void {
  const events = Array.from({ length: FRAMES }, (_, i) => frame(i + 1));
  const binary = events.map((e) => Buffer.from(encodeBinary(e)));
  const json = events.map((e) => encodeJson(e));
  const root = new protobuf.Root().loadSync(protoFile('events'), { keepCase: true });
  const Envelope = root.lookupType('baton.v1.EventEnvelope');
  for (const [encoding, frames] of [['proto', binary], ['json', json]] as const) {
    // Warm up, then measure a fresh gate so seq order holds.
    const warm = new IngressGate({ session_id: 's-bench', format: { codec: 'pcm16', sample_rate: 16000 }, maxAudioFrameMs: 1000, currentEpoch: () => 1 });
    for (let i = 0; i < 20_000; i++) warm.admit(frames[i]!, encoding);
    const gate = new IngressGate({ session_id: 's-bench', format: { codec: 'pcm16', sample_rate: 16000 }, maxAudioFrameMs: 1000, currentEpoch: () => 1 });
    let rejected = 0;
    const ours = summarize(measure(frames, (f) => {
      if (!gate.admit(f, encoding).ok) rejected++;
    }));
    const baseline = summarize(
      measure(frames, encoding === 'proto' ? (f) => Envelope.decode(f as Uint8Array) : (f) => JSON.parse(f as string)),
    );
    report(`decode_validate_${encoding}`, {
      frame_bytes: encoding === 'proto' ? binary[0]!.length : Buffer.byteLength(json[0]!),
      p50_us: ours.p50,
      p99_us: ours.p99,
      baseline: encoding === 'proto' ? 'protobufjs_decode' : 'JSON.parse',
      baseline_p50_us: baseline.p50,
      baseline_p99_us: baseline.p99,
      ratio_p50: ours.p50 / baseline.p50,
      rejected,
    });
  }
}
