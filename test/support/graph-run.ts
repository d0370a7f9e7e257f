// One graph run on the virtual clock for node host tests: plans from node lists, a recorded run (outputs, records, emits after cancel), and drivers that move virtual time until it settles.
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { VirtualClock } from '../../internal/determinism/clock.js';
import { DEFAULT_LANE_POLICIES } from '../../internal/lanes/policy.js';
import { InProcessNodeHost } from '../../internal/nodes/graph.js';
import type { GraphContext, GraphResult, NodeInvocationRecord, NodeOutput, TurnInput, TurnSession } from '../../internal/nodes/types.js';
import { DEFAULT_BARGE_IN, DEFAULT_BUDGETS, type FrozenPlan, type NodeSpec, type ProviderBinding, type TurnBudgets } from '../../internal/plan/types.js';

export const PCM16_16K = { codec: 'pcm16', sample_rate: 16000 } as const;
export const MULAW_8K = { codec: 'mulaw', sample_rate: 8000 } as const;

export type NodeOverrides = { stt?: Partial<NodeSpec>; llm?: Partial<NodeSpec>; tts?: Partial<NodeSpec> };

export function demoNodes(over: NodeOverrides = {}): NodeSpec[] {
  return [
    { id: 'stt', kind: 'stt', builtin: 'mock_stt', ...over.stt },
    { id: 'llm', kind: 'llm', builtin: 'mock_llm', ...over.llm },
    { id: 'tts', kind: 'tts', builtin: 'mock_tts', ...over.tts },
  ];
}

export function makePlan(nodes: NodeSpec[], opts: { budgets?: Partial<TurnBudgets>; providers?: ProviderBinding[]; scripts?: Record<string, string> } = {}): FrozenPlan {
  return {
    pipeline: 'test',
    pipeline_version: '1',
    pipeline_hash: 'h',
    nodes,
    edges: nodes.slice(1).map((node, i) => ({ from: nodes[i]!.id, to: node.id })),
    lanes: DEFAULT_LANE_POLICIES,
    barge_in: DEFAULT_BARGE_IN,
    budgets: { ...DEFAULT_BUDGETS, ...opts.budgets },
    providers: opts.providers ?? [],
    recording: 'full',
    turn_detection: 'gateway',
    scripts: opts.scripts ?? {},
    canonical: new Uint8Array(),
    plan_hash: 'p',
  };
}

export interface Run {
  clock: VirtualClock;
  cancel: AbortController;
  outputs: NodeOutput[];
  records: NodeInvocationRecord[];
  /** Outputs the graph emitted after the cancel signal fired (must stay 0). */
  lateEmits: number;
  result: GraphResult | undefined;
  done: Promise<GraphResult>;
}

export function start(
  plan: FrozenPlan,
  input: Partial<TurnInput> = {},
  opts: { seed?: number; format?: GraphContext['format']; credits?: GraphContext['credits']; host?: InProcessNodeHost; clock?: VirtualClock; session?: TurnSession } = {},
): Run {
  const clock = opts.clock ?? new VirtualClock();
  const cancel = new AbortController();
  const run: Run = { clock, cancel, outputs: [], records: [], lateEmits: 0, result: undefined, done: Promise.resolve({ ok: false, canceled: true }) };
  const ctx: GraphContext = {
    plan,
    seed: opts.seed ?? 7,
    clock,
    format: opts.format ?? PCM16_16K,
    signal: cancel.signal,
    emit: (out) => {
      if (cancel.signal.aborted) run.lateEmits++;
      run.outputs.push(out);
    },
    record: (inv) => run.records.push(inv),
  };
  if (opts.credits) ctx.credits = opts.credits;
  if (opts.session) ctx.session = opts.session;
  const host = opts.host ?? new InProcessNodeHost();
  run.done = host.run(ctx, { text: input.text ?? '', audio: input.audio ?? [] }).done;
  run.done.then((result) => {
    run.result = result;
  });
  return run;
}

/** Lets every queued promise callback run (a macrotask turn; not a sleep: virtual time does not move). */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Drives the virtual clock, timer by timer, until the run settles. */
export async function settle(run: Run): Promise<GraphResult> {
  for (let i = 0; i < 100_000; i++) {
    await flush();
    if (run.result) return run.result;
    const due = run.clock.nextDue();
    if (due === undefined) throw new Error('graph run is stuck: not settled and no timer pending');
    run.clock.advanceTo(due);
  }
  throw new Error('graph run did not settle');
}

/** Drives the clock until nothing more can happen without outside help. */
export async function quiesce(clock: VirtualClock): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    await flush();
    const due = clock.nextDue();
    if (due === undefined) return;
    clock.advanceTo(due);
  }
}

export function audioOf(outputs: NodeOutput[]): Uint8Array[] {
  return outputs.flatMap((out) => (out.type === 'audio' ? [out.audio] : []));
}

export function digest(frames: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const frame of frames) hash.update(frame);
  return hash.digest('hex');
}

/** Outputs in a comparable form: audio by digest, so a mismatch prints something readable. */
export function summary(run: Run): unknown {
  return {
    outputs: run.outputs.map((out) => (out.type === 'audio' ? { audio: digest([out.audio]), ms: out.ms } : out)),
    records: run.records.map((r) => ({ ...r, input_sha256: Buffer.from(r.input_sha256).toString('hex'), output: digest([r.output]) })),
    result: run.result,
    ended_at: run.clock.now(),
  };
}

export function outcomes(run: Run): string[] {
  return run.records.map((r) => `${r.node_id}:${r.outcome}`);
}

/** The order contract every successful run keeps. */
export function expectOrderContract(outputs: NodeOutput[], result: GraphResult): void {
  expect(result.ok).toBe(true);
  const first = outputs[0];
  expect(first).toMatchObject({ type: 'transcript', role: 'user', final: true });
  expect(outputs.filter((out) => out.type === 'transcript' && out.role === 'user')).toHaveLength(1);
  const ends = outputs.filter((out) => out.type === 'end');
  expect(ends).toHaveLength(1);
  expect(outputs.at(-1)).toBe(ends[0]);
  const finalAssistant = outputs.at(-2);
  expect(finalAssistant).toMatchObject({ type: 'transcript', role: 'assistant', final: true });
  const middle = outputs.slice(1, -2);
  const deltas = middle.filter((out) => out.type === 'transcript').map((out) => out as Extract<NodeOutput, { type: 'transcript' }>);
  for (const delta of deltas) expect(delta).toMatchObject({ role: 'assistant', final: false });
  expect(deltas.map((d) => d.text).join('')).toBe((finalAssistant as Extract<NodeOutput, { type: 'transcript' }>).text);
  const audioMs = middle.reduce((sum, out) => sum + (out.type === 'audio' ? out.ms : 0), 0);
  expect((ends[0] as Extract<NodeOutput, { type: 'end' }>).generated_ms).toBe(audioMs);
  if (result.ok) expect(result.generated_ms).toBe(audioMs);
}

