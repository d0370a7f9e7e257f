// The graph executor walks any chain stt -> (custom | llm)... -> tts with script nodes on a ScriptTier: each text node hears the one before, the last one's output is the reply, script outcomes map to turn aborts, providers are granted per node, baton:state commits only on success.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectOrderContract, makePlan, outcomes, settle, start, type Run } from '../../test/support/graph-run.js';
import { FunctionScriptTier, type ScriptFn } from '../../test/support/script-tier-double.js';
import { VirtualClock } from '../determinism/clock.js';
import type { FrozenPlan, NodeSpec, ProviderBinding } from '../plan/types.js';
import { mockReply } from './builtin/mock-llm.js';
import { mockTranscript } from './builtin/mock-stt.js';
import { InProcessNodeHost } from './graph.js';
import type { ScriptObserver } from './script-node.js';
import type { ScriptTier } from './script-tier.js';
import { MemoryStateStore } from './state-store.js';
import type { NodeOutput, TurnSession } from './types.js';

const SESSION: TurnSession = {
  tenant: 't1',
  session_id: 's1',
  epoch: 1,
  ordinal: 3,
  history: [
    { role: 'user', text: 'earlier' },
    { role: 'assistant', text: 'reply' },
  ],
  started_at_ms: 0,
};

const SCRIPTS: Record<string, ScriptFn> = {
  upper: (input) => input.text.toUpperCase(),
  // Streams word by word and returns undefined: its output is what it emitted.
  words: (input, _ctx, api) => {
    for (const word of `${input.text} ok`.split(/(?<= )/u)) api.emit(word);
    return undefined;
  },
  echo_ctx: (input, ctx, api) => JSON.stringify({ input, ctx, now: api.clock.now(), random: api.random() }),
  throws: () => {
    throw new Error('script exploded');
  },
  not_a_string: () => 42,
  slow: async (input, ctx, api) => {
    await api.work(Number(ctx.config['ms'] ?? '500'));
    return input.text;
  },
  counter: (_input, _ctx, api) => {
    const count = ((api.state.get('count') as number | undefined) ?? 0) + 1;
    api.state.put('count', count);
    return `turn ${count}`;
  },
  put_then_throw: (_input, _ctx, api) => {
    api.state.put('count', 100);
    throw new Error('after the put');
  },
  too_much_state: (_input, _ctx, api) => {
    api.state.put('blob', 'x'.repeat(70 * 1024));
    return 'done';
  },
  ask: async (input, ctx, api) => {
    const answer = (await api.provider.call(ctx.config['binding'] ?? 'main', { messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: input.text }] })) as { text: string };
    return answer.text;
  },
  ask_and_swallow: async (input, ctx, api) => {
    try {
      await api.provider.call(ctx.config['binding'] ?? 'main', { messages: [{ role: 'user', content: input.text }] });
    } catch (err) {
      return `refused: ${(err as { code: string }).code}`;
    }
    return 'allowed';
  },
};

function hashes(...names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, `hash-${name}`]));
}

interface Observed {
  violations: Parameters<ScriptObserver['securityViolation']>[0][];
  invocations: Parameters<ScriptObserver['invocation']>[0][];
  logs: Parameters<ScriptObserver['scriptLog']>[0][];
}

function scriptHost(clock: VirtualClock, opts: { tier?: ScriptTier; state?: MemoryStateStore; scripts?: Record<string, ScriptFn> } = {}) {
  const double = new FunctionScriptTier(clock, opts.scripts ?? SCRIPTS);
  const tier = opts.tier ?? double;
  const state = opts.state ?? new MemoryStateStore();
  const observed: Observed = { violations: [], invocations: [], logs: [] };
  const host = new InProcessNodeHost({
    scripts: {
      tier,
      state,
      // The pinned hash must be the one the plan holds: a plan pins exactly what it runs.
      link: (tenant, name, pinned) => (pinned[name] === `hash-${name}` ? { tenant, entry: name, sources: new Map([[name, { hash: pinned[name]!, source: '' }]]) } : undefined),
      observer: {
        securityViolation: (event) => observed.violations.push(event),
        invocation: (event) => observed.invocations.push(event),
        scriptLog: (event) => observed.logs.push(event),
      },
    },
  });
  return { host, tier: double, state, observed };
}

function scriptPlan(nodes: NodeSpec[], providers: ProviderBinding[] = []): FrozenPlan {
  const names = nodes.flatMap((node) => (node.script ? [node.script] : []));
  return makePlan(nodes, { scripts: hashes(...names), providers });
}

