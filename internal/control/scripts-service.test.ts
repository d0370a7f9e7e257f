// The Scripts control plane (DESIGN 5.2, 11; docs/control-plane.md#scripts)
// over real gRPC against an in-process server: every method's answer and
// documented error status, validation without execution, imports within the
// tenant, importers, caps, credentials, client deadlines and cancellation.
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Answer, type CallOptions, type ControlHarness, DEV_KEY, OTHER_KEY, failure, startControlHarness, value } from '../../test/support/control-harness.js';
import { InlineAnalyzer, type ScriptAnalyzer } from '../nodes/registry/analyzer.js';
import { ScriptRegistry } from '../nodes/registry/store.js';
import type { ScriptLimits } from '../nodes/registry/names.js';
import { scriptsService } from './scripts-service.js';
import { MAX_STATUS_MESSAGE_BYTES, encodedLength } from './status-message.js';

const METHODS = ['PutScript', 'GetScript', 'ListScripts', 'DeleteScript'] as const;
type Method = (typeof METHODS)[number];

const NODE = 'SCRIPT_KIND_NODE';
const MODULE = 'SCRIPT_KIND_MODULE';
const HANDLER = 'export default function handle(input) { return input; }';

let harness: ControlHarness<'Scripts'>;

beforeAll(async () => {
  harness = await startControlHarness({ Scripts: METHODS });
});

afterAll(() => harness?.close());

/** A fresh store behind the server. */
function world(limits: Partial<ScriptLimits> = {}, analyzer?: ScriptAnalyzer): ScriptRegistry {
  const scripts = new ScriptRegistry(limits);
  harness.serve({ Scripts: scriptsService({ scripts, ...(analyzer ? { analyzer } : {}) }) });
  return scripts;
}

function start(method: Method, request: unknown, opts: CallOptions = {}): { call: grpc.ClientUnaryCall; answer: Promise<Answer> } {
  return harness.start('Scripts', method, request, opts);
}

function rpc<T = any>(method: Method, request: unknown, opts: CallOptions = {}): Promise<Answer<T>> {
  return harness.rpc<T>('Scripts', method, request, opts);
}

const put = (name: string, source: string, kind: string | number = MODULE, key?: string | null): Promise<Answer> => rpc('PutScript', { name, kind, source }, { key });

function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

