// Specs arriving over gRPC (proto3 zero values) and from YAML/JSON files reach validation as the same clean value.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { describe, expect, test } from 'vitest';
import { loadControlPlane } from '../../api/controlplane/loader.js';
import { MAX_SPEC_FILE_BYTES, parsePipelineSpecText, specFromWire } from './sources.js';
import { validatePipelineSpec } from './validate.js';
import type { PipelineSpec } from './types.js';

/** A spec as the control plane receives it: encoded by a client, decoded with the server's loader options. */
function throughGrpc(spec: Record<string, unknown>): unknown {
  const service = loadControlPlane().packageDefinition['baton.v1.Pipelines'] as unknown as ServiceDefinition;
  const method = service['PublishPipeline']!;
  const decoded = method.requestDeserialize(method.requestSerialize({ spec })) as { spec: unknown };
  return decoded.spec;
}

const spec: PipelineSpec = {
  name: 'wire',
  nodes: [
    { id: 'stt', kind: 'stt', builtin: 'mock_stt' },
    { id: 'llm', kind: 'llm', builtin: 'openai_llm', provider: 'main', config: { temperature: '0' } },
  ],
  edges: [{ from: 'stt', to: 'llm' }],
  budgets: { active_ms: 9000 },
  providers: [{ name: 'main', kind: 'openai_compatible', model: 'm' }],
};

describe('spec sources', () => {
  test('a spec decoded from gRPC, zero values and all, validates to the same clean spec', () => {
    const wire = throughGrpc(spec as unknown as Record<string, unknown>);
    // The loader fills proto3 defaults in, which as-is would read as "both builtin and script" and zero budgets.
    expect(validatePipelineSpec(wire).ok).toBe(false);
    expect(validatePipelineSpec(specFromWire(wire))).toEqual({ ok: true, spec });
  });

  test('a wire spec without nodes is still reported as having none', () => {
    expect(validatePipelineSpec(specFromWire(throughGrpc({ name: 'empty' })))).toEqual({
      ok: false,
      problems: ['nodes: a pipeline needs at least one node'],
    });
  });

  test('specFromWire drops null, empty strings and zeros at every depth, and keeps lists', () => {
    expect(specFromWire({ a: '', b: 0, c: null, d: { e: '', f: 1 }, g: [{ h: 0, i: 'x' }], j: [] })).toEqual({ d: { f: 1 }, g: [{ i: 'x' }], j: [] });
  });

  test('a YAML file parses and validates', () => {
    const text = [
      'name: wire',
      'nodes:',
      '  - { id: stt, kind: stt, builtin: mock_stt }',
      '  - id: llm',
      '    kind: llm',
      '    builtin: openai_llm',
      '    provider: main',
      '    config: { temperature: "0" }',
      'edges: [{ from: stt, to: llm }]',
      'budgets: { active_ms: 9000 }',
      'providers: [{ name: main, kind: openai_compatible, model: m }]',
    ].join('\n');
    expect(parsePipelineSpecText(text)).toEqual({ ok: true, spec });
  });

  test('a JSON file parses and validates', () => {
    expect(parsePipelineSpecText(JSON.stringify(spec))).toEqual({ ok: true, spec });
  });

  test('file problems and spec problems are both reported', () => {
    expect(parsePipelineSpecText('name: a\nname: b\n')).toMatchObject({ ok: false, problems: [expect.stringMatching(/^file: .*unique/i)] });
    expect(parsePipelineSpecText('name: a\n---\nname: b\n')).toMatchObject({ ok: false, problems: [expect.stringMatching(/^file: /)] });
    expect(parsePipelineSpecText('name: x\nnodes: []\nextra: 1\n')).toEqual({
      ok: false,
      problems: ['extra: unknown field (expected one of name, description, nodes, edges, lanes, barge_in, budgets, providers, recording, turn_detection)', 'nodes: a pipeline needs at least one node'],
    });
  });

  test('unquoted YAML numbers in config are reported, not coerced', () => {
    const result = parsePipelineSpecText('name: x\nnodes: [{ id: a, kind: llm, builtin: mock_llm, config: { n: 3 } }]\n');
    expect(result).toEqual({ ok: false, problems: ['nodes[0].config.n: must be a string'] });
  });

  test('an oversized file or an alias bomb is refused', () => {
    expect(parsePipelineSpecText(`name: x\ndescription: "${'a'.repeat(MAX_SPEC_FILE_BYTES)}"\n`)).toEqual({
      ok: false,
      problems: [`file: larger than ${MAX_SPEC_FILE_BYTES} bytes`],
    });
    const bomb = ['a: &a [x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    const result = parsePipelineSpecText(bomb);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatch(/^file: /);
  });
});
