// The script registry: node scripts and modules per (tenant, name), validated and linked when they are put, so every stored script always resolves. It never executes a script and never grows without a cap.
import { createHash } from 'node:crypto';
import { decodePageToken, encodePageToken } from '../../paging/page-token.js';
import { type AnalysisResult, analyzeScript, type ExportShape, type ScriptAnalysis } from './analyze.js';
import { capProblems, checkSource, type ScriptProblem, type ScriptProblemCode } from './problems.js';
import { RESERVED_MODULES, SCRIPT_KINDS, SCRIPT_LIMITS, SCRIPT_NAME_PATTERN, type ScriptKind, type ScriptLimits, isReservedSpecifier, scriptNameProblems } from './names.js';

export type ExportKind = 'function' | 'constant';

export interface StoredScript {
  readonly tenant: string;
  readonly name: string;
  readonly kind: ScriptKind;
  readonly source: string;
  /** Lower-case hex SHA-256 of the source's UTF-8 bytes. */
  readonly hash: string;
  readonly bytes: number;
  /** What it imports: tenant module names and `baton:` names, in order of first appearance. */
  readonly imports: readonly string[];
  /** Its exports with re-exports settled through the modules they come from. */
  readonly exports: ReadonlyMap<string, ExportKind>;
  readonly analysis: ScriptAnalysis;
}

export interface PutRequest {
  name: unknown;
  kind: unknown;
  source: unknown;
}

export interface ScriptError {
  /** The first problem's code; every problem shares its status. */
  readonly code: ScriptProblemCode;
  readonly problems: readonly ScriptProblem[];
}

/** `created` is false when the same kind and source were already stored under the name. */
export type PutResult = { ok: true; script: StoredScript; created: boolean } | { ok: false; error: ScriptError };
export type DeleteResult = { ok: true; deleted: StoredScript } | { ok: false; error: ScriptError };

export interface ScriptListRequest {
  /** 0 or absent: the default page size; larger than the cap: the cap. */
  page_size?: number;
  page_token?: string;
}

export type ScriptListResult = { ok: true; scripts: StoredScript[]; next_page_token: string } | { ok: false; problem: string };

/** One tenant's scripts and who imports whom; the index is kept in step with every put and delete. */
interface TenantScripts {
  readonly byName: Map<string, StoredScript>;
  /** Module name -> names of the scripts that import it. */
  readonly importers: Map<string, Set<string>>;
  bytes: number;
}

export class ScriptRegistry {
  private readonly tenants = new Map<string, TenantScripts>();
  readonly limits: Readonly<ScriptLimits>;

  constructor(limits: Partial<ScriptLimits> = {}) {
    this.limits = Object.freeze({ ...SCRIPT_LIMITS, ...limits });
  }

