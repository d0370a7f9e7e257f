// The embedded demo and voice pipelines: valid, runnable without scripts, and immutable.
import { describe, expect, test } from 'vitest';
import { DEMO_PIPELINE, EMBEDDED_PIPELINES, VOICE_PIPELINE } from './embedded.js';
import { freezePlan } from './freeze.js';
import { PipelineRegistry } from './registry.js';
import { BUILTIN_NODES, validatePipelineSpec } from './validate.js';

describe('embedded pipelines', () => {
  test.each(EMBEDDED_PIPELINES.map((spec) => [spec.name, spec] as const))('%s passes validation unchanged', (_name, spec) => {
    expect(validatePipelineSpec(spec)).toEqual({ ok: true, spec });
  });

  test('demo is mock STT -> LLM -> TTS, needs no script or engine, and lets the gateway propose turns', () => {
    const demo = new PipelineRegistry().get('dev', 'demo')!;
    const frozen = freezePlan(demo, () => undefined);
    expect(frozen.ok).toBe(true);
    if (!frozen.ok) return;
    expect(frozen.plan.nodes.map((n) => n.builtin)).toEqual(['mock_stt', 'mock_llm', 'mock_tts']);
    expect(frozen.plan.turn_detection).toBe('gateway');
    expect(frozen.plan.scripts).toEqual({});
    expect(DEMO_PIPELINE.nodes.every((n) => n.builtin?.startsWith('mock_'))).toBe(true);
  });

  test('voice is energy VAD -> pocketsphinx -> mock LLM -> espeak-ng, and its VAD node proposes turns', () => {
    const voice = new PipelineRegistry().get('dev', 'voice')!;
    const frozen = freezePlan(voice, () => undefined);
    expect(frozen.ok).toBe(true);
    if (!frozen.ok) return;
    expect(frozen.plan.nodes.map((n) => [n.kind, n.builtin])).toEqual([
      ['vad', 'vad_energy'],
      ['stt', 'pocketsphinx_stt'],
      ['llm', 'mock_llm'],
      ['tts', 'espeak_tts'],
    ]);
    expect(frozen.plan.turn_detection).toBe('node');
    expect(VOICE_PIPELINE.nodes.every((n) => BUILTIN_NODES[n.builtin!] === n.kind)).toBe(true);
  });

  test('the embedded specs cannot be changed at run time', () => {
    expect(Object.isFrozen(EMBEDDED_PIPELINES)).toBe(true);
    expect(Object.isFrozen(DEMO_PIPELINE.nodes[0])).toBe(true);
    expect(() => {
      (VOICE_PIPELINE as { name: string }).name = 'x';
    }).toThrow(TypeError);
  });

  test('each embedded plan hash is the same in every registry and for every tenant', () => {
    const hashes = (tenant: string) =>
      ['demo', 'voice'].map((name) => {
        const result = freezePlan(new PipelineRegistry().get(tenant, name)!, () => undefined);
        return result.ok ? result.plan.plan_hash : result.reason;
      });
    expect(hashes('acme')).toEqual(hashes('globex'));
  });
});