const stt: NodeSpec = { id: 'stt', kind: 'stt', builtin: 'mock_stt' };
const llm: NodeSpec = { id: 'llm', kind: 'llm', builtin: 'mock_llm' };
const tts: NodeSpec = { id: 'tts', kind: 'tts', builtin: 'mock_tts' };
const script = (id: string, name: string, extra: Partial<NodeSpec> = {}): NodeSpec => ({ id, kind: 'custom', script: name, ...extra });

function reply(run: Run): string | undefined {
  const final = run.outputs.find((out) => out.type === 'transcript' && out.role === 'assistant' && out.final) as Extract<NodeOutput, { type: 'transcript' }> | undefined;
  return final?.text;
}

describe('graph executor: chains of text nodes', () => {
  it('each text node hears the one before it, and the last one speaks the reply', async () => {
    const clock = new VirtualClock();
    const { host } = scriptHost(clock);
    const audio = [new Uint8Array(640).fill(5)];
    const plan = scriptPlan([stt, script('shout', 'upper'), llm, script('say', 'words', { kind: 'llm' }), tts]);
    const run = start(plan, { audio }, { host, clock, session: SESSION });
    const result = await settle(run);
    expectOrderContract(run.outputs, result);
    const heard = mockTranscript(audio[0]!, {});
    expect(run.outputs[0]).toEqual({ type: 'transcript', role: 'user', text: heard, final: true });
    expect(reply(run)).toBe(`${mockReply(heard.toUpperCase(), {}, 7)} ok`);
    expect(outcomes(run)).toEqual(['stt:ok', 'shout:ok', 'llm:ok', 'say:ok', 'tts:ok']);
    expect(run.records.map((r) => r.node_kind)).toEqual(['mock_stt', 'upper', 'mock_llm', 'words', 'mock_tts']);
    expect(new TextDecoder().decode(run.records[1]!.output)).toBe(heard.toUpperCase());
  });

  it("a streaming script's deltas flow on as assistant deltas, interleaved with the audio they produce", async () => {
    const clock = new VirtualClock();
    const { host } = scriptHost(clock);
    const run = start(scriptPlan([script('say', 'words'), tts]), { text: 'one two three' }, { host, clock, session: SESSION });
    expectOrderContract(run.outputs, await settle(run));
    const deltas = run.outputs.filter((out) => out.type === 'transcript' && !out.final).map((out) => (out as { text: string }).text);
    expect(deltas).toEqual(['one ', 'two ', 'three ', 'ok']);
    // Audio starts before the last delta: tts speaks while the script streams.
    const firstAudio = run.outputs.findIndex((out) => out.type === 'audio');
    const lastDelta = run.outputs.findLastIndex((out) => out.type === 'transcript' && !out.final);
    expect(firstAudio).toBeGreaterThan(0);
    expect(firstAudio).toBeLessThan(lastDelta);
  });

  it('a script gets its input, the heard history and its context: node id, config, ordinal, the turn seed as a decimal string', async () => {
    const clock = new VirtualClock();
    clock.advanceTo(1234);
    const { host, tier } = scriptHost(clock);
    const node = script('ctx', 'echo_ctx', { config: { tone: 'dry' } });
    const run = start(scriptPlan([node]), { text: 'hello' }, { host, clock, session: { ...SESSION, started_at_ms: 1000 }, seed: 4242 });
    await settle(run);
    const seen = JSON.parse(reply(run)!) as Record<string, unknown>;
    expect(seen).toMatchObject({
      input: { text: 'hello', history: SESSION.history },
      ctx: { node_id: 'ctx', config: { tone: 'dry' }, turn: { ordinal: 3, seed: '4242' } },
      now: 234,
    });
    // Math.random is seeded from the turn seed and the node id: the same in every run, different per node.
    const again = scriptHost(clock);
    const rerun = start(scriptPlan([node]), { text: 'hello' }, { host: again.host, clock, session: { ...SESSION, started_at_ms: 1000 }, seed: 4242 });
    await settle(rerun);
    expect(reply(rerun)).toBe(reply(run));
    const other = start(scriptPlan([{ ...node, id: 'ctx2' }]), { text: 'hello' }, { host, clock, session: SESSION, seed: 4242 });
    await settle(other);
    expect(tier.invocations[1]!.randomSeed).not.toBe(tier.invocations[0]!.randomSeed);
  });

  it('a script sees at most the last 32 entries of the heard history, oldest first', async () => {
    const clock = new VirtualClock();
    const { host, tier } = scriptHost(clock);
    const history = Array.from({ length: 40 }, (_, i) => ({ role: i % 2 === 0 ? ('user' as const) : ('assistant' as const), text: `t${i}` }));
    await settle(start(scriptPlan([script('s', 'upper')]), { text: 'x' }, { host, clock, session: { ...SESSION, history } }));
    expect(tier.invocations[0]!.input.history).toEqual(history.slice(8));
  });

  it('nothing runs and nothing is recorded when a script is missing at its pinned hash, or the turn has no session', async () => {
    const clock = new VirtualClock();
    const { host, tier } = scriptHost(clock);
    const wrongHash = makePlan([llm, script('x', 'upper')], { scripts: { upper: 'hash-of-another-version' } });
    const cases: [FrozenPlan, TurnSession | undefined, string][] = [
      [wrongHash, SESSION, 'not_found'],
      [scriptPlan([llm, script('x', 'upper')]), undefined, 'internal'],
      [scriptPlan([llm, { id: 'x', kind: 'tts', script: 'upper' }]), SESSION, 'not_found'],
    ];
    for (const [plan, session, code] of cases) {
      const run = start(plan, { text: 'hi' }, { host, clock, ...(session ? { session } : {}) });
      expect(await settle(run)).toMatchObject({ ok: false, failure: { reason: 'node_failure', node_id: 'x', code } });
      expect(run.outputs).toEqual([]);
      expect(run.records).toEqual([]);
    }
    expect(tier.invocations).toEqual([]);
  });

  it('two stt or two tts nodes are refused as a compilation error', async () => {
    const clock = new VirtualClock();
    const { host } = scriptHost(clock);
    for (const nodes of [
      [stt, { ...stt, id: 'stt2' }, script('x', 'upper')],
      [script('x', 'upper'), tts, { ...tts, id: 'tts2' }],
    ]) {
      const run = start(scriptPlan(nodes), { text: 'hi' }, { host, clock, session: SESSION });
      expect(await settle(run)).toMatchObject({ ok: false, failure: { code: 'compilation' } });
    }
  });
});