  /**
   * Validates, links and stores a script. Checks run in this order and the
   * first failing stage decides: the request (name, kind, source: every
   * problem), the source's own rules, linking against the tenant's modules
   * (every unresolved import, then a cycle, then the depth limit), the
   * scripts that import this one (FAILED_PRECONDITION territory), the
   * tenant's caps. A failure changes nothing. Putting the same kind and
   * source again returns the stored script unchanged.
   *
   * `analyzed` is the analysis of this very kind and source when the caller
   * ran it elsewhere (a worker thread, see `needsAnalysis`); without it the
   * source is analysed here, on the calling thread.
   */
  put(tenant: string, request: PutRequest, analyzed?: AnalysisResult): PutResult {
    const problems: ScriptProblem[] = scriptNameProblems(request.name, this.limits.nameChars).map((message) => ({ code: 'invalid_name', message }));
    const kind = request.kind;
    const kindOk = isScriptKind(kind);
    if (!kindOk) problems.push({ code: 'invalid_kind', message: `kind: must be one of ${SCRIPT_KINDS.join(', ')}` });
    const space = this.space(tenant);
    const existing = problems.length === 0 ? space.byName.get(request.name as string) : undefined;
    if (existing && existing.kind === kind && existing.source === request.source) return { ok: true, script: existing, created: false };

    // A bad name or kind does not hide what is wrong with the source: every problem is reported at once.
    const analysis = kindOk ? (analyzed ?? analyzeScript(kind, request.source, this.limits)) : { ok: false as const, problems: checkSource(request.source, this.limits.sourceBytes) };
    if (!analysis.ok && analysis.problems.some((p) => p.code === 'analysis_unavailable')) {
      // Nothing is known about the source yet: report what is known to be wrong, else that it could not be looked at.
      return refuse(problems.length > 0 ? problems : analysis.problems);
    }
    if (!analysis.ok) problems.push(...analysis.problems);
    if (problems.length > 0 || !analysis.ok) return refuse(capProblems(problems, this.limits.problems));
    // No problems: the name, kind and source were all checked above.
    const name = request.name as string;
    const scriptKind = kind as ScriptKind;
    const source = request.source as string;

    const linked = this.link(name, analysis.analysis, (specifier) => this.exportsOf(space, specifier));
    if (linked.problems.length > 0) return refuse(capProblems(linked.problems, this.limits.problems));
    const structure = this.checkGraph(space, name, analysis.analysis);
    if (structure) return refuse([structure]);

    const relinked = existing ? this.relinkImporters(space, name, scriptKind, linked.exports) : { scripts: new Map<string, StoredScript>(), problems: [] };
    if (relinked.problems.length > 0) return refuse(capProblems(relinked.problems, this.limits.problems));

    const bytes = Buffer.byteLength(source, 'utf8');
    if (!existing && space.byName.size >= this.limits.scriptsPerTenant) {
      return refuse([{ code: 'quota_exceeded', message: `tenant already has ${space.byName.size} scripts, the most it may keep` }]);
    }
    const after = space.bytes - (existing?.bytes ?? 0) + bytes;
    if (after > this.limits.bytesPerTenant) {
      return refuse([{ code: 'quota_exceeded', message: `tenant scripts would take ${after} bytes, more than its cap of ${this.limits.bytesPerTenant}` }]);
    }

    const script: StoredScript = Object.freeze({
      tenant,
      name,
      kind: scriptKind,
      source,
      hash: createHash('sha256').update(source, 'utf8').digest('hex'),
      bytes,
      imports: Object.freeze([...analysis.analysis.specifiers]),
      exports: linked.exports,
      analysis: analysis.analysis,
    });
    if (existing) this.unindex(space, existing);
    space.byName.set(name, script);
    this.index(space, script);
    for (const [importer, updated] of relinked.scripts) space.byName.set(importer, updated);
    space.bytes = after;
    this.tenants.set(tenant, space);
    return { ok: true, script, created: true };
  }

  /**
   * Whether `put` of this request would parse the source: its kind is valid
   * and the source is not already stored as it is under the name. A caller
   * that analyses off-thread asks first, so an idempotent retry costs no parse.
   */
  needsAnalysis(tenant: string, request: PutRequest): boolean {
    if (!isScriptKind(request.kind) || typeof request.source !== 'string') return false;
    const existing = typeof request.name === 'string' ? this.get(tenant, request.name) : undefined;
    return !(existing && existing.kind === request.kind && existing.source === request.source);
  }

  get(tenant: string, name: string): StoredScript | undefined {
    return this.tenants.get(tenant)?.byName.get(name);
  }

  /** The lower-case hex SHA-256 of a stored script's source, what `ScriptVersion.hash` is. */
  scriptHash(tenant: string, name: string): string | undefined {
    return this.get(tenant, name)?.hash;
  }

  /**
   * What a plan freeze pins for node script `name`: the script's hash and the
   * hash of every tenant module it imports, directly or not, by name. A turn
   * that keeps these runs exactly this code even if a module changes later.
   * Undefined when the tenant has no node script of that name.
   */
  linkedHashes(tenant: string, name: string): ReadonlyMap<string, string> | undefined {
    const space = this.tenants.get(tenant);
    const root = space?.byName.get(name);
    if (!space || !root || root.kind !== 'node') return undefined;
    const hashes = new Map<string, string>();
    const pending = [root];
    while (pending.length > 0) {
      const script = pending.pop()!;
      if (hashes.has(script.name)) continue;
      hashes.set(script.name, script.hash);
      for (const specifier of script.imports) {
        const target = space.byName.get(specifier);
        if (target) pending.push(target);
      }
    }
    return hashes;
  }

  /** Names of the scripts that import `name` directly, sorted. */
  importersOf(tenant: string, name: string): string[] {
    return [...(this.tenants.get(tenant)?.importers.get(name) ?? [])].sort();
  }

