// Properties over random pipelines: valid DAGs validate and freeze in edge order, cycles and dangling edges are always named, hashes are reproducible.
import fc from 'fast-check';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { LANES } from '../../api/eventabi/kinds.js';
import { LANE_OVERFLOW_ALLOWED } from '../lanes/policy.js';
import { sha256Hex } from './canonical.js';
import { freezePlan } from './freeze.js';
import { specHash } from './registry.js';
import { BUILTIN_NODES, validatePipelineSpec } from './validate.js';
import type { EdgeSpec, NodeSpec, PipelineSpec, PipelineVersion } from './types.js';

// ---- arbitraries: random valid specs ----

const nodeIds = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/), { minLength: 1, maxLength: 16 });

const builtinNode = fc.constantFrom(...Object.entries(BUILTIN_NODES)).map(([builtin, kind]) => ({ kind, builtin }));
const scriptNode = fc.constantFrom('greeter', 'router', 'filter').map((script) => ({ kind: 'custom', script }));
const nodeBody = fc.record(
  {
    impl: fc.oneof(builtinNode, scriptNode),
    config: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
    budget_ms: fc.integer({ min: 1, max: 60_000 }),
  },
  { requiredKeys: ['impl'] },
);

/** A DAG: nodes get a random rank and edges only go from lower to higher rank, listed in random order. */
const dagSpec: fc.Arbitrary<PipelineSpec> = nodeIds
  .chain((ids) =>
    fc.record({
      ids: fc.constant(ids),
      bodies: fc.array(nodeBody, { minLength: ids.length, maxLength: ids.length }),
      ranked: fc.shuffledSubarray(ids, { minLength: ids.length, maxLength: ids.length }),
      edgeBits: fc.array(fc.boolean(), { minLength: ids.length * ids.length, maxLength: ids.length * ids.length }),
      edgeOrder: fc.infiniteStream(fc.nat()),
    }),
  )
  .map(({ ids, bodies, ranked, edgeBits, edgeOrder }) => {
    const nodes: NodeSpec[] = ids.map((id, i) => {
      const body = bodies[i]!;
      const node: NodeSpec = { id, ...body.impl };
      if (body.config && Object.keys(body.config).length > 0) node.config = body.config;
      if (body.budget_ms !== undefined) node.budget_ms = body.budget_ms;
      return node;
    });
    const edges: EdgeSpec[] = [];
    for (let a = 0; a < ranked.length; a++) {
      for (let b = a + 1; b < ranked.length; b++) {
        if (edgeBits[a * ranked.length + b]) edges.push({ from: ranked[a]!, to: ranked[b]! });
      }
    }
    const it = edgeOrder[Symbol.iterator]();
    for (let i = edges.length - 1; i > 0; i--) {
      const j = (it.next().value as number) % (i + 1);
      [edges[i], edges[j]] = [edges[j]!, edges[i]!];
    }
    return { name: 'p', nodes, edges };
  });

const laneSpecs = fc.subarray([...LANES]).chain((lanes) =>
  fc.tuple(
    ...lanes.map((lane) =>
      fc.record(
        {
          lane: fc.constant(lane),
          capacity: fc.integer({ min: 1, max: 65536 }),
          high_watermark_pct: fc.integer({ min: 51, max: 100 }),
          low_watermark_pct: fc.integer({ min: 1, max: 50 }),
          overflow: fc.constantFrom(...LANE_OVERFLOW_ALLOWED[lane]),
          max_block_ms: fc.integer({ min: 0, max: 60_000 }),
        },
        { requiredKeys: ['lane'] },
      ),
    ),
  ),
);

const fullSpec: fc.Arbitrary<PipelineSpec> = fc
  .record(
    {
      dag: dagSpec,
      name: fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}$/),
      lanes: laneSpecs,
      barge_in: fc.record({ mode: fc.constantFrom('immediate', 'confirmed'), min_speech_ms: fc.integer({ min: 1, max: 10_000 }) }, { requiredKeys: [] }),
      budgets: fc.record(
        {
          opening_ms: fc.integer({ min: 1, max: 100_000 }),
          active_ms: fc.integer({ min: 1, max: 100_000 }),
          playback_timeout_ms: fc.integer({ min: 0, max: 100_000 }),
          closing_ms: fc.integer({ min: 1, max: 100_000 }),
        },
        { requiredKeys: [] },
      ),
      recording: fc.constantFrom('full', 'hashes', 'decisions'),
      turn_detection: fc.constantFrom('gateway', 'node', 'manual'),
    },
    { requiredKeys: ['dag', 'name'] },
  )
  .map(({ dag, name, ...rest }) => {
    const spec: PipelineSpec = { ...dag, name };
    if (rest.lanes && rest.lanes.length > 0) spec.lanes = rest.lanes;
    if (rest.barge_in && Object.keys(rest.barge_in).length > 0) spec.barge_in = rest.barge_in;
    if (rest.budgets && Object.keys(rest.budgets).length > 0) spec.budgets = rest.budgets;
    if (rest.recording) spec.recording = rest.recording;
    if (rest.turn_detection) spec.turn_detection = rest.turn_detection;
    return spec;
  });

