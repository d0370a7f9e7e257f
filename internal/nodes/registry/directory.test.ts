// The watched scripts directory on a real temp dir with real fs events: load at start, override, bad edit keeps the last good, delete falls back, files appearing later, errors logged and never fatal.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, renameSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { InlineAnalyzer } from './analyzer.js';
import { ScriptsDirectory } from './directory.js';
import { embeddedScripts, scriptPath } from './layout.js';
import type { ScriptKind } from './names.js';
import { openScriptSources } from './sources.js';
import { ScriptRegistry } from './store.js';

interface Line {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

let dir: string;
let lines: Line[];
let registry: ScriptRegistry;
let watched: ScriptsDirectory | undefined;

const logger = {
  info: (fields: object, message: string) => lines.push({ level: 'info', fields: fields as Record<string, unknown>, message }),
  warn: (fields: object, message: string) => lines.push({ level: 'warn', fields: fields as Record<string, unknown>, message }),
  error: (fields: object, message: string) => lines.push({ level: 'error', fields: fields as Record<string, unknown>, message }),
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-scripts-dir-'));
  lines = [];
  registry = new ScriptRegistry({}, { embedded: embeddedScripts() });
  watched = undefined;
});

afterEach(async () => {
  await watched?.close();
  rmSync(dir, { recursive: true, force: true });
});

function write(tenant: string, name: string, source: string, kind: ScriptKind = 'node'): string {
  const path = join(dir, tenant, scriptPath(name, kind));
  mkdirSync(dirname(path), { recursive: true });
  // Written beside and renamed, as editors save: the watcher never reads half a file.
  writeFileSync(`${path}.tmp`, source);
  renameSync(`${path}.tmp`, path);
  return path;
}

async function start(): Promise<ScriptsDirectory> {
  watched = new ScriptsDirectory({ dir, registry, analyzer: new InlineAnalyzer(), logger, debounceMs: 30 });
  await watched.start();
  return watched;
}

/** Waits for real fs events to be reloaded until `check` holds; bounded, so a missed event fails instead of hanging. */
async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await watched!.idle();
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const ECHO = 'export default function handle(input) { return input.text; }';
const UPPER = 'export default function handle(input) { return input.text.toUpperCase(); }';

