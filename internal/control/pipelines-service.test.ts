// The Pipelines control plane (DESIGN 5.2, 10; docs/control-plane.md#pipelines)
// over real gRPC against an in-process server: every method's answer and
// documented error status, tenancy, credentials, caps, client deadlines and
// cancellation, and a published pipeline opened and run by the same tenant.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Answer, type CallOptions, type ControlHarness, DEV_KEY, OTHER_KEY, failure, startControlHarness, value } from '../../test/support/control-harness.js';
import { KernelSim, SimSession } from '../../test/support/kernel-sim.js';
import { DEMO_PIPELINE, VOICE_PIPELINE } from '../plan/embedded.js';
import { PipelineRegistry, specHash, type RegistryOptions } from '../plan/registry.js';
import type { PipelineSpec } from '../plan/types.js';
import { Tenants } from '../tenancy/tenants.js';
import { pipelinesService } from './pipelines-service.js';
import { sessionsService } from './sessions-service.js';
import { MAX_STATUS_MESSAGE_BYTES, encodedLength } from './status-message.js';

const PIPELINE_METHODS = ['PublishPipeline', 'GetPipeline', 'ListPipelines'] as const;
const SESSION_METHODS = ['OpenSession', 'ProposeTurn'] as const;
type Method = (typeof PIPELINE_METHODS)[number] | (typeof SESSION_METHODS)[number];

let harness: ControlHarness<'Pipelines' | 'Sessions'>;

beforeAll(async () => {
  harness = await startControlHarness({ Pipelines: PIPELINE_METHODS, Sessions: SESSION_METHODS });
});

afterAll(() => harness?.close());

interface World {
  registry: PipelineRegistry;
  sim: KernelSim;
}

/** A fresh registry (and kernel around it) behind the server. */
function world(options?: RegistryOptions): World {
  const sim = new KernelSim();
  const registry = options ? new PipelineRegistry(options) : sim.registry;
  harness.serve({
    Pipelines: pipelinesService({ registry }),
    Sessions: sessionsService({ sessions: sim.manager, tenants: new Tenants([]), publicUrl: () => 'ws://127.0.0.1:1', wallNow: () => sim.clock.wallNow(), tokenTtlMs: 60_000 }),
  });
  return { registry, sim };
}

function serviceOf(method: Method): 'Pipelines' | 'Sessions' {
  return (PIPELINE_METHODS as readonly string[]).includes(method) ? 'Pipelines' : 'Sessions';
}

function start(method: Method, request: unknown, opts: CallOptions = {}): { call: grpc.ClientUnaryCall; answer: Promise<Answer> } {
  return harness.start(serviceOf(method), method, request, opts);
}

function rpc<T = any>(method: Method, request: unknown, opts: CallOptions = {}): Promise<Answer<T>> {
  return harness.rpc<T>(serviceOf(method), method, request, opts);
}

function bot(reply = 'hello from bot', name = 'bot'): PipelineSpec {
  return {
    name,
    nodes: [
      { id: 'stt', kind: 'stt', builtin: 'mock_stt' },
      { id: 'llm', kind: 'llm', builtin: 'mock_llm', config: { reply } },
      { id: 'tts', kind: 'tts', builtin: 'mock_tts' },
    ],
    edges: [
      { from: 'stt', to: 'llm' },
      { from: 'llm', to: 'tts' },
    ],
  };
}

const publish = (spec: unknown, key?: string | null): Promise<Answer> => rpc('PublishPipeline', { spec }, { key });

