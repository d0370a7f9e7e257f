// Which implementation runs each stage of a frozen plan (stt -> llm -> tts) in this host; it never runs a node.
import type { FrozenPlan, NodeSpec } from '../plan/types.js';
import type { LlmNode, NodeImpl, SttNode, TtsNode } from './node.js';
import type { GraphFailure } from './types.js';

export interface Stage<T extends NodeImpl> {
  readonly node: Readonly<NodeSpec>;
  readonly impl: T;
}

export interface Stages {
  stt?: Stage<SttNode>;
  llm?: Stage<LlmNode>;
  tts?: Stage<TtsNode>;
}

const STAGE_ORDER = ['stt', 'llm', 'tts'] as const;

/**
 * Resolves every graph node up front, so a plan this host cannot run fails the
 * same way on every turn, before anything is emitted. `vad` nodes are skipped:
 * they run on the session's audio path, not inside a turn.
 */
export function resolveStages(plan: FrozenPlan, impls: Readonly<Record<string, NodeImpl>>): { ok: true; stages: Stages } | { ok: false; failure: GraphFailure } {
  const stages: Stages = {};
  let lastIndex = -1;
  for (const node of plan.nodes) {
    if (node.kind === 'vad') continue;
    const fail = (code: 'not_found' | 'compilation', message: string) => ({
      ok: false as const,
      failure: { type: 'failure' as const, reason: 'node_failure' as const, node_id: node.id, code, message },
    });
    if (node.kind === 'custom') return fail('not_found', `node ${node.id}: custom nodes are not supported by the in-process host yet`);
    if (node.script !== undefined) return fail('not_found', `node ${node.id}: script ${node.script} needs a sandbox, which the in-process host does not have`);
    const name = node.builtin ?? '';
    const impl = Object.prototype.hasOwnProperty.call(impls, name) ? impls[name] : undefined;
    if (!impl) return fail('not_found', `node ${node.id}: builtin ${JSON.stringify(name)} is not available in the in-process host`);
    if (impl.kind !== node.kind) return fail('not_found', `node ${node.id}: builtin ${name} is a ${impl.kind} node, not ${node.kind}`);
    const index = STAGE_ORDER.indexOf(impl.kind);
    if (index <= lastIndex) {
      return fail('compilation', `node ${node.id}: the in-process host runs at most one stt, then one llm, then one tts node, in that order`);
    }
    lastIndex = index;
    switch (impl.kind) {
      case 'stt':
        stages.stt = { node, impl };
        break;
      case 'llm':
        stages.llm = { node, impl };
        break;
      case 'tts':
        stages.tts = { node, impl };
        break;
    }
  }
  return { ok: true, stages };
}
