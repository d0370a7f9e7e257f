// Properties of the script registry: analysis of any input ends in a result, never an exception; and whatever sequence of puts, deletes and scripts-directory changes runs, the store stays linked, acyclic, within its depth and caps, each name shows its highest layer, and a refusal changes nothing.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { analyzeScript } from './analyze.js';
import type { ScriptProblemCode } from './problems.js';
import { isReservedSpecifier, type ScriptKind } from './names.js';
import { ScriptRegistry } from './store.js';

const CODES: readonly ScriptProblemCode[] = [
  'invalid_name',
  'invalid_kind',
  'invalid_source',
  'invalid_syntax',
  'invalid_module',
  'unresolved_import',
  'import_cycle',
  'import_too_deep',
  'not_found',
  'in_use',
  'quota_exceeded',
  'analysis_unavailable',
];

/** Fragments that reach every branch of the analyzer when glued together at random. */
const TOKENS = [
  'import', 'export', 'default', 'const', 'let', 'var', 'function', 'async', 'class', 'from', 'as', '*',
  '{', '}', '(', ')', '[', ']', '=', ';', ',', '.', '...', '=>', '?.', '??', '+', '-', '!', 'typeof', 'in',
  'new', 'await', 'this', 'import(', 'import.meta', '`a${', '}`', "'lib'", '"baton:host"', "'baton:x'", 'x', 'y', 'f',
  '1', '/re/g', '\n', 'undefined', 'if', 'for', 'delete', 'instanceof', '\u2028', '#!', '\uFFFD', '\uD800',
] as const;

const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((parts) => parts.join(' '));

/** Statements that are mostly valid, so linking-relevant shapes (imports, exports, handlers) come up often. */
const STATEMENTS = [
  "import { v } from 'lib';",
  "import * as ns from 'lib';",
  "import d from 'lib';",
  "export { v as w } from 'lib';",
  "export * as all from 'lib';",
  "export * from 'lib';",
  'export const A = 1;',
  'export const B = A + 1;',
  'export const C = { a: A, f() {} };',
  'export function g() { return import("x"); }',
  'export default function h() {}',
  'export default A;',
  'export { g as default };',
  'let z = 1;',
  'console.log(A);',
  'class K {}',
  'const D = f();',
  'const E = E;',
] as const;

const statementSoup = fc.array(fc.constantFrom(...STATEMENTS), { maxLength: 10 }).map((parts) => parts.join('\n'));

const anySource = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 200 }), tokenSoup, statementSoup, fc.anything());

