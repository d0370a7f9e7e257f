// Plans pin the scripts they run (DESIGN 10): a turn's frozen plan carries the
// hash of its node script and every module it imports, and a script stored
// later changes the plan of later turns only.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { ScriptRegistry } from '../../internal/nodes/registry/store.js';
import { KernelSim } from '../support/kernel-sim.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const GREETER_V1 = "import { prefix } from 'words';\nexport default function greet(input) { return prefix + input; }\n";
const WORDS_V1 = "export const prefix = 'hello ';\n";
const WORDS_V2 = "export const prefix = 'hi ';\n";

describe('scripted plans', () => {
  test('turn.opened carries a plan that pins the node script and its module; storing a new module changes the next turn plan_hash only', async () => {
    const scripts = new ScriptRegistry();
    const put = (name: string, kind: string, source: string) => {
      const result = scripts.put('dev', { name, kind, source });
      if (!result.ok) throw new Error(`${name}: ${JSON.stringify(result)}`);
    };
    put('words', 'module', WORDS_V1);
    put('greeter', 'node', GREETER_V1);
    const sim = new KernelSim({
      scripts,
      pipelines: [
        {
          name: 'scripted',
          nodes: [
            { id: 'logic', kind: 'custom', script: 'greeter' },
            { id: 'tts', kind: 'tts', builtin: 'mock_tts' },
          ],
          edges: [{ from: 'logic', to: 'tts' }],
        },
      ],
    });
    const s = await sim.open('scripted');

    s.send('turn.request', { text: 'one' });
    const first = s.last('turn.opened');
    expect(first).toBeDefined();
    const firstPlan = s.session.snapshot().active_turn!.plan;
    expect(firstPlan.scripts).toEqual({ greeter: sha256(GREETER_V1), words: sha256(WORDS_V1) });
    s.send('cancel', { scope: 'turn', reason: 'test' }, { turn_id: first!.turn_id });
    await sim.settle();

    put('words', 'module', WORDS_V2);
    s.send('turn.request', { text: 'two' });
    const second = s.last('turn.opened');
    expect(second!.turn_id).not.toBe(first!.turn_id);
    expect(s.session.snapshot().active_turn!.plan.scripts).toEqual({ greeter: sha256(GREETER_V1), words: sha256(WORDS_V2) });
    expect(second!.payload.plan_hash).not.toBe(first!.payload.plan_hash);
    // The first turn's plan is immutable: what it ran is what it pinned.
    expect(firstPlan.scripts['words']).toBe(sha256(WORDS_V1));
  });

  test('a pipeline whose node script is not stored cannot open a session: the refusal names the script', async () => {
    const sim = new KernelSim({
      scripts: new ScriptRegistry(),
      pipelines: [{ name: 'scripted', nodes: [{ id: 'logic', kind: 'custom', script: 'missing' }], edges: [] }],
    });
    await expect(sim.open('scripted')).rejects.toThrow(/invalid_argument: .*script_not_found:missing/);
  });
});
