// The script store: put/get/list/delete per tenant, linking (imports, cycles, depth), importers kept whole, caps, and the hashes plan freeze reads.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { formatProblem } from './problems.js';
import { ScriptRegistry, type PutResult, type StoredScript } from './store.js';
import type { ScriptKind } from './names.js';

const HANDLER = 'export default function handle(input) { return input; }';

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function put(store: ScriptRegistry, name: string, source: string, kind: ScriptKind = 'module', tenant = 'acme'): PutResult {
  return store.put(tenant, { name, kind, source });
}

function stored(result: PutResult): StoredScript {
  if (!result.ok) throw new Error(`put failed: ${result.error.code}: ${result.error.problems.map(formatProblem).join('; ')}`);
  return result.script;
}

/** The refusal as `code` plus every problem as text. */
function refused(result: { ok: boolean; error?: { code: string; problems: readonly { message: string; line?: number; column?: number }[] } }): { code: string; problems: string[] } {
  if (result.ok || !result.error) throw new Error('expected a refusal');
  return { code: result.error.code, problems: result.error.problems.map((p) => formatProblem(p as never)) };
}

/** A module importing `deps` (each exporting `v`) and exporting its own `v`. */
function chainModule(deps: string[]): string {
  return [...deps.map((d, i) => `import { v as d${i} } from '${d}';`), 'export const v = 1;', `export function all() { return [${deps.map((_, i) => `d${i}`).join(', ')}]; }`].join('\n');
}