describe('PutScript and GetScript', () => {
  test('a node script is stored: ScriptVersion names it, hashes its source and lists its resolved imports; GetScript reads it back', async () => {
    world();
    value(await put('lib/text', 'export function upper(s) { return s.toUpperCase(); }'));
    const source = "import { emit } from 'baton:host';\nimport { upper } from 'lib/text';\nexport default function handle(input) { emit(upper(input)); }";
    const version = value(await put('greeter', source, NODE));
    expect(version).toEqual({ name: 'greeter', hash: sha256(source), imports: ['baton:host', 'lib/text'] });
    expect(value(await rpc('GetScript', { name: 'greeter' }))).toEqual({ version, kind: NODE, source });
    expect(value(await rpc('GetScript', { name: 'lib/text' }))).toMatchObject({ kind: MODULE, version: { name: 'lib/text', imports: [] } });
  });

  test('putting the same source again answers the same version; a new source replaces it', async () => {
    world();
    const first = value(await put('lib', 'export const a = 1;'));
    expect(value(await put('lib', 'export const a = 1;'))).toEqual(first);
    const second = value(await put('lib', 'export const a = 2;'));
    expect(second.hash).toBe(sha256('export const a = 2;'));
    expect(value(await rpc('GetScript', { name: 'lib' })).version).toEqual(second);
  });

  test('a syntax error is INVALID_ARGUMENT naming line:column, and nothing is stored', async () => {
    world();
    expect(failure(await put('bad', 'export const a = 1;\nexport const b = ;'))).toEqual({
      code: 'INVALID_ARGUMENT',
      details: 'script "bad" refused (1 problem): 2:18: syntax error: Unexpected token',
    });
    expect(failure(await rpc('GetScript', { name: 'bad' })).code).toBe('NOT_FOUND');
  });

  test('the module rules are checked without running the source, every problem listed', async () => {
    world();
    const answer = failure(await put('state', "let count = 0;\nexport var total = 0;\nfetch('https://example.test');\nexport const now = Date.now();\nexport function f() { return import('x'); }"));
    expect(answer.code).toBe('INVALID_ARGUMENT');
    // Problems are separated by "; " and never contain it themselves, so the list splits cleanly.
    const listed = answer.details.replace(/^script "state" refused \(5 problems\): /, '').split('; ');
    expect(listed.map((p) => p.split(': ')[0])).toEqual(['1:1', '2:8', '3:1', '4:20', '5:30']);
  });

  test('a node script without a default handler is INVALID_ARGUMENT', async () => {
    world();
    expect(failure(await put('bot', 'export function handle() {}', NODE))).toEqual({
      code: 'INVALID_ARGUMENT',
      details: 'script "bot" refused (1 problem): a node script exports its handler as default: export default function handle(input, ctx) { ... }',
    });
  });

  test('imports resolve within the tenant only: a missing module, a node script, an unknown baton: name and a path are INVALID_ARGUMENT', async () => {
    world();
    value(await put('bot', HANDLER, NODE));
    value(await put('shared', 'export const a = 1;', MODULE, OTHER_KEY));
    const answer = failure(await put('app', "import { a } from 'shared';\nimport b from 'bot';\nimport { fetch } from 'baton:net';\nimport './relative';"));
    expect(answer).toEqual({
      code: 'INVALID_ARGUMENT',
      details: [
        'script "app" refused (4 problems): 1:1: import "shared": no module "shared" in this tenant\'s scripts',
        '2:1: import "bot": "bot" is a node script, and only modules can be imported',
        '3:1: import "baton:net": "baton:net" is not a reserved module (reserved: baton:host, baton:state, baton:provider, baton:clock)',
        '4:1: import "./relative": "./relative" is not a script name: imports name a module of this tenant, like "lib/text", or a reserved baton: module, never a path, URL or node: module',
      ].join('; '),
    });
  });

  test('an import cycle and a chain past the depth limit are INVALID_ARGUMENT', async () => {
    world();
    value(await put('b', 'export const v = 1;'));
    value(await put('a', "import { v } from 'b';\nexport const w = v;"));
    expect(failure(await put('b', "import { w } from 'a';\nexport const v = 1;"))).toEqual({
      code: 'INVALID_ARGUMENT',
      details: 'script "b" refused (1 problem): import cycle: "b" -> "a" -> "b"',
    });
    for (let i = 1; i <= 8; i++) value(await put(`m${i}`, `import { v } from '${i === 1 ? 'b' : `m${i - 1}`}';\nexport { v };`));
    const deep = failure(await put('m9', "import { v } from 'm8';\nexport { v };"));
    expect(deep.code).toBe('INVALID_ARGUMENT');
    expect(deep.details).toBe('script "m9" refused (1 problem): import chain "m9" -> "m8" -> "m7" -> "m6" -> "m5" -> "m4" -> "m3" -> "m2" -> "m1" -> "b" is 9 imports deep, more than the 8 allowed');
  });

  test('a bad name, an unspecified or unknown kind and an empty source are INVALID_ARGUMENT', async () => {
    world();
    expect(failure(await put('Bad Name', HANDLER, NODE))).toEqual({
      code: 'INVALID_ARGUMENT',
      details: 'script refused (1 problem): name: "Bad Name" is not a valid script name (expected segments of [a-z0-9_.-] starting with a letter or digit, joined by "/")',
    });
    expect(failure(await put('x', HANDLER, 'SCRIPT_KIND_UNSPECIFIED'))).toEqual({ code: 'INVALID_ARGUMENT', details: 'script "x" refused (1 problem): kind: must be SCRIPT_KIND_NODE or SCRIPT_KIND_MODULE' });
    expect(failure(await put('x', HANDLER, 7))).toEqual({ code: 'INVALID_ARGUMENT', details: 'script "x" refused (1 problem): kind: must be SCRIPT_KIND_NODE or SCRIPT_KIND_MODULE' });
    expect(failure(await put('x', '', NODE))).toEqual({ code: 'INVALID_ARGUMENT', details: 'script "x" refused (1 problem): source: required' });
    expect(failure(await rpc('PutScript', {}))).toEqual({
      code: 'INVALID_ARGUMENT',
      details: 'script refused (3 problems): name: required; kind: must be SCRIPT_KIND_NODE or SCRIPT_KIND_MODULE; source: required',
    });
  });

  test('a source over 256 KiB is INVALID_ARGUMENT before parsing', async () => {
    world();
    const source = `export const big = "${'x'.repeat(300 * 1024)}";`;
    expect(failure(await put('big', source))).toEqual({
      code: 'INVALID_ARGUMENT',
      details: `script "big" refused (1 problem): source: ${Buffer.byteLength(source)} bytes, more than the 262144 a script may have`,
    });
  });

  test('a source whose bytes are not UTF-8 is INVALID_ARGUMENT, not stored altered', async () => {
    world();
    const source = Buffer.concat([Buffer.from('export const a = "'), Buffer.from([0xff, 0xfe]), Buffer.from('";')]);
    const name = Buffer.from('latin1');
    // A hand-encoded PutScriptRequest: grpc-js clients would refuse to send such a string, other clients may not.
    const request = Buffer.concat([Buffer.from([0x0a, name.length]), name, Buffer.from([0x10, 0x02, 0x1a, source.length]), source]);
    const answer = await new Promise<Answer>((resolve) => {
      harness.client('Scripts').makeUnaryRequest(
        '/baton.v1.Scripts/PutScript',
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        request,
        bearer(DEV_KEY),
        { deadline: Date.now() + 10_000 },
        (err, response) => resolve(err ? { ok: false, code: grpc.status[err.code], details: err.details } : { ok: true, value: response }),
      );
    });
    expect(failure(answer)).toEqual({
      code: 'INVALID_ARGUMENT',
      details: 'script "latin1" refused (1 problem): 1:19: source: contains U+FFFD, which is what bytes that are not UTF-8 decode to (send UTF-8, or write the escape \\uFFFD)',
    });
  });

  test('a source with hundreds of problems gets a bounded message that counts what it left out', async () => {
    world();
    const answer = failure(await put('noisy', Array.from({ length: 300 }, (_, i) => `let v${i} = ${i};`).join('\n')));
    expect(answer.code).toBe('INVALID_ARGUMENT');
    expect(answer.details).toMatch(/^script "noisy" refused \(101 problems\): 1:1: `let` is module-level mutable state/);
    expect(answer.details).toMatch(/; and \d+ more problems$/);
    expect(encodedLength(answer.details)).toBeLessThanOrEqual(MAX_STATUS_MESSAGE_BYTES);
  });

  test('replacing a module in a way that breaks its importers is FAILED_PRECONDITION naming them', async () => {
    world();
    value(await put('lib', 'export const a = 1;\nexport function f() {}'));
    value(await put('app', "import { f } from 'lib';\nexport default function h() { return f(); }", NODE));
    expect(failure(await put('lib', 'export const a = 1;'))).toEqual({ code: 'FAILED_PRECONDITION', details: '"app" would break: import "lib": it has no export "f"' });
    expect(failure(await put('lib', HANDLER, NODE))).toEqual({
      code: 'FAILED_PRECONDITION',
      details: 'module "lib" is imported by "app", and a node script cannot be imported, so it cannot replace it',
    });
  });

  test('past the tenant script cap, PutScript is RESOURCE_EXHAUSTED; replacing and other tenants are unaffected', async () => {
    world({ scriptsPerTenant: 1 });
    value(await put('one', 'export const a = 1;'));
    expect(failure(await put('two', 'export const a = 1;'))).toEqual({ code: 'RESOURCE_EXHAUSTED', details: 'tenant already has 1 scripts, the most it may keep' });
    value(await put('one', 'export const a = 2;'));
    value(await put('two', 'export const a = 1;', MODULE, OTHER_KEY));
  });

  test('GetScript: NOT_FOUND for a name the tenant does not have, INVALID_ARGUMENT for a malformed one', async () => {
    world();
    expect(failure(await rpc('GetScript', { name: 'nope' }))).toEqual({ code: 'NOT_FOUND', details: 'no script "nope"' });
    expect(failure(await rpc('GetScript', { name: '../etc' })).code).toBe('INVALID_ARGUMENT');
    expect(failure(await rpc('GetScript', {}))).toEqual({ code: 'INVALID_ARGUMENT', details: 'name: required' });
  });
});

