// The scripts directory layout (DESIGN 11.1) shared by the embedded defaults,
// the watched scripts_dir and `baton scripts extract`: `nodes/<name>.js` are
// node scripts, `modules/<name>.js` modules, a `/` in a name a subdirectory.
// It maps names to paths and reads trees; it never validates a source.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCRIPT_LIMITS, SCRIPT_NAME_PATTERN, type ScriptKind } from './names.js';

/** The subdirectory of each kind under a tenant's directory. */
export const KIND_DIRS: Readonly<Record<ScriptKind, string>> = Object.freeze({ node: 'nodes', module: 'modules' });

const SCRIPT_EXTENSION = '.js';

/** A script the layout names: what it is called, its kind and its path relative to the tenant directory. */
export interface LaidOutScript {
  readonly name: string;
  readonly kind: ScriptKind;
  /** Relative to the tenant directory, `/`-separated. */
  readonly path: string;
}

/** Where script `name` of `kind` lives under a tenant directory, `/`-separated. */
export function scriptPath(name: string, kind: ScriptKind): string {
  return `${KIND_DIRS[kind]}/${name}${SCRIPT_EXTENSION}`;
}

/** The script a tenant-relative path names, or undefined for a path the layout does not know (it is then ignored). */
export function scriptAt(path: string): LaidOutScript | undefined {
  const parts = path.split(/[\\/]/);
  const kind = (Object.keys(KIND_DIRS) as ScriptKind[]).find((k) => KIND_DIRS[k] === parts[0]);
  const file = parts.slice(1).join('/');
  if (!kind || !file.endsWith(SCRIPT_EXTENSION)) return undefined;
  const name = file.slice(0, -SCRIPT_EXTENSION.length);
  if (!SCRIPT_NAME_PATTERN.test(name) || name.length > SCRIPT_LIMITS.nameChars) return undefined;
  return { name, kind, path: scriptPath(name, kind) };
}

/** Every script file under a tenant directory, modules first, each sorted by name; directories the layout does not name are skipped. */
export function listScripts(tenantDir: string): LaidOutScript[] {
  const found: LaidOutScript[] = [];
  for (const kind of ['module', 'node'] as const) {
    const root = join(tenantDir, KIND_DIRS[kind]);
    for (const file of filesUnder(root)) {
      const script = scriptAt(relative(tenantDir, file).split(sep).join('/'));
      if (script) found.push(script);
    }
  }
  return found.sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind === 'module' ? -1 : 1));
}

/** The directories of a tenant's tree that can hold scripts: the tenant directory itself, `nodes/`, `modules/` and every directory below them that exists. */
export function scriptDirectories(tenantDir: string): string[] {
  const dirs = [tenantDir];
  const below = (dir: string): void => {
    if (!existsSync(dir)) return;
    dirs.push(dir);
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) below(join(dir, entry.name));
  };
  for (const kind of ['module', 'node'] as const) below(join(tenantDir, KIND_DIRS[kind]));
  return dirs;
}

/** Regular files below `dir`, depth-first; a missing `dir` has none. Symbolic links are not followed out of the tree. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() ? [path] : [];
  });
}

/** One embedded default script, as shipped. */
export interface EmbeddedScript {
  readonly name: string;
  readonly kind: ScriptKind;
  readonly source: string;
}

const EMBEDDED_DIR = ['internal', 'nodes', 'registry', 'embedded'];

/**
 * The embedded defaults' directory: `embedded/` beside this module when
 * running from source, or the source tree's `internal/nodes/registry/embedded/`
 * above the compiled module in dist/ (tsc copies no assets, so, like the
 * operator page's static files, they stay in the source tree).
 */
export function locateEmbeddedDir(moduleUrl: string = import.meta.url): string | undefined {
  const here = dirname(fileURLToPath(moduleUrl));
  const beside = join(here, 'embedded');
  if (existsSync(join(beside, KIND_DIRS.node))) return beside;
  let dir = here;
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, ...EMBEDDED_DIR);
    if (existsSync(join(candidate, KIND_DIRS.node))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

let embedded: readonly EmbeddedScript[] | undefined;

/** The embedded default scripts, read once; a Baton without them is a broken install, so that throws. */
export function embeddedScripts(): readonly EmbeddedScript[] {
  if (embedded) return embedded;
  const dir = locateEmbeddedDir();
  if (!dir) throw new Error('the embedded default scripts (internal/nodes/registry/embedded/) are missing from this installation');
  embedded = Object.freeze(
    listScripts(dir).map((script) => {
      const path = join(dir, script.path);
      if (statSync(path).size > SCRIPT_LIMITS.sourceBytes) throw new Error(`embedded script ${script.path} is larger than a script may be`);
      return Object.freeze({ name: script.name, kind: script.kind, source: readFileSync(path, 'utf8') });
    }),
  );
  return embedded;
}
