// The embedded demo and voice pipelines: valid, runnable without scripts, and immutable.
import { describe, expect, test } from 'vitest';
import { embeddedScripts } from '../nodes/registry/layout.js';
import { ScriptRegistry } from '../nodes/registry/store.js';
import { DEMO_PIPELINE, EMBEDDED_PIPELINES, SCRIPTED_PIPELINE, VOICE_PIPELINE } from './embedded.js';
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

  test('scripted is mock STT -> redact/pii -> bot/rules -> mock TTS and pins the embedded scripts with the module they share', () => {
    const scripts = new ScriptRegistry({}, { embedded: embeddedScripts() });
    const scripted = new PipelineRegistry().get('dev', 'scripted')!;
    const frozen = freezePlan(scripted, (name) => scripts.linkedHashes('dev', name));
    expect(frozen.ok).toBe(true);
    if (!frozen.ok) return;
    expect(frozen.plan.nodes.map((n) => [n.id, n.kind, n.builtin ?? n.script])).toEqual([
      ['stt', 'stt', 'mock_stt'],
      ['redact', 'custom', 'redact/pii'],
      ['bot', 'llm', 'bot/rules'],
      ['tts', 'tts', 'mock_tts'],
    ]);
    expect(frozen.plan.turn_detection).toBe(DEMO_PIPELINE.turn_detection);
    expect(Object.keys(frozen.plan.scripts).sort()).toEqual(['bot/rules', 'defaults/text', 'redact/pii']);
    expect(frozen.plan.scripts['defaults/text']).toBe(scripts.get('dev', 'defaults/text')!.hash);
    // Without the scripts the plan cannot freeze: the registry is what makes it runnable.
    expect(freezePlan(scripted, () => undefined).ok).toBe(false);
    expect(SCRIPTED_PIPELINE.nodes.filter((n) => n.script).map((n) => n.script)).toEqual(['redact/pii', 'bot/rules']);
    const hashFor = (tenant: string) => {
      const result = freezePlan(new PipelineRegistry().get(tenant, 'scripted')!, (name) => scripts.linkedHashes(tenant, name));
      return result.ok ? result.plan.plan_hash : result.reason;
    };
    expect(hashFor('acme')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashFor('acme')).toBe(hashFor('globex'));
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
