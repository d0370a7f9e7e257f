// Imports run one way: every import of every production file under api/
// internal/ cmd/ is an edge internal/module-graph.ts allows, the modules form
// no cycle, every module on disk is placed in the table, and
// docs/architecture.md shows the same graph. Unit tests next to a module are
// exempt from the graph (they wire their module to its neighbours as a harness
// would) but still must sit inside a module. The checker itself is tested on
// small in-memory trees so a broken checker cannot pass for a clean tree.
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { MODULE_GRAPH, type ModuleRule } from '../../internal/module-graph.js';
import {
  DOC_BEGIN,
  DOC_END,
  type ModuleTable,
  checkSources,
  checkTable,
  importsOf,
  modulePath,
  renderModuleGraph,
} from '../support/module-graph-check.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE_ROOTS = ['api', 'internal', 'cmd'];
const DOC = join(repoRoot, 'docs', 'architecture.md');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function repoPath(path: string): string {
  return relative(repoRoot, path).split(sep).join('/');
}

const sources = SOURCE_ROOTS.flatMap((root) => tsFiles(join(repoRoot, root))).map((path) => ({ path: repoPath(path), text: readFileSync(path, 'utf8') }));

/** What must be a module of its own: each directory and each production .ts file directly under api/ and internal/, and cmd/. */
function topLevelOnDisk(): string[] {
  const placed = ['cmd'];
  for (const root of ['api', 'internal']) {
    for (const entry of readdirSync(join(repoRoot, root), { withFileTypes: true })) {
      if (entry.isDirectory()) placed.push(`${root}/${entry.name}`);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) placed.push(`${root}/${entry.name.slice(0, -3)}`);
    }
  }
  return placed;
}

function existsOnDisk(path: string): boolean {
  const full = join(repoRoot, path);
  return (existsSync(full) && statSync(full).isDirectory()) || existsSync(`${full}.ts`);
}

function docSection(doc: string): string | undefined {
  const begin = doc.indexOf(DOC_BEGIN);
  const end = doc.indexOf(DOC_END);
  return begin < 0 || end < begin ? undefined : doc.slice(begin, end + DOC_END.length);
}

describe('the code keeps the module graph', () => {
  test('the table is a top-down DAG of modules that exist, and places every module on disk', () => {
    expect(checkTable(MODULE_GRAPH, { modulesExist: existsOnDisk, topLevel: topLevelOnDisk() })).toEqual([]);
  });

  test('every import under api/ internal/ cmd/ is an allowed edge, and the modules import each other without a cycle', () => {
    expect(sources.length).toBeGreaterThan(100);
    const report = checkSources(MODULE_GRAPH, sources);
    // A readable list, one line per offending import, beats a diff of arrays.
    expect(report.problems.join('\n'), `${report.problems.length} problems`).toBe('');
    expect(report.edges.length).toBeGreaterThan(50);
  });

  test("docs/architecture.md's Module graph section is the table, rendered", () => {
    const rendered = renderModuleGraph(MODULE_GRAPH);
    const doc = readFileSync(DOC, 'utf8');
    if (process.env.BATON_WRITE_MODULE_GRAPH === '1') {
      const current = docSection(doc);
      writeFileSync(DOC, current ? doc.replace(current, rendered) : `${doc.trimEnd()}\n\n## Module graph\n\n${rendered}\n`);
    }
    const section = docSection(readFileSync(DOC, 'utf8'));
    expect(section, 'docs/architecture.md has no generated module graph; run BATON_WRITE_MODULE_GRAPH=1 npx vitest run test/contract/module-graph.test.ts').toBeDefined();
    expect(section, 'the doc differs from internal/module-graph.ts; run BATON_WRITE_MODULE_GRAPH=1 npx vitest run test/contract/module-graph.test.ts').toBe(rendered);
    for (const module of Object.keys(MODULE_GRAPH)) expect(section).toContain(`\`${module}\``);
  });
});

