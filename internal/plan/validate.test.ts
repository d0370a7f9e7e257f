// Pipeline spec validation: every rule by example, and every problem of a spec listed at once with its path.
import { describe, expect, test } from 'vitest';
import { BUILTIN_NODES, SPEC_LIMITS, validatePipelineSpec } from './validate.js';

/** A small valid spec; each test breaks one thing. */
function spec(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'support-bot',
    nodes: [
      { id: 'stt', kind: 'stt', builtin: 'mock_stt' },
      { id: 'llm', kind: 'llm', builtin: 'mock_llm' },
      { id: 'tts', kind: 'tts', builtin: 'mock_tts' },
    ],
    edges: [
      { from: 'stt', to: 'llm' },
      { from: 'llm', to: 'tts' },
    ],
    ...extra,
  };
}

function problems(value: unknown): string[] {
  const result = validatePipelineSpec(value);
  return result.ok ? [] : result.problems;
}

describe('pipeline spec validation', () => {
  test('a minimal spec is valid and comes back as a clean copy', () => {
    const input = spec();
    const result = validatePipelineSpec(input);
    expect(result).toEqual({ ok: true, spec: input });
    if (!result.ok) return;
    expect(result.spec).not.toBe(input);
    expect(result.spec.nodes[0]).not.toBe((input['nodes'] as unknown[])[0]);
  });

  test('a spec using every field is valid', () => {
    const full = spec({
      description: 'everything set',
      nodes: [
        { id: 'vad', kind: 'vad', builtin: 'vad_energy', config: { threshold: '0.4' }, budget_ms: 50 },
        { id: 'stt', kind: 'stt', script: 'my_stt' },
        { id: 'llm', kind: 'llm', builtin: 'openai_llm', provider: 'main' },
        { id: 'tts', kind: 'custom', script: 'my_tts' },
      ],
      edges: [
        { from: 'vad', to: 'stt' },
        { from: 'stt', to: 'llm' },
        { from: 'llm', to: 'tts' },
      ],
      lanes: [
        { lane: 'control', capacity: 32, overflow: 'block', max_block_ms: 100 },
        { lane: 'data', capacity: 512, high_watermark_pct: 90, low_watermark_pct: 10, overflow: 'coalesce' },
        { lane: 'telemetry', overflow: 'drop_oldest', max_block_ms: 0 },
      ],
      barge_in: { mode: 'confirmed', min_speech_ms: 250 },
      budgets: {
        opening_ms: 1,
        active_ms: 20000,
        playback_timeout_ms: 0,
        max_ahead_ms: 500,
        reconnect_grace_ms: 3000,
        session_idle_ms: SPEC_LIMITS.budgetMs,
        closing_ms: 10,
      },
      providers: [
        { name: 'main', kind: 'openai_compatible', endpoint: 'http://127.0.0.1:8000/v1', model: 'm', fallbacks: ['backup'], max_retries: 0, timeout_ms: 5000 },
        { name: 'backup', kind: 'mock' },
      ],
      recording: 'hashes',
      turn_detection: 'node',
    });
    expect(validatePipelineSpec(full)).toEqual({ ok: true, spec: full });
  });

  test('empty optional lists and maps are dropped, and absent edges become []', () => {
    const result = validatePipelineSpec({
      name: 'one',
      nodes: [{ id: 'llm', kind: 'llm', builtin: 'mock_llm', config: {} }],
      lanes: [],
      providers: [],
      barge_in: {},
      budgets: {},
    });
    expect(result).toEqual({ ok: true, spec: { name: 'one', nodes: [{ id: 'llm', kind: 'llm', builtin: 'mock_llm' }], edges: [] } });
  });

  test('lists every problem of a spec at once, in document order', () => {
    expect(
      problems({
        name: 'Bad Name',
        colour: 'red',
        nodes: [
          { id: 'a', kind: 'sst', builtin: 'mock_stt' },
          { id: 'a', kind: 'llm', builtin: 'mock_llm', script: 's' },
          { id: 'c', kind: 'tts', budget_ms: 0, provider: 'nope' },
          { id: 'd', kind: 'tts', builtin: 'mock_stt', extra: 1 },
        ],
        edges: [
          { from: 'a', to: 'zz' },
          { from: 'c', to: 'd' },
          { from: 'd', to: 'c' },
        ],
        lanes: [
          { lane: 'control', overflow: 'drop_oldest' },
          { lane: 'data', high_watermark_pct: 50, low_watermark_pct: 60, capacity: 0 },
          { lane: 'video' },
          { lane: 'data' },
        ],
        barge_in: { mode: 'eventually', min_speech_ms: 99999 },
        budgets: { active_ms: 0, playback_timeout_ms: 0, opening_ms: -5, closing_ms: 1.5, foo_ms: 3 },
        providers: [
          { name: 'p', kind: 'mock', fallbacks: ['q', 'p'] },
          { name: 'p', kind: 'mock' },
        ],
        recording: 'everything',
        turn_detection: 'psychic',
      }),
    ).toEqual([
      'colour: unknown field (expected one of name, description, nodes, edges, lanes, barge_in, budgets, providers, recording, turn_detection)',
      'name: "Bad Name" is not a valid name (expected [a-z0-9][a-z0-9_.-]{0,62})',
      'nodes[0].kind: unknown node kind "sst" (expected one of vad, stt, llm, tts, custom)',
      'nodes[1].id: duplicate node id "a" (also nodes[0])',
      'nodes[1]: has both builtin and script (exactly one is required)',
      'nodes[2]: needs a builtin or a script',
      'nodes[2].budget_ms: must be positive (got 0)',
      'nodes[2].provider: unknown provider binding "nope"',
      'nodes[3].extra: unknown field (expected one of id, kind, builtin, script, config, budget_ms, provider)',
      'nodes[3].builtin: "mock_stt" is a stt node, not tts',
      'edges[0].to: unknown node "zz"',
      'edges: cycle c -> d -> c',
      'lanes[0].overflow: "drop_oldest" is not allowed on the control lane (allowed: block)',
      'lanes[1].capacity: must be positive (got 0)',
      'lanes[1]: low_watermark_pct (60) must be below high_watermark_pct (50)',
      'lanes[2].lane: unknown lane "video" (expected one of control, data, telemetry)',
      'lanes[3].lane: duplicate lane "data" (also lanes[1])',
      'barge_in.mode: unknown barge-in mode "eventually" (expected one of immediate, confirmed)',
      'barge_in.min_speech_ms: must be from 1 to 10000 (got 99999)',
      'budgets.foo_ms: unknown field (expected one of opening_ms, active_ms, playback_timeout_ms, max_ahead_ms, reconnect_grace_ms, session_idle_ms, closing_ms)',
      'budgets.opening_ms: must be positive (got -5)',
      'budgets.active_ms: must be positive (got 0)',
      'budgets.closing_ms: must be an integer (got 1.5)',
      'providers[0].fallbacks[0]: unknown provider binding "q"',
      'providers[0].fallbacks[1]: a binding cannot fall back to itself',
      'providers[1].name: duplicate provider binding "p" (also providers[0])',
      'recording: unknown recording level "everything" (expected one of full, hashes, decisions)',
      'turn_detection: unknown turn detection mode "psychic" (expected one of gateway, node, manual)',
    ]);
  });

  describe('the spec as a whole', () => {
    test.each([
      ['null', null],
      ['a list', []],
      ['a string', 'demo'],
    ])('%s is not a spec', (_what, value) => {
      expect(problems(value)).toEqual(['spec: must be an object']);
    });

    test('name and nodes are required', () => {
      expect(problems({})).toEqual(['name: required', 'nodes: required (a pipeline needs at least one node)']);
    });

    test('name must be a string matching the name pattern', () => {
      expect(problems(spec({ name: 7 }))).toEqual(['name: must be a string']);
      expect(problems(spec({ name: '' }))).toEqual(['name: "" is not a valid name (expected [a-z0-9][a-z0-9_.-]{0,62})']);
      expect(problems(spec({ name: '-x' }))).toEqual(['name: "-x" is not a valid name (expected [a-z0-9][a-z0-9_.-]{0,62})']);
      expect(problems(spec({ name: 'a'.repeat(64) }))).toHaveLength(1);
      expect(problems(spec({ name: 'a'.repeat(63) }))).toEqual([]);
      expect(problems(spec({ name: 'v1.2_beta-3' }))).toEqual([]);
    });

    test('description is a bounded string', () => {
      expect(problems(spec({ description: 3 }))).toEqual(['description: must be a string']);
      expect(problems(spec({ description: 'x'.repeat(SPEC_LIMITS.descriptionChars + 1) }))).toEqual([
        `description: at most ${SPEC_LIMITS.descriptionChars} characters`,
      ]);
    });

    test('recording and turn_detection take their vocabularies only', () => {
      for (const recording of ['full', 'hashes', 'decisions']) expect(problems(spec({ recording }))).toEqual([]);
      for (const turn_detection of ['gateway', 'node', 'manual']) expect(problems(spec({ turn_detection }))).toEqual([]);
      expect(problems(spec({ recording: 'FULL' }))).toEqual(['recording: unknown recording level "FULL" (expected one of full, hashes, decisions)']);
      expect(problems(spec({ turn_detection: 1 }))).toEqual(['turn_detection: must be a string']);
    });
  });

  describe('nodes', () => {
    test('a pipeline with no nodes is malformed', () => {
      expect(problems(spec({ nodes: [], edges: [] }))).toEqual(['nodes: a pipeline needs at least one node']);
      expect(problems(spec({ nodes: {} }))).toEqual(['nodes: must be a list']);
    });

    test('the node count is capped', () => {
      const nodes = Array.from({ length: SPEC_LIMITS.nodes + 1 }, (_, i) => ({ id: `n${i}`, kind: 'custom', script: 's' }));
      expect(problems(spec({ nodes, edges: [] }))).toEqual([`nodes: at most ${SPEC_LIMITS.nodes} nodes (got ${SPEC_LIMITS.nodes + 1})`]);
    });

    test('an unknown node kind is malformed', () => {
      expect(problems(spec({ nodes: [{ id: 'x', kind: 'sst', script: 's' }], edges: [] }))).toEqual([
        'nodes[0].kind: unknown node kind "sst" (expected one of vad, stt, llm, tts, custom)',
      ]);
    });

    test('id and kind are required', () => {
      expect(problems(spec({ nodes: [{ builtin: 'mock_llm' }], edges: [] }))).toEqual(['nodes[0].id: required', 'nodes[0].kind: required']);
      expect(problems(spec({ nodes: ['stt'], edges: [] }))).toEqual(['nodes[0]: must be an object']);
    });

    test('ids are unique and well formed', () => {
      expect(
        problems(
          spec({
            nodes: [
              { id: 'x', kind: 'llm', builtin: 'mock_llm' },
              { id: 'x', kind: 'llm', builtin: 'mock_llm' },
              { id: 'x y', kind: 'llm', builtin: 'mock_llm' },
            ],
            edges: [],
          }),
        ),
      ).toEqual([
        'nodes[1].id: duplicate node id "x" (also nodes[0])',
        'nodes[2].id: "x y" is not a valid node id (expected [A-Za-z0-9][A-Za-z0-9_.-]{0,63})',
      ]);
    });

    test('exactly one of builtin and script', () => {
      expect(
        problems(
          spec({
            nodes: [
              { id: 'a', kind: 'llm', builtin: 'mock_llm', script: 'mine' },
              { id: 'b', kind: 'llm' },
              { id: 'c', kind: 'llm', script: '' },
            ],
            edges: [],
          }),
        ),
      ).toEqual(['nodes[0]: has both builtin and script (exactly one is required)', 'nodes[1]: needs a builtin or a script', 'nodes[2].script: must not be empty']);
    });

    test('builtins are known and of the node kind', () => {
      expect(problems(spec({ nodes: [{ id: 'a', kind: 'llm', builtin: 'gpt9' }], edges: [] }))).toEqual([
        `nodes[0].builtin: unknown builtin "gpt9" (expected one of ${Object.keys(BUILTIN_NODES).join(', ')})`,
      ]);
      expect(problems(spec({ nodes: [{ id: 'a', kind: 'custom', builtin: 'espeak_tts' }], edges: [] }))).toEqual([
        'nodes[0].builtin: "espeak_tts" is a tts node, not custom',
      ]);
      expect(problems(spec({ nodes: [{ id: 'a', kind: 'llm', builtin: 'toString' }], edges: [] }))).toHaveLength(1);
    });

    test('every builtin is valid in a node of its own kind', () => {
      const nodes = Object.entries(BUILTIN_NODES).map(([builtin, kind]) => ({ id: builtin, kind, builtin }));
      expect(problems(spec({ nodes, edges: [] }))).toEqual([]);
      expect(Object.keys(BUILTIN_NODES).sort()).toEqual(
        ['espeak_tts', 'mock_llm', 'mock_stt', 'mock_tts', 'openai_llm', 'pocketsphinx_stt', 'vad_energy'].sort(),
      );
    });

    test('config is a bounded map of strings', () => {
      const node = (config: unknown) => spec({ nodes: [{ id: 'a', kind: 'llm', builtin: 'mock_llm', config }], edges: [] });
      expect(problems(node({ voice: 'en', rate: 3 }))).toEqual(['nodes[0].config.rate: must be a string']);
      expect(problems(node(['x']))).toEqual(['nodes[0].config: must be a map of strings']);
      const many = Object.fromEntries(Array.from({ length: SPEC_LIMITS.configEntries + 1 }, (_, i) => [`k${i}`, 'v']));
      expect(problems(node(many))).toEqual([`nodes[0].config: at most ${SPEC_LIMITS.configEntries} entries (got ${SPEC_LIMITS.configEntries + 1})`]);
    });

    test('a config key named __proto__ stays data', () => {
      const config = JSON.parse('{"__proto__":"x"}') as unknown;
      const result = validatePipelineSpec(spec({ nodes: [{ id: 'a', kind: 'llm', builtin: 'mock_llm', config }], edges: [] }));
      expect(result.ok).toBe(true);
      if (result.ok) expect(Object.getOwnPropertyDescriptor(result.spec.nodes[0]!.config, '__proto__')?.value).toBe('x');
    });

    test('a node budget must be a positive integer when present', () => {
      const node = (budget_ms: unknown) => spec({ nodes: [{ id: 'a', kind: 'llm', builtin: 'mock_llm', budget_ms }], edges: [] });
      expect(problems(node(0))).toEqual(['nodes[0].budget_ms: must be positive (got 0)']);
      expect(problems(node(-1))).toEqual(['nodes[0].budget_ms: must be positive (got -1)']);
      expect(problems(node('100'))).toEqual(['nodes[0].budget_ms: must be an integer (got "100")']);
      expect(problems(node(SPEC_LIMITS.budgetMs + 1))).toEqual([`nodes[0].budget_ms: must be from 1 to ${SPEC_LIMITS.budgetMs} (got ${SPEC_LIMITS.budgetMs + 1})`]);
      expect(problems(node(1))).toEqual([]);
    });

    test('node.provider names a binding of this spec', () => {
      const withProvider = (provider: string) =>
        spec({ nodes: [{ id: 'a', kind: 'llm', builtin: 'openai_llm', provider }], edges: [], providers: [{ name: 'main', kind: 'mock' }] });
      expect(problems(withProvider('main'))).toEqual([]);
      expect(problems(withProvider('other'))).toEqual(['nodes[0].provider: unknown provider binding "other"']);
    });
  });

  describe('edges', () => {
    test('a dangling edge is malformed, at either end', () => {
      expect(problems(spec({ edges: [{ from: 'stt', to: 'llm' }, { from: 'ghost', to: 'tts' }, { from: 'llm', to: 'void' }] }))).toEqual([
        'edges[1].from: unknown node "ghost"',
        'edges[2].to: unknown node "void"',
      ]);
    });

    test('a cycle is malformed and named', () => {
      expect(problems(spec({ edges: [{ from: 'stt', to: 'llm' }, { from: 'llm', to: 'tts' }, { from: 'tts', to: 'stt' }] }))).toEqual([
        'edges: cycle llm -> tts -> stt -> llm',
      ]);
    });

    test('a self edge is a cycle', () => {
      expect(problems(spec({ edges: [{ from: 'llm', to: 'llm' }] }))).toEqual(['edges: cycle llm -> llm']);
    });

    test('every independent cycle is listed', () => {
      const nodes = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, kind: 'custom', script: 's' }));
      const edges = [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'a' },
        { from: 'b', to: 'c' },
        { from: 'd', to: 'e' },
        { from: 'e', to: 'd' },
      ];
      expect(problems(spec({ nodes, edges }))).toEqual(['edges: cycle a -> b -> a', 'edges: cycle d -> e -> d']);
    });

    test('edges are optional, must be a list of {from, to} and not repeat', () => {
      expect(problems({ name: 'x', nodes: [{ id: 'a', kind: 'llm', builtin: 'mock_llm' }] })).toEqual([]);
      expect(problems(spec({ edges: 'stt->llm' }))).toEqual(['edges: must be a list']);
      expect(problems(spec({ edges: [{ from: 'stt' }, 3, { from: 'stt', to: 'llm', weight: 1 }] }))).toEqual([
        'edges[0].to: required',
        'edges[1]: must be an object',
        'edges[2].weight: unknown field (expected one of from, to)',
      ]);
      expect(problems(spec({ edges: [{ from: 'stt', to: 'llm' }, { from: 'stt', to: 'llm' }] }))).toEqual(['edges[1]: duplicate of edges[0] (stt -> llm)']);
    });
  });

  describe('lanes', () => {
    const lanes = (...list: unknown[]) => spec({ lanes: list });

    test('lane names come from the lane vocabulary, once each', () => {
      expect(problems(lanes({ lane: 'video' }))).toEqual(['lanes[0].lane: unknown lane "video" (expected one of control, data, telemetry)']);
      expect(problems(lanes({ capacity: 8 }))).toEqual(['lanes[0].lane: required']);
      expect(problems(lanes({ lane: 'data' }, { lane: 'data' }))).toEqual(['lanes[1].lane: duplicate lane "data" (also lanes[0])']);
    });

    test('overflow policy must be one the lane allows', () => {
      expect(problems(lanes({ lane: 'control', overflow: 'drop_oldest' }))).toEqual([
        'lanes[0].overflow: "drop_oldest" is not allowed on the control lane (allowed: block)',
      ]);
      expect(problems(lanes({ lane: 'telemetry', overflow: 'block' }))).toEqual([
        'lanes[0].overflow: "block" is not allowed on the telemetry lane (allowed: drop_newest, drop_oldest)',
      ]);
      expect(problems(lanes({ lane: 'data', overflow: 'drop_newest' }))).toEqual([
        'lanes[0].overflow: "drop_newest" is not allowed on the data lane (allowed: drop_oldest, latest_only, coalesce, block)',
      ]);
      expect(problems(lanes({ lane: 'data', overflow: 'spill' }))).toEqual([
        'lanes[0].overflow: unknown overflow policy "spill" (expected one of drop_oldest, latest_only, coalesce, block, drop_newest)',
      ]);
      expect(problems(lanes({ lane: 'data', overflow: 'latest_only' }, { lane: 'control', overflow: 'block' }, { lane: 'telemetry', overflow: 'drop_newest' }))).toEqual([]);
    });

    test('capacity is 1..65536', () => {
      expect(problems(lanes({ lane: 'data', capacity: 0 }))).toEqual(['lanes[0].capacity: must be positive (got 0)']);
      expect(problems(lanes({ lane: 'data', capacity: 65537 }))).toEqual(['lanes[0].capacity: must be from 1 to 65536 (got 65537)']);
      expect(problems(lanes({ lane: 'data', capacity: 65536 }, { lane: 'control', capacity: 1 }))).toEqual([]);
    });

    test('watermarks are 1..100 with low below high, after defaults fill the gaps', () => {
      expect(problems(lanes({ lane: 'data', high_watermark_pct: 101 }))).toEqual(['lanes[0].high_watermark_pct: must be from 1 to 100 (got 101)']);
      expect(problems(lanes({ lane: 'data', low_watermark_pct: 0 }))).toEqual(['lanes[0].low_watermark_pct: must be positive (got 0)']);
      expect(problems(lanes({ lane: 'data', low_watermark_pct: 70, high_watermark_pct: 70 }))).toEqual([
        'lanes[0]: low_watermark_pct (70) must be below high_watermark_pct (70)',
      ]);
      // Default high is 75: a low of 80 alone cannot work.
      expect(problems(lanes({ lane: 'data', low_watermark_pct: 80 }))).toEqual(['lanes[0]: low_watermark_pct (80) must be below high_watermark_pct (75)']);
      // Default low is 50: a high of 40 alone cannot work.
      expect(problems(lanes({ lane: 'data', high_watermark_pct: 40 }))).toEqual(['lanes[0]: low_watermark_pct (50) must be below high_watermark_pct (40)']);
      expect(problems(lanes({ lane: 'data', high_watermark_pct: 100, low_watermark_pct: 1 }))).toEqual([]);
    });

    test('max_block_ms is 0..60000 and unknown lane fields are refused', () => {
      expect(problems(lanes({ lane: 'control', max_block_ms: -1 }))).toEqual(['lanes[0].max_block_ms: must be from 0 to 60000 (got -1)']);
      expect(problems(lanes({ lane: 'control', max_block_ms: 0, quantum: 4 }))).toEqual([
        'lanes[0].quantum: unknown field (expected one of lane, capacity, high_watermark_pct, low_watermark_pct, overflow, max_block_ms)',
      ]);
    });
  });

  describe('barge-in', () => {
    test('mode is immediate or confirmed', () => {
      expect(problems(spec({ barge_in: { mode: 'polite' } }))).toEqual(['barge_in.mode: unknown barge-in mode "polite" (expected one of immediate, confirmed)']);
      expect(problems(spec({ barge_in: { mode: 'confirmed' } }))).toEqual([]);
    });

    test('min_speech_ms is 1..10000', () => {
      expect(problems(spec({ barge_in: { min_speech_ms: 0 } }))).toEqual(['barge_in.min_speech_ms: must be positive (got 0)']);
      expect(problems(spec({ barge_in: { min_speech_ms: 10001 } }))).toEqual(['barge_in.min_speech_ms: must be from 1 to 10000 (got 10001)']);
      expect(problems(spec({ barge_in: { min_speech_ms: 10000 } }))).toEqual([]);
    });

    test('barge_in is an object with known fields', () => {
      expect(problems(spec({ barge_in: 'immediate' }))).toEqual(['barge_in: must be an object']);
      expect(problems(spec({ barge_in: { mode: 'immediate', grace: 1 } }))).toEqual(['barge_in.grace: unknown field (expected one of mode, min_speech_ms)']);
    });
  });

  describe('budgets', () => {
    test.each(['opening_ms', 'active_ms', 'max_ahead_ms', 'reconnect_grace_ms', 'session_idle_ms', 'closing_ms'])('%s must be positive', (key) => {
      expect(problems(spec({ budgets: { [key]: 0 } }))).toEqual([`budgets.${key}: must be positive (got 0)`]);
      expect(problems(spec({ budgets: { [key]: 1 } }))).toEqual([]);
    });

    test('playback_timeout_ms may be 0 (generated_ms + 2000) but not negative', () => {
      expect(problems(spec({ budgets: { playback_timeout_ms: 0 } }))).toEqual([]);
      expect(problems(spec({ budgets: { playback_timeout_ms: -1 } }))).toEqual([`budgets.playback_timeout_ms: must be from 0 to ${SPEC_LIMITS.budgetMs} (got -1)`]);
    });

    test('budgets are integers under a day', () => {
      expect(problems(spec({ budgets: { active_ms: null, closing_ms: Infinity, opening_ms: SPEC_LIMITS.budgetMs + 1 } }))).toEqual([
        `budgets.opening_ms: must be from 1 to ${SPEC_LIMITS.budgetMs} (got ${SPEC_LIMITS.budgetMs + 1})`,
        'budgets.active_ms: must be an integer (got null)',
        'budgets.closing_ms: must be an integer (got Infinity)',
      ]);
    });
  });

  describe('provider bindings', () => {
    const providers = (...list: unknown[]) => spec({ providers: list });

    test('names are valid and unique, kind is required', () => {
      expect(problems(providers({ name: 'a', kind: 'mock' }, { name: 'a', kind: 'mock' }))).toEqual([
        'providers[1].name: duplicate provider binding "a" (also providers[0])',
      ]);
      expect(problems(providers({ name: 'A!', kind: '' }, {}))).toEqual([
        'providers[0].name: "A!" is not a valid name (expected [a-z0-9][a-z0-9_.-]{0,62})',
        'providers[0].kind: must not be empty',
        'providers[1].name: required',
        'providers[1].kind: required',
      ]);
    });

    test('fallbacks name other bindings of this spec', () => {
      expect(problems(providers({ name: 'a', kind: 'mock', fallbacks: ['b', 'zz', 'a', 4] }, { name: 'b', kind: 'mock' }))).toEqual([
        'providers[0].fallbacks[1]: unknown provider binding "zz"',
        'providers[0].fallbacks[2]: a binding cannot fall back to itself',
        'providers[0].fallbacks[3]: must be a string',
      ]);
      // A later binding may be named before it is declared.
      expect(problems(providers({ name: 'a', kind: 'mock', fallbacks: ['b'] }, { name: 'b', kind: 'mock', fallbacks: ['a'] }))).toEqual([]);
    });

    test('retries and timeouts are bounded integers', () => {
      expect(problems(providers({ name: 'a', kind: 'mock', max_retries: 11, timeout_ms: 0, region: 'eu' }))).toEqual([
        'providers[0].region: unknown field (expected one of name, kind, endpoint, model, fallbacks, max_retries, timeout_ms)',
        'providers[0].max_retries: must be from 0 to 10 (got 11)',
        'providers[0].timeout_ms: must be positive (got 0)',
      ]);
    });
  });
});
