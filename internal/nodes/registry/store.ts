// The script registry: node scripts and modules per (tenant, name) from three layers, lowest first: embedded defaults, the scripts directory, PutScript (DESIGN 11.1). Every layer's scripts are validated and linked before they take effect, so every effective script always resolves, and the sources a live plan pins stay readable by hash. It never executes a script and never grows without a cap.
import { createHash } from 'node:crypto';
import { decodePageToken, encodePageToken } from '../../paging/page-token.js';
import { type AnalysisResult, analyzeScript, type ExportShape, type ScriptAnalysis } from './analyze.js';
import { capProblems, checkSource, type ScriptProblem, type ScriptProblemCode } from './problems.js';
import { RESERVED_MODULES, SCRIPT_KINDS, SCRIPT_LIMITS, SCRIPT_NAME_PATTERN, type ScriptKind, type ScriptLimits, isReservedSpecifier, scriptNameProblems } from './names.js';

export type ExportKind = 'function' | 'constant';

/** Which layer an effective script comes from; a higher one shadows the same name in the lower ones. */
export type ScriptOrigin = 'embedded' | 'directory' | 'put';

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
  readonly origin: ScriptOrigin;
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

/** A change from the scripts directory: `effective` is false when a PutScript version shadows the name (the file is kept for when it is deleted). */
export type DirectoryResult = { ok: true; effective: boolean } | { ok: false; error: ScriptError };

/** The shape of `LinkedScript` (nodes/script-tier.ts): a node script and every module it imports, each pinned by content hash. */
export interface LinkedSources {
  readonly tenant: string;
  readonly entry: string;
  readonly sources: ReadonlyMap<string, { readonly hash: string; readonly source: string }>;
}

/** Keeps the sources a frozen plan pins readable by hash until released (once; a second release does nothing). */
export interface ScriptPin {
  release(): void;
}

export interface RegistryLayers {
  /** The embedded defaults every tenant sees under its own scripts (layout.ts `embeddedScripts()` in the kernel); default none. */
  embedded?: readonly { readonly name: string; readonly kind: ScriptKind; readonly source: string }[];
}

/** A version of a script some layer offers, analysed and hashed but not yet linked. */
interface Candidate {
  readonly kind: ScriptKind;
  readonly source: string;
  readonly hash: string;
  readonly analysis: ScriptAnalysis;
  readonly origin: ScriptOrigin;
}

/** What `prepare` checked and `commit` applies: the new effective script (none: the name goes away) and the importers relinked to it. */
interface Prepared {
  readonly script: StoredScript | undefined;
  readonly relinked: ReadonlyMap<string, StoredScript>;
}

/** One tenant's scripts and who imports whom; the index is kept in step with every put and delete. */
interface TenantScripts {
  /** The effective script of each name: the highest layer's version that linked. */
  readonly byName: Map<string, StoredScript>;
  /** Module name -> names of the scripts that import it. */
  readonly importers: Map<string, Set<string>>;
  /** The last good version of each scripts-directory file, effective or shadowed by a PutScript version. */
  readonly directory: Map<string, Candidate>;
  /** PutScript scripts and their source bytes: only they count against the tenant's caps. */
  puts: number;
  bytes: number;
}

export class ScriptRegistry {
  private readonly tenants = new Map<string, TenantScripts>();
  private readonly embedded = new Map<string, Candidate>();
  /** tenant -> hash -> a source some frozen plan still pins, with how many pins hold it. */
  private readonly pinned = new Map<string, Map<string, { readonly source: string; refs: number }>>();
  readonly limits: Readonly<ScriptLimits>;

  /** Throws when an embedded default does not pass analysis or linking: that is a broken build, never a tenant's mistake. */
  constructor(limits: Partial<ScriptLimits> = {}, layers: RegistryLayers = {}) {
    this.limits = Object.freeze({ ...SCRIPT_LIMITS, ...limits });
    for (const script of layers.embedded ?? []) {
      const analysis = analyzeScript(script.kind, script.source, this.limits);
      if (!analysis.ok) throw new Error(`embedded script ${JSON.stringify(script.name)} is invalid: ${analysis.problems.map((p) => p.message).join('; ')}`);
      this.embedded.set(script.name, candidate(script.kind, script.source, analysis.analysis, 'embedded'));
    }
    this.seed('');
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
    if (existing && existing.origin === 'put' && existing.kind === kind && existing.source === request.source) return { ok: true, script: existing, created: false };

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

    const prepared = this.prepare(space, tenant, name, candidate(scriptKind, source, analysis.analysis, 'put'));
    if (!prepared.ok) return refuse(prepared.problems);

    // Only PutScript versions count: the embedded and directory layers are the operator's, not the tenant's.
    const replacesPut = existing?.origin === 'put';
    const bytes = Buffer.byteLength(source, 'utf8');
    if (!replacesPut && space.puts >= this.limits.scriptsPerTenant) {
      return refuse([{ code: 'quota_exceeded', message: `tenant already has ${space.puts} scripts, the most it may keep` }]);
    }
    const after = space.bytes - (replacesPut ? existing.bytes : 0) + bytes;
    if (after > this.limits.bytesPerTenant) {
      return refuse([{ code: 'quota_exceeded', message: `tenant scripts would take ${after} bytes, more than its cap of ${this.limits.bytesPerTenant}` }]);
    }

    this.commit(space, name, prepared.value);
    if (!replacesPut) space.puts += 1;
    space.bytes = after;
    this.tenants.set(tenant, space);
    return { ok: true, script: prepared.value.script!, created: true };
  }

