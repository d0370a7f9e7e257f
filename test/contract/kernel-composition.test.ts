// The kernel is composed in one place (internal/kernel/core.ts): the running
// kernel, the simulation kernel and every harness are that core, so a second
// hand-wired SessionManager anywhere in the tree fails here.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE_DIRS = ['api', 'internal', 'cmd', 'test', 'tools', 'scripts'];
const SKIPPED = new Set(['node_modules', 'dist', 'generated']);
const CONSTRUCTION = /\bnew\s+SessionManager\b/g;
const COMPOSITION = 'internal/kernel/core.ts';

function sources(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : sources(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

describe('one composition of the kernel core', () => {
  test('no file but internal/kernel/core.ts constructs a SessionManager, and core.ts constructs exactly one', () => {
    const constructions = new Map<string, number>();
    for (const dir of SOURCE_DIRS) {
      for (const file of sources(join(repoRoot, dir))) {
        const found = readFileSync(file, 'utf8').match(CONSTRUCTION)?.length ?? 0;
        if (found > 0) constructions.set(relative(repoRoot, file).split('\\').join('/'), found);
      }
    }
    expect(Object.fromEntries(constructions)).toEqual({ [COMPOSITION]: 1 });
  });
});