describe('PublishPipeline', () => {
  test('answers the name, version "1" and the SHA-256 of the canonical spec, then "2" for a changed spec', async () => {
    world();
    const first = value(await publish(bot('a')));
    expect(first).toEqual({ name: 'bot', version: '1', hash: specHash(bot('a')) });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(value(await publish(bot('b')))).toEqual({ name: 'bot', version: '2', hash: specHash(bot('b')) });
  });

  test('republishing the spec of the latest version is idempotent: the same version, no new one', async () => {
    world();
    const first = value(await publish(bot()));
    expect(value(await publish(bot()))).toEqual(first);
    expect(value(await rpc('GetPipeline', { name: 'bot' })).version).toEqual(first);
    // Going back to an older spec after a change is a new version: it becomes the latest again.
    value(await publish(bot('other')));
    expect(value(await publish(bot()))).toEqual({ ...first, version: '3' });
  });

  test('a spec published over the wire reads back unchanged, every section included', async () => {
    world();
    const spec: PipelineSpec = {
      name: 'full',
      description: 'every section',
      nodes: [
        { id: 'vad', kind: 'vad', builtin: 'vad_energy', budget_ms: 50, config: { threshold_db: '-40' } },
        { id: 'llm', kind: 'llm', builtin: 'openai_llm', provider: 'main' },
        { id: 'hook', kind: 'custom', script: 'lib/hook' },
      ],
      edges: [
        { from: 'vad', to: 'llm' },
        { from: 'llm', to: 'hook' },
      ],
      lanes: [{ lane: 'data', capacity: 128, overflow: 'latest_only', high_watermark_pct: 80, low_watermark_pct: 40 }],
      barge_in: { mode: 'confirmed', min_speech_ms: 250 },
      budgets: { opening_ms: 1500, active_ms: 20000, playback_timeout_ms: 500 },
      providers: [
        { name: 'main', kind: 'openai_compatible', endpoint: 'http://127.0.0.1:9/v1', model: 'm', fallbacks: ['backup'], max_retries: 2, timeout_ms: 3000 },
        { name: 'backup', kind: 'mock' },
      ],
      recording: 'hashes',
      turn_detection: 'node',
    };
    const version = value(await publish(spec));
    const got = value(await rpc('GetPipeline', { name: 'full', version: version.version }));
    expect(got.version).toEqual(version);
    expect(value(await publish(got.spec))).toEqual(version);
    expect(got.spec).toMatchObject({ ...spec, nodes: expect.any(Array), providers: expect.any(Array) });
    expect(got.spec.nodes[0]).toMatchObject(spec.nodes[0]!);
    expect(got.spec.providers[0]).toMatchObject(spec.providers![0]!);
  });

  test('a spec with no nodes, or no spec at all, is INVALID_ARGUMENT', async () => {
    world();
    expect(failure(await publish({ name: 'empty' }))).toEqual({ code: 'INVALID_ARGUMENT', details: 'invalid pipeline spec (1 problem): nodes: a pipeline needs at least one node' });
    expect(failure(await publish(null))).toEqual({ code: 'INVALID_ARGUMENT', details: 'spec is required' });
  });

  test('INVALID_ARGUMENT lists every problem: an unknown node kind, a dangling edge, a cycle, a bad policy, in document order', async () => {
    world();
    const answer = failure(
      await publish({
        name: 'Bad Name',
        nodes: [
          { id: 'a', kind: 'robot', builtin: 'mock_llm' },
          { id: 'b', kind: 'llm', builtin: 'mock_llm' },
          { id: 'c', kind: 'tts', builtin: 'mock_tts' },
        ],
        edges: [
          { from: 'b', to: 'c' },
          { from: 'c', to: 'b' },
          { from: 'b', to: 'ghost' },
        ],
        barge_in: { mode: 'sometimes' },
      }),
    );
    expect(answer.code).toBe('INVALID_ARGUMENT');
    expect(answer.details).toBe(
      [
        'invalid pipeline spec (5 problems): name: "Bad Name" is not a valid name (expected [a-z0-9][a-z0-9_.-]{0,62})',
        'nodes[0].kind: unknown node kind "robot" (expected one of vad, stt, llm, tts, custom)',
        'edges[2].to: unknown node "ghost"',
        'edges: cycle b -> c -> b',
        'barge_in.mode: unknown barge-in mode "sometimes" (expected one of immediate, confirmed)',
      ].join('; '),
    );
  });

  test('a non-positive budget from any source is refused with the rest (over proto3, 0 is "unset" and takes the default)', async () => {
    const { registry } = world();
    const outcome = registry.publishVersion('dev', { ...bot(), budgets: { active_ms: 0, opening_ms: -5 } }, { reserveEmbeddedNames: true });
    expect(outcome).toEqual({
      ok: false,
      refusal: 'invalid_spec',
      problems: ['budgets.opening_ms: must be positive (got -5)', 'budgets.active_ms: must be positive (got 0)'],
    });
    expect(value(await publish({ ...bot(), budgets: { active_ms: 0 } }))).toMatchObject({ version: '1' });
    expect(value(await rpc('GetPipeline', { name: 'bot' })).spec.budgets).toBeNull();
  });

  test('hundreds of problems still arrive: the message stays within the trailer budget and counts what it left out', async () => {
    world();
    const nodes = Array.from({ length: 250 }, (_, i) => ({ id: `n${i}`, kind: 'robot', builtin: 'mock_llm' }));
    const answer = failure(await publish({ name: 'many', nodes }));
    expect(answer.code).toBe('INVALID_ARGUMENT');
    expect(answer.details.startsWith('invalid pipeline spec (250 problems): nodes[0].kind: unknown node kind "robot"')).toBe(true);
    expect(answer.details).toMatch(/; and \d+ more problems$/);
    expect(encodedLength(answer.details)).toBeLessThanOrEqual(MAX_STATUS_MESSAGE_BYTES);
  });

  test('the names of embedded pipelines are reserved: PERMISSION_DENIED, and every tenant keeps the embedded one', async () => {
    world();
    for (const name of ['demo', 'voice', 'scripted']) {
      expect(failure(await publish(bot('mine', name)))).toEqual({
        code: 'PERMISSION_DENIED',
        details: `name: "${name}" is an embedded pipeline's name, which tenants cannot publish over`,
      });
    }
    expect(value(await rpc('GetPipeline', { name: 'demo' })).version).toEqual({ name: 'demo', version: '1', hash: specHash(DEMO_PIPELINE) });
  });

  test('RESOURCE_EXHAUSTED past the tenant pipeline cap; other tenants and new versions are unaffected', async () => {
    world({ maxPipelinesPerTenant: 2 });
    value(await publish(bot('a', 'one')));
    value(await publish(bot('a', 'two')));
    expect(failure(await publish(bot('a', 'three')))).toEqual({ code: 'RESOURCE_EXHAUSTED', details: 'name: tenant already has 2 pipelines, the most it may keep' });
    expect(value(await publish(bot('b', 'one'))).version).toBe('2');
    expect(value(await publish(bot('a', 'three'), OTHER_KEY)).version).toBe('1');
  });

  test('old versions are dropped past the version cap, except those live sessions pin: then RESOURCE_EXHAUSTED', async () => {
    const { registry } = world({ maxVersionsPerPipeline: 2 });
    const v1 = value(await publish(bot('1')));
    value(await publish(bot('2')));
    value(await publish(bot('3')));
    expect(failure(await rpc('GetPipeline', { name: 'bot', version: '1' }))).toEqual({ code: 'NOT_FOUND', details: 'pipeline "bot" has no version 1 (kept: 2, 3)' });
    expect(v1.version).toBe('1');
    registry.pin('dev', 'bot', '2');
    registry.pin('dev', 'bot', '3');
    expect(failure(await publish(bot('4')))).toEqual({ code: 'RESOURCE_EXHAUSTED', details: 'name: pipeline "bot" keeps at most 2 versions and live sessions pin all of them' });
  });

  test('RESOURCE_EXHAUSTED past the tenant byte cap', async () => {
    const { registry } = world({ maxBytesPerTenant: 300 });
    value(await publish(bot('a', 'one')));
    const answer = failure(await publish(bot('a', 'two')));
    expect(answer.code).toBe('RESOURCE_EXHAUSTED');
    expect(answer.details).toMatch(/^spec: tenant keeps \d+ bytes of pipelines; \d+ more would pass its cap of 300$/);
    expect(registry.bytesOf('dev')).toBeLessThanOrEqual(300);
  });
});

