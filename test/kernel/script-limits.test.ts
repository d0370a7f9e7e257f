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
const NODE_BUDGET_MS = 500;

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
  if (text === 'hog') { emit('filling'); const kept = []; for (;;) kept.push({ n: kept.length, s: 'x'.repeat(64) + kept.length }); }
  return 'ok: ' + text;
}
`;

/** Slow on purpose, and streaming its first part, so a test can act while it runs. */
const SLOW_V1 = `import { emit } from 'baton:host';
export default function handle(input) {
  emit('old: ');
  let sum = 0;
  for (let i = 0; i < 3000000; i++) sum += i % 7; // about half a second in QuickJS here
  emit(input.text + ' ' + (sum > 0 ? 'done' : ''));
}
`;
const SLOW_V2 = "export default function handle(input) { return 'new: ' + input.text; }\n";

/** Everything the deterministic inputs decide: the seed, the ordinal, the history and two draws of Math.random. */
const DICE = `export default function handle(input, ctx) {
  const draws = [Math.random(), Math.random()].map((n) => Math.floor(n * 1000)).join(',');
  const heard = input.history.map((h) => h.role[0] + h.text.length).join(';');
  return ctx.turn.seed.slice(-3) + ' ' + ctx.turn.ordinal + ' ' + draws + ' [' + heard + '] ' + input.text;
}
`;

const TENANT_SCRIPTS: Readonly<Record<string, string>> = { 'limits/bot': LIMITS_BOT, 'limits/slow': SLOW_V1, 'limits/dice': DICE };

function textPipeline(name: string, script: string, budget_ms?: number): PipelineSpec {
  return {
    name,
    nodes: [
      { id: 'bot', kind: 'llm', script, ...(budget_ms !== undefined ? { budget_ms } : {}) },
      { id: 'tts', kind: 'tts', builtin: 'mock_tts' },
    ],
    edges: [{ from: 'bot', to: 'tts' }],
    turn_detection: 'gateway',
  };
}

/** A kernel on the shared tier (or `scriptTier`), with the tenant scripts stored for `dev` and a pipeline for each. */
function kernel(scriptTier: QuickJSTier = tier): SimulationKernel {
  const scripts = new ScriptRegistry({}, { embedded: embeddedScripts() });
  for (const [name, source] of Object.entries(TENANT_SCRIPTS)) {
    const put = scripts.put('dev', { name, kind: 'node', source });
    if (!put.ok) throw new Error(`${name}: ${JSON.stringify(put)}`);
  }
  return new SimulationKernel({
    scriptTier,
    scripts,
    pipelines: [
      textPipeline('budgeted', 'limits/bot', NODE_BUDGET_MS),
      textPipeline('unbudgeted', 'limits/bot'),
      textPipeline('reloading', 'limits/slow'),
      textPipeline('dice', 'limits/dice'),
      { ...textPipeline('turn-budgeted', 'limits/bot'), budgets: { active_ms: NODE_BUDGET_MS } },
    ],
    timeline: { memoryRecords: 4096 },
  });
}

/** Waits in wall time, letting the kernel run without stepping its clock (only the worker's time passes), until `done` holds. */
async function until(sim: SimulationKernel, done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sim.settle();
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

/** How the tier stopped a runaway script since `workersBefore`, for the note on where the engine's own limits held. */
function stoppedBy(workersBefore: number): string {
  return tier.workersStarted === workersBefore ? 'the engine (worker kept)' : `the backstop (${tier.workersStarted - workersBefore} worker(s) replaced)`;
}

/** Opens a session on `pipeline` and starts a turn whose script loops for ever, once it has started; `workers` is the tier's count then, `requestedAt` the wall time of the request. */
async function startLooping(sim: SimulationKernel, pipeline: string): Promise<{ s: SimulatedGateway; turn: string; workers: number; requestedAt: number }> {
  const s = await sim.open(pipeline);
  const requestedAt = performance.now();
  const turn = request(s, 'loop');
  await until(sim, () => s.ofTurn(turn).some((e) => e.kind === 'transcript'), 'the looping script to start');
  return { s, turn, workers: tier.workersStarted, requestedAt };
}

/** Wall-clock slack for the worker's own timer when a test checks a script ran its whole budget. */
const TIMER_SLACK_MS = 10;

/** Wall ms from a request to its script's answer on an idle, warm worker: the part of a measured wait that is not the interrupt. */
async function idleAnswerMs(sim: SimulationKernel): Promise<number> {
  const s = await sim.open('unbudgeted');
  await say(sim, s, 'warm');
  const askedAt = performance.now();
  const turn = request(s, 'hello');
  await until(sim, () => s.ofTurn(turn).some((e) => e.kind === 'transcript'), 'an idle worker to answer');
  const ms = performance.now() - askedAt;
  await finish(sim, s, turn);
  return ms;
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
    // Opened first, so nothing but the request itself runs between the loop starting and its answer.
    const other = await sim.open('demo');
    // Only the worker's own clock runs from here: the interrupt, not the kernel's virtual deadline, has to stop the loop.
    const { s: looping, turn, workers, requestedAt } = await startLooping(sim, 'budgeted');
    const asked = performance.now();
    const otherTurn = request(other, 'are you there');
    const answeredMs = performance.now() - asked;
    const answeredAt = performance.now();
    expect(looping.ofTurn(turn).some((e) => e.kind === 'turn.aborted')).toBe(false);
    await until(sim, () => looping.ofTurn(turn).some((e) => e.kind === 'turn.aborted'), 'the looping turn to abort');
    const endedAt = performance.now();
    expect(answeredAt).toBeLessThan(endedAt);
    // The whole budget ran: the loop was not cut short, and the turn ended on the budget, not on anything earlier.
    expect(endedAt - requestedAt).toBeGreaterThanOrEqual(NODE_BUDGET_MS - TIMER_SLACK_MS);
    console.log(
      `control answer during a looping script: ${answeredMs.toFixed(2)} ms; the loop ended ${(endedAt - answeredAt).toFixed(0)} ms later, ${(endedAt - requestedAt).toFixed(0)} ms after its request (budget ${NODE_BUDGET_MS} ms), stopped by ${stoppedBy(workers)}`,
    );
    await finish(sim, looping, turn);
    expect(aborted(looping.ofTurn(turn))).toBe('budget_exhausted');
    expect(botOutcomes(looping, turn)).toEqual(['timeout']);
    await finish(sim, other, otherTurn);
    expect(terminals(other.ofTurn(otherTurn))).toEqual(['turn.committed']);
    await servesNormally(sim, looping);
  });

  test("the kernel's own deadline on its clock ends an endless loop the same way, budget_exhausted (timeout), and the cancel frees the worker", async () => {
    const sim = kernel();
    const { s, turn, workers, requestedAt } = await startLooping(sim, 'budgeted');
    // The kernel clock runs past the node budget long before the worker's wall-clock budget does.
    await sim.advance(NODE_BUDGET_MS + 20);
    expect(aborted(s.ofTurn(turn)), describeEvents(s.ofTurn(turn))).toBe('budget_exhausted');
    console.log(`kernel deadline ended the loop ${(performance.now() - requestedAt).toFixed(0)} ms (wall) after its request`);
    await finish(sim, s, turn);
    expect(botOutcomes(s, turn)).toEqual(['timeout']);
    expect(terminals(s.ofTurn(turn))).toEqual(['turn.aborted']);
    await servesNormally(sim, s);
    // The script stopped on the cancel word: its worker was never replaced.
    expect(tier.workersStarted).toBe(workers);
  });

  test('without a node budget, what is left of the turn active budget bounds the script: budget_exhausted (timeout), on either clock', async () => {
    const sim = kernel();
    for (const clock of ['worker', 'kernel'] as const) {
      const { s, turn } = await startLooping(sim, 'turn-budgeted');
      if (clock === 'kernel') await sim.advance(NODE_BUDGET_MS + 20);
      else await until(sim, () => s.ofTurn(turn).some((e) => e.kind === 'turn.aborted'), 'the looping turn to abort');
      await finish(sim, s, turn);
      expect(aborted(s.ofTurn(turn)), `${clock}: ${describeEvents(s.ofTurn(turn))}`).toBe('budget_exhausted');
      expect(botOutcomes(s, turn), clock).toEqual(['timeout']);
      await servesNormally(sim, s);
    }
  });

  test('a catastrophic regular expression over its node budget ends the turn budget_exhausted (timeout)', async () => {
    const sim = kernel();
    const s = await sim.open('budgeted');
    const requestedAt = performance.now();
    const turn = request(s, 'regex');
    await until(sim, () => s.ofTurn(turn).some((e) => e.kind === 'transcript'), 'the matching script to start');
    const workers = tier.workersStarted;
    await until(sim, () => s.ofTurn(turn).some((e) => e.kind === 'turn.aborted'), 'the regex turn to abort');
    const ranMs = performance.now() - requestedAt;
    expect(ranMs).toBeGreaterThanOrEqual(NODE_BUDGET_MS - TIMER_SLACK_MS);
    console.log(`catastrophic regex ended ${ranMs.toFixed(0)} ms after its request (budget ${NODE_BUDGET_MS} ms), stopped by ${stoppedBy(workers)}`);
    await finish(sim, s, turn);
    const events = s.ofTurn(turn);
    expect(aborted(events), describeEvents(events)).toBe('budget_exhausted');
    expect(botOutcomes(s, turn)).toEqual(['timeout']);
    await servesNormally(sim, s);
  });

  test('a script allocating without bound ends its turn node_failure (memory_limit); another tenant\'s turn at the same time commits its own reply', async () => {
    const sim = kernel();
    const hog = await sim.open('unbudgeted');
    const other = await sim.open('scripted', 'pcm16', 16000, { tenant: 'acme' });
    const hogTurn = request(hog, 'hog');
    await until(sim, () => hog.ofTurn(hogTurn).some((e) => e.kind === 'transcript'), 'the allocating script to start');
    const workers = tier.workersStarted;
    // Opened while tenant A's script fills its engine (with one worker, B's script waits for it).
    const otherTurn = request(other, 'my name is Bea');
    const [, calm] = await Promise.all([finish(sim, hog, hogTurn), finish(sim, other, otherTurn)]);
    expect(aborted(hog.ofTurn(hogTurn)), describeEvents(hog.ofTurn(hogTurn))).toBe('node_failure');
    expect(botOutcomes(hog, hogTurn)).toEqual(['memory_limit']);
    console.log(`unbounded allocation stopped by ${stoppedBy(workers)}`);
    expect(calm.reply).toBe('Nice to meet you, Bea. I am Baton.');
    expect(terminals(other.ofTurn(otherTurn))).toEqual(['turn.committed']);
    // Tenant B's baton:state came through whole.
    expect((await say(sim, other, 'what is my name')).reply).toBe('Your name is Bea.');
    await servesNormally(sim, hog);
  });

  test('a barge-in while a script computes: output.clear, then turn.aborted{cancelled}, one terminal, nothing after the clear, the invocation canceled', async () => {
    const sim = kernel();
    const idleMs = await idleAnswerMs(sim);
    const { s, turn, workers } = await startLooping(sim, 'unbudgeted');
    const cancelledAt = performance.now();
    // The caller talks over the turn: the plan's immediate barge-in cancels it at ingress.
    s.send('speech.started', {});
    // The worker is free again once the next turn's script has run: it answers at once.
    const next = request(s, 'hello');
    await until(sim, () => s.ofTurn(next).some((e) => e.kind === 'transcript'), 'the next turn\'s script to answer');
    const freeMs = performance.now() - cancelledAt;
    console.log(`barge-in to the worker free again (next script answered): ${freeMs.toFixed(1)} ms; the same answer from an idle worker: ${idleMs.toFixed(1)} ms`);
    // Interrupted through the cancel word, not stopped by the backstop's terminate() after the grace.
    expect(tier.workersStarted).toBe(workers);
    expect((await finish(sim, s, next)).reply).toBe('ok: hello');
    const kinds = s.ofTurn(turn).map((e) => e.kind);
    expect(kinds.slice(kinds.indexOf('output.clear'))).toEqual(['output.clear', 'turn.aborted', 'turn.closed']);
    expect(terminals(s.ofTurn(turn))).toEqual(['turn.aborted']);
    expect(aborted(s.ofTurn(turn))).toBe('cancelled');
    expect(botOutcomes(s, turn)).toEqual(['canceled']);
    expect(s.session.snapshot().fence.late_after_cancel).toBe(0);
    await servesNormally(sim, s);
  });

  test('a barge-in racing the script\'s answer: exactly one terminal, and nothing of the turn after output.clear', async () => {
    const sim = kernel();
    const s = await sim.open('unbudgeted');
    const ends: string[] = [];
    // A trivial script answers about 10 ms after its request here: the delays sweep across that moment.
    for (let delayMs = 0; delayMs <= 20; delayMs++) {
      const turn = request(s, 'hello');
      const at = performance.now() + delayMs;
      while (performance.now() < at) {
        await sim.settle();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      s.send('speech.started', {});
      await finish(sim, s, turn);
      const kinds = s.ofTurn(turn).map((e) => e.kind);
      expect(terminals(s.ofTurn(turn)), `${delayMs} ms: ${kinds.join(' ')}`).toHaveLength(1);
      if (kinds.includes('output.clear')) expect(kinds.slice(kinds.indexOf('output.clear'))).toEqual(['output.clear', 'turn.aborted', 'turn.closed']);
      expect(botOutcomes(s, turn)).toHaveLength(1);
      ends.push(`${delayMs}:${botOutcomes(s, turn)[0]}`);
    }
    console.log(`barge-in after n ms, the script's outcome: ${ends.join(' ')}`);
    expect(s.session.snapshot().fence.late_after_cancel).toBe(0);
    await servesNormally(sim, s);
  });

  test('a caller hanging up while a script loops ends the session and frees the worker for the next session', async () => {
    const sim = kernel();
    const { s, turn, workers } = await startLooping(sim, 'unbudgeted');
    s.send('session.end', { reason: 'caller_hung_up' });
    const kinds = s.ofTurn(turn).map((e) => e.kind);
    expect(kinds.slice(kinds.indexOf('output.clear'))).toEqual(['output.clear', 'turn.aborted', 'turn.closed']);
    expect(s.kinds()).toContain('session.ended');
    await servesNormally(sim, await sim.open('unbudgeted'));
    expect(botOutcomes(s, turn)).toEqual(['canceled']);
    expect(tier.workersStarted).toBe(workers);
  });

  test('PutScript during a running turn leaves that turn its pinned plan and code; the next turn runs the new version', async () => {
    const sim = kernel();
    const s = await sim.open('reloading');
    const turn = request(s, 'hello');
    const pinned = s.session.snapshot().active_turn!.plan.scripts;
    await until(sim, () => s.ofTurn(turn).some((e) => e.kind === 'transcript'), 'the slow script to start');
    expect(sim.scripts.put('dev', { name: 'limits/slow', kind: 'node', source: SLOW_V2 }).ok).toBe(true);
    // Still running: the reload really landed mid-turn, before the script's last delta.
    expect(s.ofTurn(turn).filter((e) => e.kind === 'transcript' && e.payload.role === 'assistant').map((e) => (e.kind === 'transcript' ? e.payload.text : ''))).toEqual(['old: ']);
    expect(s.session.snapshot().active_turn!.plan.scripts).toEqual(pinned);
    const old = await finish(sim, s, turn);
    expect(old.reply).toBe('old: hello done');
    expect(terminals(s.ofTurn(turn))).toEqual(['turn.committed']);
    const nextTurn = request(s, 'hello');
    expect(s.session.snapshot().active_turn!.plan.scripts['limits/slow']).not.toBe(pinned['limits/slow']);
    expect((await finish(sim, s, nextTurn)).reply).toBe('new: hello');
  });

  test('the same script, input, history and seed give the same output in two fresh kernels and on a fresh tier', async () => {
    const run = async (scriptTier: QuickJSTier): Promise<string[]> => {
      const sim = kernel(scriptTier);
      const s = await sim.open('dice');
      const replies = [(await say(sim, s, 'roll')).reply, (await say(sim, s, 'again')).reply];
      expect(s.id).toBe('s-1');
      return replies;
    };
    const first = await run(tier);
    // The script did see its inputs: two turns, the second with the first in its history.
    expect(first[0]).toMatch(/^\d+ 1 \d+,\d+ \[\] roll$/);
    expect(first[1]).toMatch(new RegExp(`^\\d+ 2 \\d+,\\d+ \\[u4;a${first[0]!.length}\\] again$`));
    expect(await run(tier)).toEqual(first);
    const restarted = new QuickJSTier({ poolSize: 1, workerUrl });
    try {
      expect(await run(restarted)).toEqual(first);
    } finally {
      await restarted.close();
    }
  });
});