  /**
   * A scripts-directory file's content, analysed by the caller (on the
   * worker analyzer). It takes effect unless a PutScript version shadows the
   * name; a refusal (a bad edit) changes nothing, so the last good version,
   * or the embedded default, stays effective.
   */
  putDirectory(tenant: string, name: string, kind: ScriptKind, source: string, analyzed: AnalysisResult): DirectoryResult {
    const nameProblems = scriptNameProblems(name, this.limits.nameChars);
    if (nameProblems.length > 0) return refuse(nameProblems.map((message) => ({ code: 'invalid_name' as const, message })));
    if (!analyzed.ok) return refuse(capProblems(analyzed.problems, this.limits.problems));
    if (analyzed.analysis.kind !== kind) return refuse([{ code: 'invalid_kind', message: `the analysis given is of a ${analyzed.analysis.kind}, not a ${kind}` }]);
    const space = this.space(tenant);
    const next = candidate(kind, source, analyzed.analysis, 'directory');
    const effective = space.byName.get(name);
    if (effective?.origin === 'put') {
      // Linked when the PutScript version is deleted, against the scripts as they are then.
      space.directory.set(name, next);
      this.tenants.set(tenant, space);
      return { ok: true, effective: false };
    }
    if (effective?.origin === 'directory' && effective.kind === kind && effective.source === source) return { ok: true, effective: true };
    const prepared = this.prepare(space, tenant, name, next);
    if (!prepared.ok) return refuse(prepared.problems);
    this.commit(space, name, prepared.value);
    space.directory.set(name, next);
    this.tenants.set(tenant, space);
    return { ok: true, effective: true };
  }

  /**
   * A scripts-directory file is gone: the name falls back to its embedded
   * default, or to nothing. Refused (the file's last version stays effective)
   * when that would break a script that imports it.
   */
  removeDirectory(tenant: string, name: string): DirectoryResult {
    const space = this.view(tenant);
    if (!space?.directory.has(name)) return { ok: true, effective: false };
    if (space.byName.get(name)?.origin === 'put') {
      space.directory.delete(name);
      return { ok: true, effective: false };
    }
    const prepared = this.prepare(space, tenant, name, this.embedded.get(name));
    if (!prepared.ok) return refuse(prepared.problems);
    this.commit(space, name, prepared.value);
    space.directory.delete(name);
    return { ok: true, effective: true };
  }

  /** Names of the tenant's scripts-directory files the registry holds a good version of, sorted. */
  directoryNames(tenant: string): string[] {
    return [...(this.tenants.get(tenant)?.directory.keys() ?? [])].sort();
  }

  /**
   * Whether `put` of this request would parse the source: its kind is valid
   * and the source is not already stored as it is under the name. A caller
   * that analyses off-thread asks first, so an idempotent retry costs no parse.
   */
  needsAnalysis(tenant: string, request: PutRequest): boolean {
    if (!isScriptKind(request.kind) || typeof request.source !== 'string') return false;
    const existing = typeof request.name === 'string' ? this.get(tenant, request.name) : undefined;
    return !(existing && existing.origin === 'put' && existing.kind === request.kind && existing.source === request.source);
  }