describe('ListScripts', () => {
  test('lists the tenant scripts by name as ScriptVersions, in pages', async () => {
    world();
    for (const name of ['c', 'a', 'b']) value(await put(name, `export const v = "${name}";`));
    const first = value(await rpc('ListScripts', { page_size: 2 }));
    expect(first.scripts).toEqual([
      { name: 'a', hash: sha256('export const v = "a";'), imports: [] },
      { name: 'b', hash: sha256('export const v = "b";'), imports: [] },
    ]);
    const second = value(await rpc('ListScripts', { page_size: 2, page_token: first.next_page_token }));
    expect(second).toEqual({ scripts: [{ name: 'c', hash: sha256('export const v = "c";'), imports: [] }], next_page_token: '' });
  });

  test('page_size is capped at 500 and defaults to 50; a token this server did not issue is INVALID_ARGUMENT', async () => {
    const store = world();
    for (let i = 0; i < 510; i++) expect(store.put('dev', { name: `s${String(i).padStart(3, '0')}`, kind: 'module', source: 'export const a = 1;' }).ok).toBe(true);
    expect(value(await rpc('ListScripts', { page_size: 10_000 })).scripts).toHaveLength(500);
    expect(value(await rpc('ListScripts', {})).scripts).toHaveLength(50);
    expect(failure(await rpc('ListScripts', { page_token: 'forged' }))).toEqual({ code: 'INVALID_ARGUMENT', details: 'page_token: not a token this server issued' });
  });
});