describe('graph executor: script outcomes', () => {
  async function runOne(name: string, opts: { tier?: ScriptTier; budget_ms?: number } = {}) {
    const clock = new VirtualClock();
    const { host, observed } = scriptHost(clock, opts.tier ? { tier: opts.tier } : {});
    const node = script('s', name, opts.budget_ms ? { budget_ms: opts.budget_ms } : {});
    const run = start(scriptPlan([node, tts]), { text: 'hi' }, { host, clock, session: SESSION });
    return { run, result: await settle(run), observed };
  }

  it('a thrown error or a result that is not a string is execution and node_failure', async () => {
    for (const name of ['throws', 'not_a_string']) {
      const { run, result, observed } = await runOne(name);
      expect(result).toMatchObject({ ok: false, failure: { reason: 'node_failure', node_id: 's', code: 'execution' } });
      expect(outcomes(run)).toEqual(['s:execution']);
      expect(observed.invocations).toEqual([expect.objectContaining({ node_kind: 'custom', outcome: 'execution' })]);
      expect(run.outputs.map((out) => out.type)).toEqual(['transcript']);
    }
  });

  it('past its budget a script is timeout and the turn budget_exhausted', async () => {
    const { run, result } = await runOne('slow', { budget_ms: 100 });
    expect(result).toMatchObject({ ok: false, failure: { reason: 'budget_exhausted', node_id: 's', code: 'timeout' } });
    expect(outcomes(run)).toEqual(['s:timeout']);
  });

  it('memory_limit and security_violation from the tier are node_failure; every other code keeps its name', async () => {
    for (const code of ['memory_limit', 'security_violation', 'compilation', 'internal'] as const) {
      const tier: ScriptTier = { invoke: async () => ({ ok: false, code, message: `tier says ${code}` }), close: async () => undefined };
      const { run, result } = await runOne('upper', { tier });
      expect(result).toMatchObject({ ok: false, failure: { reason: 'node_failure', node_id: 's', code, message: expect.stringContaining(`tier says ${code}`) } });
      expect(outcomes(run)).toEqual([`s:${code}`]);
    }
  });

  it('a cancel during a script: canceled result and record, nothing emitted after it', async () => {
    const clock = new VirtualClock();
    const { host, tier, observed } = scriptHost(clock);
    const run = start(scriptPlan([script('s', 'slow'), tts]), { text: 'hi' }, { host, clock, session: SESSION });
    clock.advanceTo(0);
    await new Promise((resolve) => setImmediate(resolve));
    clock.advanceTo(200);
    run.cancel.abort();
    expect(await settle(run)).toEqual({ ok: false, canceled: true });
    expect(outcomes(run)).toEqual(['s:canceled']);
    expect(run.lateEmits).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(tier.pending).toBe(0);
    expect(observed.invocations).toEqual([expect.objectContaining({ outcome: 'canceled' })]);
  });
});

