// Script analysis without execution: syntax errors with positions, the declarations-only rules, imports, exports and a node's handler.
import { describe, expect, test } from 'vitest';
import { analyzeScript, type AnalysisResult, type ScriptAnalysis } from './analyze.js';
import { checkSource, formatProblem } from './problems.js';
import { SCRIPT_LIMITS } from './names.js';

function ok(result: AnalysisResult): ScriptAnalysis {
  if (!result.ok) throw new Error(`expected ok, got: ${result.problems.map(formatProblem).join('; ')}`);
  return result.analysis;
}

/** Every problem as `line:column: message`. */
function problems(result: AnalysisResult): string[] {
  if (result.ok) throw new Error('expected problems, got ok');
  return result.problems.map(formatProblem);
}

function moduleProblems(source: string): string[] {
  return problems(analyzeScript('module', source));
}

describe('what a module may hold', () => {
  test('functions, constants and imports are accepted, with exports classified as functions or constants', () => {
    const analysis = ok(
      analyzeScript(
        'module',
        [
          "'use strict';",
          "import { emit, log } from 'baton:host';",
          "import helpers, * as text from 'lib/text';",
          'const BASE = 40;',
          'export const LIMIT = BASE * 2 + 2;',
          'export const GREETING = `hello ${BASE}`;',
          "export const TABLE = { a: 1, 'b-c': [1, 2, null], [\"lit\"]: -1, nested: { on: true }, f() { return emit(1); }, get g() { return 2; } };",
          'export const shout = (s) => s.toUpperCase();',
          'export const pick = LIMIT > 10 ? TABLE : null;',
          'export const same = TABLE === pick && !helpers && typeof text === "object" && void 0 === undefined;',
          'export const fallback = pick ?? TABLE;',
          'export async function* each(xs) { for (const x of xs) yield await x; }',
          'function local() { let n = 0; n += 1; log(n); return Math.max(n, 2); }',
          'export { local as renamed };',
          ';',
        ].join('\n'),
      ),
    );
    expect(Object.fromEntries([...analysis.exports].map(([name, shape]) => [name, shape.kind]))).toEqual({
      LIMIT: 'constant',
      GREETING: 'constant',
      TABLE: 'constant',
      shout: 'function',
      pick: 'constant',
      same: 'constant',
      fallback: 'constant',
      each: 'function',
      renamed: 'function',
    });
    expect(analysis.specifiers).toEqual(['baton:host', 'lib/text']);
  });

  test('imports and re-exports are collected in source order with the names they take and 1-based positions', () => {
    const analysis = ok(
      analyzeScript(
        'module',
        [
          "import def, { a, b as c, 'd e' as de } from 'one';",
          "import * as ns from 'two';",
          "export { x, y as z, default as w } from 'three';",
          "export * as all from 'two';",
          "import 'four';",
          'export { a, ns };',
        ].join('\n'),
      ),
    );
    expect(analysis.imports).toEqual([
      { specifier: 'one', names: ['default', 'a', 'b', 'd e'], line: 1, column: 1 },
      { specifier: 'two', names: ['*'], line: 2, column: 1 },
      { specifier: 'three', names: ['x', 'y', 'default'], line: 3, column: 1 },
      { specifier: 'two', names: ['*'], line: 4, column: 1 },
      { specifier: 'four', names: [], line: 5, column: 1 },
    ]);
    expect(analysis.specifiers).toEqual(['one', 'two', 'three', 'four']);
    expect(analysis.exports.get('z')).toEqual({ kind: 'import', specifier: 'three', name: 'y' });
    expect(analysis.exports.get('w')).toEqual({ kind: 'import', specifier: 'three', name: 'default' });
    expect(analysis.exports.get('all')).toEqual({ kind: 'import', specifier: 'two', name: '*' });
    expect(analysis.exports.get('a')).toEqual({ kind: 'import', specifier: 'one', name: 'a' });
    expect(analysis.exports.get('ns')).toEqual({ kind: 'import', specifier: 'two', name: '*' });
  });

  test('a constant may name a function declared further down, because functions are hoisted', () => {
    ok(analyzeScript('module', 'export const handlers = { run };\nfunction run() {}'));
  });

  test('`let` and `var` are refused, exported or not, since they are module-level mutable state', () => {
    expect(moduleProblems('let a = 1;\nexport var b = 2;\nexport let c;')).toEqual([
      '1:1: `let` is module-level mutable state: declare it with const (state that must change between calls lives in baton:state)',
      '2:8: an exported `var` is module-level mutable state: declare it with const (state that must change between calls lives in baton:state)',
      '3:8: an exported `let` is module-level mutable state: declare it with const (state that must change between calls lives in baton:state)',
    ]);
  });

  test('top-level statements that run code are refused, each named', () => {
    const found = moduleProblems(['console.log(1);', 'if (true) {}', 'for (;;) {}', '{ }', 'try {} catch {}', 'throw 1;', 'label: 1;', 'debugger;', 'while (0);'].join('\n'));
    expect(found).toHaveLength(9);
    expect(found[0]).toBe('1:1: a top-level expression statement runs code when the module loads (only import, export, function and const declarations may appear at the top level)');
    expect(found.map((p) => p.split(': a top-level ')[1]!.split(' runs')[0])).toEqual([
      'expression statement',
      '`if`',
      '`for` loop',
      'block',
      '`try`',
      '`throw`',
      'labeled statement',
      '`debugger`',
      '`while` loop',
    ]);
  });

  test('classes are refused as declarations, default exports and constants', () => {
    expect(moduleProblems('class A {}\nexport default class {}\nexport const B = class {};')).toEqual([
      '1:1: a class runs field initializers and static blocks when the module loads (export functions and constants)',
      '2:16: a class runs field initializers and static blocks when the module loads (export functions and constants)',
      "3:18: const B: a class runs field initializers and static blocks when the module loads (a constant is a literal, a function, or built from this module's constants)",
    ]);
  });

  test.each([
    ['f()', 'a call runs code'],
    ['new Map()', '`new` runs a constructor'],
    ['String.raw`x`', 'a tagged template is a call'],
    ['Math.PI', 'a property access can run a getter'],
    ['X?.y', 'a property access can run a getter'],
    ['await 1', 'top-level `await` runs code'],
    ['(X = 2)', 'an assignment is a side effect'],
    ['(1, 2)', 'a comma expression is not a constant'],
    ['this', '`this` is not a constant'],
    ['import.meta', '`import.meta` is host data, not a constant'],
    ['[...[1]]', 'a spread runs an iterator or getters'],
    ['({ ...{} })', 'a spread runs an iterator or getters'],
  ])('const initializer %s is refused: %s', (expression, why) => {
    const found = moduleProblems(`function f() {}\nconst X = {};\nexport const V = ${expression};`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^3:\d+: const V: /);
    expect(found[0]).toContain(why);
  });

  test('computed keys, delete, in and instanceof are refused in constants', () => {
    expect(moduleProblems('const K = "k";\nexport const A = { [K]: 1 };\nexport const B = delete A.x;\nexport const C = "a" in A;\nexport const D = A instanceof Object;')).toEqual([
      '2:21: const A: a computed key runs code: write the key literally',
      '3:18: const B: `delete` is a side effect',
      '4:18: const C: `in` can run code (proxies, Symbol.hasInstance)',
      '5:18: const D: `instanceof` can run code (proxies, Symbol.hasInstance)',
    ]);
  });

  test('constants name only this module: undeclared globals are refused, except undefined, NaN and Infinity', () => {
    expect(moduleProblems('export const A = [undefined, NaN, Infinity];\nexport const B = globalThis;')).toEqual([
      "2:18: const B: `globalThis` is not declared in this module (a constant may name only this module's declarations and imports)",
    ]);
  });

  test('a constant used before its declaration is refused (it would throw when the module loads)', () => {
    expect(moduleProblems('export const A = B;\nconst B = 1;\nconst C = C;\nconst D = 1, E = D;')).toEqual([
      '1:18: const A: `B` is used before its declaration (it is not initialized yet when this runs)',
      '3:11: const C: `C` is used before its declaration (it is not initialized yet when this runs)',
    ]);
  });

  test('coercing operators take only primitive constants, since an object would have valueOf/toString called', () => {
    expect(
      moduleProblems(
        [
          "import { n } from 'lib';",
          'const O = { valueOf() { return 1; } };',
          'const P = 2;',
          'const Q = P * 3;',
          'export const a = O + 1;',
          'export const b = -n;',
          'export const c = `${O}`;',
          'export const d = [] + 1;',
          'export const e = /x/ + 1;',
          'export const f = (() => 1) + 1;',
          'export const g = Q + P - (P > 1 ? Q : -P);',
          'export const h = typeof O + !O;',
        ].join('\n'),
      ),
    ).toEqual([
      '5:18: const a: `O` is not a primitive constant of this module (operators other than !, typeof, void, ===, !==, &&, || and ?? take only those)',
      '6:19: const b: `n` is not a primitive constant of this module (operators other than !, typeof, void, ===, !==, &&, || and ?? take only those)',
      '7:21: const c: `O` is not a primitive constant of this module (operators other than !, typeof, void, ===, !==, &&, || and ?? take only those)',
      '8:18: const d: an array in an operator would have its valueOf/toString called',
      '9:18: const e: a regular expression is an object, and an operator would call its toString',
      '10:19: const f: a function is an object, and an operator would call its toString',
    ]);
  });

  test('top-level destructuring is refused', () => {
    expect(moduleProblems('const O = { a: 1 };\nexport const { a } = O;\nconst [b] = [1];')).toEqual([
      '2:14: top-level destructuring runs iterators and getters when the module loads: declare each constant by name',
      '3:7: top-level destructuring runs iterators and getters when the module loads: declare each constant by name',
    ]);
  });

  test('`export * from` is refused with the explicit form to use instead', () => {
    expect(moduleProblems("export * from 'lib';")).toEqual(['1:1: `export * from "lib"` hides which names this module exports: list them, as in export { a, b } from "lib"']);
  });

  test('dynamic import() is refused anywhere, function bodies included', () => {
    expect(moduleProblems("export function later() { return () => import('other'); }")).toEqual([
      '1:40: dynamic `import()` is not allowed: import modules statically, so they resolve within the tenant',
    ]);
  });

  test('every problem is listed at once, ordered by position', () => {
    const found = moduleProblems('let a;\nvar b;\nf();\nexport const c = d;');
    expect(found.map((p) => p.split(':').slice(0, 2).join(':'))).toEqual(['1:1', '2:1', '3:1', '4:18']);
  });

  test('problems past the cap are counted, not listed', () => {
    const result = analyzeScript('module', Array.from({ length: 30 }, (_, i) => `let v${i};`).join('\n'), { ...SCRIPT_LIMITS, problems: 5 });
    const found = problems(result);
    expect(found).toHaveLength(6);
    expect(found[5]).toBe('and 25 more problems');
  });

  test('importing more distinct modules than the cap is refused', () => {
    const source = Array.from({ length: 4 }, (_, i) => `import 'm${i}';`).join('\n');
    expect(problems(analyzeScript('module', source, { ...SCRIPT_LIMITS, importsPerScript: 3 }))).toEqual(['imports 4 modules, more than the 3 a script may']);
    ok(analyzeScript('module', source, { ...SCRIPT_LIMITS, importsPerScript: 4 }));
  });
});

