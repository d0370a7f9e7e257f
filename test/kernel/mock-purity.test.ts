// DESIGN 10 across sessions: the built-in mock nodes are pure functions of their input and configuration, so the same
// text gives the same reply and the same audio in any session, whatever its seed; only `vary: seed` lets the seed in.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { AnyEnvelope } from '../../api/eventabi/index.js';
import { DEMO_PIPELINE } from '../../internal/plan/embedded.js';
import type { PipelineSpec } from '../../internal/plan/types.js';
import { KernelSim, type SimSession } from '../support/kernel-sim.js';

const SAID = 'book a table for two';

/** What the caller of one turn got: the seeds, the assistant's final text, and every audio.out frame in order (as digests). */
interface Heard {
  sessionSeed: number;
  turnSeed: number;
  reply: string;
  audio: string[];
}

function heardIn(s: SimSession): Heard {
  const opened = s.last('turn.opened')!;
  const turn = s.ofTurn(opened.turn_id);
  const final = turn.find((e): e is AnyEnvelope & { kind: 'transcript' } => e.kind === 'transcript' && e.payload.role === 'assistant' && e.payload.final);
  const audio = turn.filter((e): e is AnyEnvelope & { kind: 'audio.out' } => e.kind === 'audio.out');
  return {
    sessionSeed: s.last('session.started')!.payload.seed,
    turnSeed: opened.payload.seed,
    reply: final?.payload.text ?? '',
    audio: audio.map((e) => createHash('sha256').update(e.payload.audio).digest('hex')),
  };
}

/** Every session says `text` at the same moment; the clock runs until each turn's output has ended. */
async function sayInEach(sim: KernelSim, sessions: SimSession[], text: string): Promise<Heard[]> {
  for (const s of sessions) s.send('turn.request', { text });
  for (let waited = 0; waited < 30_000 && !sessions.every((s) => s.last('output.end')); waited += 500) await sim.advance(500);
  for (const s of sessions) expect(s.last('output.end'), `output.end in ${s.id}`).toBeDefined();
  return sessions.map(heardIn);
}

/** The embedded demo pipeline under another name, with the mock LLM's config set to `llm`. */
function demoWith(name: string, llm: Record<string, string>): PipelineSpec {
  return { ...DEMO_PIPELINE, name, nodes: DEMO_PIPELINE.nodes.map((node) => (node.builtin === 'mock_llm' ? { ...node, config: llm } : node)) };
}

describe('built-in mock nodes are pure functions of their input and configuration', () => {
  test('two demo sessions with different seeds saying the same words get the same reply and the same audio.out bytes, in order', async () => {
    const sim = new KernelSim();
    const sessions = [await sim.open('demo'), await sim.open('demo')];
    const [first, second] = await sayInEach(sim, sessions, SAID);

    expect(sessions[0]!.id).not.toBe(sessions[1]!.id);
    expect(second!.sessionSeed).not.toBe(first!.sessionSeed);
    expect(second!.turnSeed).not.toBe(first!.turnSeed);
    expect(first!.reply).toBe(`You said: ${SAID}.`);
    expect(second!.reply).toBe(first!.reply);
    expect(first!.audio.length).toBeGreaterThan(0);
    expect(second!.audio).toEqual(first!.audio);
  });

  test('with mock_llm config vary: seed the seed picks the reply: sessions can differ, and the audio follows the reply', async () => {
    const sim = new KernelSim({ pipelines: [demoWith('demo-seeded', { vary: 'seed' })] });
    const sessions = await Promise.all(Array.from({ length: 6 }, () => sim.open('demo-seeded')));
    const heard = await sayInEach(sim, sessions, SAID);

    for (const h of heard) expect(h.reply).toMatch(new RegExp(`^(You said|I heard|Got it): ${SAID}\\.$`));
    expect(new Set(heard.map((h) => h.reply)).size).toBeGreaterThan(1);
    for (const a of heard) {
      for (const b of heard) {
        if (a.reply === b.reply) expect(b.audio).toEqual(a.audio);
        else expect(b.audio).not.toEqual(a.audio);
      }
    }
  });

  test('a mock_llm config.vary other than none or seed aborts the turn node_failure, before anything is spoken', async () => {
    const sim = new KernelSim({ pipelines: [demoWith('demo-badly-varied', { vary: 'sometimes' })] });
    const s = await sim.open('demo-badly-varied');
    s.send('turn.request', { text: SAID });
    await sim.advance(1000);
    const turn = s.ofTurn(s.last('turn.opened')!.turn_id);
    expect(turn.find((e) => e.kind === 'turn.aborted')?.payload).toMatchObject({ reason: 'node_failure' });
    expect(turn.map((e) => e.kind)).not.toContain('audio.out');
  });
});
