// The node host's turn contract: output order, determinism, cancellation, credits, budgets, provider retry/fallback and node failures, all on the virtual clock.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MULAW_8K,
  PCM16_16K,
  audioOf,
  demoNodes,
  digest,
  expectOrderContract,
  flush,
  makePlan,
  outcomes,
  quiesce,
  settle,
  start,
  summary,
} from '../../test/support/graph-run.js';
import { VirtualClock } from '../determinism/clock.js';
import type { NodeSpec, ProviderBinding } from '../plan/types.js';
import { speechFrames } from './builtin/mock-tts.js';
import { BUILTIN_IMPLS } from './builtin/index.js';
import { InProcessNodeHost } from './graph.js';
import type { NodeImpl } from './node.js';
import type { GraphResult, NodeInvocationRecord, NodeOutput } from './types.js';

describe('InProcessNodeHost: one turn end to end', () => {
  it('transcribes audio, replies, speaks, in the contract order', async () => {
    const audio = [new Uint8Array(640).fill(3), new Uint8Array(640).fill(9)];
    const run = start(makePlan(demoNodes()), { audio });
    const result = await settle(run);
    expectOrderContract(run.outputs, result);
    const user = run.outputs[0] as Extract<NodeOutput, { type: 'transcript' }>;
    expect(user.text).not.toBe('');
    const reply = (run.outputs.at(-2) as Extract<NodeOutput, { type: 'transcript' }>).text;
    expect(reply).toContain(user.text);
    expect(digest(audioOf(run.outputs))).toBe(digest(speechFrames(reply, PCM16_16K)));
    expect(outcomes(run)).toEqual(['stt:ok', 'llm:ok', 'tts:ok']);
    expect(run.clock.pending).toBe(0);
  });

  it('interleaves assistant deltas with the audio they produce', async () => {
    const run = start(makePlan(demoNodes({ llm: { config: { reply: 'one two' } } })), { text: 'hi' });
    await settle(run);
    const shape = run.outputs.map((out) => (out.type === 'transcript' ? `${out.role}:${out.text}${out.final ? '!' : ''}` : out.type));
    const oneFrames = speechFrames('one', PCM16_16K).length;
    const twoFrames = speechFrames('two', PCM16_16K).length;
    expect(shape).toEqual([
      'user:hi!',
      'assistant:one ',
      ...Array<string>(oneFrames).fill('audio'),
      'assistant:two',
      ...Array<string>(twoFrames).fill('audio'),
      'assistant:one two!',
      'end',
    ]);
  });

  it('uses typed text as the user turn and skips the stt node', async () => {
    const run = start(makePlan(demoNodes()), { text: 'book a table', audio: [new Uint8Array(640)] });
    await settle(run);
    expect(run.outputs[0]).toEqual({ type: 'transcript', role: 'user', text: 'book a table', final: true });
    expect(outcomes(run)).toEqual(['llm:ok', 'tts:ok']);
  });

  it('records each invocation with its input hash and complete output', async () => {
    const audio = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])];
    const run = start(makePlan(demoNodes()), { audio });
    await settle(run);
    const [stt, llm, tts] = run.records;
    const sha = (bytes: Uint8Array | string) => new Uint8Array(createHash('sha256').update(bytes).digest());
    const userText = (run.outputs[0] as Extract<NodeOutput, { type: 'transcript' }>).text;
    const reply = (run.outputs.at(-2) as Extract<NodeOutput, { type: 'transcript' }>).text;
    expect(stt).toMatchObject({ node_id: 'stt', node_kind: 'mock_stt', outcome: 'ok', input_sha256: sha(new Uint8Array([1, 2, 3, 4, 5])) });
    expect(new TextDecoder().decode(stt!.output)).toBe(userText);
    expect(llm).toMatchObject({ node_id: 'llm', node_kind: 'mock_llm', outcome: 'ok', input_sha256: sha(userText) });
    expect(new TextDecoder().decode(llm!.output)).toBe(reply);
    expect(tts).toMatchObject({ node_id: 'tts', node_kind: 'mock_tts', outcome: 'ok', input_sha256: sha(reply) });
    expect(digest([tts!.output])).toBe(digest(audioOf(run.outputs)));
  });

  it('frames are exactly 20 ms of the negotiated format', async () => {
    for (const [format, bytes] of [
      [PCM16_16K, 640],
      [MULAW_8K, 160],
    ] as const) {
      const run = start(makePlan(demoNodes()), { text: 'hello there' }, { format });
      await settle(run);
      const frames = run.outputs.filter((out) => out.type === 'audio');
      expect(frames.length).toBeGreaterThan(0);
      for (const frame of frames) expect(frame).toMatchObject({ ms: 20, audio: expect.objectContaining({ length: bytes }) });
    }
  });

  it('the same text gives the same audio in any session', async () => {
    const plan = makePlan(demoNodes({ llm: { config: { reply: 'Your table is booked.' } } }));
    const a = start(plan, { text: 'book it' }, { seed: 1 });
    const b = start(plan, { text: 'please book it' }, { seed: 987654321 });
    await settle(a);
    await settle(b);
    expect(digest(audioOf(a.outputs))).toBe(digest(audioOf(b.outputs)));
  });

  it('skips vad nodes and echoes the user text when there is no llm', async () => {
    const nodes: NodeSpec[] = [
      { id: 'vad', kind: 'vad', builtin: 'vad_energy' },
      { id: 'tts', kind: 'tts', builtin: 'mock_tts' },
    ];
    const run = start(makePlan(nodes), { text: 'echo me' });
    const result = await settle(run);
    expectOrderContract(run.outputs, result);
    expect(run.outputs.at(-2)).toMatchObject({ text: 'echo me', final: true });
    expect(outcomes(run)).toEqual(['tts:ok']);
  });

  it('a turn with no input still keeps the contract', async () => {
    const run = start(makePlan(demoNodes()), {});
    const result = await settle(run);
    expectOrderContract(run.outputs, result);
    expect(run.outputs[0]).toMatchObject({ text: '' });
  });
});