describe('what a node script must export', () => {
  test.each([
    ['export default function handle(input, ctx) { return input; }'],
    ['export default async (input) => input;'],
    ['function handle() {}\nexport default handle;'],
    ['const handle = function () {};\nexport { handle as default };'],
    ["import handle from 'lib';\nexport default handle;"],
    ["export { run as default } from 'lib';"],
  ])('a handler exported as default is accepted: %s', (source) => {
    const analysis = ok(analyzeScript('node', source));
    expect(analysis.exports.has('default')).toBe(true);
    expect(analysis.exports.get('default')!.kind).not.toBe('constant');
  });

  test('a node script without a default export is refused, saying how to write one', () => {
    expect(problems(analyzeScript('node', 'export function handle() {}'))).toEqual([
      'a node script exports its handler as default: export default function handle(input, ctx) { ... }',
    ]);
  });

  test('a node script whose default export is a constant is refused at the export', () => {
    expect(problems(analyzeScript('node', 'const x = 1;\nexport default x;'))).toEqual(['2:1: the default export of a node script must be its handler function, not a constant']);
    expect(problems(analyzeScript('node', 'export default { handle() {} };'))).toEqual(['1:1: the default export of a node script must be its handler function, not a constant']);
  });

  test('a node script follows the module rules too', () => {
    expect(problems(analyzeScript('node', 'let calls = 0;\nexport default function handle() { calls += 1; }'))[0]).toMatch(/^1:1: `let` is module-level mutable state/);
  });
});