describe('the scripts directory', () => {
  test('at start: node scripts and the modules they import, each tenant on its own, overriding the embedded defaults', async () => {
    write('acme', 'app', "import { tag } from 'lib/tag';\nexport default function handle(input) { return tag(input.text); }");
    write('acme', 'lib/tag', 'export function tag(s) { return `[${s}]`; }', 'module');
    write('acme', 'bot/rules', ECHO);
    writeFileSync(join(dir, 'acme', 'README.md'), 'not a script');
    await start();
    expect(registry.get('acme', 'app')).toMatchObject({ origin: 'directory', imports: ['lib/tag'] });
    expect(registry.get('acme', 'bot/rules')).toMatchObject({ origin: 'directory', source: ECHO });
    expect(registry.get('globex', 'bot/rules')?.origin).toBe('embedded');
    expect(registry.get('globex', 'app')).toBeUndefined();
    expect(registry.directoryNames('acme')).toEqual(['app', 'bot/rules', 'lib/tag']);
    expect(lines.filter((l) => l.level !== 'info')).toEqual([]);
  });

  test('an edit is picked up after the debounce; a bad edit keeps the last good version and logs why; fixing it takes effect', async () => {
    write('acme', 'bot/rules', ECHO);
    const watcher = await start();
    const reloads = watcher.reloads;
    write('acme', 'bot/rules', UPPER);
    await until(() => registry.get('acme', 'bot/rules')?.source === UPPER, 'the edit');
    expect(watcher.reloads).toBeGreaterThan(reloads);

    write('acme', 'bot/rules', 'export default function handle(input) { return input.text');
    await until(() => lines.some((l) => l.level === 'warn'), 'the refusal');
    expect(registry.get('acme', 'bot/rules')?.source).toBe(UPPER);
    const warning = lines.find((l) => l.level === 'warn')!;
    expect(warning.message).toBe('script file refused; the last good version stays');
    expect(warning.fields).toMatchObject({ tenant: 'acme', script: 'bot/rules', code: 'invalid_syntax', kept: 'directory' });
    expect(String(warning.fields['problems'])).toMatch(/^1:\d+: syntax error/);

    write('acme', 'bot/rules', ECHO);
    await until(() => registry.get('acme', 'bot/rules')?.source === ECHO, 'the fix');
  });

  test('a deleted file falls back to the embedded default, or to nothing; a broken file with no good version leaves the default', async () => {
    const bot = write('acme', 'bot/rules', ECHO);
    const mine = write('acme', 'mine', ECHO);
    write('acme', 'redact/pii', 'let broken = 1;');
    await start();
    expect(registry.get('acme', 'redact/pii')?.origin).toBe('embedded');
    expect(lines.find((l) => l.level === 'warn')?.fields).toMatchObject({ script: 'redact/pii', kept: 'embedded', code: 'invalid_module' });
    unlinkSync(bot);
    unlinkSync(mine);
    await until(() => registry.get('acme', 'bot/rules')?.origin === 'embedded' && registry.get('acme', 'mine') === undefined, 'the fallbacks');
    expect(registry.directoryNames('acme')).toEqual([]);
  });

  test('files and tenant directories that appear later are picked up, in an order their imports accept', async () => {
    await start();
    write('globex', 'app', "import { tag } from 'lib/tag';\nexport default function handle(input) { return tag(input.text); }");
    write('globex', 'lib/tag', 'export function tag(s) { return s; }', 'module');
    await until(() => registry.get('globex', 'app')?.origin === 'directory', 'the new tenant directory');
    expect(registry.get('globex', 'lib/tag')?.origin).toBe('directory');
  });

  test('a module others import stays while they do, with a warning, and goes once they are gone', async () => {
    write('acme', 'app', "import { tag } from 'lib/tag';\nexport default function handle(input) { return tag(input.text); }");
    const lib = write('acme', 'lib/tag', 'export function tag(s) { return s; }', 'module');
    await start();
    registry.put('acme', { name: 'keeper', kind: 'node', source: "import { tag } from 'lib/tag';\nexport default function handle(input) { return tag(input.text); }" });
    rmSync(join(dir, 'acme', 'nodes'), { recursive: true });
    unlinkSync(lib);
    await until(() => registry.get('acme', 'app') === undefined && lines.some((l) => l.level === 'warn'), 'the node script to go');
    expect(registry.get('acme', 'lib/tag')?.origin).toBe('directory');
    expect(lines.find((l) => l.level === 'warn')).toMatchObject({ message: 'script file removed, but its last version stays: scripts import it', fields: { script: 'lib/tag', code: 'in_use' } });
    expect(registry.delete('acme', 'keeper').ok).toBe(true);
    // The next change anywhere retries the removal.
    write('acme', 'other', ECHO);
    await until(() => registry.get('acme', 'lib/tag') === undefined, 'the module to go');
  });

  test('a PutScript version shadows the file; the file takes over when the PutScript version is deleted', async () => {
    write('acme', 'bot/rules', ECHO);
    await start();
    expect(registry.put('acme', { name: 'bot/rules', kind: 'node', source: UPPER }).ok).toBe(true);
    write('acme', 'bot/rules', `${ECHO}\n// v2`);
    await until(() => lines.some((l) => l.message === 'script file loaded, shadowed by a PutScript version'), 'the shadowed load');
    expect(registry.get('acme', 'bot/rules')?.source).toBe(UPPER);
    expect(registry.delete('acme', 'bot/rules').ok).toBe(true);
    expect(registry.get('acme', 'bot/rules')?.source).toBe(`${ECHO}\n// v2`);
  });

  test('file-system trouble is logged, never fatal: an oversized file keeps its last version; a vanished directory keeps every script and is watched again', async () => {
    const small = new ScriptRegistry({ sourceBytes: 200 }, { embedded: [] });
    registry = small;
    write('acme', 'app', ECHO);
    const watcher = new ScriptsDirectory({ dir, registry, analyzer: new InlineAnalyzer({ sourceBytes: 200, importsPerScript: 64, problems: 100 }), logger, debounceMs: 30, rewatchMs: 50 });
    watched = watcher;
    await watcher.start();
    write('acme', 'app', `${ECHO}\n${'/'.repeat(300)}`);
    await until(() => lines.some((l) => l.message.startsWith('script file larger')), 'the size warning');
    expect(registry.get('acme', 'app')?.source).toBe(ECHO);

    rmSync(dir, { recursive: true, force: true });
    await until(() => lines.some((l) => l.level === 'error'), 'the error');
    expect(registry.get('acme', 'app')?.source).toBe(ECHO);
    mkdirSync(dir);
    write('acme', 'app', UPPER);
    await until(() => registry.get('acme', 'app')?.source === UPPER, 'the directory watched again');
  });

  test('a missing directory at start is logged, not thrown; close stops watching', async () => {
    rmSync(dir, { recursive: true, force: true });
    const watcher = await start();
    expect(lines.filter((l) => l.level === 'error').length).toBeGreaterThan(0);
    await watcher.close();
    mkdirSync(dir, { recursive: true });
    write('acme', 'app', ECHO);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await watcher.idle();
    expect(registry.get('acme', 'app')).toBeUndefined();
  });
});

describe('the sources the kernel opens', () => {
  test('without scripts_dir: the embedded defaults only; with it: the directory loaded before it resolves, and watching stops on close', async () => {
    const plain = await openScriptSources({ scriptsDir: '', analyzer: new InlineAnalyzer(), logger });
    expect(plain.directory).toBeUndefined();
    expect(plain.registry.get('acme', 'bot/rules')?.origin).toBe('embedded');
    await plain.close();

    write('acme', 'bot/rules', ECHO);
    const sources = await openScriptSources({ scriptsDir: dir, analyzer: new InlineAnalyzer(), logger, debounceMs: 30 });
    watched = sources.directory;
    expect(sources.registry.get('acme', 'bot/rules')).toMatchObject({ origin: 'directory', source: ECHO });
    await sources.close();
    write('acme', 'bot/rules', UPPER);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sources.registry.get('acme', 'bot/rules')?.source).toBe(ECHO);
  });
});