describe('graph executor: a tier that breaks its contract', () => {
  it('a delta a tier emits after its result is dropped, even while tts is still speaking the reply', async () => {
    const clock = new VirtualClock();
    const tier: ScriptTier = {
      invoke: async (inv) => {
        inv.host.emit('said. ');
        setImmediate(() => inv.host.emit('LATE'));
        return { ok: true, text: 'said. ', stateWrites: {}, memoryBytes: 0 };
      },
      close: async () => undefined,
    };
    const { host } = scriptHost(clock, { tier });
    // Credits come slowly, so the reader is still draining when the late delta arrives.
    const credits = { wait: () => new Promise<void>((resolve) => clock.setTimer(10, resolve)) };
    const run = start(scriptPlan([script('s', 'upper'), tts]), { text: 'x' }, { host, clock, session: SESSION, credits });
    expectOrderContract(run.outputs, await settle(run));
    expect(reply(run)).toBe('said. ');
    expect(new TextDecoder().decode(run.records.find((r) => r.node_id === 's')!.output)).toBe('said. ');
  });

  it('a tier that emitted one text and answered another fails the node execution', async () => {
    const clock = new VirtualClock();
    const tier: ScriptTier = {
      invoke: async (inv) => {
        inv.host.emit('streamed');
        return { ok: true, text: 'something else', stateWrites: {}, memoryBytes: 0 };
      },
      close: async () => undefined,
    };
    const { host } = scriptHost(clock, { tier });
    const run = start(scriptPlan([script('s', 'upper')]), { text: 'x' }, { host, clock, session: SESSION });
    expect(await settle(run)).toMatchObject({ ok: false, failure: { reason: 'node_failure', code: 'execution' } });
  });
});

describe('graph executor: provider permissions', () => {
  const providers: ProviderBinding[] = [
    { name: 'main', kind: 'mock', fallbacks: ['backup'] },
    { name: 'backup', kind: 'mock' },
    { name: 'other', kind: 'mock' },
  ];

  it('a script may call its binding: the answer is {text} from the provider, each attempt recorded as a provider call', async () => {
    const clock = new VirtualClock();
    const { host, observed } = scriptHost(clock);
    const run = start(scriptPlan([script('s', 'ask', { provider: 'main' }), tts], providers), { text: 'what time is it' }, { host, clock, session: SESSION });
    expectOrderContract(run.outputs, await settle(run));
    expect(reply(run)).toBe(mockReply('what time is it', {}, 7));
    expect(run.records.map((r) => `${r.node_id}:${r.node_kind}:${r.outcome}`)).toEqual(['s:provider:main:ok', 's:ask:ok', 'tts:mock_tts:ok']);
    expect(observed.violations).toEqual([]);
  });

  it('a failing binding retries then falls back, within the policy, before the script gets its answer', async () => {
    const clock = new VirtualClock();
    const { host } = scriptHost(clock);
    const node = script('s', 'ask', { provider: 'main', config: { fail: 'unavailable', fail_providers: 'main' } });
    const run = start(scriptPlan([node], [{ ...providers[0]!, max_retries: 1 }, providers[1]!]), { text: 'hi there' }, { host, clock, session: SESSION });
    expect(await settle(run)).toMatchObject({ ok: true });
    expect(outcomes(run)).toEqual(['s:unavailable', 's:unavailable', 's:ok', 's:ok']);
    expect(reply(run)).toBe(mockReply('hi there', {}, 7));
  });

  it('a fallback the node names may be called directly; a binding it does not name is security_violation, logged and counted, even when the script catches it', async () => {
    const clock = new VirtualClock();
    const { host, observed } = scriptHost(clock);
    const allowed = start(scriptPlan([script('s', 'ask_and_swallow', { provider: 'main', config: { binding: 'backup' } })], providers), { text: 'x' }, { host, clock, session: SESSION });
    expect(await settle(allowed)).toMatchObject({ ok: true });
    expect(reply(allowed)).toBe('allowed');

    for (const [provider, binding] of [
      ['main', 'other'],
      [undefined, 'main'],
      ['main', 'nonexistent'],
    ] as const) {
      const node = script('s', 'ask_and_swallow', { config: { binding }, ...(provider ? { provider } : {}) });
      const run = start(scriptPlan([node, tts], providers), { text: 'x' }, { host, clock, session: SESSION });
      expect(await settle(run)).toMatchObject({ ok: false, failure: { reason: 'node_failure', node_id: 's', code: 'security_violation' } });
      expect(outcomes(run)).toEqual(['s:security_violation']);
      expect(run.outputs.filter((out) => out.type === 'transcript' && out.role === 'assistant')).toEqual([]);
      expect(observed.violations.at(-1)).toEqual({ tenant: 't1', node_id: 's', capability: 'provider.call', binding });
    }
    expect(observed.violations).toHaveLength(3);
  });

  it('a malformed request is answered bad_request to the script, without calling a provider', async () => {
    const clock = new VirtualClock();
    const scripts: Record<string, ScriptFn> = {
      bad: async (_input, _ctx, api) => {
        try {
          await api.provider.call('main', { messages: 'hello' });
        } catch (err) {
          return (err as { code: string }).code;
        }
        return 'called';
      },
    };
    const { host } = scriptHost(clock, { scripts });
    const run = start(scriptPlan([script('s', 'bad', { provider: 'main' })], providers), { text: 'x' }, { host, clock, session: SESSION });
    await settle(run);
    expect(reply(run)).toBe('bad_request');
    expect(outcomes(run)).toEqual(['s:ok']);
  });
});