describe('syntax and source', () => {
  test('a syntax error names its 1-based line and column and acorn message', () => {
    expect(moduleProblems('export const a = 1;\nexport const b = ;')).toEqual(['2:18: syntax error: Unexpected token']);
    expect(moduleProblems('\n\n  foo bar')).toEqual(['3:7: syntax error: Unexpected token']);
    const [problem] = (analyzeScript('module', 'const = 1') as { problems: { code: string; line: number; column: number }[] }).problems;
    expect(problem).toMatchObject({ code: 'invalid_syntax', line: 1, column: 7 });
  });

  test('module-only syntax errors are syntax errors too (duplicate and undeclared exports)', () => {
    expect(moduleProblems('export const a = 1;\nexport { a };')).toEqual(["2:10: syntax error: Duplicate export 'a'"]);
    expect(moduleProblems('export { nope };')).toEqual(["1:10: syntax error: Export 'nope' is not defined"]);
  });

  test('a source nested too deeply to parse is refused as a source problem, not a crash', () => {
    const result = analyzeScript('module', `export const a = ${'['.repeat(40_000)}${']'.repeat(40_000)};`);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0]!.code).toBe('invalid_source');
    expect(problems(result)[0]).toMatch(/nested too deeply/);
  });

  test('size, emptiness and type are checked before parsing', () => {
    expect(checkSource(42)).toEqual([{ code: 'invalid_source', message: 'source: must be a string' }]);
    expect(checkSource('')).toEqual([{ code: 'invalid_source', message: 'source: required' }]);
    expect(checkSource('é'.repeat(6), 10)).toEqual([{ code: 'invalid_source', message: 'source: 12 bytes, more than the 10 a script may have' }]);
    expect(checkSource('x'.repeat(10), 10)).toEqual([]);
  });

  test('an unpaired surrogate and U+FFFD (what invalid UTF-8 decodes to) are refused with their position', () => {
    expect(problems(analyzeScript('module', 'const a = 1;\nconst b = "\uD800";'))).toEqual(['2:12: source: not valid UTF-8 (an unpaired surrogate)']);
    expect(problems(analyzeScript('module', 'const a = "\uFFFD";'))).toEqual([
      '1:12: source: contains U+FFFD, which is what bytes that are not UTF-8 decode to (send UTF-8, or write the escape \\uFFFD)',
    ]);
    ok(analyzeScript('module', 'export const a = "\\uFFFD \u{1F600}";'));
  });
});