function versionOf(spec: PipelineSpec): PipelineVersion {
  return { tenant: 't', name: spec.name, version: '1', hash: specHash(spec), spec };
}

/** Every script resolves to a hash derived from its name. */
const scripts = (name: string) => sha256Hex(`source of ${name}`);

function reachable(edges: readonly EdgeSpec[], from: string): Set<string> {
  const seen = new Set<string>([from]);
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const e of edges) if (e.from === id && !seen.has(e.to)) (seen.add(e.to), stack.push(e.to));
  }
  return seen;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('plan properties', () => {
  test('random valid DAG specs always validate, unchanged', () => {
    fc.assert(
      fc.property(fullSpec, (spec) => {
        expect(validatePipelineSpec(spec)).toEqual({ ok: true, spec });
      }),
    );
  });

  test('random valid DAG specs freeze with a topological order consistent with every edge', () => {
    fc.assert(
      fc.property(fullSpec, (spec) => {
        const frozen = freezePlan(versionOf(spec), scripts);
        expect(frozen.ok).toBe(true);
        if (!frozen.ok) return;
        const position = new Map(frozen.plan.nodes.map((n, i) => [n.id, i]));
        expect(position.size).toBe(spec.nodes.length);
        for (const edge of spec.edges) expect(position.get(edge.from)!).toBeLessThan(position.get(edge.to)!);
      }),
    );
  });

  test('node order depends on the graph only, not on how nodes and edges are listed', () => {
    fc.assert(
      fc.property(dagSpec, fc.infiniteStream(fc.nat()), (spec, picks) => {
        const it = picks[Symbol.iterator]();
        const shuffle = <T>(list: readonly T[]): T[] => {
          const out = [...list];
          for (let i = out.length - 1; i > 0; i--) {
            const j = (it.next().value as number) % (i + 1);
            [out[i], out[j]] = [out[j]!, out[i]!];
          }
          return out;
        };
        const relisted: PipelineSpec = { ...spec, nodes: shuffle(spec.nodes), edges: shuffle(spec.edges) };
        const a = freezePlan(versionOf(spec), scripts);
        const b = freezePlan(versionOf(relisted), scripts);
        expect(a.ok && b.ok).toBe(true);
        if (!a.ok || !b.ok) return;
        expect(b.plan.nodes.map((n) => n.id)).toEqual(a.plan.nodes.map((n) => n.id));
        expect(b.plan.edges).toEqual(a.plan.edges);
      }),
    );
  });

  test('an injected cycle is always rejected, and the cycle named is made of real edges', () => {
    fc.assert(
      fc.property(dagSpec, fc.nat(), fc.nat(), (spec, i, j) => {
        // Close a loop: pick u and some v reachable from u (u itself gives a self edge), add v -> u.
        const u = spec.nodes[i % spec.nodes.length]!.id;
        const downstream = [...reachable(spec.edges, u)].sort();
        const v = downstream[j % downstream.length]!;
        const edges = [...spec.edges, { from: v, to: u }];
        const result = validatePipelineSpec({ ...spec, edges });
        expect(result.ok).toBe(false);
        if (result.ok) return;
        const cycles = result.problems.filter((p) => p.startsWith('edges: cycle '));
        expect(cycles.length).toBeGreaterThan(0);
        expect(result.problems).toEqual(cycles);
        for (const problem of cycles) {
          const path = problem.slice('edges: cycle '.length).split(' -> ');
          expect(path[0]).toBe(path[path.length - 1]);
          for (let k = 0; k + 1 < path.length; k++) expect(edges).toContainEqual({ from: path[k], to: path[k + 1] });
        }
        const frozen = freezePlan(versionOf({ ...spec, edges }), scripts);
        expect(frozen.ok).toBe(false);
      }),
    );
  });

  test('an injected dangling edge is always rejected with that problem listed', () => {
    fc.assert(
      fc.property(dagSpec, fc.nat(), fc.nat(), fc.boolean(), (spec, i, at, outgoing) => {
        const known = spec.nodes[i % spec.nodes.length]!.id;
        // Upper case cannot collide with generated ids, which are lower case.
        const ghost = { from: outgoing ? known : 'Ghost', to: outgoing ? 'Ghost' : known };
        const edges = [...spec.edges];
        const index = at % (edges.length + 1);
        edges.splice(index, 0, ghost);
        const result = validatePipelineSpec({ ...spec, edges });
        expect(result).toEqual({ ok: false, problems: [`edges[${index}].${outgoing ? 'to' : 'from'}: unknown node "Ghost"`] });
      }),
    );
  });

  test('freezing the same version gives the same bytes wherever and whenever it is called', () => {
    fc.assert(
      fc.property(
        fullSpec,
        fc.uuid(),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (spec, sessionLike, wallMs, noise) => {
          const version = versionOf(spec);
          const baseline = freezePlan(version, scripts);
          // Another moment, other randomness consumed, another plan frozen in between: none may leak in.
          vi.useFakeTimers({ now: wallMs });
          for (let k = 0; k < noise % 5; k++) Math.random();
          freezePlan(versionOf({ ...spec, name: 'other', description: sessionLike }), scripts);
          const again = freezePlan(version, scripts);
          vi.useRealTimers();
          expect(baseline.ok && again.ok).toBe(true);
          if (!baseline.ok || !again.ok) return;
          expect(again.plan.canonical).toEqual(baseline.plan.canonical);
          expect(again.plan.plan_hash).toBe(baseline.plan.plan_hash);
          expect(new TextDecoder().decode(again.plan.canonical)).not.toContain(sessionLike);
        },
      ),
    );
  });

  test('changing any resolved value changes the plan hash', () => {
    const mutations: ((s: PipelineSpec) => PipelineSpec)[] = [
      (s) => ({ ...s, budgets: { ...s.budgets, active_ms: (s.budgets?.active_ms ?? 30000) + 1 } }),
      (s) => ({ ...s, budgets: { ...s.budgets, playback_timeout_ms: (s.budgets?.playback_timeout_ms ?? 0) + 1 } }),
      (s) => ({ ...s, barge_in: { ...s.barge_in, min_speech_ms: ((s.barge_in?.min_speech_ms ?? 300) % 9000) + 1 } }),
      (s) => ({ ...s, recording: s.recording === 'decisions' ? 'full' : 'decisions' }),
      (s) => ({ ...s, turn_detection: s.turn_detection === 'manual' ? 'node' : 'manual' }),
      (s) => ({ ...s, nodes: s.nodes.map((n, i) => (i === 0 ? { ...n, config: { ...n.config, zz_changed: '1' } } : n)) }),
      (s) => ({ ...s, nodes: [...s.nodes, { id: 'Extra', kind: 'custom', script: 'extra' }] }),
      (s) => {
        const others = (s.lanes ?? []).filter((l) => l.lane !== 'data');
        const data = s.lanes?.find((l) => l.lane === 'data');
        const capacity = ((data?.capacity ?? 256) % 65535) + 1;
        return { ...s, lanes: [...others, { ...data, lane: 'data', capacity }] };
      },
    ];
    fc.assert(
      fc.property(fullSpec, fc.nat({ max: mutations.length - 1 }), (spec, which) => {
        const changed = mutations[which]!(spec);
        const a = freezePlan(versionOf(spec), scripts);
        const b = freezePlan(versionOf(changed), scripts);
        expect(a.ok && b.ok).toBe(true);
        if (!a.ok || !b.ok) return;
        expect(b.plan.plan_hash).not.toBe(a.plan.plan_hash);
      }),
    );
  });

  test('a different script content hash changes the plan hash of a plan that runs that script', () => {
    fc.assert(
      fc.property(dagSpec, (spec) => {
        const withScript: PipelineSpec = { ...spec, nodes: [...spec.nodes, { id: 'Scripted', kind: 'custom', script: 'greeter' }] };
        const a = freezePlan(versionOf(withScript), scripts);
        const b = freezePlan(versionOf(withScript), (name) => (name === 'greeter' ? sha256Hex('edited') : scripts(name)));
        expect(a.ok && b.ok).toBe(true);
        if (a.ok && b.ok) expect(b.plan.plan_hash).not.toBe(a.plan.plan_hash);
      }),
    );
  });
});