describe('DeleteScript', () => {
  test('deletes a script: deleted is true and it is gone', async () => {
    world();
    value(await put('lib', 'export const a = 1;'));
    expect(value(await rpc('DeleteScript', { name: 'lib' }))).toEqual({ deleted: true });
    expect(failure(await rpc('GetScript', { name: 'lib' })).code).toBe('NOT_FOUND');
  });

  test('a module other scripts import is FAILED_PRECONDITION naming every importer', async () => {
    world();
    value(await put('lib', 'export const a = 1;'));
    value(await put('z', "import { a } from 'lib';\nexport default function h() { return a; }", NODE));
    value(await put('m', "import * as lib from 'lib';\nexport { lib };"));
    expect(failure(await rpc('DeleteScript', { name: 'lib' }))).toEqual({ code: 'FAILED_PRECONDITION', details: 'module "lib" is imported by "m", "z" (change or delete them first)' });
    value(await rpc('DeleteScript', { name: 'z' }));
    value(await rpc('DeleteScript', { name: 'm' }));
    expect(value(await rpc('DeleteScript', { name: 'lib' }))).toEqual({ deleted: true });
  });

  test('NOT_FOUND for a name the tenant does not have; INVALID_ARGUMENT for a malformed one', async () => {
    world();
    expect(failure(await rpc('DeleteScript', { name: 'nope' }))).toEqual({ code: 'NOT_FOUND', details: 'no script "nope"' });
    expect(failure(await rpc('DeleteScript', { name: 'A' })).code).toBe('INVALID_ARGUMENT');
  });
});