describe('InProcessNodeHost: determinism', () => {
  it('same input and seed give identical outputs and records', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 30 })),
        fc.integer({ min: 0, max: 2 ** 53 - 1 }),
        fc.constantFrom(PCM16_16K, MULAW_8K),
        async (text, seed, format) => {
          const plan = makePlan(demoNodes({ llm: { config: { latency_ms: '30', token_interval_ms: '5' } }, tts: { config: { frame_interval_ms: '10' } } }));
          const a = start(plan, { text }, { seed, format });
          const b = start(plan, { text }, { seed, format });
          const resultA = await settle(a);
          await settle(b);
          expect(summary(b)).toEqual(summary(a));
          expectOrderContract(a.outputs, resultA);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('same audio and seed give identical transcripts, replies and audio', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 320 }), { minLength: 1, maxLength: 5 }), fc.nat(), async (audio, seed) => {
        const plan = makePlan(demoNodes());
        const a = start(plan, { audio }, { seed });
        const b = start(plan, { audio: audio.map((frame) => Uint8Array.from(frame)) }, { seed });
        await settle(a);
        await settle(b);
        expect(summary(b)).toEqual(summary(a));
      }),
      { numRuns: 25 },
    );
  });
});

describe('InProcessNodeHost: cancellation', () => {
  it('cancel mid-stream: canceled result, nothing emitted after the abort', async () => {
    const plan = makePlan(demoNodes({ tts: { config: { frame_interval_ms: '20' } } }));
    const run = start(plan, { text: 'tell me a long story please' });
    for (let step = 0; step < 5; step++) {
      await flush();
      run.clock.advance(20);
    }
    await flush();
    const before = audioOf(run.outputs).length;
    expect(before).toBeGreaterThan(2);
    run.cancel.abort();
    await flush();
    expect(run.result).toEqual({ ok: false, canceled: true });
    const count = run.outputs.length;
    await quiesce(run.clock);
    expect(run.outputs).toHaveLength(count);
    expect(run.lateEmits).toBe(0);
    expect(run.outputs.some((out) => out.type === 'end')).toBe(false);
    expect(outcomes(run)).toEqual(['llm:ok', 'tts:canceled']);
    expect(run.clock.pending).toBe(0);
  });

  it('cancel while the provider is thinking settles at once, without moving the clock', async () => {
    const run = start(makePlan(demoNodes({ llm: { config: { latency_ms: '5000' } } })), { text: 'hi' });
    await flush();
    run.cancel.abort();
    await flush();
    expect(run.result).toEqual({ ok: false, canceled: true });
    expect(run.clock.now()).toBe(0);
    expect(run.clock.pending).toBe(0);
    expect(outcomes(run)).toEqual(['llm:canceled']);
    expect(run.outputs).toHaveLength(1);
  });

  it('a turn cancelled before it runs emits and records nothing', async () => {
    const clock = new VirtualClock();
    const cancel = new AbortController();
    cancel.abort();
    const outputs: NodeOutput[] = [];
    const records: NodeInvocationRecord[] = [];
    const { done } = new InProcessNodeHost().run(
      { plan: makePlan(demoNodes()), seed: 1, clock, format: PCM16_16K, signal: cancel.signal, emit: (o) => outputs.push(o), record: (r) => records.push(r) },
      { text: 'hi', audio: [] },
    );
    expect(await done).toEqual({ ok: false, canceled: true });
    expect(outputs).toEqual([]);
    expect(records).toEqual([]);
  });
});