describe('the script validator', () => {
  test('any input gives ok or typed problems with valid positions, never an exception, and the same answer twice', () => {
    fc.assert(
      fc.property(fc.constantFrom<ScriptKind>('node', 'module'), anySource, (kind, source) => {
        const result = analyzeScript(kind, source);
        expect(analyzeScript(kind, source)).toEqual(result);
        if (result.ok) {
          expect(result.analysis.kind).toBe(kind);
          if (kind === 'node') expect(result.analysis.exports.get('default')?.kind).not.toBe('constant');
          for (const ref of result.analysis.imports) {
            expect(ref.line).toBeGreaterThanOrEqual(1);
            expect(ref.column).toBeGreaterThanOrEqual(1);
          }
          return;
        }
        expect(result.problems.length).toBeGreaterThan(0);
        for (const problem of result.problems) {
          expect(CODES).toContain(problem.code);
          expect(problem.message.length).toBeGreaterThan(0);
          if (problem.line !== undefined) {
            expect(Number.isInteger(problem.line) && problem.line >= 1).toBe(true);
            expect(Number.isInteger(problem.column) && problem.column! >= 1).toBe(true);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('the store turns any request into a stored script or a typed refusal', () => {
    const store = new ScriptRegistry();
    fc.assert(
      fc.property(fc.anything(), fc.oneof(fc.constantFrom('node', 'module'), fc.anything()), anySource, (name, kind, source) => {
        const result = store.put('t', { name, kind, source });
        if (!result.ok) expect(CODES).toContain(result.error.code);
      }),
      { numRuns: 1000 },
    );
  });
});

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f'] as const;
const EXPORTS = ['v', 'w'] as const;

interface ImportSpec {
  from: string;
  names: string[];
}

interface ScriptSpec {
  name: string;
  kind: ScriptKind;
  imports: ImportSpec[];
  exports: string[];
  /** none, a handler function, or a constant default (which a node script may not have). */
  defaultExport: 'none' | 'function' | 'constant' | 'reexport';
}

type Op = { t: 'put'; spec: ScriptSpec } | { t: 'delete'; name: string };

function sourceOf(spec: ScriptSpec): string {
  const lines: string[] = [];
  spec.imports.forEach((imp, i) => {
    const names = imp.names.map((n) => (n === 'default' ? `default as i${i}_default` : `${n} as i${i}_${n}`));
    lines.push(`import { ${names.join(', ')} } from '${imp.from}';`);
  });
  for (const name of spec.exports) lines.push(name === 'v' ? 'export const v = 1;' : 'export function w() { return 2; }');
  if (spec.defaultExport === 'function') lines.push('export default function handle() {}');
  if (spec.defaultExport === 'constant') lines.push('export default 42;');
  if (spec.defaultExport === 'reexport' && spec.imports[0]) lines.push(`export { default } from '${spec.imports[0].from}';`);
  // A distinct line keeps sources of different specs different, so a put is not a no-op by accident.
  lines.push(`// ${JSON.stringify(spec)}`);
  return lines.join('\n');
}

// Weighted toward imports that resolve, so that stores grow deep enough to reach the depth, cap and importer rules.
const importSpec = fc.record({
  from: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...NAMES) },
    { weight: 1, arbitrary: fc.constant('baton:host') },
    { weight: 1, arbitrary: fc.constantFrom('baton:nope', 'missing') },
  ),
  names: fc.oneof({ weight: 8, arbitrary: fc.subarray(['v', 'w']) }, { weight: 1, arbitrary: fc.subarray(['v', 'w', 'default', 'emit']) }),
});

const scriptSpec: fc.Arbitrary<ScriptSpec> = fc.record({
  name: fc.constantFrom(...NAMES),
  kind: fc.constantFrom<ScriptKind>('module', 'module', 'module', 'node'),
  imports: fc.oneof({ weight: 1, arbitrary: fc.constant<ImportSpec[]>([]) }, { weight: 2, arbitrary: fc.uniqueArray(importSpec, { minLength: 1, maxLength: 2, selector: (i) => i.from }) }),
  exports: fc.oneof({ weight: 4, arbitrary: fc.constant<string[]>([...EXPORTS]) }, { weight: 1, arbitrary: fc.subarray([...EXPORTS]) }),
  defaultExport: fc.constantFrom('none', 'function', 'function', 'constant', 'reexport'),
});

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: scriptSpec.map((spec) => ({ t: 'put' as const, spec })) },
  { weight: 1, arbitrary: fc.constantFrom(...NAMES).map((name) => ({ t: 'delete' as const, name })) },
);

/** Everything observable about the store, to show that a refusal changed nothing. */
function snapshot(store: ScriptRegistry): string {
  const listed = store.list('t', { page_size: 500 });
  if (!listed.ok) throw new Error(listed.problem);
  return JSON.stringify({
    usage: store.usage('t'),
    directory: store.directoryNames('t'),
    scripts: listed.scripts.map((s) => [s.name, s.kind, s.hash, s.origin, [...s.exports], store.importersOf('t', s.name)]),
  });
}

/** `layered`: the store has embedded and directory scripts too, which the caps and usage do not count. */
function checkInvariants(store: ScriptRegistry, depthLimit: number, scriptCap: number, layered = false): void {
  const listed = store.list('t', { page_size: 500 });
  if (!listed.ok) throw new Error(listed.problem);
  const byName = new Map(listed.scripts.map((s) => [s.name, s]));
  const puts = listed.scripts.filter((s) => s.origin === 'put');
  if (!layered) expect(puts.length).toBe(byName.size);
  expect(puts.length).toBeLessThanOrEqual(scriptCap);
  let bytes = 0;
  for (const script of puts) bytes += Buffer.byteLength(script.source);
  for (const script of byName.values()) {
    expect(script.hash).toBe(createHash('sha256').update(script.source).digest('hex'));
    for (const ref of script.analysis.imports) {
      if (isReservedSpecifier(ref.specifier)) continue;
      const target = byName.get(ref.specifier);
      expect(target?.kind, `${script.name} imports ${ref.specifier}`).toBe('module');
      for (const name of ref.names) if (name !== '*') expect(target!.exports.has(name), `${ref.specifier} exports ${name}`).toBe(true);
      expect(store.importersOf('t', ref.specifier)).toContain(script.name);
    }
    if (script.kind === 'node') expect(script.exports.get('default')).toBe('function');
    for (const importer of store.importersOf('t', script.name)) expect(byName.get(importer)?.imports).toContain(script.name);
  }
  expect(store.usage('t')).toEqual({ scripts: puts.length, bytes });
  // Acyclic, and no chain longer than the limit.
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    expect(visiting.has(name), `cycle through ${name}`).toBe(false);
    visiting.add(name);
    const deps = byName.get(name)!.imports.filter((s) => !isReservedSpecifier(s));
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depthOf));
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  for (const name of byName.keys()) expect(depthOf(name)).toBeLessThanOrEqual(depthLimit);
}

