// What the kernel builds its script registry from (DESIGN 11.1): the
// embedded defaults, the watched scripts_dir when one is configured, and the
// PutScript layer the control plane writes. It starts and stops the watcher;
// it holds no scripts of its own.
import type { ScriptAnalyzer } from './analyzer.js';
import { type DirectoryLog, ScriptsDirectory } from './directory.js';
import { embeddedScripts } from './layout.js';
import type { ScriptLimits } from './names.js';
import { ScriptRegistry } from './store.js';

export interface ScriptSourcesOptions {
  /** Config `scripts_dir` (absolute); empty: no directory layer. */
  scriptsDir: string;
  /** Where directory sources are parsed: the kernel's WorkerAnalyzer, shared with PutScript. */
  analyzer: ScriptAnalyzer;
  logger: DirectoryLog;
  limits?: Partial<ScriptLimits>;
  /** Debounce of directory reloads; default 100 ms. */
  debounceMs?: number;
}

export interface ScriptSources {
  readonly registry: ScriptRegistry;
  /** The watched directory, when one is configured. */
  readonly directory: ScriptsDirectory | undefined;
  /** Stops watching (drain); the registry keeps answering. */
  close(): Promise<void>;
}

/** The layered registry, its directory loaded and watched before this resolves. */
export async function openScriptSources(opts: ScriptSourcesOptions): Promise<ScriptSources> {
  const registry = new ScriptRegistry(opts.limits, { embedded: embeddedScripts() });
  const directory =
    opts.scriptsDir === ''
      ? undefined
      : new ScriptsDirectory({ dir: opts.scriptsDir, registry, analyzer: opts.analyzer, logger: opts.logger, ...(opts.debounceMs === undefined ? {} : { debounceMs: opts.debounceMs }) });
  await directory?.start();
  return {
    registry,
    directory,
    close: async () => {
      await directory?.close();
    },
  };
}