  /** The effective script of the name: its PutScript version, else its scripts-directory file, else its embedded default. */
  get(tenant: string, name: string): StoredScript | undefined {
    return this.view(tenant)?.byName.get(name);
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
    const space = this.view(tenant);
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

  /** The effective node script `name` with every module it imports, as the script tier runs it; what `linkedHashes` pins. */
  linkedScript(tenant: string, name: string): LinkedSources | undefined {
    const hashes = this.linkedHashes(tenant, name);
    const space = this.view(tenant);
    if (!hashes || !space) return undefined;
    const sources = new Map<string, { hash: string; source: string }>();
    for (const [linked, hash] of hashes) sources.set(linked, { hash, source: space.byName.get(linked)!.source });
    return { tenant, entry: name, sources };
  }

  /**
   * Keeps every source of `hashes` readable by `sourceByHash` until the pin
   * is released, however the scripts change meanwhile: a frozen plan pins its
   * scripts (`FrozenPlan.scripts` values) for as long as a turn runs it.
   * Undefined, pinning nothing, when a hash is not a source the tenant has.
   */
  pin(tenant: string, hashes: Iterable<string>): ScriptPin | undefined {
    const wanted = [...new Set(hashes)];
    const sources: string[] = [];
    for (const hash of wanted) {
      const source = this.sourceByHash(tenant, hash);
      if (source === undefined) return undefined;
      sources.push(source);
    }
    const kept = this.pinned.get(tenant) ?? new Map<string, { source: string; refs: number }>();
    this.pinned.set(tenant, kept);
    wanted.forEach((hash, i) => {
      const entry = kept.get(hash) ?? { source: sources[i]!, refs: 0 };
      entry.refs += 1;
      kept.set(hash, entry);
    });
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        for (const hash of wanted) {
          const entry = kept.get(hash);
          if (!entry) continue;
          entry.refs -= 1;
          // An unpinned source is dropped at once: the registry keeps old versions only for live plans.
          if (entry.refs === 0) kept.delete(hash);
        }
        if (kept.size === 0 && this.pinned.get(tenant) === kept) this.pinned.delete(tenant);
      },
    };
  }

  /** The source with this content hash: one some plan pins, or one of the tenant's current scripts (any layer). */
  sourceByHash(tenant: string, hash: string): string | undefined {
    const kept = this.pinned.get(tenant)?.get(hash);
    if (kept) return kept.source;
    const space = this.view(tenant);
    if (!space) return undefined;
    for (const script of space.byName.values()) if (script.hash === hash) return script.source;
    for (const held of space.directory.values()) if (held.hash === hash) return held.source;
    return undefined;
  }

  /** The code a frozen plan pinned for node script `entry` (`hashes`: name -> hash, as `linkedHashes` gave it), even after a replacement. */
  pinnedScript(tenant: string, entry: string, hashes: ReadonlyMap<string, string>): LinkedSources | undefined {
    if (!hashes.has(entry)) return undefined;
    const sources = new Map<string, { hash: string; source: string }>();
    for (const [name, hash] of hashes) {
      const source = this.sourceByHash(tenant, hash);
      if (source === undefined) return undefined;
      sources.set(name, { hash, source });
    }
    return { tenant, entry, sources };
  }

  /** How many sources are kept only because plans pin them, across tenants (bounded by the live plans). */
  pinnedSources(): number {
    let n = 0;
    for (const kept of this.pinned.values()) n += kept.size;
    return n;
  }

  /** Names of the scripts that import `name` directly, sorted. */
  importersOf(tenant: string, name: string): string[] {
    return [...(this.view(tenant)?.importers.get(name) ?? [])].sort();
  }

  /** How many PutScript scripts and source bytes the tenant keeps: what its caps count. */
  usage(tenant: string): { scripts: number; bytes: number } {
    const space = this.tenants.get(tenant);
    return { scripts: space?.puts ?? 0, bytes: space?.bytes ?? 0 };
  }

  /** The tenant's scripts ordered by name; the page token names the last one returned. */
  list(tenant: string, request: ScriptListRequest = {}): ScriptListResult {
    const size = request.page_size ?? 0;
    if (!Number.isInteger(size) || size < 0) return { ok: false, problem: 'page_size: must be a non-negative integer' };
    const pageSize = size === 0 ? this.limits.defaultPageSize : Math.min(size, this.limits.maxPageSize);
    const position = decodePageToken('scripts', request.page_token ?? '');
    if (!position.ok) return { ok: false, problem: 'page_token: not a token this server issued' };
    const after = position.after;
    const names = [...(this.view(tenant)?.byName.keys() ?? [])].filter((n) => after === undefined || n > after).sort();
    const page = names.slice(0, pageSize);
    const last = page[page.length - 1];
    return {
      ok: true,
      scripts: page.map((n) => this.get(tenant, n)!),
      next_page_token: names.length > pageSize && last !== undefined ? encodePageToken('scripts', last) : '',
    };
  }

  /**
   * Deletes a PutScript version. The name falls back to its scripts-directory
   * file, else its embedded default, else goes away; refused when the script
   * it falls back to (or nothing) would break a script that imports it.
   */
  delete(tenant: string, name: string): DeleteResult {
    const space = this.view(tenant);
    const script = space?.byName.get(name);
    if (!space || !script) return refuse([{ code: 'not_found', message: `no script ${JSON.stringify(name)}` }]);
    if (script.origin !== 'put') {
      const where = script.origin === 'embedded' ? 'an embedded default' : 'a file of the scripts directory';
      return refuse([{ code: 'not_found', message: `no PutScript version of ${JSON.stringify(name)}: the script is ${where}, which DeleteScript does not remove` }]);
    }
    const prepared = this.prepare(space, tenant, name, space.directory.get(name) ?? this.embedded.get(name));
    if (!prepared.ok) return refuse(prepared.problems.map((p) => ({ ...p, code: 'in_use' as const })));
    this.commit(space, name, prepared.value);
    space.puts -= 1;
    space.bytes -= script.bytes;
    if (space.byName.size === 0 && space.directory.size === 0) this.tenants.delete(tenant);
    return { ok: true, deleted: script };
  }

  /** The tenant's scripts for reading: every tenant has the embedded defaults, so a tenant never seen gets them here. */
  private view(tenant: string): TenantScripts | undefined {
    return this.tenants.get(tenant) ?? (this.embedded.size > 0 ? this.space(tenant) : undefined);
  }

  /** The tenant's scripts for writing; a new tenant starts with the embedded defaults (and is kept from then on when it has any). */
  private space(tenant: string): TenantScripts {
    const known = this.tenants.get(tenant);
    if (known) return known;
    const space = this.seed(tenant);
    if (this.embedded.size > 0) this.tenants.set(tenant, space);
    return space;
  }

  /** A new tenant's scripts: the embedded defaults, linked in whatever order their imports need. */
  private seed(tenant: string): TenantScripts {
    const space: TenantScripts = { byName: new Map(), importers: new Map(), directory: new Map(), puts: 0, bytes: 0 };
    let pending = [...this.embedded];
    while (pending.length > 0) {
      const failed: [string, Candidate][] = [];
      const problems: string[] = [];
      for (const [name, next] of pending) {
        const prepared = this.prepare(space, tenant, name, next);
        if (prepared.ok) this.commit(space, name, prepared.value);
        else {
          failed.push([name, next]);
          problems.push(`${name}: ${prepared.problems.map((p) => p.message).join('; ')}`);
        }
      }
      if (failed.length === pending.length) throw new Error(`embedded scripts do not link: ${problems.join(' | ')}`);
      pending = failed;
    }
    return space;
  }

  /**
   * Checks `next` as the new effective script of `name` (undefined: the name
   * goes away): its imports against the tenant's effective scripts, the
   * graph's cycles and depth, and every script importing it. Changes nothing.
   */
  private prepare(space: TenantScripts, tenant: string, name: string, next: Candidate | undefined): { ok: true; value: Prepared } | { ok: false; problems: ScriptProblem[] } {
    if (!next) {
      const importers = [...(space.importers.get(name) ?? [])].sort();
      if (importers.length > 0) {
        return { ok: false, problems: [{ code: 'in_use', message: `module ${JSON.stringify(name)} is imported by ${importers.map((n) => JSON.stringify(n)).join(', ')} (change or delete them first)` }] };
      }
      return { ok: true, value: { script: undefined, relinked: new Map() } };
    }
    const linked = this.link(name, next.analysis, (specifier) => this.exportsOf(space, specifier));
    if (linked.problems.length > 0) return { ok: false, problems: capProblems(linked.problems, this.limits.problems) };
    const structure = this.checkGraph(space, name, next.analysis);
    if (structure) return { ok: false, problems: [structure] };
    const relinked = space.byName.has(name) ? this.relinkImporters(space, name, next.kind, linked.exports) : { scripts: new Map<string, StoredScript>(), problems: [] };
    if (relinked.problems.length > 0) return { ok: false, problems: capProblems(relinked.problems, this.limits.problems) };
    const script: StoredScript = Object.freeze({
      tenant,
      name,
      kind: next.kind,
      source: next.source,
      hash: next.hash,
      bytes: Buffer.byteLength(next.source, 'utf8'),
      imports: Object.freeze([...next.analysis.specifiers]),
      exports: linked.exports,
      analysis: next.analysis,
      origin: next.origin,
    });
    return { ok: true, value: { script, relinked: relinked.scripts } };
  }

  /** Makes a prepared change effective and keeps the importers index in step. */
  private commit(space: TenantScripts, name: string, prepared: Prepared): void {
    const existing = space.byName.get(name);
    if (existing) this.unindex(space, existing);
    if (prepared.script) {
      space.byName.set(name, prepared.script);
      this.index(space, prepared.script);
    } else {
      space.byName.delete(name);
    }
    for (const [importer, updated] of prepared.relinked) space.byName.set(importer, updated);
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

function candidate(kind: ScriptKind, source: string, analysis: ScriptAnalysis, origin: ScriptOrigin): Candidate {
  return Object.freeze({ kind, source, hash: createHash('sha256').update(source, 'utf8').digest('hex'), analysis, origin });
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

