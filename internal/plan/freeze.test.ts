// Plan freeze by example: defaults resolved, deterministic order, pinned script hashes, immutable and reproducible bytes.
import { describe, expect, test } from 'vitest';
import { DEFAULT_LANE_POLICIES } from '../lanes/policy.js';
import { sha256Hex } from './canonical.js';
import { deepFreeze, freezePlan, PLAN_FORMAT, resolvePlaybackTimeoutMs } from './freeze.js';
import { specHash } from './registry.js';
import { DEFAULT_BARGE_IN, DEFAULT_BUDGETS, type FrozenPlan, type PipelineSpec, type PipelineVersion } from './types.js';

function version(spec: PipelineSpec, number = '1'): PipelineVersion {
  return { tenant: 'acme', name: spec.name, version: number, hash: specHash(spec), spec };
}

const chain: PipelineSpec = {
  name: 'chain',
  nodes: [
    { id: 'tts', kind: 'tts', builtin: 'mock_tts' },
    { id: 'stt', kind: 'stt', builtin: 'mock_stt' },
    { id: 'llm', kind: 'llm', builtin: 'mock_llm' },
  ],
  edges: [
    { from: 'llm', to: 'tts' },
    { from: 'stt', to: 'llm' },
  ],
};

const noScripts = () => undefined;

function frozen(spec: PipelineSpec, scripts: (name: string) => string | ReadonlyMap<string, string> | undefined = noScripts): FrozenPlan {
  const result = freezePlan(version(spec), scripts);
  if (!result.ok) throw new Error(`freeze failed: ${result.reason}`);
  return result.plan;
}