describe('the script store under any sequence of puts and deletes', () => {
  test('stays linked, acyclic, within depth and caps; a refusal changes nothing; a put is readable as stored', () => {
    const depthLimit = 2;
    const scriptCap = 5;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const store = new ScriptRegistry({ importDepth: depthLimit, scriptsPerTenant: scriptCap });
        // Leaf modules first, so random imports mostly resolve and the graph grows deep enough to meet every rule.
        const leaves: Op[] = NAMES.slice(0, scriptCap).map((name) => ({ t: 'put', spec: { name, kind: 'module', imports: [], exports: [...EXPORTS], defaultExport: 'function' } }));
        for (const step of [...leaves, ...ops]) {
          const before = snapshot(store);
          if (step.t === 'put') {
            const source = sourceOf(step.spec);
            const result = store.put('t', { name: step.spec.name, kind: step.spec.kind, source });
            if (result.ok) {
              expect(store.get('t', step.spec.name)).toBe(result.script);
              expect(result.script.source).toBe(source);
            } else {
              expect(snapshot(store)).toBe(before);
            }
          } else {
            const result = store.delete('t', step.name);
            if (result.ok) expect(store.get('t', step.name)).toBeUndefined();
            else {
              expect(['not_found', 'in_use']).toContain(result.error.code);
              expect(snapshot(store)).toBe(before);
            }
          }
          checkInvariants(store, depthLimit, scriptCap);
        }
      }),
      { numRuns: 400 },
    );
  });
});

type LayeredOp = Op | { t: 'file'; spec: ScriptSpec } | { t: 'unfile'; name: string };

const layeredOp: fc.Arbitrary<LayeredOp> = fc.oneof(
  { weight: 3, arbitrary: op },
  { weight: 2, arbitrary: scriptSpec.map((spec) => ({ t: 'file' as const, spec })) },
  { weight: 1, arbitrary: fc.constantFrom(...NAMES).map((name) => ({ t: 'unfile' as const, name })) },
);

describe('the layered store under any sequence of puts, deletes and directory changes', () => {
  test('stays linked, acyclic and within depth; a refusal changes nothing; each name shows its highest layer and falls back one layer at a time', () => {
    const depthLimit = 2;
    const scriptCap = 5;
    // Two embedded modules every importer can lean on.
    const embedded = NAMES.slice(0, 2).map((name) => ({ name, kind: 'module' as const, source: sourceOf({ name, kind: 'module', imports: [], exports: [...EXPORTS], defaultExport: 'function' }) }));
    const embeddedNames = new Set<string>(embedded.map((e) => e.name));
    fc.assert(
      fc.property(fc.array(layeredOp, { minLength: 1, maxLength: 60 }), (ops) => {
        const store = new ScriptRegistry({ importDepth: depthLimit, scriptsPerTenant: scriptCap }, { embedded });
        for (const step of ops) {
          const before = snapshot(store);
          const name = step.t === 'put' || step.t === 'file' ? step.spec.name : step.name;
          const shadowed = store.get('t', name)?.origin === 'put';
          let result: { ok: boolean; error?: { code: string } };
          if (step.t === 'put') {
            const source = sourceOf(step.spec);
            result = store.put('t', { name, kind: step.spec.kind, source });
            if (result.ok) expect(store.get('t', name)).toMatchObject({ origin: 'put', source });
          } else if (step.t === 'file') {
            const source = sourceOf(step.spec);
            const put = store.putDirectory('t', name, step.spec.kind, source, analyzeScript(step.spec.kind, source));
            result = put;
            if (put.ok) {
              expect(put.effective).toBe(!shadowed);
              if (put.effective) expect(store.get('t', name)).toMatchObject({ origin: 'directory', source });
            }
          } else if (step.t === 'delete') {
            result = store.delete('t', name);
            if (result.ok) {
              // One layer down: the directory version, else the embedded default, else nothing.
              const below = store.directoryNames('t').includes(name) ? 'directory' : embeddedNames.has(name) ? 'embedded' : undefined;
              expect(store.get('t', name)?.origin).toBe(below);
            }
          } else {
            const held = store.directoryNames('t').includes(name);
            const removed = store.removeDirectory('t', name);
            result = removed;
            if (removed.ok) {
              expect(store.directoryNames('t')).not.toContain(name);
              if (held && !shadowed) expect(store.get('t', name)?.origin).toBe(embeddedNames.has(name) ? 'embedded' : undefined);
            }
          }
          // A change that is shadowed by a PutScript version changes what is kept for later, not what is effective.
          if (!result.ok) expect(snapshot(store)).toBe(before);
          checkInvariants(store, depthLimit, scriptCap, true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
