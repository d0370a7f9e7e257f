// Which runner takes each node of a frozen plan and in what order: the chain stt -> (custom | llm)... -> tts (DESIGN 11.1); it never runs a node.
import type { FrozenPlan, NodeSpec } from '../plan/types.js';
import type { NodeImpl } from './node.js';
import { type NodeTier, type SttRunner, type TextRunner, type TtsRunner, isRefusal, refusal } from './tier.js';
import type { GraphContext, GraphFailure } from './types.js';

/** A node and the built-in implementation that runs it. */
export interface Stage<T extends NodeImpl> {
  readonly node: Readonly<NodeSpec>;
  readonly impl: T;
}

export interface Chain {
  readonly stt?: SttRunner;
  /** In plan order: each one's output is the next one's input; the last one's is the reply. */
  readonly text: readonly TextRunner[];
  readonly tts?: TtsRunner;
}

const ROLE_ORDER = ['stt', 'text', 'tts'] as const;
const ORDER_RULE = 'the in-process host runs at most one stt, then llm and custom nodes, then at most one tts, in that order';

/**
 * Resolves every graph node up front, so a plan this host cannot run fails the
 * same way on every turn, before anything is emitted. The walk follows
 * `plan.nodes`, the topological order plan/graph.ts computed from the edges at
 * freeze; an edge pointing backwards in it (a plan built by hand) is refused
 * rather than silently reordered. `vad` nodes are skipped: they run on the
 * session's audio path, not inside a turn. The first tier that takes a node runs it.
 */
export function resolveChain(plan: FrozenPlan, tiers: readonly NodeTier[], ctx: GraphContext): { ok: true; chain: Chain } | { ok: false; failure: GraphFailure } {
  const position = new Map(plan.nodes.map((node, i) => [node.id, i] as const));
  for (const edge of plan.edges) {
    const from = position.get(edge.from);
    const to = position.get(edge.to);
    if (from !== undefined && to !== undefined && from >= to) {
      return { ok: false, failure: refusal(plan.nodes[to]!, 'compilation', `edge ${edge.from} -> ${edge.to} runs against the plan's node order`).refused };
    }
  }
  let stt: SttRunner | undefined;
  let tts: TtsRunner | undefined;
  const text: TextRunner[] = [];
  let lastRole = -1;
  for (const node of plan.nodes) {
    if (node.kind === 'vad') continue;
    const runner = resolveNode(node, tiers, ctx);
    if (isRefusal(runner)) return { ok: false, failure: runner.refused };
    const role = ROLE_ORDER.indexOf(runner.role);
    // Text nodes may follow text nodes; stt and tts appear once each.
    if (role < lastRole || (role === lastRole && runner.role !== 'text')) {
      return { ok: false, failure: refusal(node, 'compilation', `node ${node.id}: ${ORDER_RULE}`).refused };
    }
    lastRole = role;
    if (runner.role === 'stt') stt = runner;
    else if (runner.role === 'tts') tts = runner;
    else text.push(runner);
  }
  return { ok: true, chain: { ...(stt ? { stt } : {}), text, ...(tts ? { tts } : {}) } };
}

function resolveNode(node: Readonly<NodeSpec>, tiers: readonly NodeTier[], ctx: GraphContext) {
  for (const tier of tiers) {
    const runner = tier.resolve(node, ctx);
    if (runner !== undefined) return runner;
  }
  return node.script !== undefined
    ? refusal(node, 'not_found', `node ${node.id}: script ${node.script} needs a script tier, which this host was not given`)
    : refusal(node, 'not_found', `node ${node.id}: no tier of this host runs it`);
}