describe('InProcessNodeHost: credits', () => {
  it('no frames are emitted while credits block, and they flow once released', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let waits = 0;
    const credits = {
      wait: () => {
        waits++;
        return gate;
      },
    };
    const run = start(makePlan(demoNodes()), { text: 'hello' }, { credits });
    await quiesce(run.clock);
    expect(audioOf(run.outputs)).toHaveLength(0);
    expect(waits).toBe(1);
    expect(run.result).toBeUndefined();
    release();
    const result = await settle(run);
    expectOrderContract(run.outputs, result);
    expect(waits).toBe(audioOf(run.outputs).length);
  });

  it('time spent waiting for credits does not count against the tts budget', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const run = start(makePlan(demoNodes({ tts: { budget_ms: 50 } })), { text: 'hello' }, { credits: { wait: () => gate } });
    await flush();
    run.clock.advance(10_000);
    await flush();
    release();
    expect(await settle(run)).toMatchObject({ ok: true });
  });

  it('cancel releases a run blocked on credits', async () => {
    const run = start(makePlan(demoNodes()), { text: 'hello' }, { credits: { wait: () => new Promise<void>(() => undefined) } });
    await quiesce(run.clock);
    run.cancel.abort();
    await flush();
    expect(run.result).toEqual({ ok: false, canceled: true });
    expect(outcomes(run)).toEqual(['llm:ok', 'tts:canceled']);
  });
});

describe('InProcessNodeHost: budgets', () => {
  it('llm latency past its node budget exhausts the budget on the virtual clock', async () => {
    const run = start(makePlan(demoNodes({ llm: { budget_ms: 1000, config: { latency_ms: '5000' } } })), { audio: [new Uint8Array(640)] });
    const result = await settle(run);
    expect(result).toEqual({ ok: false, failure: expect.objectContaining({ type: 'failure', reason: 'budget_exhausted', node_id: 'llm', code: 'timeout' }) });
    expect(run.clock.now()).toBe(1000);
    expect(outcomes(run)).toEqual(['stt:ok', 'llm:timeout']);
    expect(run.outputs.map((out) => out.type)).toEqual(['transcript']);
    expect(run.clock.pending).toBe(0);
  });

  it('without a node budget, the rest of the turn active budget applies', async () => {
    const run = start(makePlan(demoNodes({ llm: { config: { latency_ms: '3000' } } }), { budgets: { active_ms: 2000 } }), { text: 'hi' });
    const result = await settle(run);
    expect(result).toMatchObject({ ok: false, failure: { reason: 'budget_exhausted', node_id: 'llm' } });
    expect(run.clock.now()).toBe(2000);
  });

  it('a tts that speaks slower than its budget allows runs out', async () => {
    const run = start(makePlan(demoNodes({ tts: { budget_ms: 50, config: { frame_interval_ms: '20' } } })), { text: 'hello' });
    const result = await settle(run);
    expect(result).toMatchObject({ ok: false, failure: { reason: 'budget_exhausted', node_id: 'tts', code: 'timeout' } });
    expect(outcomes(run)).toEqual(['llm:ok', 'tts:timeout']);
    expect(run.lateEmits).toBe(0);
    expect(run.outputs.some((out) => out.type === 'end')).toBe(false);
  });
});