describe('plan freeze', () => {
  test('a spec that sets nothing optional gets every default', () => {
    const plan = frozen(chain);
    expect(plan.lanes).toEqual(DEFAULT_LANE_POLICIES);
    expect(plan.budgets).toEqual(DEFAULT_BUDGETS);
    expect(plan.barge_in).toEqual(DEFAULT_BARGE_IN);
    expect(plan.recording).toBe('full');
    expect(plan.turn_detection).toBe('gateway');
    expect(plan.providers).toEqual([]);
    expect(plan.scripts).toEqual({});
    expect(plan.pipeline).toBe('chain');
    expect(plan.pipeline_version).toBe('1');
    expect(plan.pipeline_hash).toBe(specHash(chain));
  });

  test('lane overrides merge field by field over that lane default only', () => {
    const plan = frozen({ ...chain, lanes: [{ lane: 'data', capacity: 512, overflow: 'coalesce' }] });
    expect(plan.lanes.data).toEqual({ ...DEFAULT_LANE_POLICIES.data, capacity: 512, overflow: 'coalesce' });
    expect(plan.lanes.control).toEqual(DEFAULT_LANE_POLICIES.control);
    expect(plan.lanes.telemetry).toEqual(DEFAULT_LANE_POLICIES.telemetry);
    expect(Object.keys(plan.lanes.data)).not.toContain('lane');
  });

  test('budget and barge-in overrides merge over their defaults', () => {
    const plan = frozen({ ...chain, budgets: { active_ms: 5000, playback_timeout_ms: 900 }, barge_in: { mode: 'confirmed' } });
    expect(plan.budgets).toEqual({ ...DEFAULT_BUDGETS, active_ms: 5000, playback_timeout_ms: 900 });
    expect(plan.barge_in).toEqual({ mode: 'confirmed', min_speech_ms: DEFAULT_BARGE_IN.min_speech_ms });
  });

  test("the kernel's configured budgets fill what the spec leaves unset; the spec's own budgets win; the plan hash follows the resolved values", () => {
    const kernel = { session_idle_ms: 2000, reconnect_grace_ms: 500 };
    const configured = freezePlan(version(chain), noScripts, kernel);
    if (!configured.ok) throw new Error(configured.reason);
    expect(configured.plan.budgets).toEqual({ ...DEFAULT_BUDGETS, ...kernel });
    const own = freezePlan(version({ ...chain, budgets: { session_idle_ms: 9000 } }), noScripts, kernel);
    if (!own.ok) throw new Error(own.reason);
    expect(own.plan.budgets).toEqual({ ...DEFAULT_BUDGETS, reconnect_grace_ms: 500, session_idle_ms: 9000 });
    expect(configured.plan.plan_hash).not.toBe(frozen(chain).plan_hash);
  });

  test('nodes come out in topological order whatever order they were listed in', () => {
    expect(frozen(chain).nodes.map((n) => n.id)).toEqual(['stt', 'llm', 'tts']);
  });

  test('ties in the order are broken by node id', () => {
    const diamond: PipelineSpec = {
      name: 'diamond',
      nodes: ['z', 'm', 'b', 'a', 'q'].map((id) => ({ id, kind: 'custom', script: 's' })),
      edges: [
        { from: 'z', to: 'm' },
        { from: 'z', to: 'b' },
        { from: 'b', to: 'a' },
        { from: 'm', to: 'a' },
      ],
    };
    // Roots q and z: q first by id. z releases b and m: b first by id. a waits for both b and m.
    expect(frozen(diamond, () => sha256Hex('s')).nodes.map((n) => n.id)).toEqual(['q', 'z', 'b', 'm', 'a']);
  });

  test('edges are kept sorted so listing order does not matter', () => {
    expect(frozen(chain).edges).toEqual([
      { from: 'llm', to: 'tts' },
      { from: 'stt', to: 'llm' },
    ]);
  });

  test('every script the plan runs is pinned by its content hash, once', () => {
    const spec: PipelineSpec = {
      name: 'scripted',
      nodes: [
        { id: 'a', kind: 'custom', script: 'router' },
        { id: 'b', kind: 'custom', script: 'router' },
        { id: 'c', kind: 'llm', script: 'brain' },
        { id: 'd', kind: 'tts', builtin: 'mock_tts' },
      ],
      edges: [],
    };
    const asked: string[] = [];
    const plan = frozen(spec, (name) => {
      asked.push(name);
      return sha256Hex(`src:${name}`);
    });
    expect(plan.scripts).toEqual({ router: sha256Hex('src:router'), brain: sha256Hex('src:brain') });
    expect(asked.sort()).toEqual(['brain', 'router']);
  });

  test('a node script resolved with its imports pins every module it links, and a map without the script itself refuses', () => {
    const spec: PipelineSpec = { name: 'scripted', nodes: [{ id: 'a', kind: 'custom', script: 'router' }], edges: [] };
    const linked = new Map([
      ['router', sha256Hex('src:router')],
      ['util', sha256Hex('src:util')],
    ]);
    const plan = frozen(spec, () => linked);
    expect(plan.scripts).toEqual({ router: sha256Hex('src:router'), util: sha256Hex('src:util') });
    const changed = frozen(spec, () => new Map([...linked, ['util', sha256Hex('src:util v2')]]));
    // A module edit changes the plan of later turns, like an edit of the script itself.
    expect(changed.plan_hash).not.toBe(plan.plan_hash);
    expect(freezePlan(version(spec), () => new Map([['util', sha256Hex('src:util')]]))).toEqual({ ok: false, reason: 'script_not_found:router' });
  });

  test('a script that cannot be found refuses the freeze and names the script', () => {
    const spec: PipelineSpec = { name: 'scripted', nodes: [{ id: 'a', kind: 'custom', script: 'gone' }], edges: [] };
    expect(freezePlan(version(spec), noScripts)).toEqual({ ok: false, reason: 'script_not_found:gone' });
    expect(freezePlan(version(spec), () => '')).toEqual({ ok: false, reason: 'script_not_found:gone' });
  });

  test('a script named like an Object member is still looked up and kept as data', () => {
    const spec: PipelineSpec = { name: 'odd', nodes: [{ id: 'a', kind: 'custom', script: '__proto__' }, { id: 'b', kind: 'custom', script: 'constructor' }], edges: [] };
    const plan = frozen(spec, (name) => sha256Hex(name));
    expect(Object.keys(plan.scripts).sort()).toEqual(['__proto__', 'constructor']);
  });

  test('a version whose spec is invalid does not freeze', () => {
    const bad = { ...chain, edges: [...chain.edges, { from: 'tts', to: 'stt' }] };
    const result = freezePlan(version(bad), noScripts);
    expect(result).toEqual({ ok: false, reason: 'invalid_spec:edges: cycle llm -> tts -> stt -> llm' });
  });

  test('the canonical bytes are exactly the resolved plan, and plan_hash is their SHA-256', () => {
    const plan = frozen(chain);
    const parsed = JSON.parse(new TextDecoder().decode(plan.canonical)) as Record<string, unknown>;
    const { canonical: _c, plan_hash: _h, ...resolved } = plan;
    expect(parsed).toEqual({ format: PLAN_FORMAT, ...JSON.parse(JSON.stringify(resolved)) });
    expect(Object.keys(parsed).sort()).toEqual(
      ['barge_in', 'budgets', 'edges', 'format', 'lanes', 'nodes', 'pipeline', 'pipeline_hash', 'pipeline_version', 'providers', 'recording', 'scripts', 'turn_detection'].sort(),
    );
    expect(plan.plan_hash).toBe(sha256Hex(plan.canonical));
    expect(plan.plan_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('freezing the same version twice gives byte-identical canonical bytes and the same hash', () => {
    const v = version(chain);
    const a = freezePlan(v, noScripts);
    const b = freezePlan(v, noScripts);
    if (!a.ok || !b.ok) throw new Error('freeze failed');
    expect(b.plan).not.toBe(a.plan);
    expect(Buffer.from(b.plan.canonical).equals(Buffer.from(a.plan.canonical))).toBe(true);
    expect(b.plan.plan_hash).toBe(a.plan.plan_hash);
  });

  test('spelling out a default changes nothing in the plan except the spec hash', () => {
    const explicit = frozen({ ...chain, recording: 'full', turn_detection: 'gateway', budgets: { ...DEFAULT_BUDGETS } });
    const implicit = frozen(chain);
    const strip = (p: FrozenPlan) => ({ ...p, pipeline_hash: '', canonical: undefined, plan_hash: '' });
    expect(strip(explicit)).toEqual(strip(implicit));
  });

  test('the version number and the spec hash are part of the plan hash', () => {
    const one = freezePlan(version(chain, '1'), noScripts);
    const two = freezePlan(version(chain, '2'), noScripts);
    const rehashed = freezePlan({ ...version(chain), hash: sha256Hex('other') }, noScripts);
    if (!one.ok || !two.ok || !rehashed.ok) throw new Error('freeze failed');
    expect(new Set([one.plan.plan_hash, two.plan.plan_hash, rehashed.plan.plan_hash]).size).toBe(3);
  });

  test('the frozen plan cannot be changed, at any depth', () => {
    const plan = frozen({ ...chain, nodes: chain.nodes.map((n) => ({ ...n, config: { k: 'v' } })), providers: [{ name: 'p', kind: 'mock', fallbacks: ['q'] }, { name: 'q', kind: 'mock' }] });
    const writable = plan as unknown as Record<string, any>;
    expect(() => {
      writable['plan_hash'] = 'x';
    }).toThrow(TypeError);
    expect(() => {
      writable['budgets'].active_ms = 1;
    }).toThrow(TypeError);
    expect(() => {
      writable['lanes'].data.capacity = 1;
    }).toThrow(TypeError);
    expect(() => {
      writable['nodes'][0].config.k = 'w';
    }).toThrow(TypeError);
    expect(() => {
      writable['nodes'].push({});
    }).toThrow(TypeError);
    expect(() => {
      writable['providers'][0].fallbacks.push('r');
    }).toThrow(TypeError);
    expect(Object.isFrozen(plan.scripts)).toBe(true);
  });

  test('freezing never freezes or changes the caller spec', () => {
    const spec: PipelineSpec = structuredClone({ ...chain, budgets: { active_ms: 100 } });
    const before = structuredClone(spec);
    frozen(spec);
    expect(Object.isFrozen(spec)).toBe(false);
    expect(Object.isFrozen(spec.nodes[0])).toBe(false);
    expect(spec).toEqual(before);
  });

  test('deepFreeze freezes children even under an already frozen parent', () => {
    const inner = { n: 1 };
    const outer = Object.freeze({ inner });
    deepFreeze(outer);
    expect(Object.isFrozen(inner)).toBe(true);
  });

  test('playback timeout: the plan value, or generated_ms + 2000 when the plan says 0', () => {
    expect(resolvePlaybackTimeoutMs(frozen(chain), 1234)).toBe(3234);
    expect(resolvePlaybackTimeoutMs(frozen({ ...chain, budgets: { playback_timeout_ms: 500 } }), 1234)).toBe(500);
    expect(resolvePlaybackTimeoutMs({ budgets: { playback_timeout_ms: 0 } }, 0)).toBe(2000);
  });
});
