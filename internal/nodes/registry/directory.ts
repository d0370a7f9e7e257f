// The watched scripts directory (config scripts_dir, DESIGN 11.1): loads
// `<dir>/<tenant>/nodes|modules/<name>.js` into the registry's directory
// layer at start and again after every change, debounced, parsing on the
// analyzer it is given (the kernel's worker). A bad edit keeps the last good
// version and is logged with its reason; a deleted file falls back to the
// embedded default. It never throws past start and never stops the kernel:
// every file-system error is logged and the last good scripts stay.
import { type FSWatcher, readdirSync, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScriptAnalyzer } from './analyzer.js';
import type { AnalysisResult } from './analyze.js';
import { listScripts, scriptDirectories, scriptPath } from './layout.js';
import type { ScriptKind } from './names.js';
import { formatProblem } from './problems.js';
import type { DirectoryResult, ScriptRegistry } from './store.js';

/** The part of the kernel's pino logger this uses. */
export interface DirectoryLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface ScriptsDirectoryOptions {
  dir: string;
  registry: ScriptRegistry;
  analyzer: ScriptAnalyzer;
  logger: DirectoryLog;
  /** Quiet time after the last change before a reload; default 100 ms (an editor's save is several events). */
  debounceMs?: number;
  /** A stream of changes still reloads this long after its first event; default 1000 ms. */
  maxDelayMs?: number;
  /** While the directory cannot be read (removed, say), it is looked at again this often; default 1000 ms. */
  rewatchMs?: number;
}

/** inotify watches are a per-user kernel resource (fs.inotify.max_user_watches): a huge tree must not take them all. */
const MAX_WATCHED_DIRS = 4096;

export const SCRIPTS_DIRECTORY_DEFAULTS = Object.freeze({ debounceMs: 100, maxDelayMs: 1000, rewatchMs: 1000 });

/** One file as last read: its content, its analysis, and whether the registry took it. */
interface FileState {
  readonly tenant: string;
  readonly name: string;
  readonly kind: ScriptKind;
  readonly source: string;
  readonly analysis: AnalysisResult;
  applied: boolean;
  /** The last problem logged for this content, so a retry that fails the same way is not logged again. */
  logged?: string;
}

/** A change the registry has yet to take: a file's content, or the file gone. */
type Change = { readonly kind: 'put'; readonly file: FileState } | { readonly kind: 'remove'; readonly key: string; readonly tenant: string; readonly name: string; readonly script: ScriptKind };

export class ScriptsDirectory {
  private readonly opts: Required<ScriptsDirectoryOptions>;
  private readonly files = new Map<string, FileState>();
  /** Files gone from disk whose removal the registry refused (a script imports them): retried on every reload. */
  private readonly gone = new Map<string, { tenant: string; name: string; kind: ScriptKind; logged?: string }>();
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private firstEventAt: number | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private closed = false;
  /** Set while the directory cannot be read, so a directory that stays away is logged once, not on every retry. */
  private unreadable = false;
  private waiters: (() => void)[] = [];
  /** Reloads completed, start included. */
  reloads = 0;

  constructor(opts: ScriptsDirectoryOptions) {
    this.opts = { ...SCRIPTS_DIRECTORY_DEFAULTS, ...opts };
  }

  /** Loads the directory once, then watches it. Resolves when the first load is in the registry. */
  async start(): Promise<void> {
    await this.runReload();
  }

  /** Stops watching; a reload in progress finishes first (drain). */
  async close(): Promise<void> {
    this.closed = true;
    this.unwatchAll();
    clearTimeout(this.timer);
    clearTimeout(this.retryTimer);
    this.timer = undefined;
    await this.running;
    this.wake();
  }

