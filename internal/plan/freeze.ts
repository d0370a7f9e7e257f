// Plan freeze: one pipeline version resolved into the immutable, hashed plan a turn runs; it never sees session ids, turn ids, seeds or clocks.
import { LANES, type Lane } from '../../api/eventabi/kinds.js';
import { DEFAULT_LANE_POLICIES, type LanePolicy } from '../lanes/policy.js';
import { canonicalize, sha256Hex } from './canonical.js';
import { topologicalOrder } from './graph.js';
import { validatePipelineSpec } from './validate.js';
import {
  DEFAULT_BARGE_IN,
  DEFAULT_BUDGETS,
  type BargeInPolicy,
  type EdgeSpec,
  type FrozenPlan,
  type NodeSpec,
  type PipelineVersion,
  type RecordingLevel,
  type TurnBudgets,
  type TurnDetection,
} from './types.js';

/** Names the layout of `canonical`; bump it when the meaning of a resolved field changes so old hashes cannot collide with new ones. */
export const PLAN_FORMAT = 'baton.plan.v1';

/** Playback grace added to `generated_ms` when the plan's `playback_timeout_ms` is 0 (DESIGN 4.1). */
export const PLAYBACK_GRACE_MS = 2000;

export type FreezeResult = { ok: true; plan: FrozenPlan } | { ok: false; reason: string };

/**
 * Resolves every default, orders nodes topologically (ties by id), pins the
 * content hash of every script, and hashes the canonical form. `scripts` maps
 * a node script's name to its content hash in the tenant's registry right now,
 * or to the hashes of the script and every module it imports: the plan keeps
 * them, so a reload later changes later turns only.
 *
 * Re-validates the spec: a version built by hand (tests, replay against
 * another pipeline) gets the same guarantees as a published one, and the
 * canonical serialization then cannot throw.
 *
 * A budget comes from the spec, else from `kernelBudgets` (the operator's
 * config), else from DEFAULT_BUDGETS; the plan holds the value it resolved, so
 * a replay does not depend on the replaying kernel's config.
 */
export function freezePlan(
  version: PipelineVersion,
  scripts: (name: string) => string | ReadonlyMap<string, string> | undefined,
  kernelBudgets: Readonly<Partial<TurnBudgets>> = {},
): FreezeResult {
  const checked = validatePipelineSpec(version.spec);
  if (!checked.ok) return { ok: false, reason: `invalid_spec:${checked.problems[0] ?? 'unknown'}` };
  const spec = checked.spec;

  const byId = new Map(spec.nodes.map((node) => [node.id, node] as const));
  const { order, blocked } = topologicalOrder([...byId.keys()], spec.edges);
  if (blocked.length > 0) return { ok: false, reason: `cycle:${blocked.join(',')}` };
  const nodes: NodeSpec[] = order.map((id) => byId.get(id)!);

  const found = new Map<string, string>();
  for (const node of nodes) {
    if (node.script === undefined || found.has(node.script)) continue;
    const resolved = scripts(node.script);
    // A map pins the node script and every module it imports; a string pins the script alone.
    const linked = typeof resolved === 'string' ? new Map([[node.script, resolved]]) : resolved;
    const own = linked?.get(node.script);
    if (typeof own !== 'string' || own.length === 0) return { ok: false, reason: `script_not_found:${node.script}` };
    for (const [name, hash] of linked!) found.set(name, hash);
  }
  // fromEntries defines own properties, so even a script named "__proto__" is kept as data.
  const scriptHashes: Record<string, string> = Object.fromEntries(found);

  const edges: EdgeSpec[] = [...spec.edges].sort((a, b) => compare(a.from, b.from) || compare(a.to, b.to));

  const lanes = {} as Record<Lane, LanePolicy>;
  for (const lane of LANES) {
    const override = spec.lanes?.find((l) => l.lane === lane);
    const { lane: _name, ...fields } = override ?? { lane };
    lanes[lane] = { ...DEFAULT_LANE_POLICIES[lane], ...fields } as LanePolicy;
  }
  const barge_in: BargeInPolicy = { ...DEFAULT_BARGE_IN, ...spec.barge_in };
  const budgets: TurnBudgets = { ...DEFAULT_BUDGETS, ...kernelBudgets, ...spec.budgets };
  // Validation has narrowed these to their vocabularies; the casts only undo the spec type's `| string`.
  const recording = (spec.recording ?? 'full') as RecordingLevel;
  const turn_detection = (spec.turn_detection ?? 'gateway') as TurnDetection;

  const resolved = {
    pipeline: spec.name,
    pipeline_version: version.version,
    pipeline_hash: version.hash,
    nodes,
    edges,
    lanes,
    barge_in,
    budgets,
    providers: spec.providers ?? [],
    recording,
    turn_detection,
    scripts: scriptHashes,
  };
  const canonical = new TextEncoder().encode(canonicalize({ format: PLAN_FORMAT, ...resolved }));
  const plan: FrozenPlan = { ...resolved, canonical, plan_hash: sha256Hex(canonical) };
  return { ok: true, plan: deepFreeze(plan) };
}

/** The playback timeout of a turn: the plan's value, or `generated_ms` + 2000 when the plan says 0. */
export function resolvePlaybackTimeoutMs(plan: { readonly budgets: Pick<TurnBudgets, 'playback_timeout_ms'> }, generated_ms: number): number {
  const configured = plan.budgets.playback_timeout_ms;
  return configured === 0 ? generated_ms + PLAYBACK_GRACE_MS : configured;
}

/**
 * Freezes an object graph in place. Typed arrays are skipped: JavaScript
 * cannot freeze an array buffer view, so `FrozenPlan.canonical` stays
 * writable in principle and holders must treat it as read-only.
 */
export function deepFreeze<T>(value: T, seen: WeakSet<object> = new WeakSet()): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || seen.has(value)) return value;
  seen.add(value);
  // Children first, and even under an already-frozen parent: a shallow freeze elsewhere must not leave a hole.
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key], seen);
  Object.freeze(value);
  return value;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
