// The registry's three layers (embedded defaults, scripts directory, PutScript), the embedded scripts themselves, and source retention by content hash for frozen plans.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { analyzeScript } from './analyze.js';
import { embeddedScripts, listScripts, locateEmbeddedDir, scriptAt, scriptPath } from './layout.js';
import type { ScriptKind } from './names.js';
import { formatProblem } from './problems.js';
import { ScriptRegistry, type StoredScript } from './store.js';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

function registry(): ScriptRegistry {
  return new ScriptRegistry({}, { embedded: embeddedScripts() });
}

function fromDirectory(store: ScriptRegistry, name: string, source: string, kind: ScriptKind = 'node', tenant = 'acme') {
  return store.putDirectory(tenant, name, kind, source, analyzeScript(kind, source));
}

function must<T extends { ok: boolean }>(result: T): T {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
  return result;
}

const ECHO = 'export default function handle(input) { return input.text; }';
const SHOUT = "import { squash } from 'defaults/text';\nexport default function handle(input) { return squash(input.text).toUpperCase(); }";

describe('the embedded default scripts', () => {
  test('ship a rule-based bot, a redaction node and the module they share, in the scripts_dir layout', () => {
    expect(embeddedScripts().map((s) => [s.kind, s.name])).toEqual([
      ['module', 'defaults/text'],
      ['node', 'bot/rules'],
      ['node', 'redact/pii'],
    ]);
    expect(listScripts(locateEmbeddedDir()!).map((s) => s.path)).toEqual(['modules/defaults/text.js', 'nodes/bot/rules.js', 'nodes/redact/pii.js']);
  });

  test.each(embeddedScripts().map((s) => [s.name, s] as const))('%s passes the analysis rules PutScript applies', (_name, script) => {
    const result = analyzeScript(script.kind, script.source);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
  });

  test('every tenant sees them, linked, with the bot and the redactor importing defaults/text', () => {
    const store = registry();
    for (const tenant of ['acme', 'globex']) {
      expect(store.get(tenant, 'bot/rules')).toMatchObject({ tenant, kind: 'node', origin: 'embedded', imports: ['baton:clock', 'baton:state', 'defaults/text'] });
      expect(store.get(tenant, 'redact/pii')?.imports).toEqual(['defaults/text']);
      expect(store.importersOf(tenant, 'defaults/text')).toEqual(['bot/rules', 'redact/pii']);
      expect(store.usage(tenant)).toEqual({ scripts: 0, bytes: 0 });
    }
    const list = store.list('acme');
    expect(list.ok && list.scripts.map((s) => [s.name, s.origin])).toEqual([
      ['bot/rules', 'embedded'],
      ['defaults/text', 'embedded'],
      ['redact/pii', 'embedded'],
    ]);
  });

  test('a registry built without layers has none, as before', () => {
    const store = new ScriptRegistry();
    expect(store.get('acme', 'bot/rules')).toBeUndefined();
    expect(store.list('acme')).toEqual({ ok: true, scripts: [], next_page_token: '' });
  });

  test('an embedded script that does not link is a broken build and throws at construction', () => {
    expect(() => new ScriptRegistry({}, { embedded: [{ name: 'a', kind: 'node', source: "import { x } from 'nowhere';\nexport default function h() { return x; }" }] })).toThrow(/embedded scripts do not link/);
    expect(() => new ScriptRegistry({}, { embedded: [{ name: 'a', kind: 'node', source: 'let x = 1;' }] })).toThrow(/embedded script "a" is invalid/);
  });
});

describe('the layout', () => {
  test('node scripts live under nodes/, modules under modules/, a "/" in a name is a subdirectory', () => {
    expect(scriptPath('bot/rules', 'node')).toBe('nodes/bot/rules.js');
    expect(scriptPath('lib/text', 'module')).toBe('modules/lib/text.js');
    expect(scriptAt('nodes/bot/rules.js')).toEqual({ name: 'bot/rules', kind: 'node', path: 'nodes/bot/rules.js' });
    for (const path of ['nodes/Bot.js', 'nodes/x.ts', 'other/x.js', 'nodes/.hidden.js', 'modules/a//b.js', 'x.js']) expect(scriptAt(path), path).toBeUndefined();
  });
});