describe('GetPipeline', () => {
  test('answers the latest version or a named one, with its spec', async () => {
    world();
    value(await publish(bot('a')));
    value(await publish(bot('b')));
    const latest = value(await rpc('GetPipeline', { name: 'bot' }));
    expect(latest.version).toEqual({ name: 'bot', version: '2', hash: specHash(bot('b')) });
    expect(latest.spec.nodes[1].config).toEqual({ reply: 'b' });
    const first = value(await rpc('GetPipeline', { name: 'bot', version: '1' }));
    expect(first.version.hash).toBe(specHash(bot('a')));
  });

  test('the embedded pipelines are visible as version "1"', async () => {
    world();
    for (const spec of [DEMO_PIPELINE, VOICE_PIPELINE]) {
      const got = value(await rpc('GetPipeline', { name: spec.name }));
      expect(got.version).toEqual({ name: spec.name, version: '1', hash: specHash(spec) });
      expect(got.spec.description).toBe(spec.description);
    }
  });

  test('NOT_FOUND for an unknown name or version', async () => {
    world();
    value(await publish(bot()));
    expect(failure(await rpc('GetPipeline', { name: 'nope' }))).toEqual({ code: 'NOT_FOUND', details: 'no pipeline "nope"' });
    expect(failure(await rpc('GetPipeline', { name: 'bot', version: '7' }))).toEqual({ code: 'NOT_FOUND', details: 'pipeline "bot" has no version 7 (kept: 1)' });
  });

  test('INVALID_ARGUMENT for a missing or malformed name or version', async () => {
    world();
    expect(failure(await rpc('GetPipeline', {}))).toEqual({ code: 'INVALID_ARGUMENT', details: 'name is required' });
    expect(failure(await rpc('GetPipeline', { name: 'Bad/Name' })).code).toBe('INVALID_ARGUMENT');
    for (const version of ['abc', '0', '01', '-1', '1.0']) {
      expect(failure(await rpc('GetPipeline', { name: 'demo', version })).details).toBe(`version "${version}" is not a version number (decimal, from "1"; empty for the latest)`);
    }
  });
});