  /** How many scripts and source bytes the tenant keeps. */
  usage(tenant: string): { scripts: number; bytes: number } {
    const space = this.tenants.get(tenant);
    return { scripts: space?.byName.size ?? 0, bytes: space?.bytes ?? 0 };
  }

  /** The tenant's scripts ordered by name; the page token names the last one returned. */
  list(tenant: string, request: ScriptListRequest = {}): ScriptListResult {
    const size = request.page_size ?? 0;
    if (!Number.isInteger(size) || size < 0) return { ok: false, problem: 'page_size: must be a non-negative integer' };
    const pageSize = size === 0 ? this.limits.defaultPageSize : Math.min(size, this.limits.maxPageSize);
    const position = decodePageToken('scripts', request.page_token ?? '');
    if (!position.ok) return { ok: false, problem: 'page_token: not a token this server issued' };
    const after = position.after;
    const names = [...(this.tenants.get(tenant)?.byName.keys() ?? [])].filter((n) => after === undefined || n > after).sort();
    const page = names.slice(0, pageSize);
    const last = page[page.length - 1];
    return {
      ok: true,
      scripts: page.map((n) => this.get(tenant, n)!),
      next_page_token: names.length > pageSize && last !== undefined ? encodePageToken('scripts', last) : '',
    };
  }

  /** Deletes a script no other script imports. */
  delete(tenant: string, name: string): DeleteResult {
    const space = this.tenants.get(tenant);
    const script = space?.byName.get(name);
    if (!space || !script) return refuse([{ code: 'not_found', message: `no script ${JSON.stringify(name)}` }]);
    const importers = this.importersOf(tenant, name);
    if (importers.length > 0) {
      return refuse([{ code: 'in_use', message: `module ${JSON.stringify(name)} is imported by ${importers.map((n) => JSON.stringify(n)).join(', ')} (change or delete them first)` }]);
    }
    this.unindex(space, script);
    space.byName.delete(name);
    space.bytes -= script.bytes;
    if (space.byName.size === 0) this.tenants.delete(tenant);
    return { ok: true, deleted: script };
  }

  private space(tenant: string): TenantScripts {
    return this.tenants.get(tenant) ?? { byName: new Map(), importers: new Map(), bytes: 0 };
  }

  /** The exports an import of `specifier` can see, or why it resolves to nothing. */
  private exportsOf(space: TenantScripts, specifier: string): ReadonlyMap<string, ExportKind> | string {
    if (isReservedSpecifier(specifier)) {
      const names = Object.prototype.hasOwnProperty.call(RESERVED_MODULES, specifier) ? RESERVED_MODULES[specifier] : undefined;
      if (!names) return `${JSON.stringify(specifier)} is not a reserved module (reserved: ${Object.keys(RESERVED_MODULES).join(', ')})`;
      return new Map(names.map((n) => [n, 'function' as const]));
    }
    if (!SCRIPT_NAME_PATTERN.test(specifier) || specifier.length > this.limits.nameChars) {
      return `${JSON.stringify(specifier)} is not a script name: imports name a module of this tenant, like "lib/text", or a reserved baton: module, never a path, URL or node: module`;
    }
    const target = space.byName.get(specifier);
    if (!target) return `no module ${JSON.stringify(specifier)} in this tenant's scripts`;
    if (target.kind !== 'module') return `${JSON.stringify(specifier)} is a node script, and only modules can be imported`;
    return target.exports;
  }

