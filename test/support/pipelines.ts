// Pipelines the kernel tests publish, derived from the embedded `demo`
// (mock stt -> llm -> tts) so a test names only what it changes: turn
// detection, lanes, barge-in, a node's config. Fixture data, never a fake.
import { DEMO_PIPELINE } from '../../internal/plan/embedded.js';
import type { NodeSpec, PipelineSpec } from '../../internal/plan/types.js';

/** `demo`'s mock chain under another name, with `changes` applied (`llm` config merged into the llm node). */
export function mockPipeline(name: string, changes: Omit<Partial<PipelineSpec>, 'name' | 'nodes' | 'edges'> & { llm?: Readonly<Record<string, string>> } = {}): PipelineSpec {
  const { llm, ...rest } = changes;
  const nodes: NodeSpec[] = DEMO_PIPELINE.nodes.map((node) => (node.kind === 'llm' && llm ? { ...node, config: { ...node.config, ...llm } } : { ...node }));
  return { name, nodes, edges: (DEMO_PIPELINE.edges ?? []).map((e) => ({ ...e })), turn_detection: DEMO_PIPELINE.turn_detection!, ...rest };
}

/** The mock chain behind the energy VAD: the session's own detector proposes turns (turn_detection `node`). */
export function vadPipeline(name = 'vad-demo'): PipelineSpec {
  const base = mockPipeline(name, { turn_detection: 'node' });
  return { ...base, nodes: [{ id: 'vad', kind: 'vad', builtin: 'vad_energy' }, ...base.nodes], edges: [{ from: 'vad', to: 'stt' }, ...base.edges] };
}