  /** Resolves once no change is waiting for its debounce and no reload is running. */
  idle(): Promise<void> {
    if (this.quiet()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private quiet(): boolean {
    return this.closed || (this.timer === undefined && this.running === undefined);
  }

  private wake(): void {
    if (!this.quiet()) return;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  /**
   * Watches exactly `dirs`, one plain watch per directory. **Decision**: not
   * `fs.watch(dir, {recursive: true})`: on Linux, Node 20 emulates it by
   * watching each file, and a file replaced by a rename (how editors save)
   * is never seen again (checked on Node 20.20). A directory's own inotify
   * watch sees every rename and write of its entries, and needs no dependency.
   * Answers whether a directory was added, so the caller rescans what may
   * have been written there before the watch began.
   */
  private syncWatches(dirs: readonly string[]): boolean {
    if (this.closed) return false;
    const wanted = new Set(dirs);
    for (const [path, watcher] of this.watchers) {
      if (wanted.has(path)) continue;
      watcher.close();
      this.watchers.delete(path);
    }
    let added = false;
    for (const path of wanted) {
      if (this.watchers.has(path)) continue;
      if (this.watchers.size >= MAX_WATCHED_DIRS) {
        this.opts.logger.warn({ dir: this.opts.dir, cap: MAX_WATCHED_DIRS }, 'more script directories than are watched; changes in the rest are seen on the next reload');
        break;
      }
      try {
        const watcher = watch(path, { persistent: false }, () => this.changed());
        // A directory that goes away ends its watch; the rescan this triggers settles what it held.
        watcher.on('error', () => {
          watcher.close();
          if (this.watchers.get(path) === watcher) this.watchers.delete(path);
          this.changed();
        });
        this.watchers.set(path, watcher);
        added = true;
      } catch {
        // Gone between the scan and the watch: the next scan no longer lists it.
      }
    }
    return added;
  }

  private unwatchAll(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** While the directory cannot be read, it is looked at again every rewatchMs. */
  private retryLater(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.runReload();
    }, this.opts.rewatchMs);
    this.retryTimer.unref();
  }

  /** One file-system event: reload after a quiet spell, but never later than maxDelayMs after the first event. */
  private changed(): void {
    if (this.closed) return;
    const now = Date.now();
    this.firstEventAt ??= now;
    clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.opts.debounceMs, this.firstEventAt + this.opts.maxDelayMs - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.firstEventAt = undefined;
      void this.runReload();
    }, wait);
    this.timer.unref();
  }

  private runReload(): Promise<void> {
    if (this.running) {
      // The loop below looks at this before it ends, so a change seen mid-reload is never lost.
      this.dirty = true;
      return this.running;
    }
    const run = (async () => {
      do {
        this.dirty = false;
        try {
          await this.reload();
        } catch (err) {
          // A bug here must not take the kernel down: the registry keeps what it has.
          this.opts.logger.error({ err, dir: this.opts.dir }, 'scripts directory reload failed; the last good scripts stay');
        }
        this.reloads += 1;
      } while (this.dirty && !this.closed);
      this.running = undefined;
      this.wake();
    })();
    this.running = run;
    return run;
  }

  /** Reads the whole tree, analyses what changed and hands the registry every change in an order its imports accept. */
  private async reload(): Promise<void> {
    const scanned = this.scan();
    if (!scanned) return;
    const { found, dirs } = scanned;
    // Watch first: a change made while this reload reads is then seen by the next one.
    if (this.syncWatches(dirs) && this.reloads > 0) this.dirty = true;
    const changes: Change[] = [];
    for (const [key, entry] of found) {
      const source = await this.read(entry.path);
      if (source === undefined) continue;
      if (source === null) {
        found.delete(key);
        continue;
      }
      const known = this.files.get(key);
      if (known && known.source === source) {
        if (!known.applied) changes.push({ kind: 'put', file: known });
        continue;
      }
      if (this.closed) return;
      const analysis = await this.opts.analyzer.analyze(entry.kind, source);
      const file: FileState = { tenant: entry.tenant, name: entry.name, kind: entry.kind, source, analysis, applied: false };
      this.files.set(key, file);
      this.gone.delete(key);
      changes.push({ kind: 'put', file });
    }
    for (const [key, file] of this.files) {
      if (found.has(key)) continue;
      this.files.delete(key);
      this.gone.set(key, { tenant: file.tenant, name: file.name, kind: file.kind });
    }
    for (const [key, left] of this.gone) changes.push({ kind: 'remove', key, tenant: left.tenant, name: left.name, script: left.kind });
    this.apply(changes);
  }

  /**
   * Applies changes until none makes progress: a module a new node script
   * imports may come later in the list, and a node script must go before the
   * module it imported can. What is still refused then is logged once per reason.
   */
  private apply(changes: Change[]): void {
    let pending = changes;
    for (;;) {
      const refused: [Change, DirectoryResult & { ok: false }][] = [];
      for (const change of pending) {
        const result = this.applyOne(change);
        if (result.ok) this.applied(change, result.effective);
        else refused.push([change, result]);
      }
      if (refused.length === 0 || refused.length === pending.length) {
        for (const [change, result] of refused) this.refused(change, result);
        return;
      }
      pending = refused.map(([change]) => change);
    }
  }