describe('tenancy and credentials', () => {
  test("another tenant's scripts answer NOT_FOUND everywhere and are absent from its list; the same name is its own", async () => {
    world();
    const mine = value(await put('lib', 'export const a = 1;'));
    expect(failure(await rpc('GetScript', { name: 'lib' }, { key: OTHER_KEY }))).toEqual({ code: 'NOT_FOUND', details: 'no script "lib"' });
    expect(failure(await rpc('DeleteScript', { name: 'lib' }, { key: OTHER_KEY }))).toEqual({ code: 'NOT_FOUND', details: 'no script "lib"' });
    expect(value(await rpc('ListScripts', {}, { key: OTHER_KEY })).scripts).toEqual([]);
    const theirs = value(await put('lib', 'export const a = 2;', MODULE, OTHER_KEY));
    expect(theirs.hash).not.toBe(mine.hash);
    expect(value(await rpc('GetScript', { name: 'lib' })).version).toEqual(mine);
  });

  test.each(METHODS)('%s without a key, or with an unknown one, is UNAUTHENTICATED', async (method) => {
    world();
    const request = method === 'PutScript' ? { name: 'x', kind: NODE, source: HANDLER } : { name: 'x' };
    expect(failure(await rpc(method, request, { key: null }))).toEqual({ code: 'UNAUTHENTICATED', details: 'missing authorization metadata: expected "Bearer <tenant key>"' });
    expect(failure(await rpc(method, request, { key: 'not-a-tenant-key-000000' }))).toEqual({ code: 'UNAUTHENTICATED', details: 'unknown tenant key' });
  });
});

describe('client deadlines and cancellation', () => {
  test.each(METHODS)('%s honours a passed deadline (DEADLINE_EXCEEDED) and a cancel (CANCELLED); the server keeps serving', async (method) => {
    world();
    const request = method === 'PutScript' ? { name: 'lib', kind: MODULE, source: 'export const a = 1;' } : { name: 'lib' };
    expect(failure(await rpc(method, request, { deadline: Date.now() - 1 })).code).toBe('DEADLINE_EXCEEDED');
    const { call, answer } = start(method, request);
    call.cancel();
    expect(failure(await answer).code).toBe('CANCELLED');
    expect(value(await put('lib', 'export const a = 1;'))).toEqual({ name: 'lib', hash: sha256('export const a = 1;'), imports: [] });
  });

  test('a cancelled put retried stores the script once, whether or not the cancelled call arrived', async () => {
    const store = world();
    const { call, answer } = start('PutScript', { name: 'lib', kind: MODULE, source: 'export const a = 1;' });
    call.cancel();
    expect(failure(await answer).code).toBe('CANCELLED');
    value(await put('lib', 'export const a = 1;'));
    expect(store.usage('dev')).toEqual({ scripts: 1, bytes: 19 });
  });
});

describe('where sources are analysed', () => {
  /** An analyzer that counts its calls and answers like the inline one, or refuses when told to. */
  function counting(refuse = false): ScriptAnalyzer & { calls: string[] } {
    const inline = new InlineAnalyzer();
    const calls: string[] = [];
    return {
      calls,
      analyze: (kind, source) => {
        calls.push(source);
        return refuse ? Promise.resolve({ ok: false, problems: [{ code: 'analysis_unavailable', message: '32 scripts are already waiting for analysis; retry shortly' }] }) : inline.analyze(kind, source);
      },
    };
  }

  test('PutScript parses on the analyzer it is given, and not again for a source already stored', async () => {
    const analyzer = counting();
    world({}, analyzer);
    value(await put('lib', 'export const a = 1;'));
    value(await put('lib', 'export const a = 1;'));
    expect(failure(await put('lib', 'export const a = ;')).code).toBe('INVALID_ARGUMENT');
    expect(analyzer.calls).toEqual(['export const a = 1;', 'export const a = ;']);
  });

  test('an analyzer that cannot take the source answers RESOURCE_EXHAUSTED and nothing is stored', async () => {
    const store = world({}, counting(true));
    expect(failure(await put('lib', 'export const a = 1;'))).toEqual({ code: 'RESOURCE_EXHAUSTED', details: '32 scripts are already waiting for analysis; retry shortly' });
    expect(store.usage('dev')).toEqual({ scripts: 0, bytes: 0 });
  });
});

function bearer(key: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${key}`);
  return md;
}