describe('putting and reading scripts', () => {
  test('a put answers the name, the SHA-256 of the source and the resolved imports, and get returns the same script', () => {
    const store = new ScriptRegistry();
    stored(put(store, 'lib/text', 'export function upper(s) { return s.toUpperCase(); }'));
    const source = "import { emit } from 'baton:host';\nimport { upper } from 'lib/text';\nexport default function handle(input) { emit(upper(input)); }";
    const result = put(store, 'greeter', source, 'node');
    expect(result.ok && result.created).toBe(true);
    const script = stored(result);
    expect(script).toMatchObject({ tenant: 'acme', name: 'greeter', kind: 'node', source, hash: sha256(source), imports: ['baton:host', 'lib/text'] });
    expect(script.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(store.get('acme', 'greeter')).toBe(script);
    expect(store.scriptHash('acme', 'greeter')).toBe(script.hash);
    expect(store.usage('acme')).toEqual({ scripts: 2, bytes: Buffer.byteLength(source) + Buffer.byteLength('export function upper(s) { return s.toUpperCase(); }') });
  });

  test('putting the same kind and source again changes nothing and returns the stored script', () => {
    const store = new ScriptRegistry();
    const first = stored(put(store, 'lib', 'export const a = 1;'));
    const again = put(store, 'lib', 'export const a = 1;');
    expect(again).toEqual({ ok: true, script: first, created: false });
    expect(stored(again)).toBe(first);
  });

  test('putting a new source replaces the script and its hash', () => {
    const store = new ScriptRegistry();
    const first = stored(put(store, 'lib', 'export const a = 1;'));
    const second = stored(put(store, 'lib', 'export const a = 2;'));
    expect(second.hash).not.toBe(first.hash);
    expect(store.get('acme', 'lib')).toBe(second);
    expect(store.usage('acme').scripts).toBe(1);
  });

  test('names: lower-case segments joined by "/", at most 128 characters', () => {
    const store = new ScriptRegistry();
    for (const name of ['a', 'lib/text-utils', 'v2.format', 'a_b/c.d-e/f0']) expect(put(store, name, 'export const a = 1;').ok, name).toBe(true);
    for (const name of ['', 'Upper', '.hidden', 'a//b', 'a/', '/a', '../x', './x', 'baton:host', 'a b', 'é', 'x'.repeat(129)]) {
      const result = refused(put(store, name, 'export const a = 1;'));
      expect(result.code, JSON.stringify(name)).toBe('invalid_name');
    }
    expect(refused(put(store, 'Upper', 'x')).problems[0]).toBe(
      'name: "Upper" is not a valid script name (expected segments of [a-z0-9_.-] starting with a letter or digit, joined by "/")',
    );
  });

  test('a bad name, a bad kind and a bad source are reported together', () => {
    const store = new ScriptRegistry();
    expect(refused(store.put('acme', { name: 'Bad', kind: 'node', source: 'let x = ;' }))).toEqual({
      code: 'invalid_name',
      problems: ['name: "Bad" is not a valid script name (expected segments of [a-z0-9_.-] starting with a letter or digit, joined by "/")', '1:9: syntax error: Unexpected token'],
    });
    expect(refused(store.put('acme', { name: 'ok', kind: 'plugin', source: '' })).problems).toEqual(['kind: must be one of node, module', 'source: required']);
    expect(store.usage('acme')).toEqual({ scripts: 0, bytes: 0 });
  });

  test('a refused source stores nothing and keeps the previous version', () => {
    const store = new ScriptRegistry();
    const kept = stored(put(store, 'lib', 'export const a = 1;'));
    expect(refused(put(store, 'lib', 'let a = 1;')).code).toBe('invalid_module');
    expect(refused(put(store, 'lib', 'export const a = ;')).code).toBe('invalid_syntax');
    expect(store.get('acme', 'lib')).toBe(kept);
  });
});

describe('linking imports', () => {
  test('an import of a module the tenant does not have is refused, naming it and its position', () => {
    const store = new ScriptRegistry();
    expect(refused(put(store, 'app', "export const a = 1;\nimport { x } from 'missing';"))).toEqual({
      code: 'unresolved_import',
      problems: ['2:1: import "missing": no module "missing" in this tenant\'s scripts'],
    });
  });

  test('only modules can be imported, not node scripts', () => {
    const store = new ScriptRegistry();
    stored(put(store, 'bot', HANDLER, 'node'));
    expect(refused(put(store, 'app', "import bot from 'bot';")).problems).toEqual(['1:1: import "bot": "bot" is a node script, and only modules can be imported']);
  });

  test('every name an import takes must be exported by its target', () => {
    const store = new ScriptRegistry();
    stored(put(store, 'lib', 'export const a = 1;'));
    expect(refused(put(store, 'app', "import x, { a, b } from 'lib';\nexport { c } from 'lib';\nimport * as all from 'lib';")).problems).toEqual([
      '1:1: import "lib": it has no default export',
      '1:1: import "lib": it has no export "b"',
      '2:1: import "lib": it has no export "c"',
    ]);
  });

  test('reserved baton: modules resolve from the fixed list, with their exports; others are refused', () => {
    const store = new ScriptRegistry();
    const ok = stored(
      put(store, 'caps', "import { emit, log } from 'baton:host';\nimport * as state from 'baton:state';\nimport { call } from 'baton:provider';\nimport { now } from 'baton:clock';\nexport function f() { return [emit, log, state, call, now]; }"),
    );
    expect(ok.imports).toEqual(['baton:host', 'baton:state', 'baton:provider', 'baton:clock']);
    expect(refused(put(store, 'x', "import { fetch } from 'baton:net';\nimport { emit2 } from 'baton:host';\nimport host from 'baton:host';")).problems).toEqual([
      '1:1: import "baton:net": "baton:net" is not a reserved module (reserved: baton:host, baton:state, baton:provider, baton:clock)',
      '2:1: import "baton:host": it has no export "emit2"',
      '3:1: import "baton:host": it has no default export',
    ]);
  });

  test('paths, URLs and node: modules are not script names and never resolve', () => {
    const store = new ScriptRegistry();
    stored(put(store, 'lib', 'export const a = 1;'));
    for (const specifier of ['./lib', '../lib', '/lib', 'https://x.test/lib.js', 'node:fs', 'fs/promises/../x', 'Lib']) {
      const result = refused(put(store, 'app', `import '${specifier}';`));
      expect(result.code, specifier).toBe('unresolved_import');
      expect(result.problems[0], specifier).toContain('is not a script name');
    }
  });

  test('a tenant resolves imports only among its own scripts', () => {
    const store = new ScriptRegistry();
    stored(put(store, 'lib', 'export const a = 1;', 'module', 'acme'));
    expect(refused(put(store, 'app', "import { a } from 'lib';", 'module', 'globex')).code).toBe('unresolved_import');
    expect(store.get('globex', 'lib')).toBeUndefined();
    expect(store.scriptHash('globex', 'lib')).toBeUndefined();
    expect(refused(store.delete('globex', 'lib')).code).toBe('not_found');
    const listed = store.list('globex');
    expect(listed.ok && listed.scripts).toEqual([]);
  });

  test('a node script may take its handler from a module, if that export is a function', () => {
    const store = new ScriptRegistry();
    stored(put(store, 'lib', 'export default function run() {}\nexport const settings = { a: 1 };\nexport { settings as alias };'));
    stored(put(store, 'a', "export { default } from 'lib';", 'node'));
    stored(put(store, 'b', "import run from 'lib';\nexport default run;", 'node'));
    expect(refused(put(store, 'c', "export { settings as default } from 'lib';", 'node')).problems).toEqual([
      'the default export of a node script must be its handler function, but the one it takes from "lib" is a constant',
    ]);
    expect(refused(put(store, 'd', "import * as lib from 'lib';\nexport default lib;", 'node')).code).toBe('invalid_module');
  });

  test('a script cannot import itself', () => {
    const store = new ScriptRegistry();
    expect(refused(put(store, 'loop', "import { a as b } from 'loop';\nexport const a = 1;"))).toEqual({
      code: 'import_cycle',
      problems: ['1:1: import "loop": a script cannot import itself'],
    });
  });

  test('an import cycle is refused with its path', () => {
    const store = new ScriptRegistry();
    stored(put(store, 'c', chainModule([])));
    stored(put(store, 'b', chainModule(['c'])));
    stored(put(store, 'a', chainModule(['b'])));
    expect(refused(put(store, 'c', chainModule(['a'])))).toEqual({ code: 'import_cycle', problems: ['import cycle: "c" -> "a" -> "b" -> "c"'] });
    expect(store.get('acme', 'c')!.imports).toEqual([]);
  });

  test('import chains deeper than the limit are refused, counting the importers above a replaced module', () => {
    const store = new ScriptRegistry({ importDepth: 3 });
    stored(put(store, 'm0', chainModule([])));
    stored(put(store, 'm1', chainModule(['m0'])));
    stored(put(store, 'm2', chainModule(['m1'])));
    stored(put(store, 'm3', chainModule(['m2'])));
    expect(refused(put(store, 'm4', chainModule(['m3'])))).toEqual({
      code: 'import_too_deep',
      problems: ['import chain "m4" -> "m3" -> "m2" -> "m1" -> "m0" is 4 imports deep, more than the 3 allowed'],
    });
    // m0 gaining an import of its own would make m3's chain 4 deep.
    stored(put(store, 'leaf', chainModule([])));
    expect(refused(put(store, 'm0', chainModule(['leaf'])))).toEqual({
      code: 'import_too_deep',
      problems: ['import chain "m3" -> "m2" -> "m1" -> "m0" -> "leaf" is 4 imports deep, more than the 3 allowed'],
    });
  });
});

describe('scripts that others import', () => {
  test('deleting a module that scripts import is refused, naming every importer', () => {
    const store = new ScriptRegistry();
    stored(put(store, 'lib', 'export const a = 1;'));
    stored(put(store, 'z-app', "import { a } from 'lib';\nexport default function h() { return a; }", 'node'));
    stored(put(store, 'b-util', "import { a } from 'lib';\nexport const b = a;"));
    expect(store.importersOf('acme', 'lib')).toEqual(['b-util', 'z-app']);
    expect(refused(store.delete('acme', 'lib'))).toEqual({ code: 'in_use', problems: ['module "lib" is imported by "b-util", "z-app" (change or delete them first)'] });
    expect(store.delete('acme', 'z-app').ok).toBe(true);
    expect(store.delete('acme', 'b-util').ok).toBe(true);
    expect(store.importersOf('acme', 'lib')).toEqual([]);
    const deleted = store.delete('acme', 'lib');
    expect(deleted.ok && deleted.deleted.name).toBe('lib');
    expect(store.usage('acme')).toEqual({ scripts: 0, bytes: 0 });
  });

  test('replacing a module keeps its importers working or is refused, naming what would break', () => {
    const store = new ScriptRegistry();
    stored(put(store, 'lib', 'export const a = 1;\nexport function f() {}'));
    stored(put(store, 'app', "import { a, f } from 'lib';\nexport default function h() { return [a, f]; }", 'node'));
    expect(refused(put(store, 'lib', 'export const a = 2;'))).toEqual({ code: 'in_use', problems: ['"app" would break: import "lib": it has no export "f"'] });
    expect(refused(put(store, 'lib', HANDLER, 'node'))).toEqual({
      code: 'in_use',
      problems: ['module "lib" is imported by "app", and a node script cannot be imported, so it cannot replace it'],
    });
    const replaced = stored(put(store, 'lib', 'export const a = 2;\nexport function f() { return 1; }\nexport const extra = 3;'));
    expect(store.get('acme', 'lib')).toBe(replaced);
    expect(store.importersOf('acme', 'lib')).toEqual(['app']);
  });

  test('a replacement that turns a re-exported handler into a constant is refused for the node script two imports away', () => {
    const store = new ScriptRegistry();
    stored(put(store, 'base', 'export function run() {}'));
    stored(put(store, 'mid', "export { run } from 'base';"));
    stored(put(store, 'bot', "export { run as default } from 'mid';", 'node'));
    expect(refused(put(store, 'base', 'export const run = 1;'))).toEqual({
      code: 'in_use',
      problems: ['"bot" would break: the default export of a node script must be its handler function, but the one it takes from "mid" is a constant'],
    });
    // A change the importers tolerate settles their re-exports again.
    stored(put(store, 'base', 'export const run = () => 2;'));
    expect(store.get('acme', 'mid')!.exports.get('run')).toBe('function');
  });

  test('an importer dropping its import releases the module for deletion', () => {
    const store = new ScriptRegistry();
    stored(put(store, 'lib', 'export const a = 1;'));
    stored(put(store, 'app', "import { a } from 'lib';\nexport const b = a;"));
    stored(put(store, 'app', 'export const b = 1;'));
    expect(store.delete('acme', 'lib').ok).toBe(true);
  });
});

describe('caps', () => {
  test('a tenant keeps at most the capped number of scripts; replacing one and other tenants are unaffected', () => {
    const store = new ScriptRegistry({ scriptsPerTenant: 2 });
    stored(put(store, 'a', 'export const a = 1;'));
    stored(put(store, 'b', 'export const b = 1;'));
    expect(refused(put(store, 'c', 'export const c = 1;'))).toEqual({ code: 'quota_exceeded', problems: ['tenant already has 2 scripts, the most it may keep'] });
    stored(put(store, 'a', 'export const a = 2;'));
    stored(put(store, 'c', 'export const c = 1;', 'module', 'globex'));
    expect(store.get('acme', 'c')).toBeUndefined();
  });

  test('a tenant keeps at most the capped number of source bytes, counting a replacement by its difference', () => {
    const store = new ScriptRegistry({ bytesPerTenant: 40 });
    stored(put(store, 'a', 'export const a = 1;')); // 19 bytes
    expect(refused(put(store, 'b', 'export const bbb = 12;'))).toEqual({ code: 'quota_exceeded', problems: ['tenant scripts would take 41 bytes, more than its cap of 40'] });
    stored(put(store, 'b', 'export const b = 12;')); // 20 bytes: 39 in all
    stored(put(store, 'a', 'export const a = 12;')); // 19 -> 20 bytes: 40 in all
    expect(refused(put(store, 'a', 'export const a = 123;')).problems).toEqual(['tenant scripts would take 41 bytes, more than its cap of 40']);
    expect(store.usage('acme')).toEqual({ scripts: 2, bytes: 40 });
  });

  test('a source over the size cap is refused before parsing', () => {
    const store = new ScriptRegistry({ sourceBytes: 16 });
    expect(refused(put(store, 'a', 'export const a = 1;'))).toEqual({ code: 'invalid_source', problems: ['source: 19 bytes, more than the 16 a script may have'] });
  });
});

describe('listing', () => {
  test('lists the tenant scripts by name in pages with opaque tokens', () => {
    const store = new ScriptRegistry();
    for (const name of ['e', 'a', 'd', 'b', 'c']) stored(put(store, name, `export const v = "${name}";`));
    const names = (r: ReturnType<ScriptRegistry['list']>): { names: string[]; next: string } => {
      if (!r.ok) throw new Error(r.problem);
      return { names: r.scripts.map((s) => s.name), next: r.next_page_token };
    };
    const first = names(store.list('acme', { page_size: 2 }));
    expect(first.names).toEqual(['a', 'b']);
    const second = names(store.list('acme', { page_size: 2, page_token: first.next }));
    expect(second.names).toEqual(['c', 'd']);
    expect(names(store.list('acme', { page_size: 2, page_token: second.next }))).toEqual({ names: ['e'], next: '' });
    expect(names(store.list('acme')).names).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  test('page size defaults and is capped; tokens this store did not issue are refused', () => {
    const store = new ScriptRegistry({ defaultPageSize: 2, maxPageSize: 3 });
    for (const name of ['a', 'b', 'c', 'd']) stored(put(store, name, 'export const v = 1;'));
    const listed = store.list('acme');
    expect(listed.ok && listed.scripts.length).toBe(2);
    const capped = store.list('acme', { page_size: 1000 });
    expect(capped.ok && capped.scripts.length).toBe(3);
    expect(store.list('acme', { page_token: 'garbage!' })).toEqual({ ok: false, problem: 'page_token: not a token this server issued' });
    expect(store.list('acme', { page_token: Buffer.from('p1\u0000a').toString('base64url') })).toEqual({ ok: false, problem: 'page_token: not a token this server issued' });
    expect(store.list('acme', { page_size: -1 })).toEqual({ ok: false, problem: 'page_size: must be a non-negative integer' });
  });
});

describe('what plan freeze reads', () => {
  test('linkedHashes pins a node script and every module it reaches, and follows a module change', () => {
    const store = new ScriptRegistry();
    const base = stored(put(store, 'base', 'export const a = 1;'));
    const mid = stored(put(store, 'mid', "import { a } from 'base';\nexport const b = a;"));
    const other = stored(put(store, 'other', 'export const c = 1;'));
    const bot = stored(put(store, 'bot', "import { b } from 'mid';\nimport { emit } from 'baton:host';\nexport default function h() { emit(b); }", 'node'));
    expect(Object.fromEntries(store.linkedHashes('acme', 'bot')!)).toEqual({ bot: bot.hash, mid: mid.hash, base: base.hash });
    expect(store.linkedHashes('acme', 'other')).toBeUndefined();
    expect(store.linkedHashes('acme', 'missing')).toBeUndefined();
    expect(store.linkedHashes('globex', 'bot')).toBeUndefined();
    const changed = stored(put(store, 'base', 'export const a = 2;'));
    expect(store.linkedHashes('acme', 'bot')!.get('base')).toBe(changed.hash);
    expect(other.hash).toBe(sha256('export const c = 1;'));
  });
});