describe('layering, lowest first: embedded, directory, PutScript', () => {
  test('a directory file overrides the embedded default; a PutScript version shadows both until deleted; each delete falls back one layer', () => {
    const store = registry();
    const embedded = store.get('acme', 'bot/rules')!;
    expect(must(fromDirectory(store, 'bot/rules', ECHO))).toEqual({ ok: true, effective: true });
    expect(store.get('acme', 'bot/rules')).toMatchObject({ origin: 'directory', source: ECHO, hash: sha256(ECHO) });
    expect(store.get('globex', 'bot/rules')).toMatchObject({ origin: 'embedded', hash: embedded.hash });

    must(store.put('acme', { name: 'bot/rules', kind: 'node', source: SHOUT }));
    expect(store.get('acme', 'bot/rules')).toMatchObject({ origin: 'put', source: SHOUT });
    expect(store.usage('acme').scripts).toBe(1);
    // A directory edit under a PutScript version is kept, not effective.
    const edited = `${ECHO}\n// v2`;
    expect(fromDirectory(store, 'bot/rules', edited)).toEqual({ ok: true, effective: false });
    expect(store.get('acme', 'bot/rules')?.source).toBe(SHOUT);

    must(store.delete('acme', 'bot/rules'));
    expect(store.get('acme', 'bot/rules')).toMatchObject({ origin: 'directory', source: edited });
    expect(store.usage('acme')).toEqual({ scripts: 0, bytes: 0 });
    expect(must(store.removeDirectory('acme', 'bot/rules'))).toEqual({ ok: true, effective: true });
    expect(store.get('acme', 'bot/rules')).toMatchObject({ origin: 'embedded', hash: embedded.hash });
  });

  test('DeleteScript removes only PutScript versions: an embedded or directory script is not_found for it', () => {
    const store = registry();
    fromDirectory(store, 'mine', ECHO);
    for (const [name, where] of [
      ['bot/rules', 'an embedded default'],
      ['mine', 'a file of the scripts directory'],
    ]) {
      const result = store.delete('acme', name!);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.problems[0]!.message).toBe(`no PutScript version of ${JSON.stringify(name)}: the script is ${where}, which DeleteScript does not remove`);
    }
  });

  test('a bad directory edit keeps the last good version; a broken file with no good version leaves the embedded default', () => {
    const store = registry();
    must(fromDirectory(store, 'bot/rules', ECHO));
    const broken = fromDirectory(store, 'bot/rules', 'export default function handle( {');
    expect(broken.ok || broken.error.code).toBe('invalid_syntax');
    expect(store.get('acme', 'bot/rules')?.source).toBe(ECHO);
    const unlinked = fromDirectory(store, 'redact/pii', "import { nope } from 'defaults/text';\nexport default function h() { return nope(); }");
    expect(unlinked.ok || unlinked.error.code).toBe('unresolved_import');
    expect(store.get('acme', 'redact/pii')?.origin).toBe('embedded');
  });

  test('scripts of any layer link against the effective view, and a change that would break an importer in another layer is refused', () => {
    const store = registry();
    // A PutScript node script may import the embedded module.
    must(store.put('acme', { name: 'shout', kind: 'node', source: SHOUT }));
    // A directory defaults/text without squash would break the embedded bot, the redactor and the PutScript node: kept out.
    const narrower = fromDirectory(store, 'defaults/text', 'export function other() { return 1; }', 'module');
    expect(narrower.ok || narrower.error.code).toBe('in_use');
    expect(store.get('acme', 'defaults/text')?.origin).toBe('embedded');
    // A directory module others import cannot vanish from under them: its file going away keeps it.
    must(fromDirectory(store, 'lib/extra', 'export const x = 1;', 'module'));
    must(store.put('acme', { name: 'uses-extra', kind: 'node', source: "import { x } from 'lib/extra';\nexport default function h() { return String(x); }" }));
    const gone = store.removeDirectory('acme', 'lib/extra');
    expect(gone.ok || gone.error.code).toBe('in_use');
    expect(store.get('acme', 'lib/extra')?.origin).toBe('directory');
    must(store.delete('acme', 'uses-extra'));
    must(store.removeDirectory('acme', 'lib/extra'));
    expect(store.get('acme', 'lib/extra')).toBeUndefined();
  });

  test('a PutScript version that dropped an export others need cannot be deleted onto nothing, nor replaced', () => {
    const store = registry();
    must(store.put('acme', { name: 'lib/extra', kind: 'module', source: 'export const x = 1;' }));
    must(fromDirectory(store, 'app', "import { x } from 'lib/extra';\nexport default function h() { return String(x); }"));
    const deleted = store.delete('acme', 'lib/extra');
    expect(deleted.ok || deleted.error.problems.map(formatProblem)).toEqual(['module "lib/extra" is imported by "app" (change or delete them first)']);
  });

  test('linkedScript gives the effective entry and its modules with hashes and sources, as the script tier runs them', () => {
    const store = registry();
    const linked = store.linkedScript('acme', 'redact/pii')!;
    const text = store.get('acme', 'defaults/text')!;
    const pii = store.get('acme', 'redact/pii')!;
    expect(linked.entry).toBe('redact/pii');
    expect(new Map(linked.sources)).toEqual(
      new Map([
        ['redact/pii', { hash: pii.hash, source: pii.source }],
        ['defaults/text', { hash: text.hash, source: text.source }],
      ]),
    );
    expect(store.linkedScript('acme', 'defaults/text')).toBeUndefined();
    expect(store.linkedScript('acme', 'absent')).toBeUndefined();
  });
});

