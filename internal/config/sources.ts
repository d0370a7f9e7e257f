// Reads the three config sources (flags, env, one YAML/JSON file) into raw
// settings tagged with where each came from. It owns names and syntax only and
// must never judge a value or apply precedence: config.ts does both.
import { readFileSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { CONFIG_ENV, CONFIG_FLAG, envName, flagName, isConfigKey, KEY_NAMES, type ConfigKey } from './keys.js';
import { didYouMean } from './suggest.js';
import { describe } from './values.js';

export interface RawSetting {
  readonly key: ConfigKey;
  /** Text from flags and env; any parsed value from a file. */
  readonly raw: unknown;
  /** Where to fix it, as a reader would search for it: `--http-port`, `BATON_HTTP_PORT`, `http_port in baton.yaml`. */
  readonly origin: string;
}

export interface FileRef {
  readonly path: string;
  readonly origin: string;
}

export interface SourceRead {
  readonly settings: RawSetting[];
  readonly problems: string[];
  readonly file?: FileRef;
}

const FLAG_KEYS = new Map<string, ConfigKey>(KEY_NAMES.map((k) => [flagName(k), k]));
const ENV_KEYS = new Map<string, ConfigKey>(KEY_NAMES.map((k) => [envName(k), k]));
const ALL_FLAGS = [CONFIG_FLAG, ...FLAG_KEYS.keys()];
const ALL_ENVS = [CONFIG_ENV, ...ENV_KEYS.keys()];

/** `--name value` or `--name=value`; the argv after the subcommand, so any bare word is a mistake. */
export function readFlags(argv: readonly string[]): SourceRead {
  const settings: RawSetting[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  let file: FileRef | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      problems.push(`unexpected argument ${describe(arg)} (options are --name value or --name=value)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    // A following word that is not itself a flag is this flag's value; a value may start with a
    // single '-' so a negative number reaches the range check instead of becoming a bogus flag.
    const next = argv[i + 1];
    if (value === undefined && next !== undefined && !next.startsWith('--')) {
      value = next;
      i++;
    }
    const key = FLAG_KEYS.get(flag);
    if (flag !== CONFIG_FLAG && key === undefined) {
      problems.push(`unknown flag '${flag}'${didYouMean(flag, ALL_FLAGS)}`);
      continue;
    }
    if (seen.has(flag)) {
      // Last-wins would hide which of two values the operator meant.
      problems.push(`flag ${flag} is given more than once`);
      continue;
    }
    seen.add(flag);
    if (value === undefined) {
      problems.push(`flag ${flag} needs a value`);
      continue;
    }
    if (key === undefined) {
      if (value === '') problems.push(`flag ${flag} needs a value`);
      else file = { path: value, origin: flag };
    } else {
      settings.push({ key, raw: value, origin: flag });
    }
  }
  return { settings, problems, ...(file ? { file } : {}) };
}

/**
 * Every `BATON_*` variable must be a key. An empty value counts as unset, so
 * `BATON_DEV_KEY=` (as compose files and shell templates produce) still gets a
 * generated key instead of failing.
 */
export function readEnv(env: NodeJS.ProcessEnv): SourceRead {
  const settings: RawSetting[] = [];
  const problems: string[] = [];
  let file: FileRef | undefined;
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('BATON_')) continue;
    const key = ENV_KEYS.get(name);
    if (name !== CONFIG_ENV && key === undefined) {
      problems.push(`unknown environment variable '${name}'${didYouMean(name, ALL_ENVS)}`);
      continue;
    }
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (key === undefined) file = { path: value, origin: name };
    else settings.push({ key, raw: value, origin: name });
  }
  return { settings, problems, ...(file ? { file } : {}) };
}

const FILE_KINDS: Record<string, 'yaml' | 'json'> = { '.yaml': 'yaml', '.yml': 'yaml', '.json': 'json' };

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/:$/, '');
}

function parseText(textContent: string, kind: 'yaml' | 'json', shown: string): { data?: unknown; problems: string[] } {
  if (kind === 'json') {
    try {
      return { data: JSON.parse(textContent) as unknown, problems: [] };
    } catch (err) {
      return { problems: [`config file ${shown} is not valid JSON: ${firstLine((err as Error).message)}`] };
    }
  }
  // parseDocument collects every syntax error (duplicate keys included) instead of stopping at the first.
  const doc = parseDocument(textContent);
  if (doc.errors.length > 0) return { problems: doc.errors.map((e) => `config file ${shown} is not valid YAML: ${firstLine(e.message)}`) };
  return { data: doc.toJS({ maxAliasCount: 100 }) as unknown, problems: [] };
}

/** One YAML or JSON file of snake_case keys; a relative path is taken from `cwd`. */
export function readFile(ref: FileRef, cwd: string): SourceRead {
  const settings: RawSetting[] = [];
  const shown = ref.path;
  const absolute = resolve(cwd, ref.path);
  const where = isAbsolute(ref.path) ? absolute : `${ref.path} (${absolute})`;
  const kind = FILE_KINDS[extname(absolute).toLowerCase()];
  if (kind === undefined) {
    return { settings, problems: [`config file ${where} from ${ref.origin} must end in .yaml, .yml or .json`] };
  }
  let textContent: string;
  try {
    textContent = readFileSync(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? (err as Error).message})`;
    return { settings, problems: [`config file ${where} from ${ref.origin}: ${reason}`] };
  }
  const parsed = parseText(textContent, kind, shown);
  if (parsed.problems.length > 0) return { settings, problems: parsed.problems };
  const data = parsed.data;
  // An empty YAML file is a valid "no settings" file.
  if (data === null || data === undefined) return { settings, problems: [] };
  if (typeof data !== 'object' || Array.isArray(data)) {
    return { settings, problems: [`config file ${shown} must hold a map of keys, got ${describe(data)}`] };
  }
  const problems: string[] = [];
  for (const [name, raw] of Object.entries(data)) {
    if (isConfigKey(name)) settings.push({ key: name, raw, origin: `${name} in ${shown}` });
    else problems.push(`unknown key '${name}' in ${shown}${didYouMean(name, KEY_NAMES)}`);
  }
  return { settings, problems };
}
