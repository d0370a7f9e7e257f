// `baton scripts extract`: the embedded defaults in the scripts_dir layout, existing files kept and listed, bad usage exit 2.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { embeddedScripts, listScripts, scriptPath } from '../internal/nodes/registry/layout.js';
import { runScripts } from './scripts.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-extract-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function run(...argv: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runScripts(argv, (l) => out.push(l), (l) => err.push(l), dir);
  return { code, out, err };
}

describe('baton scripts extract', () => {
  test('writes every embedded default under DIR/dev/ in the layout the scripts directory reads back', () => {
    const { code, out } = run('extract', 'scripts');
    expect(code).toBe(0);
    const paths = embeddedScripts().map((s) => `dev/${scriptPath(s.name, s.kind)}`);
    expect(out).toEqual(paths.map((p) => `wrote ${p}`));
    for (const script of embeddedScripts()) expect(readFileSync(join(dir, 'scripts', 'dev', scriptPath(script.name, script.kind)), 'utf8')).toBe(script.source);
    expect(listScripts(join(dir, 'scripts', 'dev')).map((s) => [s.kind, s.name])).toEqual(embeddedScripts().map((s) => [s.kind, s.name]));
  });

  test('keeps every existing file, listing it, writes the missing ones and exits 0', () => {
    mkdirSync(join(dir, 'out', 'acme', 'nodes', 'bot'), { recursive: true });
    writeFileSync(join(dir, 'out', 'acme', 'nodes', 'bot', 'rules.js'), 'mine');
    const { code, out } = run('extract', 'out', '--tenant', 'acme');
    expect(code).toBe(0);
    expect(out).toEqual(['wrote acme/modules/defaults/text.js', 'wrote acme/nodes/redact/pii.js', 'kept acme/nodes/bot/rules.js (exists)']);
    expect(readFileSync(join(dir, 'out', 'acme', 'nodes', 'bot', 'rules.js'), 'utf8')).toBe('mine');
    const again = run('extract', 'out', '--tenant=acme');
    expect(again.code).toBe(0);
    expect(again.out.every((l) => l.startsWith('kept '))).toBe(true);
  });

  test('bad usage exits 2 with a reason, writing nothing', () => {
    expect(run().code).toBe(2);
    expect(run('extract').err).toEqual(['usage: baton scripts extract DIR [--tenant NAME] (default tenant dev)']);
    expect(run('unpack', 'x').code).toBe(2);
    const traversal = run('extract', 'x', '--tenant', '../etc');
    expect(traversal.code).toBe(2);
    expect(traversal.err[0]).toContain('--tenant needs a tenant name');
    expect(run('extract', 'x', '--force').code).toBe(2);
    expect(run('extract', 'a', 'b').code).toBe(2);
    expect(listScripts(join(dir, 'x'))).toEqual([]);
  });
});