describe('source retention for frozen plans', () => {
  function replaced(store: ScriptRegistry): { before: ReadonlyMap<string, string>; old: StoredScript } {
    const before = store.linkedHashes('acme', 'bot/rules')!;
    const old = store.get('acme', 'bot/rules')!;
    return { before, old };
  }

  test('a pinned plan reads exactly its pinned code after the script and its module are replaced; released, the old source is dropped', () => {
    const store = registry();
    const { before, old } = replaced(store);
    const pin = store.pin('acme', before.values())!;
    expect(pin).toBeDefined();
    const oldText = store.get('acme', 'defaults/text')!;
    must(fromDirectory(store, 'defaults/text', `${oldText.source}\nexport const EXTRA = 1;`, 'module'));
    must(store.put('acme', { name: 'bot/rules', kind: 'node', source: ECHO }));
    expect(store.linkedHashes('acme', 'bot/rules')).toEqual(new Map([['bot/rules', sha256(ECHO)]]));

    const pinned = store.pinnedScript('acme', 'bot/rules', before)!;
    expect(pinned.sources.get('bot/rules')).toEqual({ hash: old.hash, source: old.source });
    expect(pinned.sources.get('defaults/text')).toEqual({ hash: oldText.hash, source: oldText.source });
    expect(store.pinnedSources()).toBe(2);

    pin.release();
    pin.release();
    expect(store.pinnedSources()).toBe(0);
    // The embedded bot is no longer effective for acme and nothing pins it: gone for acme's plans.
    expect(store.sourceByHash('acme', oldText.hash)).toBeUndefined();
    expect(store.pinnedScript('acme', 'bot/rules', before)).toBeUndefined();
  });

  test('pins count: a source stays while any pin holds it; an unknown hash pins nothing; tenants never see each other\'s pins', () => {
    const store = registry();
    must(store.put('acme', { name: 'n', kind: 'node', source: ECHO }));
    const hash = sha256(ECHO);
    const a = store.pin('acme', [hash])!;
    const b = store.pin('acme', [hash, hash])!;
    must(store.put('acme', { name: 'n', kind: 'node', source: SHOUT }));
    expect(store.pin('acme', [hash, 'f'.repeat(64)])).toBeUndefined();
    expect(store.sourceByHash('globex', hash)).toBeUndefined();
    a.release();
    expect(store.sourceByHash('acme', hash)).toBe(ECHO);
    b.release();
    expect(store.sourceByHash('acme', hash)).toBeUndefined();
    expect(store.pinnedSources()).toBe(0);
  });
});