describe('graph executor: baton:state', () => {
  it('writes of a successful invocation are kept for the next turn of the session', async () => {
    const clock = new VirtualClock();
    const { host, state } = scriptHost(clock);
    const plan = scriptPlan([script('s', 'counter')]);
    for (const expected of ['turn 1', 'turn 2']) {
      const run = start(plan, { text: 'x' }, { host, clock, session: SESSION });
      await settle(run);
      expect(reply(run)).toBe(expected);
    }
    expect(await state.load('s1')).toEqual({ count: 2 });
    expect(await state.load('s2')).toEqual({});
  });

  it('writes of a failed invocation are dropped', async () => {
    const clock = new VirtualClock();
    const { host, state } = scriptHost(clock);
    await state.commit('s1', 1, { count: 5 });
    const run = start(scriptPlan([script('s', 'put_then_throw')]), { text: 'x' }, { host, clock, session: SESSION });
    expect(await settle(run)).toMatchObject({ ok: false, failure: { code: 'execution' } });
    expect(await state.load('s1')).toEqual({ count: 5 });
  });

  it('state over 64 KiB fails the invocation execution with a message that says so, and nothing of it is said', async () => {
    const clock = new VirtualClock();
    const { host, state } = scriptHost(clock);
    const run = start(scriptPlan([script('s', 'too_much_state'), tts]), { text: 'x' }, { host, clock, session: SESSION });
    expect(await settle(run)).toMatchObject({ ok: false, failure: { reason: 'node_failure', code: 'execution', message: expect.stringContaining('64 KiB') } });
    expect(outcomes(run)).toEqual(['s:execution']);
    expect(run.outputs.map((out) => out.type)).toEqual(['transcript']);
    expect(await state.load('s1')).toEqual({});
  });
});