describe('InProcessNodeHost: provider failures', () => {
  const providers: ProviderBinding[] = [
    { name: 'primary', kind: 'mock', max_retries: 2, fallbacks: ['backup'] },
    { name: 'backup', kind: 'mock', max_retries: 1 },
  ];

  it('retries, then falls back, then fails with the last outcome', async () => {
    const plan = makePlan(demoNodes({ llm: { provider: 'primary', config: { fail: 'rate_limited' } } }), { providers });
    const run = start(plan, { text: 'hi' });
    const result = await settle(run);
    expect(result).toEqual({ ok: false, failure: expect.objectContaining({ reason: 'provider_failure', node_id: 'llm', code: 'rate_limited' }) });
    // 1 + 2 retries on primary, 1 + 1 on backup.
    expect(outcomes(run)).toEqual(Array<string>(5).fill('llm:rate_limited'));
    // Backoff happened on the virtual clock, and the same seed waits exactly as long again.
    expect(run.clock.now()).toBeGreaterThan(0);
    const again = start(plan, { text: 'hi' });
    await settle(again);
    expect(again.clock.now()).toBe(run.clock.now());
  });

  it('a retry that succeeds completes the turn', async () => {
    const plan = makePlan(demoNodes({ llm: { provider: 'primary', config: { fail: 'unavailable', fail_attempts: '1' } } }), { providers });
    const run = start(plan, { text: 'hi' });
    const result = await settle(run);
    expectOrderContract(run.outputs, result);
    expect(outcomes(run)).toEqual(['llm:unavailable', 'llm:ok', 'tts:ok']);
  });

  it('falls back to the next binding when the primary keeps failing', async () => {
    const plan = makePlan(demoNodes({ llm: { provider: 'primary', config: { fail: 'overloaded', fail_providers: 'primary' } } }), { providers });
    const run = start(plan, { text: 'hi' });
    expect(await settle(run)).toMatchObject({ ok: true });
    expect(outcomes(run)).toEqual(['llm:overloaded', 'llm:overloaded', 'llm:overloaded', 'llm:ok', 'tts:ok']);
  });

  it('a bad request is not retried on the same binding', async () => {
    const plan = makePlan(demoNodes({ llm: { provider: 'primary', config: { fail: 'bad_request' } } }), { providers });
    const run = start(plan, { text: 'hi' });
    expect(await settle(run)).toMatchObject({ ok: false, failure: { reason: 'provider_failure', code: 'bad_request' } });
    expect(outcomes(run)).toEqual(['llm:bad_request', 'llm:bad_request']);
  });

  it('a binding timeout is a timeout outcome, retried like any other', async () => {
    const timed: ProviderBinding[] = [
      { name: 'slow', kind: 'mock', timeout_ms: 100, max_retries: 1, fallbacks: ['patient'] },
      { name: 'patient', kind: 'mock', timeout_ms: 1000 },
    ];
    const plan = makePlan(demoNodes({ llm: { provider: 'slow', config: { latency_ms: '500' } } }), { providers: timed });
    const run = start(plan, { text: 'hi' });
    expect(await settle(run)).toMatchObject({ ok: true });
    expect(outcomes(run)).toEqual(['llm:timeout', 'llm:timeout', 'llm:ok', 'tts:ok']);
  });

  it('refuses provider calls overloaded when the host queue is full', async () => {
    const host = new InProcessNodeHost({ providerConcurrency: 1, maxQueuedProviderCalls: 1 });
    const clock = new VirtualClock();
    const plan = makePlan(demoNodes({ llm: { config: { latency_ms: '100' } } }));
    const runs = [start(plan, { text: 'a' }, { host, clock }), start(plan, { text: 'b' }, { host, clock }), start(plan, { text: 'c' }, { host, clock })];
    await flush();
    expect(host.providerLoad).toEqual({ waiting: 1, running: 1 });
    expect(runs[2]!.result).toEqual({ ok: false, failure: expect.objectContaining({ reason: 'provider_failure', code: 'overloaded', node_id: 'llm' }) });
    expect(outcomes(runs[2]!)).toEqual(['llm:overloaded']);
    expect(await settle(runs[0]!)).toMatchObject({ ok: true });
    expect(await settle(runs[1]!)).toMatchObject({ ok: true });
    // The second call waited for the first to free the only slot.
    expect(clock.now()).toBe(200);
  });
});