  /**
   * Resolves every import of `analysis` through `lookup` and settles the
   * kind of every export. Problems name each import that does not resolve
   * and each name a target does not export.
   */
  private link(
    name: string,
    analysis: ScriptAnalysis,
    lookup: (specifier: string) => ReadonlyMap<string, ExportKind> | string,
  ): { exports: ReadonlyMap<string, ExportKind>; problems: ScriptProblem[] } {
    const problems: ScriptProblem[] = [];
    const targets = new Map<string, ReadonlyMap<string, ExportKind> | undefined>();
    for (const ref of analysis.imports) {
      const at = { line: ref.line, column: ref.column };
      if (ref.specifier === name) {
        problems.push({ code: 'import_cycle', message: `import ${JSON.stringify(ref.specifier)}: a script cannot import itself`, ...at });
        targets.set(ref.specifier, undefined);
        continue;
      }
      let target = targets.get(ref.specifier);
      if (!targets.has(ref.specifier)) {
        const found = lookup(ref.specifier);
        target = typeof found === 'string' ? undefined : found;
        targets.set(ref.specifier, target);
        if (typeof found === 'string') problems.push({ code: 'unresolved_import', message: `import ${JSON.stringify(ref.specifier)}: ${found}`, ...at });
      }
      if (!target) continue;
      for (const imported of ref.names) {
        if (imported === '*' || target.has(imported)) continue;
        const what = imported === 'default' ? 'has no default export' : `has no export ${JSON.stringify(imported)}`;
        problems.push({ code: 'unresolved_import', message: `import ${JSON.stringify(ref.specifier)}: it ${what}`, ...at });
      }
    }
    const exports = new Map<string, ExportKind>();
    for (const [exported, shape] of analysis.exports) {
      const kind = settle(shape, targets);
      // An export whose source did not resolve already has its problem; it is never stored.
      exports.set(exported, kind ?? 'constant');
      if (exported === 'default' && kind === 'constant' && shape.kind === 'import' && analysis.kind === 'node') {
        problems.push({ code: 'invalid_module', message: `the default export of a node script must be its handler function, but the one it takes from ${JSON.stringify(shape.specifier)} is a constant` });
      }
    }
    return { exports, problems };
  }

  /** A cycle through `name` or a chain longer than the depth limit, if its new imports would make one. */
  private checkGraph(space: TenantScripts, name: string, analysis: ScriptAnalysis): ScriptProblem | undefined {
    const direct = analysis.specifiers.filter((s) => !isReservedSpecifier(s));
    // The stored graph has no cycle, so a new one must come back to `name`.
    for (const start of direct) {
      const path = this.pathTo(space, start, name);
      if (path) return { code: 'import_cycle', message: `import cycle: ${[name, ...path].map((n) => JSON.stringify(n)).join(' -> ')}` };
    }
    const below = new Map<string, string[]>();
    let longestBelow: string[] = [];
    for (const start of direct) {
      const chain = [start, ...this.longestChainFrom(space, start, below)];
      if (chain.length > longestBelow.length) longestBelow = chain;
    }
    const above = this.longestChainTo(space, name, new Map());
    const chain = [...above, name, ...longestBelow];
    const depth = chain.length - 1;
    if (depth > this.limits.importDepth) {
      return {
        code: 'import_too_deep',
        message: `import chain ${chain.map((n) => JSON.stringify(n)).join(' -> ')} is ${depth} imports deep, more than the ${this.limits.importDepth} allowed`,
      };
    }
    return undefined;
  }

  /** The tenant modules `from` imports, stored edges only. */
  private edges(space: TenantScripts, from: string): string[] {
    return (space.byName.get(from)?.imports ?? []).filter((s) => !isReservedSpecifier(s) && space.byName.has(s));
  }

  /** A path of imports from `from` to `to` (both included), if one exists. */
  private pathTo(space: TenantScripts, from: string, to: string): string[] | undefined {
    const parent = new Map<string, string | undefined>([[from, undefined]]);
    const pending = [from];
    while (pending.length > 0) {
      const at = pending.pop()!;
      if (at === to) {
        const path: string[] = [];
        for (let n: string | undefined = at; n !== undefined; n = parent.get(n)) path.unshift(n);
        return path;
      }
      for (const next of this.edges(space, at)) {
        if (parent.has(next)) continue;
        parent.set(next, at);
        pending.push(next);
      }
    }
    return undefined;
  }

  /** The longest chain of imports below `from` (not including it); the stored graph is acyclic and shallow. */
  private longestChainFrom(space: TenantScripts, from: string, memo: Map<string, string[]>): string[] {
    const known = memo.get(from);
    if (known) return known;
    let best: string[] = [];
    for (const next of this.edges(space, from)) {
      const chain = [next, ...this.longestChainFrom(space, next, memo)];
      if (chain.length > best.length) best = chain;
    }
    memo.set(from, best);
    return best;
  }