  private applyOne(change: Change): DirectoryResult {
    const registry = this.opts.registry;
    if (change.kind === 'remove') return registry.removeDirectory(change.tenant, change.name);
    const { tenant, name, kind, source, analysis } = change.file;
    const effective = registry.get(tenant, name);
    // The same name as the other kind elsewhere in the tree: the first one to land stays, the other is refused below.
    if (effective?.origin === 'directory' && effective.kind !== kind) {
      return { ok: false, error: { code: 'invalid_kind', problems: [{ code: 'invalid_kind', message: `${JSON.stringify(name)} is already a ${effective.kind} of this directory (${scriptPath(name, effective.kind)})` }] } };
    }
    return registry.putDirectory(tenant, name, kind, source, analysis);
  }

  private applied(change: Change, effective: boolean): void {
    if (change.kind === 'remove') {
      this.gone.delete(change.key);
      this.opts.logger.info({ tenant: change.tenant, script: change.name, dir: this.opts.dir }, 'script file removed; the name falls back to its embedded default or to nothing');
      return;
    }
    const { file } = change;
    file.applied = true;
    file.logged = undefined;
    const script = this.opts.registry.get(file.tenant, file.name);
    this.opts.logger.info({ tenant: file.tenant, script: file.name, kind: file.kind, hash: script?.hash, effective }, effective ? 'script file loaded' : 'script file loaded, shadowed by a PutScript version');
  }

  private refused(change: Change, result: DirectoryResult & { ok: false }): void {
    const why = result.error.problems.map(formatProblem).join('; ');
    if (change.kind === 'remove') {
      const left = this.gone.get(change.key);
      if (!left || left.logged === why) return;
      left.logged = why;
      this.opts.logger.warn({ tenant: change.tenant, script: change.name, code: result.error.code, problems: why }, 'script file removed, but its last version stays: scripts import it');
      return;
    }
    const { file } = change;
    if (file.logged === why) return;
    file.logged = why;
    const kept = this.opts.registry.get(file.tenant, file.name);
    this.opts.logger.warn(
      { tenant: file.tenant, script: file.name, kind: file.kind, code: result.error.code, problems: why, kept: kept ? kept.origin : 'nothing' },
      'script file refused; the last good version stays',
    );
  }

  /** Every script file of every tenant directory, or undefined (logged) when the directory cannot be read: then nothing changes. */
  private scan(): { found: Map<string, { tenant: string; name: string; kind: ScriptKind; path: string }>; dirs: string[] } | undefined {
    const found = new Map<string, { tenant: string; name: string; kind: ScriptKind; path: string }>();
    const dirs = [this.opts.dir];
    let tenants: string[];
    try {
      tenants = readdirSync(this.opts.dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
        .map((entry) => entry.name)
        .sort();
    } catch (err) {
      if (!this.unreadable) this.opts.logger.error({ err, dir: this.opts.dir }, 'cannot read the scripts directory; the last good scripts stay, looking again shortly');
      this.unreadable = true;
      // A watch on a removed directory would never see the new one made in its place.
      this.unwatchAll();
      this.retryLater();
      return undefined;
    }
    if (this.unreadable) this.opts.logger.info({ dir: this.opts.dir }, 'the scripts directory can be read again');
    this.unreadable = false;
    const cap = this.opts.registry.limits.scriptsPerTenant;
    for (const tenant of tenants) {
      let scripts;
      try {
        dirs.push(...scriptDirectories(join(this.opts.dir, tenant)));
        scripts = listScripts(join(this.opts.dir, tenant));
      } catch (err) {
        this.opts.logger.error({ err, dir: this.opts.dir, tenant }, "cannot read a tenant's scripts directory; its last good scripts stay");
        // Its files are not known to be gone: keep them as they are.
        for (const [key, file] of this.files) if (file.tenant === tenant) found.set(key, { tenant, name: file.name, kind: file.kind, path: join(this.opts.dir, tenant, scriptPath(file.name, file.kind)) });
        continue;
      }
      if (scripts.length > cap) {
        this.opts.logger.warn({ tenant, files: scripts.length, cap }, 'more script files than a tenant may keep; the rest are ignored');
        scripts = scripts.slice(0, cap);
      }
      for (const script of scripts) found.set(`${tenant}\u0000${script.path}`, { tenant, name: script.name, kind: script.kind, path: join(this.opts.dir, tenant, script.path) });
    }
    return { found, dirs };
  }

  /** The file's text; null when it is gone; undefined (logged) when it cannot be read or is too large, so its last version stays. */
  private async read(path: string): Promise<string | null | undefined> {
    try {
      const info = await stat(path);
      const most = this.opts.registry.limits.sourceBytes;
      if (info.size > most) {
        this.opts.logger.warn({ path, bytes: info.size, cap: most }, 'script file larger than a script may be; its last good version stays');
        return undefined;
      }
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      this.opts.logger.error({ err, path }, 'cannot read a script file; its last good version stays');
      return undefined;
    }
  }
}