describe('graph executor: a property over random chains', () => {
  type Step = { type: 'builtin'; latency: number } | { type: 'upper' } | { type: 'words' } | { type: 'slow'; ms: number; budget: number } | { type: 'throws' };
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ type: fc.constant('builtin' as const), latency: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ type: fc.constant('upper' as const) }),
    fc.record({ type: fc.constant('words' as const) }),
    fc.record({ type: fc.constant('slow' as const), ms: fc.integer({ min: 1, max: 120 }), budget: fc.constantFrom(0, 60) }),
    fc.record({ type: fc.constant('throws' as const) }),
  );

  function nodeOf(step: Step, i: number): NodeSpec {
    const id = `n${i}`;
    switch (step.type) {
      case 'builtin':
        return { id, kind: 'llm', builtin: 'mock_llm', config: { latency_ms: String(step.latency), token_interval_ms: '5' } };
      case 'slow':
        return { id, kind: i % 2 === 0 ? 'custom' : 'llm', script: 'slow', config: { ms: String(step.ms) }, ...(step.budget > 0 ? { budget_ms: step.budget } : {}) };
      default:
        return { id, kind: i % 2 === 0 ? 'custom' : 'llm', script: step.type };
    }
  }

  /** What the chain should say, or which node should fail and how, when nothing cancels it. */
  function expected(steps: Step[], input: string): { reply: string } | { node: string; code: string } {
    let text = input;
    for (const [i, step] of steps.entries()) {
      if (step.type === 'throws') return { node: `n${i}`, code: 'execution' };
      // Exactly the budget is past it: the kernel-clock deadline fires before the tier's own.
      if (step.type === 'slow' && step.budget > 0 && step.ms >= step.budget) return { node: `n${i}`, code: 'timeout' };
      if (step.type === 'builtin') text = mockReply(text, {}, 7);
      else if (step.type === 'upper') text = text.toUpperCase();
      else if (step.type === 'words') text = `${text} ok`;
    }
    return { reply: text };
  }

  it('one outcome per invocation, records in chain order, the last text node speaks the reply, nothing emitted after a cancel', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
        async (steps, withStt, withTts, cancelAt) => {
          const nodes = [...(withStt ? [stt] : []), ...steps.map(nodeOf), ...(withTts ? [tts] : [])];
          const audio = [new Uint8Array(320).fill(2)];
          const runChain = async (cancelAt?: number) => {
            const clock = new VirtualClock();
            const { host, tier } = scriptHost(clock);
            const run = start(scriptPlan(nodes), withStt ? { audio } : { text: 'hello there' }, { host, clock, session: SESSION });
            if (cancelAt !== undefined) clock.setTimer(cancelAt, () => run.cancel.abort());
            const result = await settle(run);
            const endedAt = clock.now();
            await new Promise((resolve) => setImmediate(resolve));
            return { run, result, tier, endedAt };
          };
          // The same chain uncancelled says when the turn would have ended on its own.
          const reference = await runChain();
          const { run, result, tier } = cancelAt === undefined ? reference : await runChain(cancelAt);

          expect(run.lateEmits).toBe(0);
          expect(tier.pending).toBe(0);
          // One record per invocation: a script node runs at most once a turn, and every run is recorded.
          const chainIds = steps.map((_, i) => `n${i}`);
          for (const [i, step] of steps.entries()) {
            const records = run.records.filter((r) => r.node_id === `n${i}`);
            if (step.type !== 'builtin') {
              const ran = tier.invocations.filter((inv) => inv.ctx.node_id === `n${i}`).length;
              expect(ran).toBeLessThanOrEqual(1);
              expect(records.length).toBe(ran);
            } else {
              expect(records.length).toBeLessThanOrEqual(1);
            }
          }
          for (const record of run.records) expect(['ok', 'canceled', 'execution', 'timeout']).toContain(record.outcome);
          // Text nodes run in chain order, each after the one before ended well.
          const textRecords = run.records.filter((r) => chainIds.includes(r.node_id));
          expect(textRecords.map((r) => r.node_id)).toEqual(chainIds.slice(0, textRecords.length));
          for (const record of textRecords.slice(0, -1)) expect(record.outcome).toBe('ok');

          const want = expected(steps, withStt ? mockTranscript(audio[0]!, {}) : 'hello there');
          if (cancelAt !== undefined && cancelAt < reference.endedAt) {
            expect(result).toEqual({ ok: false, canceled: true });
            expect(run.outputs.some((out) => out.type === 'end')).toBe(false);
          } else if (cancelAt !== undefined && cancelAt === reference.endedAt) {
            // A cancel at the very instant the turn ends races it: canceled, or exactly what the turn did alone.
            if (!('canceled' in result)) expect(result).toEqual(reference.result);
          } else if ('reply' in want) {
            expectOrderContract(run.outputs, result);
            expect(reply(run)).toBe(want.reply);
            expect(run.records.every((r) => r.outcome === 'ok')).toBe(true);
          } else {
            expect(result).toMatchObject({ ok: false, failure: { node_id: want.node, code: want.code } });
            expect(run.records.find((r) => r.node_id === want.node)?.outcome).toBe(want.code);
            expect(run.outputs.some((out) => out.type === 'end')).toBe(false);
          }
        },
      ),
      { numRuns: 150, seed: 8 },
    );
  });
});