describe('ListPipelines', () => {
  test('lists the latest version of the tenant own pipelines and the embedded ones, by name', async () => {
    world();
    value(await publish(bot('a', 'zeta')));
    value(await publish(bot('a', 'alpha')));
    value(await publish(bot('b', 'alpha')));
    const listed = value(await rpc('ListPipelines', {}));
    expect(listed.pipelines.map((p: { name: string; version: string }) => `${p.name}@${p.version}`)).toEqual(['alpha@2', 'demo@1', 'scripted@1', 'voice@1', 'zeta@1']);
    expect(listed.next_page_token).toBe('');
  });

  test('pages walk every pipeline once; page_size is capped at 500; a foreign token is INVALID_ARGUMENT', async () => {
    const { registry } = world();
    for (let i = 0; i < 510; i++) expect(registry.publishVersion('dev', bot('x', `p${String(i).padStart(3, '0')}`)).ok).toBe(true);
    const seen: string[] = [];
    let token = '';
    do {
      const page = value(await rpc('ListPipelines', { page_size: 200, page_token: token }));
      seen.push(...page.pipelines.map((p: { name: string }) => p.name));
      token = page.next_page_token;
    } while (token !== '');
    expect(seen).toHaveLength(513);
    expect(new Set(seen).size).toBe(513);
    expect(value(await rpc('ListPipelines', { page_size: 100_000 })).pipelines).toHaveLength(500);
    expect(value(await rpc('ListPipelines', {})).pipelines).toHaveLength(50);
    expect(failure(await rpc('ListPipelines', { page_token: 'not-a-token' }))).toEqual({ code: 'INVALID_ARGUMENT', details: 'page_token: not a token this server issued' });
  });
});

describe('tenancy and credentials', () => {
  test("another tenant's pipelines answer NOT_FOUND and are absent from its list; the same name is its own", async () => {
    world();
    value(await publish(bot('secret', 'private')));
    expect(failure(await rpc('GetPipeline', { name: 'private' }, { key: OTHER_KEY }))).toEqual({ code: 'NOT_FOUND', details: 'no pipeline "private"' });
    expect(value(await rpc('ListPipelines', {}, { key: OTHER_KEY })).pipelines.map((p: { name: string }) => p.name)).toEqual(['demo', 'scripted', 'voice']);
    expect(value(await publish(bot('theirs', 'private'), OTHER_KEY)).version).toBe('1');
    expect(value(await rpc('GetPipeline', { name: 'private' })).spec.nodes[1].config).toEqual({ reply: 'secret' });
  });

  test.each(PIPELINE_METHODS)('%s without a key, or with an unknown one, is UNAUTHENTICATED', async (method) => {
    world();
    const request = method === 'PublishPipeline' ? { spec: bot() } : { name: 'demo' };
    expect(failure(await rpc(method, request, { key: null })).code).toBe('UNAUTHENTICATED');
    expect(failure(await rpc(method, request, { key: 'not-a-tenant-key-000000' })).code).toBe('UNAUTHENTICATED');
  });
});

