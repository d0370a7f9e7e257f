// Checks source files against the allowed module graph (internal/module-graph.ts):
// finds every import with the TypeScript parser (so comments and strings never
// count), maps each file to its module, and reports edges the graph does not
// allow, reach-ins to a module's private directories, production imports of
// test code, and cycles. It reads what it is given and never touches the disk.
import { posix } from 'node:path';
import ts from 'typescript';
import type { ModuleRule } from '../../internal/module-graph.js';

export type ModuleTable = Readonly<Record<string, ModuleRule>>;

export interface SourceFile {
  /** Repository-relative, `/`-separated. */
  readonly path: string;
  readonly text: string;
}

export interface ImportRef {
  readonly specifier: string;
  readonly line: number;
}

export interface Edge {
  readonly from: string;
  readonly to: string;
  /** `file:line` of the import. */
  readonly at: string;
}

export interface GraphReport {
  /** Cross-module edges of production files, as written. */
  readonly edges: readonly Edge[];
  /** One sentence per problem; empty when the code keeps the graph. */
  readonly problems: readonly string[];
}

/** Every module specifier `text` loads: static and type imports, re-exports, `import()`, `require`, and `new URL('...', import.meta.url)` (workers). */
export function importsOf(fileName: string, text: string): ImportRef[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: ImportRef[] = [];
  const add = (literal: ts.Node): void => {
    if (!ts.isStringLiteralLike(literal)) return;
    found.push({ specifier: literal.text, line: source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0]) add(node.arguments[0]);
    else if (ts.isNewExpression(node) && isUrlRelativeToModule(node) && node.arguments?.[0]) add(node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function isUrlRelativeToModule(node: ts.NewExpression): boolean {
  const base = node.arguments?.[1];
  return (
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'URL' &&
    base !== undefined &&
    ts.isPropertyAccessExpression(base) &&
    ts.isMetaProperty(base.expression) &&
    base.expression.keywordToken === ts.SyntaxKind.ImportKeyword &&
    base.name.text === 'url'
  );
}

/** Where a module lives: `api/*` and `cmd` at the root, the rest under internal/. */
export function modulePath(module: string): string {
  return module === 'cmd' || module.startsWith('api/') ? module : `internal/${module}`;
}

export interface Placement {
  readonly module: string;
  /** Set when the file is inside one of the module's private directories. */
  readonly privateDir?: string;
}

/** The module a repository path belongs to: the longest module path containing it. */
export function placeFile(table: ModuleTable, path: string): Placement | undefined {
  let best: { module: string; root: string } | undefined;
  for (const module of Object.keys(table)) {
    const root = modulePath(module);
    const inside = path === root || path === `${root}.ts` || path.startsWith(`${root}/`);
    if (inside && (!best || root.length > best.root.length)) best = { module, root };
  }
  if (!best) return undefined;
  const rest = path.slice(best.root.length + 1);
  const privateDir = table[best.module]?.private?.find((dir) => rest.startsWith(`${dir}/`));
  return privateDir ? { module: best.module, privateDir } : { module: best.module };
}

export function isTestFile(path: string): boolean {
  return path.endsWith('.test.ts');
}

/** A specifier resolved to a repository path with its TypeScript extension, or undefined for packages and `node:` modules. */
function resolveSpecifier(fromPath: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const resolved = posix.normalize(posix.join(posix.dirname(fromPath), specifier));
  return resolved.replace(/\.js$/, '.ts');
}

/** Checks production files (tests are exempt from the graph but still parsed for placement) against `table`. */
export function checkSources(table: ModuleTable, files: readonly SourceFile[]): GraphReport {
  const edges: Edge[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const from = placeFile(table, file.path);
    if (!from) {
      problems.push(`${file.path}: belongs to no module; add its module to internal/module-graph.ts`);
      continue;
    }
    if (isTestFile(file.path)) continue;
    for (const ref of importsOf(file.path, file.text)) {
      const target = resolveSpecifier(file.path, ref.specifier);
      if (target === undefined) continue;
      const at = `${file.path}:${ref.line}`;
      if (target === 'test' || target.startsWith('test/') || isTestFile(target)) {
        problems.push(`${at}: production code imports test code '${ref.specifier}'`);
        continue;
      }
      const to = placeFile(table, target);
      if (!to) {
        problems.push(`${at}: '${ref.specifier}' resolves to ${target}, outside every module`);
        continue;
      }
      if (to.module === from.module) continue;
      edges.push({ from: from.module, to: to.module, at });
      if (!table[from.module]?.imports.includes(to.module)) {
        problems.push(`${at}: ${from.module} -> ${to.module} is not an allowed edge ('${ref.specifier}')`);
      } else if (to.privateDir) {
        problems.push(`${at}: ${from.module} -> ${to.module}/${to.privateDir} reaches into a directory private to ${to.module}; import it through ${to.module}'s own files ('${ref.specifier}')`);
      }
    }
  }
  for (const cycle of findCycles(adjacency(edges))) {
    const path = cycle.map((module, i) => {
      const next = cycle[(i + 1) % cycle.length];
      const edge = edges.find((e) => e.from === module && e.to === next);
      return `${module} -> ${next} (${edge?.at})`;
    });
    problems.push(`import cycle between modules: ${path.join(', ')}`);
  }
  return { edges, problems };
}

function adjacency(edges: readonly Edge[]): Map<string, Set<string>> {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, new Set());
    next.get(from)!.add(to);
  }
  return next;
}

/** Cycles found depth-first (at least one wherever there is one), each as the modules along it; the last leads back to the first. */
export function findCycles(next: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const nodes = [...new Set([...next.keys(), ...[...next.values()].flatMap((s) => [...s])])].sort();
  for (const start of nodes) {
    if (done.has(start)) continue;
    // An edge back to a module still on the path closes a cycle.
    const path: string[] = [];
    const onPath = new Set<string>();
    const walk = (module: string): void => {
      path.push(module);
      onPath.add(module);
      for (const to of [...(next.get(module) ?? [])].sort()) {
        if (onPath.has(to)) cycles.push(path.slice(path.indexOf(to)));
        else if (!done.has(to)) walk(to);
      }
      path.pop();
      onPath.delete(module);
      done.add(module);
    };
    walk(start);
  }
  return cycles;
}

/** Problems of the table itself: unknown or missing modules, a module importing itself or one written above it, cycles. */
export function checkTable(table: ModuleTable, onDisk: { modulesExist: (path: string) => boolean; topLevel: readonly string[] }): string[] {
  const problems: string[] = [];
  const modules = Object.keys(table);
  for (const module of modules) {
    if (!onDisk.modulesExist(modulePath(module))) problems.push(`${module}: no ${modulePath(module)}/ or ${modulePath(module)}.ts on disk`);
    for (const dir of table[module]?.private ?? []) {
      if (!onDisk.modulesExist(`${modulePath(module)}/${dir}`)) problems.push(`${module}: private directory ${dir} is not on disk`);
    }
    for (const to of table[module]?.imports ?? []) {
      if (!(to in table)) problems.push(`${module} -> ${to}: ${to} is not a module of the table`);
      else if (to === module) problems.push(`${module} -> ${to}: a module does not list itself`);
      else if (modules.indexOf(to) < modules.indexOf(module)) problems.push(`${module} -> ${to}: the table is written top-down, and ${to} is above ${module}`);
    }
  }
  for (const path of onDisk.topLevel) {
    if (!modules.some((m) => modulePath(m) === path)) problems.push(`${path}: not in internal/module-graph.ts; place the new module in the graph`);
  }
  const next = new Map(modules.map((m) => [m, new Set(table[m]?.imports ?? [])]));
  for (const cycle of findCycles(next)) problems.push(`the table has a cycle: ${[...cycle, cycle[0]].join(' -> ')}`);
  return problems;
}

export const DOC_BEGIN = '<!-- module-graph:begin (generated from internal/module-graph.ts by test/contract/module-graph.test.ts) -->';
export const DOC_END = '<!-- module-graph:end -->';

/** The doc's graph section: modules by layer (longest import chain below them), each with what it owns and may import. */
export function renderModuleGraph(table: ModuleTable): string {
  const depth = new Map<string, number>();
  const layerOf = (module: string): number => {
    const known = depth.get(module);
    if (known !== undefined) return known;
    const below = (table[module]?.imports ?? []).map(layerOf);
    const layer = below.length === 0 ? 0 : Math.max(...below) + 1;
    depth.set(module, layer);
    return layer;
  };
  const modules = Object.keys(table);
  const top = Math.max(...modules.map(layerOf));
  const lines = [DOC_BEGIN, '```'];
  for (let layer = top; layer >= 0; layer--) {
    const here = modules.filter((m) => layerOf(m) === layer);
    lines.push(`${String(layer).padStart(2)}  ${here.join('  ')}`);
  }
  lines.push('```', '', '| module | owns | may import |', '|---|---|---|');
  for (const module of modules) {
    const rule = table[module]!;
    const imports = rule.imports.map((m) => `\`${m}\``).join(', ') || '(nothing)';
    const privateDirs = rule.private ? ` (private: ${rule.private.map((d) => `\`${d}/\``).join(', ')})` : '';
    lines.push(`| \`${module}\`${privateDirs} | ${rule.owns} | ${imports} |`);
  }
  lines.push(DOC_END);
  return lines.join('\n');
}
