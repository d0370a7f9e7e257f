// Script nodes through the whole kernel core: the embedded `scripted`
// pipeline (mock stt -> redact/pii -> bot/rules -> mock tts) on the real
// QuickJS worker tier, with the embedded default scripts, the session's
// heard history and baton:state across turns, and a tenant's own script
// replacing a default for later turns only.
import { afterAll, describe, expect, test } from 'vitest';
import { SimulationKernel } from '../../internal/kernel/simulation.js';
import { embeddedScripts } from '../../internal/nodes/registry/layout.js';
import { ScriptRegistry } from '../../internal/nodes/registry/store.js';
import { QuickJSTier } from '../../internal/nodes/sandbox/quickjs/index.js';
import { Metrics } from '../../internal/observe/metrics.js';
import { quickjsWorkerUrl } from '../conformance/sandbox/worker-build.js';
import { say } from '../support/script-turns.js';

const tier = new QuickJSTier({ poolSize: 1, workerUrl: quickjsWorkerUrl() });
afterAll(() => tier.close());

function kernel(): SimulationKernel {
  return new SimulationKernel({ scriptTier: tier, scripts: new ScriptRegistry({}, { embedded: embeddedScripts() }) });
}

describe('script nodes in a kernel', () => {
  test('the scripted pipeline redacts, then answers from the rule bot, and remembers the caller across turns', async () => {
    const sim = kernel();
    const s = await sim.open('scripted');
    const first = await say(sim, s, 'Hello, my name is Ada and my number is 555 123 4567');
    expect(first.reply).toBe('Nice to meet you, Ada. I am Baton.');
    expect(first.kinds.filter((k) => k.startsWith('turn.'))).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
    expect(first.kinds).toContain('audio.out');
    // baton:state carried the name to the next turn; the redactor masked the number before the bot saw it.
    expect((await say(sim, s, 'what is my name')).reply).toBe('Your name is Ada.');
    expect((await say(sim, s, 'call 555 123 4567 now')).reply).toBe('You said: call [number] now');
  });

  test('a tenant script replaces the embedded default for the next turn; a second session keeps its own state', async () => {
    const sim = kernel();
    const a = await sim.open('scripted');
    const b = await sim.open('scripted');
    expect((await say(sim, a, 'my name is Ada')).reply).toBe('Nice to meet you, Ada. I am Baton.');
    expect((await say(sim, b, 'what is my name')).reply).toBe('You have not told me your name yet.');
    const put = sim.scripts.put('dev', { name: 'bot/rules', kind: 'node', source: "export default function handle(input) { return 'v2: ' + input.text; }" });
    expect(put.ok).toBe(true);
    expect((await say(sim, a, 'hello')).reply).toBe('v2: hello');
  });

  test('a script that throws aborts its turn node_failure, and the session opens the next turn', async () => {
    const sim = kernel();
    const s = await sim.open('scripted');
    expect(sim.scripts.put('dev', { name: 'bot/rules', kind: 'node', source: "export default function handle() { throw new Error('boom'); }" }).ok).toBe(true);
    const failed = await say(sim, s, 'hello');
    expect(failed.kinds.filter((k) => k.startsWith('turn.'))).toEqual(['turn.opened', 'turn.active', 'turn.aborted', 'turn.closed']);
    const aborted = s.ofTurn(failed.turn_id).find((e) => e.kind === 'turn.aborted');
    expect(aborted?.kind === 'turn.aborted' && aborted.payload.reason).toBe('node_failure');
    expect(sim.scripts.put('dev', { name: 'bot/rules', kind: 'node', source: "export default function handle(input) { return 'fixed'; }" }).ok).toBe(true);
    expect((await say(sim, s, 'hello')).reply).toBe('fixed');
  });

  test('script metrics: run time by kind and outcome for every call, compile time only when a context links the script', async () => {
    const own = new QuickJSTier({ poolSize: 1, workerUrl: quickjsWorkerUrl() });
    try {
      const metrics = new Metrics({ processMetrics: false });
      const sim = new SimulationKernel({ scriptTier: own, metrics, scripts: new ScriptRegistry({}, { embedded: embeddedScripts() }) });
      const s = await sim.open('scripted');
      await say(sim, s, 'hello');
      await say(sim, s, 'hello again');
      const text = await metrics.registry.metrics();
      const count = (name: string, labels: string): number => Number(new RegExp(`^${name}_count\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 'NaN');
      expect(count('baton_script_run_seconds', 'node_kind="llm",outcome="ok"')).toBe(2);
      expect(count('baton_script_run_seconds', 'node_kind="custom",outcome="ok"')).toBe(2);
      // The second turn reuses the context that linked both scripts on the first.
      expect(count('baton_script_compile_seconds', 'node_kind="llm"')).toBe(1);
      expect(count('baton_script_compile_seconds', 'node_kind="custom"')).toBe(1);
      expect(count('baton_script_memory_bytes', 'node_kind="llm"')).toBe(2);
    } finally {
      await own.close();
    }
  });
});
