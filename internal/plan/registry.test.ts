// The pipeline registry: versioning, shadowing of embedded pipelines, paging, pinning and caps.
import { describe, expect, test } from 'vitest';
import { canonicalize, sha256Hex } from './canonical.js';
import { DEMO_PIPELINE, VOICE_PIPELINE } from './embedded.js';
import { EMBEDDED_TENANT, PipelineRegistry, REGISTRY_DEFAULTS, specHash, type ListResult } from './registry.js';
import type { PipelineSpec, PipelineVersion } from './types.js';

function pipeline(name: string, reply = 'hi'): PipelineSpec {
  return { name, nodes: [{ id: 'llm', kind: 'llm', builtin: 'mock_llm', config: { reply } }], edges: [] };
}

function published(registry: PipelineRegistry, tenant: string, spec: unknown): PipelineVersion {
  const result = registry.publish(tenant, spec);
  if (!result.ok) throw new Error(`publish failed: ${result.problems.join('; ')}`);
  return result.version;
}

function page(result: ListResult): { names: string[]; next: string } {
  if (!result.ok) throw new Error(result.problem);
  return { names: result.pipelines.map((p) => p.name), next: result.next_page_token };
}

describe('pipeline registry', () => {
  describe('publishing', () => {
    test('versions count up from "1" per (tenant, name)', () => {
      const registry = new PipelineRegistry();
      expect(published(registry, 'acme', pipeline('bot', 'a')).version).toBe('1');
      expect(published(registry, 'acme', pipeline('bot', 'b')).version).toBe('2');
      expect(published(registry, 'acme', pipeline('other')).version).toBe('1');
      expect(published(registry, 'globex', pipeline('bot', 'a')).version).toBe('1');
    });

    test('a version carries its tenant, name and the SHA-256 of the canonical spec', () => {
      const registry = new PipelineRegistry();
      const spec = pipeline('bot');
      const v = published(registry, 'acme', spec);
      expect(v).toEqual({ tenant: 'acme', name: 'bot', version: '1', hash: sha256Hex(canonicalize(spec)), spec });
      expect(v.hash).toBe(specHash(spec));
    });

    test('publishing the same spec as the latest returns the latest version, not a new one', () => {
      const registry = new PipelineRegistry();
      const first = published(registry, 'acme', pipeline('bot'));
      // Same content, other key order and spelled-out empty lists: same canonical form.
      const again = published(registry, 'acme', { edges: [], lanes: [], nodes: [{ config: { reply: 'hi' }, builtin: 'mock_llm', kind: 'llm', id: 'llm' }], name: 'bot' });
      expect(again).toBe(first);
      expect(registry.versions('acme', 'bot')).toHaveLength(1);
    });

    test('going back to an older spec is a new version', () => {
      const registry = new PipelineRegistry();
      const a = published(registry, 'acme', pipeline('bot', 'a'));
      published(registry, 'acme', pipeline('bot', 'b'));
      const back = published(registry, 'acme', pipeline('bot', 'a'));
      expect(back.version).toBe('3');
      expect(back.hash).toBe(a.hash);
    });

    test('an invalid spec is refused with every problem and stores nothing', () => {
      const registry = new PipelineRegistry();
      expect(registry.publish('acme', { name: 'bot', nodes: [], budgets: { active_ms: 0 } })).toEqual({
        ok: false,
        problems: ['nodes: a pipeline needs at least one node', 'budgets.active_ms: must be positive (got 0)'],
      });
      expect(registry.get('acme', 'bot')).toBeUndefined();
    });

    test('the embedded tenant name cannot publish', () => {
      const registry = new PipelineRegistry();
      expect(registry.publish(EMBEDDED_TENANT, pipeline('demo'))).toEqual({ ok: false, problems: ['tenant: required'] });
      expect(registry.get('acme', 'demo')!.spec).toEqual(DEMO_PIPELINE);
    });

    test('a stored version is frozen and does not follow later edits of the published object', () => {
      const registry = new PipelineRegistry();
      const spec = pipeline('bot');
      const v = published(registry, 'acme', spec);
      spec.nodes[0]!.config!['reply'] = 'changed';
      expect(registry.get('acme', 'bot')!.spec.nodes[0]!.config).toEqual({ reply: 'hi' });
      expect(Object.isFrozen(v)).toBe(true);
      expect(Object.isFrozen(v.spec.nodes[0]!.config)).toBe(true);
    });
  });

  describe('lookup and shadowing', () => {
    test('get returns the latest by default and any kept version by number', () => {
      const registry = new PipelineRegistry();
      published(registry, 'acme', pipeline('bot', 'a'));
      published(registry, 'acme', pipeline('bot', 'b'));
      expect(registry.get('acme', 'bot')!.version).toBe('2');
      expect(registry.get('acme', 'bot', '')!.version).toBe('2');
      expect(registry.get('acme', 'bot', '1')!.spec.nodes[0]!.config).toEqual({ reply: 'a' });
      expect(registry.get('acme', 'bot', '3')).toBeUndefined();
      expect(registry.get('acme', 'nope')).toBeUndefined();
    });

    test('a tenant never sees another tenant pipelines', () => {
      const registry = new PipelineRegistry();
      published(registry, 'acme', pipeline('secret'));
      expect(registry.get('globex', 'secret')).toBeUndefined();
      expect(page(registry.list('globex')).names).toEqual(['demo', 'scripted', 'voice']);
    });

    test('embedded pipelines are visible to every tenant as version "1"', () => {
      const registry = new PipelineRegistry();
      for (const tenant of ['acme', 'globex']) {
        const demo = registry.get(tenant, 'demo')!;
        expect(demo).toMatchObject({ tenant: EMBEDDED_TENANT, name: 'demo', version: '1', hash: specHash(DEMO_PIPELINE) });
        expect(registry.get(tenant, 'voice')!.spec).toEqual(VOICE_PIPELINE);
      }
    });

    test('a tenant own pipeline shadows the embedded one of the same name, for that tenant only', () => {
      const registry = new PipelineRegistry();
      const own = published(registry, 'acme', pipeline('demo'));
      expect(registry.get('acme', 'demo')).toBe(own);
      expect(registry.get('acme', 'demo', '1')).toBe(own);
      expect(registry.versions('acme', 'demo')).toEqual([own]);
      expect(registry.get('globex', 'demo')!.tenant).toBe(EMBEDDED_TENANT);
      const listed = registry.list('acme');
      expect(listed.ok && listed.pipelines.find((p) => p.name === 'demo')).toBe(own);
    });

    test('the embedded set can be replaced, and an invalid or repeated embedded spec is a build defect', () => {
      expect(page(new PipelineRegistry({ embedded: [] }).list('acme')).names).toEqual([]);
      expect(() => new PipelineRegistry({ embedded: [{ name: 'x', nodes: [], edges: [] }] })).toThrow(/embedded pipeline is invalid/);
      expect(() => new PipelineRegistry({ embedded: [DEMO_PIPELINE, DEMO_PIPELINE] })).toThrow(/listed twice/);
    });
  });

  describe('listing', () => {
    function registryWith(names: string[]): PipelineRegistry {
      const registry = new PipelineRegistry({ embedded: [] });
      for (const name of names) published(registry, 't', pipeline(name));
      return registry;
    }

    test('lists the latest version of each visible pipeline, ordered by name', () => {
      const registry = new PipelineRegistry();
      published(registry, 't', pipeline('zeta'));
      published(registry, 't', pipeline('alpha', 'a'));
      published(registry, 't', pipeline('alpha', 'b'));
      const result = registry.list('t');
      expect(result.ok && result.pipelines.map((p) => `${p.name}@${p.version}`)).toEqual(['alpha@2', 'demo@1', 'scripted@1', 'voice@1', 'zeta@1']);
      expect(result.ok && result.next_page_token).toBe('');
    });

    test('pages walk every pipeline exactly once with opaque tokens', () => {
      const names = ['e', 'a', 'd', 'b', 'c'];
      const registry = registryWith(names);
      const first = page(registry.list('t', { page_size: 2 }));
      expect(first.names).toEqual(['a', 'b']);
      expect(first.next).not.toContain('b');
      const second = page(registry.list('t', { page_size: 2, page_token: first.next }));
      expect(second.names).toEqual(['c', 'd']);
      const third = page(registry.list('t', { page_size: 2, page_token: second.next }));
      expect(third).toEqual({ names: ['e'], next: '' });
    });

    test('a full last page has no next token', () => {
      const registry = registryWith(['a', 'b']);
      expect(page(registry.list('t', { page_size: 2 }))).toEqual({ names: ['a', 'b'], next: '' });
    });

    test('pages stay consistent when pipelines are published between calls', () => {
      const registry = registryWith(['b', 'd', 'f']);
      const first = page(registry.list('t', { page_size: 2 }));
      published(registry, 't', pipeline('a'));
      published(registry, 't', pipeline('c'));
      expect(page(registry.list('t', { page_size: 2, page_token: first.next })).names).toEqual(['f']);
    });

    test('page size defaults to 50 and is capped at 500', () => {
      const registry = registryWith(Array.from({ length: 520 }, (_, i) => `p${String(i).padStart(3, '0')}`));
      expect(page(registry.list('t')).names).toHaveLength(REGISTRY_DEFAULTS.defaultPageSize);
      expect(page(registry.list('t', { page_size: 0 })).names).toHaveLength(50);
      const big = page(registry.list('t', { page_size: 10_000 }));
      expect(big.names).toHaveLength(REGISTRY_DEFAULTS.maxPageSize);
      expect(page(registry.list('t', { page_size: 10_000, page_token: big.next })).names).toHaveLength(20);
    });

    test('a token this registry did not issue, or a bad page size, is refused', () => {
      const registry = registryWith(['a', 'b', 'c']);
      const bad = { ok: false, problem: 'page_token: not a token this server issued' };
      expect(registry.list('t', { page_token: 'garbage!' })).toEqual(bad);
      expect(registry.list('t', { page_token: Buffer.from('a').toString('base64url') })).toEqual(bad);
      const good = page(registry.list('t', { page_size: 1 })).next;
      expect(registry.list('t', { page_token: `${good}=` })).toEqual(bad);
      expect(registry.list('t', { page_size: -1 })).toEqual({ ok: false, problem: 'page_size: must be a non-negative integer' });
      expect(registry.list('t', { page_size: 1.5 })).toEqual({ ok: false, problem: 'page_size: must be a non-negative integer' });
    });
  });

  describe('bounds and pinning', () => {
    test('only the newest versions are kept, up to the cap', () => {
      const registry = new PipelineRegistry({ maxVersionsPerPipeline: 3 });
      for (const reply of ['1', '2', '3', '4', '5']) published(registry, 't', pipeline('bot', reply));
      expect(registry.versions('t', 'bot').map((v) => v.version)).toEqual(['3', '4', '5']);
      expect(registry.get('t', 'bot', '1')).toBeUndefined();
      // Numbers are never reused after a drop.
      expect(published(registry, 't', pipeline('bot', '6')).version).toBe('6');
    });

    test('the default cap keeps 32 versions', () => {
      const registry = new PipelineRegistry();
      for (let i = 0; i < 40; i++) published(registry, 't', pipeline('bot', String(i)));
      const kept = registry.versions('t', 'bot');
      expect(kept).toHaveLength(REGISTRY_DEFAULTS.maxVersionsPerPipeline);
      expect(kept[0]!.version).toBe('9');
    });

    test('a pinned version survives the cap until its last pin is released', () => {
      const registry = new PipelineRegistry({ maxVersionsPerPipeline: 2 });
      published(registry, 't', pipeline('bot', '1'));
      expect(registry.pin('t', 'bot', '1')).toBe(true);
      expect(registry.pin('t', 'bot', '1')).toBe(true);
      published(registry, 't', pipeline('bot', '2'));
      published(registry, 't', pipeline('bot', '3'));
      expect(registry.versions('t', 'bot').map((v) => v.version)).toEqual(['1', '3']);
      expect(registry.unpin('t', 'bot', '1')).toBe(true);
      published(registry, 't', pipeline('bot', '4'));
      expect(registry.versions('t', 'bot').map((v) => v.version)).toEqual(['1', '4']);
      expect(registry.unpin('t', 'bot', '1')).toBe(true);
      published(registry, 't', pipeline('bot', '5'));
      expect(registry.versions('t', 'bot').map((v) => v.version)).toEqual(['4', '5']);
    });

    test('when every kept version is pinned, publishing is refused rather than growing', () => {
      const registry = new PipelineRegistry({ maxVersionsPerPipeline: 2 });
      published(registry, 't', pipeline('bot', '1'));
      published(registry, 't', pipeline('bot', '2'));
      registry.pin('t', 'bot', '1');
      registry.pin('t', 'bot', '2');
      expect(registry.publish('t', pipeline('bot', '3'))).toEqual({
        ok: false,
        problems: ['name: pipeline "bot" keeps at most 2 versions and live sessions pin all of them'],
      });
      registry.unpin('t', 'bot', '2');
      expect(published(registry, 't', pipeline('bot', '3')).version).toBe('3');
      expect(registry.versions('t', 'bot').map((v) => v.version)).toEqual(['1', '3']);
    });

    test('pin and unpin answer false for what does not exist, and never count below zero', () => {
      const registry = new PipelineRegistry();
      published(registry, 't', pipeline('bot'));
      expect(registry.pin('t', 'bot', '9')).toBe(false);
      expect(registry.pin('t', 'nope', '1')).toBe(false);
      expect(registry.pin('other', 'bot', '1')).toBe(false);
      expect(registry.unpin('t', 'bot', '1')).toBe(false);
    });

    test('embedded versions can be pinned and are never dropped', () => {
      const registry = new PipelineRegistry();
      expect(registry.pin('t', 'demo', '1')).toBe(true);
      expect(registry.unpin('t', 'demo', '1')).toBe(true);
      expect(registry.pin('t', 'demo', '2')).toBe(false);
    });

    test('a hash tells an embedded pin apart from the tenant own version of the same number', () => {
      const registry = new PipelineRegistry({ maxVersionsPerPipeline: 1 });
      const embedded = registry.get('t', 'demo')!;
      // Session A runs the embedded demo v1; the tenant then publishes its own demo v1, which session B runs.
      expect(registry.pin('t', 'demo', '1', embedded.hash)).toBe(true);
      const own = published(registry, 't', pipeline('demo', 'a'));
      expect(registry.pin('t', 'demo', '1', own.hash)).toBe(true);
      // Session A ends: releasing its pin must leave session B's pin on the tenant's v1 in place.
      expect(registry.unpin('t', 'demo', '1', embedded.hash)).toBe(true);
      expect(registry.publish('t', pipeline('demo', 'b')).ok).toBe(false);
      expect(registry.unpin('t', 'demo', '1', own.hash)).toBe(true);
      expect(published(registry, 't', pipeline('demo', 'b')).version).toBe('2');
      expect(registry.pin('t', 'demo', '1', 'f'.repeat(64))).toBe(false);
    });

    test('without a hash, a tenant own version wins over the embedded one of the same number', () => {
      const registry = new PipelineRegistry({ maxVersionsPerPipeline: 1 });
      published(registry, 't', pipeline('demo', 'a'));
      expect(registry.pin('t', 'demo', '1')).toBe(true);
      expect(registry.publish('t', pipeline('demo', 'b')).ok).toBe(false);
    });

    test('a tenant may keep at most the capped number of pipelines', () => {
      const registry = new PipelineRegistry({ maxPipelinesPerTenant: 2 });
      published(registry, 't', pipeline('a'));
      published(registry, 't', pipeline('b'));
      expect(registry.publish('t', pipeline('c'))).toEqual({ ok: false, problems: ['name: tenant already has 2 pipelines, the most it may keep'] });
      // New versions of existing pipelines, other tenants and embedded names are unaffected.
      expect(published(registry, 't', pipeline('a', 'new')).version).toBe('2');
      expect(published(registry, 'u', pipeline('c')).version).toBe('1');
      expect(registry.get('t', 'demo')).toBeDefined();
    });
  });

  describe('publishVersion: refusal reasons, reserved names and the byte caps', () => {
    test('says whether a version was created, and answers the latest unchanged for a repeated spec', () => {
      const registry = new PipelineRegistry();
      const first = registry.publishVersion('t', pipeline('bot'));
      expect(first).toMatchObject({ ok: true, created: true });
      const again = registry.publishVersion('t', pipeline('bot'));
      expect(again.ok && again.created).toBe(false);
      expect(again.ok && first.ok && again.version).toBe(first.ok && first.version);
    });

    test('each refusal names its reason, and a refusal stores nothing', () => {
      const registry = new PipelineRegistry({ maxPipelinesPerTenant: 1, maxVersionsPerPipeline: 1 });
      expect(registry.publishVersion('t', { name: 'x', nodes: [] })).toMatchObject({ ok: false, refusal: 'invalid_spec' });
      expect(registry.publishVersion('t', pipeline('demo'), { reserveEmbeddedNames: true })).toEqual({
        ok: false,
        refusal: 'reserved_name',
        problems: ['name: "demo" is an embedded pipeline\'s name, which tenants cannot publish over'],
      });
      published(registry, 't', pipeline('a'));
      expect(registry.publishVersion('t', pipeline('b'))).toMatchObject({ ok: false, refusal: 'too_many_pipelines' });
      registry.pin('t', 'a', '1');
      expect(registry.publishVersion('t', pipeline('a', 'new'))).toMatchObject({ ok: false, refusal: 'versions_pinned' });
      expect(registry.versions('t', 'a').map((v) => v.version)).toEqual(['1']);
      expect(registry.get('t', 'demo')!.tenant).toBe(EMBEDDED_TENANT);
    });

    test('embedded names are reserved only when the caller asks: plain publish still shadows', () => {
      const registry = new PipelineRegistry();
      expect(registry.isEmbedded('demo')).toBe(true);
      expect(registry.isEmbedded('bot')).toBe(false);
      expect(registry.publishVersion('t', pipeline('bot'), { reserveEmbeddedNames: true }).ok).toBe(true);
      expect(registry.publish('t', pipeline('demo')).ok).toBe(true);
    });

    test('a spec whose canonical form passes the spec byte cap is an invalid spec', () => {
      const spec = pipeline('bot', 'x'.repeat(200));
      const size = Buffer.byteLength(canonicalize(spec));
      const registry = new PipelineRegistry({ maxSpecBytes: size - 1 });
      expect(registry.publishVersion('t', spec)).toEqual({
        ok: false,
        refusal: 'invalid_spec',
        problems: [`spec: its canonical form is ${size} bytes, more than the ${size - 1} a pipeline may have`],
      });
      expect(new PipelineRegistry({ maxSpecBytes: size }).publishVersion('t', spec).ok).toBe(true);
    });

    test('the tenant byte cap counts every kept version, frees what a dropped version held, and is per tenant', () => {
      const one = Buffer.byteLength(canonicalize(pipeline('bot', 'a')));
      const registry = new PipelineRegistry({ maxBytesPerTenant: 2 * one, maxVersionsPerPipeline: 2 });
      published(registry, 't', pipeline('bot', 'a'));
      published(registry, 't', pipeline('bot', 'b'));
      expect(registry.bytesOf('t')).toBe(2 * one);
      // A third version drops the oldest, so it fits in the same bytes.
      published(registry, 't', pipeline('bot', 'c'));
      expect(registry.bytesOf('t')).toBe(2 * one);
      const refused = registry.publishVersion('t', pipeline('cat', 'a'));
      expect(refused).toMatchObject({ ok: false, refusal: 'tenant_bytes' });
      expect(registry.get('t', 'cat')).toBeUndefined();
      expect(registry.bytesOf('t')).toBe(2 * one);
      expect(registry.publishVersion('u', pipeline('cat', 'a')).ok).toBe(true);
    });
  });
});