describe('InProcessNodeHost: node failures', () => {
  it('a node that throws fails the turn with node_failure', async () => {
    const run = start(makePlan(demoNodes({ llm: { config: { throw: 'model exploded' } } })), { text: 'hi' });
    const result = await settle(run);
    expect(result).toEqual({ ok: false, failure: expect.objectContaining({ reason: 'node_failure', node_id: 'llm', code: 'execution' }) });
    expect(outcomes(run)).toEqual(['llm:execution']);
    expect(run.outputs.map((out) => out.type)).toEqual(['transcript']);
  });

  it('synchronous and asynchronous throws from any stage are node failures', async () => {
    const impls: Record<string, NodeImpl> = {
      ...BUILTIN_IMPLS,
      broken_stt: {
        kind: 'stt',
        transcribe: () => {
          throw new Error('no model');
        },
      },
      broken_tts: {
        kind: 'tts',
        open: () => ({
          push: async () => {
            throw new Error('voice lost');
          },
          end: async () => undefined,
        }),
      },
    };
    const host = new InProcessNodeHost({ impls });
    const stt = start(makePlan(demoNodes({ stt: { builtin: 'broken_stt' } })), { audio: [new Uint8Array(4)] }, { host });
    expect(await settle(stt)).toMatchObject({ ok: false, failure: { reason: 'node_failure', node_id: 'stt', code: 'execution' } });
    const tts = start(makePlan(demoNodes({ tts: { builtin: 'broken_tts' } })), { text: 'hi' }, { host });
    expect(await settle(tts)).toMatchObject({ ok: false, failure: { reason: 'node_failure', node_id: 'tts', code: 'execution' } });
    // Records come in the order invocations end: the tts failed while the llm was still finishing its stream.
    expect(outcomes(tts).sort()).toEqual(['llm:ok', 'tts:execution']);
  });

  it('nodes this host cannot run fail not_found before anything is emitted', async () => {
    const cases: NodeSpec[] = [
      { id: 'x', kind: 'custom', builtin: 'mock_llm' },
      { id: 'x', kind: 'llm', script: 'my_llm' },
      { id: 'x', kind: 'tts', builtin: 'espeak_tts' },
      { id: 'x', kind: 'llm', builtin: 'mock_tts' },
    ];
    for (const node of cases) {
      const run = start(makePlan([node]), { text: 'hi' });
      expect(await settle(run)).toMatchObject({ ok: false, failure: { reason: 'node_failure', node_id: 'x', code: 'not_found' } });
      expect(run.outputs).toEqual([]);
      expect(run.records).toEqual([]);
    }
  });

  it('a graph with stages out of order is refused', async () => {
    const nodes: NodeSpec[] = [
      { id: 'tts', kind: 'tts', builtin: 'mock_tts' },
      { id: 'llm', kind: 'llm', builtin: 'mock_llm' },
    ];
    const run = start(makePlan(nodes), { text: 'hi' });
    expect(await settle(run)).toMatchObject({ ok: false, failure: { reason: 'node_failure', node_id: 'llm', code: 'compilation' } });
  });
});
