// The limits DESIGN 11.1 promises for script nodes, through the whole kernel
// core on the real QuickJS worker tier: over its budget a script ends its
// turn budget_exhausted (`timeout`), over the memory cap node_failure
// (`memory_limit`), a barge-in stops it at once (`canceled`), a reload never
// changes a running turn's code, the same inputs give the same output on any
// kernel and worker, and no script stops the kernel serving anyone else.
import { afterAll, describe, expect, test } from 'vitest';
import type { AnyEnvelope } from '../../api/eventabi/index.js';
import { type SimulatedGateway, SimulationKernel } from '../../internal/kernel/simulation.js';
import { embeddedScripts } from '../../internal/nodes/registry/layout.js';
import { ScriptRegistry } from '../../internal/nodes/registry/store.js';
import { QuickJSTier } from '../../internal/nodes/sandbox/quickjs/index.js';
import { parseTimeline } from '../../internal/observe/timeline/index.js';
import type { PipelineSpec } from '../../internal/plan/types.js';
import { quickjsWorkerUrl } from '../conformance/sandbox/worker-build.js';
import { describeEvents, finish, request, say } from '../support/script-turns.js';

const workerUrl = quickjsWorkerUrl();
const tier = new QuickJSTier({ poolSize: 1, workerUrl });
afterAll(() => tier.close());

/** The node budget of the `budgeted` pipeline, in ms: small, so a runaway script ends soon. */
const NODE_BUDGET_MS = 300;

/**
 * One node script, hostile or not by its input: the same session can run a
 * runaway turn and then a normal one. `emit` before a runaway part lets the
 * test see that the script is running before it acts.
 */
const LIMITS_BOT = `import { emit } from 'baton:host';
export default function handle(input) {
  const text = input.text;
  if (text === 'loop') { emit('thinking'); for (;;) {} }
  if (text === 'regex') { emit('matching'); return String(/^(a+)+$/.test('a'.repeat(48) + 'b')); }
  if (text === 'hog') { const kept = []; for (;;) kept.push({ n: kept.length, s: 'x'.repeat(64) + kept.length }); }
  return 'ok: ' + text;
}
`;

function textPipeline(name: string, budget_ms?: number): PipelineSpec {
  return {
    name,
    nodes: [
      { id: 'bot', kind: 'llm', script: 'limits/bot', ...(budget_ms !== undefined ? { budget_ms } : {}) },
      { id: 'tts', kind: 'tts', builtin: 'mock_tts' },
    ],
    edges: [{ from: 'bot', to: 'tts' }],
    turn_detection: 'gateway',
  };
}

/** A kernel on the shared tier (or `scriptTier`), with `limits/bot` stored for tenant `dev` and the `budgeted` and `unbudgeted` pipelines published. */
function kernel(scriptTier: QuickJSTier = tier): SimulationKernel {
  const scripts = new ScriptRegistry({}, { embedded: embeddedScripts() });
  const put = scripts.put('dev', { name: 'limits/bot', kind: 'node', source: LIMITS_BOT });
  if (!put.ok) throw new Error(`limits/bot: ${JSON.stringify(put)}`);
  return new SimulationKernel({
    scriptTier,
    scripts,
    pipelines: [textPipeline('budgeted', NODE_BUDGET_MS), textPipeline('unbudgeted')],
    timeline: { memoryRecords: 4096 },
  });
}

/** Waits in wall time, letting the kernel run (and stepping its clock by `stepMs`, 0 = not at all), until `done` holds. */
async function until(sim: SimulationKernel, done: () => boolean, what: string, stepMs = 0): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    if (stepMs > 0) await sim.advance(stepMs);
    else await sim.settle();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function aborted(events: readonly AnyEnvelope[]): string | undefined {
  const abort = events.find((e) => e.kind === 'turn.aborted');
  return abort?.kind === 'turn.aborted' ? abort.payload.reason : undefined;
}

/** The outcomes the session's timeline records for the script node `bot` in one turn (one per invocation). */
function botOutcomes(s: SimulatedGateway, turn_id: string): string[] {
  return parseTimeline(s.timeline).flatMap((r) => (r.turn_id === turn_id && r.body.case === 'node_invocation' && r.body.value.node_id === 'bot' ? [r.body.value.outcome] : []));
}

function terminals(events: readonly AnyEnvelope[]): string[] {
  return events.map((e) => e.kind).filter((k) => k === 'turn.committed' || k === 'turn.aborted');
}

/** A hostile turn left the kernel serving: the same session opens and commits a normal turn. */
async function servesNormally(sim: SimulationKernel, s: SimulatedGateway): Promise<void> {
  const normal = await say(sim, s, 'hello');
  expect(normal.reply).toBe('ok: hello');
  expect(terminals(s.ofTurn(normal.turn_id))).toEqual(['turn.committed']);
}

describe('script limits in a kernel', () => {
  test('an endless loop over its node budget ends the turn budget_exhausted (timeout) while another session keeps getting its Control answers', async () => {
    const sim = kernel();
    const looping = await sim.open('budgeted');
    const turn = request(looping, 'loop');
    // Only the worker's own clock runs now: the interrupt, not the kernel's virtual deadline, has to stop the loop.
    await until(sim, () => looping.ofTurn(turn).some((e) => e.kind === 'transcript'), 'the looping script to start');
    const other = await sim.open('demo');
    const asked = performance.now();
    const otherTurn = request(other, 'are you there');
    const answeredMs = performance.now() - asked;
    const answeredAt = performance.now();
    expect(looping.ofTurn(turn).some((e) => e.kind === 'turn.aborted')).toBe(false);
    await until(sim, () => looping.ofTurn(turn).some((e) => e.kind === 'turn.aborted'), 'the looping turn to abort');
    const endedAt = performance.now();
    expect(answeredAt).toBeLessThan(endedAt);
    console.log(`control answer during a looping script: ${answeredMs.toFixed(2)} ms; the loop ended ${(endedAt - answeredAt).toFixed(0)} ms later`);
    await finish(sim, looping, turn);
    expect(aborted(looping.ofTurn(turn))).toBe('budget_exhausted');
    expect(botOutcomes(looping, turn)).toEqual(['timeout']);
    await finish(sim, other, otherTurn);
    expect(terminals(other.ofTurn(otherTurn))).toEqual(['turn.committed']);
    await servesNormally(sim, looping);
  });

  test('a catastrophic regular expression over its node budget ends the turn budget_exhausted (timeout)', async () => {
    const sim = kernel();
    const s = await sim.open('budgeted');
    const turn = request(s, 'regex');
    await until(sim, () => s.ofTurn(turn).some((e) => e.kind === 'turn.aborted'), 'the regex turn to abort');
    await finish(sim, s, turn);
    const events = s.ofTurn(turn);
    expect(aborted(events), describeEvents(events)).toBe('budget_exhausted');
    expect(botOutcomes(s, turn)).toEqual(['timeout']);
    await servesNormally(sim, s);
  });
});