describe('client deadlines and cancellation', () => {
  test('a deadline already passed ends the call with DEADLINE_EXCEEDED; a retry publishes exactly one version', async () => {
    world();
    value(await publish(bot()));
    expect(failure(await rpc('PublishPipeline', { spec: bot('late') }, { deadline: Date.now() - 1 })).code).toBe('DEADLINE_EXCEEDED');
    expect(value(await publish(bot('late'))).version).toBe('2');
    expect(value(await publish(bot('late'))).version).toBe('2');
  });

  test('a cancelled publish answers CANCELLED; retrying it yields one version whether or not the cancelled call arrived', async () => {
    world();
    const { call, answer } = start('PublishPipeline', { spec: bot() });
    call.cancel();
    expect(failure(await answer).code).toBe('CANCELLED');
    expect(value(await publish(bot())).version).toBe('1');
    expect(value(await rpc('GetPipeline', { name: 'bot' })).version.version).toBe('1');
  });

  test.each(['GetPipeline', 'ListPipelines'] as const)('%s honours client deadlines and cancellation and the server keeps serving', async (method) => {
    world();
    expect(failure(await rpc(method, { name: 'demo' }, { deadline: Date.now() - 1 })).code).toBe('DEADLINE_EXCEEDED');
    const { call, answer } = start(method, { name: 'demo' });
    call.cancel();
    expect(failure(await answer).code).toBe('CANCELLED');
    expect((await rpc(method, { name: 'demo' })).ok).toBe(true);
  });
});

describe('a published pipeline in use', () => {
  test('OpenSession of the same tenant runs it: the session pins the version and a turn commits with its reply', async () => {
    const { sim } = world();
    const version = value(await publish(bot('published reply', 'greeter')));
    const opened = value(await rpc('OpenSession', { pipeline: 'greeter', codec: 'pcm16', sample_rate: 16000 }));
    const session = sim.manager.find('dev', opened.session_id)!;
    expect(session.version).toMatchObject({ name: 'greeter', version: '1', hash: version.hash });
    const gateway = new SimSession(sim, session);
    gateway.attach();
    const decision = value(await rpc('ProposeTurn', { session_id: opened.session_id, epoch: opened.epoch, text: 'hi' }));
    expect(decision).toMatchObject({ outcome: 'TURN_OUTCOME_OPENED', turn_id: 't-1' });
    await sim.advance(3000);
    gateway.send('playback.completed', { played_ms: gateway.last('output.end')!.payload.generated_ms }, { turn_id: 't-1' });
    await sim.advance(100);
    expect(gateway.kinds((e) => e.turn_id === 't-1' && e.kind.startsWith('turn.'))).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
    const assistant = gateway.out.filter((e) => e.kind === 'transcript' && (e.payload as { role: string }).role === 'assistant' && (e.payload as { final: boolean }).final);
    expect(assistant.map((e) => (e.payload as { text: string }).text)).toEqual(['published reply']);
    // A newer version does not change the running session; the next session gets it.
    value(await publish(bot('second reply', 'greeter')));
    expect(session.version.version).toBe('1');
    const next = value(await rpc('OpenSession', { pipeline: 'greeter', codec: 'pcm16', sample_rate: 16000 }));
    expect(sim.manager.find('dev', next.session_id)!.version.version).toBe('2');
  });

  test("another tenant cannot open a session on it: NOT_FOUND", async () => {
    world();
    value(await publish(bot('x', 'greeter')));
    expect(failure(await rpc('OpenSession', { pipeline: 'greeter', codec: 'pcm16', sample_rate: 16000 }, { key: OTHER_KEY }))).toEqual({
      code: 'NOT_FOUND',
      details: 'no pipeline "greeter"',
    });
  });
});