describe('the checker', () => {
  const rule = (imports: string[], privateDirs?: string[]): ModuleRule => ({ owns: 'test', imports, ...(privateDirs ? { private: privateDirs } : {}) });
  const tiny: ModuleTable = { cmd: rule(['session']), session: rule(['nodes']), nodes: rule([], ['builtin']), 'api/eventabi': rule([]) };

  test('finds imports the parser sees, and none inside comments or strings', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export * from './c.js';",
      "// import { x } from './commented.js';",
      "const s = \"import { y } from './in-a-string.js'\";",
      "const later = await import('./d.js');",
      "type T = import('./e.js').T;",
      "const w = new Worker(new URL('./worker.js', import.meta.url));",
      "const page = new URL('./not-a-module-url.js', 'http://example.test');",
    ].join('\n');
    expect(importsOf('x.ts', text)).toEqual([
      { specifier: './a.js', line: 1 },
      { specifier: '../b.js', line: 2 },
      { specifier: './c.js', line: 3 },
      { specifier: './d.js', line: 6 },
      { specifier: './e.js', line: 7 },
      { specifier: './worker.js', line: 8 },
    ]);
  });

  test('reports an upward edge with its file, line and modules', () => {
    const report = checkSources(tiny, [
      { path: 'internal/nodes/graph.ts', text: "import { x } from '../session/session.js';\n" },
      { path: 'internal/session/session.ts', text: "\nimport { y } from '../nodes/graph.js';\n" },
    ]);
    expect(report.problems).toContain("internal/nodes/graph.ts:1: nodes -> session is not an allowed edge ('../session/session.js')");
    expect(report.edges).toContainEqual({ from: 'session', to: 'nodes', at: 'internal/session/session.ts:2' });
  });

  test('reports a cycle between modules with the import behind each step', () => {
    const report = checkSources(tiny, [
      { path: 'internal/nodes/graph.ts', text: "import { x } from '../session/session.js';\n" },
      { path: 'internal/session/session.ts', text: "import { y } from '../nodes/graph.js';\n" },
    ]);
    expect(report.problems).toContain(
      'import cycle between modules: nodes -> session (internal/nodes/graph.ts:1), session -> nodes (internal/session/session.ts:1)',
    );
  });

  test('reports a reach into a private directory, test code imported by production code, and a file in no module', () => {
    const report = checkSources(tiny, [
      { path: 'internal/session/session.ts', text: "import { vad } from '../nodes/builtin/vad.js';\nimport { sim } from '../../test/support/sim.js';\n" },
      { path: 'internal/nodes/graph.ts', text: "import { vad } from './builtin/vad.js';\n" },
      { path: 'internal/nodes/graph.test.ts', text: "import { sim } from '../../test/support/sim.js';\nimport { s } from '../session/session.js';\n" },
      { path: 'internal/stray/file.ts', text: '' },
    ]);
    expect(report.problems).toEqual([
      "internal/session/session.ts:1: session -> nodes/builtin reaches into a directory private to nodes; import it through nodes's own files ('../nodes/builtin/vad.js')",
      "internal/session/session.ts:2: production code imports test code '../../test/support/sim.js'",
      'internal/stray/file.ts: belongs to no module; add its module to internal/module-graph.ts',
    ]);
  });

  test('rejects a table with a cycle, an upward edge, an unknown module, or a module on disk it does not place', () => {
    const table: ModuleTable = { session: rule(['nodes']), nodes: rule(['session', 'ghost']) };
    const problems = checkTable(table, { modulesExist: (path) => path !== 'internal/nodes', topLevel: ['internal/session', 'internal/nodes', 'internal/newcomer'] });
    expect(problems).toEqual([
      'nodes: no internal/nodes/ or internal/nodes.ts on disk',
      'nodes -> session: the table is written top-down, and session is above nodes',
      'nodes -> ghost: ghost is not a module of the table',
      'internal/newcomer: not in internal/module-graph.ts; place the new module in the graph',
      'the table has a cycle: nodes -> session -> nodes',
    ]);
  });

  test('maps module names to paths: api/* and cmd at the root, the rest under internal/', () => {
    expect([modulePath('cmd'), modulePath('api/eventabi'), modulePath('nodes/registry')]).toEqual(['cmd', 'api/eventabi', 'internal/nodes/registry']);
  });
});