  /** The longest chain of importers above `to` (not including it), topmost first. */
  private longestChainTo(space: TenantScripts, to: string, memo: Map<string, string[]>): string[] {
    const known = memo.get(to);
    if (known) return known;
    let best: string[] = [];
    for (const importer of space.importers.get(to) ?? []) {
      const chain = [...this.longestChainTo(space, importer, memo), importer];
      if (chain.length > best.length) best = chain;
    }
    memo.set(to, best);
    return best;
  }

  /**
   * Re-links every script that imports `name`, directly or through
   * re-exports, against its replacement: each must still find every name it
   * imports, and a node script's re-exported handler must still be a
   * function. Returns the re-linked scripts (their settled exports may change)
   * or, as `in_use`, every importer the replacement would break.
   */
  private relinkImporters(
    space: TenantScripts,
    name: string,
    kind: ScriptKind,
    exports: ReadonlyMap<string, ExportKind>,
  ): { scripts: Map<string, StoredScript>; problems: ScriptProblem[] } {
    const scripts = new Map<string, StoredScript>();
    const direct = [...(space.importers.get(name) ?? [])].sort();
    if (direct.length === 0) return { scripts, problems: [] };
    if (kind !== 'module') {
      return {
        scripts,
        problems: [{ code: 'in_use', message: `module ${JSON.stringify(name)} is imported by ${direct.map((n) => JSON.stringify(n)).join(', ')}, and a node script cannot be imported, so it cannot replace it` }],
      };
    }
    // Every script that imports `name`, directly or not: exactly the ones whose links can change.
    const affected = new Set<string>(direct);
    const pending = [...direct];
    while (pending.length > 0) {
      for (const above of space.importers.get(pending.pop()!) ?? []) {
        if (affected.has(above)) continue;
        affected.add(above);
        pending.push(above);
      }
    }
    const problems: ScriptProblem[] = [];
    const settled = new Map<string, ReadonlyMap<string, ExportKind>>([[name, exports]]);
    const visit = (importer: string): ReadonlyMap<string, ExportKind> => {
      const done = settled.get(importer);
      if (done) return done;
      const script = space.byName.get(importer)!;
      const lookup = (specifier: string): ReadonlyMap<string, ExportKind> | string =>
        specifier === name || affected.has(specifier) ? visit(specifier) : this.exportsOf(space, specifier);
      const relinked = this.link(importer, script.analysis, lookup);
      for (const problem of relinked.problems) {
        problems.push({ code: 'in_use', message: `${JSON.stringify(importer)} would break: ${problem.message}` });
      }
      settled.set(importer, relinked.exports);
      if (!sameExports(relinked.exports, script.exports)) scripts.set(importer, Object.freeze({ ...script, exports: relinked.exports }));
      return relinked.exports;
    };
    // Sorted, so the problems come in the same order whatever order the index holds them in.
    for (const importer of [...affected].sort()) visit(importer);
    return { scripts, problems };
  }

  private index(space: TenantScripts, script: StoredScript): void {
    for (const target of script.imports) {
      if (isReservedSpecifier(target)) continue;
      const set = space.importers.get(target) ?? new Set<string>();
      set.add(script.name);
      space.importers.set(target, set);
    }
  }

  private unindex(space: TenantScripts, script: StoredScript): void {
    for (const target of script.imports) {
      const set = space.importers.get(target);
      if (!set) continue;
      set.delete(script.name);
      if (set.size === 0) space.importers.delete(target);
    }
  }
}

function isScriptKind(kind: unknown): kind is ScriptKind {
  return typeof kind === 'string' && (SCRIPT_KINDS as readonly string[]).includes(kind);
}

/** What an export is once its imports resolved; undefined when its source did not. */
function settle(shape: ExportShape, targets: ReadonlyMap<string, ReadonlyMap<string, ExportKind> | undefined>): ExportKind | undefined {
  if (shape.kind !== 'import') return shape.kind;
  const target = targets.get(shape.specifier);
  if (!target) return undefined;
  // A namespace object is a constant.
  return shape.name === '*' ? 'constant' : target.get(shape.name);
}

function sameExports(a: ReadonlyMap<string, ExportKind>, b: ReadonlyMap<string, ExportKind>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, kind] of a) if (b.get(name) !== kind) return false;
  return true;
}

function refuse(problems: readonly ScriptProblem[]): { ok: false; error: ScriptError } {
  return { ok: false, error: { code: problems[0]!.code, problems } };
}

