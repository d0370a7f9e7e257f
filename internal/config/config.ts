// Baton's configuration: merges defaults, one file, env and flags (flag > env >
// file > default, per key) into one validated, frozen config. It must never
// read process.env or process.argv itself, and never start anything.
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { CONFIG_ENV, CONFIG_FLAG, envName, flagName, KEY_NAMES, KEYS, type ConfigKey, type KeySpec } from './keys.js';
import { readEnv, readFile, readFlags, type SourceRead } from './sources.js';
import { DEV_TENANT, type Parsed } from './values.js';

export interface TenantConfig {
  name: string;
  key: string;
}

export interface BatonConfig {
  http_host: string;
  http_port: number;
  grpc_host: string;
  grpc_port: number;
  /** Key of tenant 'dev'; generated when unset. */
  dev_key: string;
  /** Tenants besides 'dev'. */
  tenants: TenantConfig[];
  /** 'memory' or 'etcd://host:port[,host:port]'. */
  authority: string;
  /** This kernel's identity as a lease holder. */
  instance_id: string;
  /** Base ws URL for OpenSession.stream_url; empty means derive it from the bound HTTP address. */
  public_url: string;
  max_frame_bytes: number;
  max_audio_frame_ms: number;
  drain_grace_ms: number;
  egress_buffer_bytes: number;
  lane_max_bytes: number;
  heartbeat_ms: number;
  /** Kernel-wide defaults of the plan budgets of the same names; a pipeline's own budgets override them. */
  session_idle_ms: number;
  reconnect_grace_ms: number;
  max_sessions: number;
  max_sessions_per_tenant: number;
  max_connections_per_tenant: number;
  lease_ttl_ms: number;
  /** Absolute once loaded. */
  timeline_dir: string;
  timeline_memory_bytes: number;
  timeline_memory_records: number;
  log_level: string;
  /** Absolute once loaded; set together with tls_key or not at all. */
  tls_cert: string;
  tls_key: string;
  /** Mixed into session seeds. */
  tenant_seed: string;
  /** Deadline given to gRPC calls that set none. */
  grpc_max_deadline_ms: number;
  /** Absolute once loaded; empty: no scripts directory. */
  scripts_dir: string;
  /** Hard cap of one tenant's script engine memory. */
  script_memory_bytes: number;
  /** 0: automatic (see scriptWorkerCount). */
  script_workers: number;
  /** Invocations waiting for a worker, per pool. */
  script_queue: number;
  /** Compiled scripts kept per tenant. */
  script_cache_entries: number;
}

export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

export interface LoadedConfig {
  config: BatonConfig;
  /** True when dev_key was generated here, so the caller prints it once. */
  generatedDevKey: boolean;
  sources: Record<keyof BatonConfig, ConfigSource>;
}

export interface LoadOptions {
  /** Arguments after the subcommand. Default: none. */
  argv?: readonly string[];
  /** Default: no variables. */
  env?: NodeJS.ProcessEnv;
  /** Base for relative paths. Default: the process working directory. */
  cwd?: string;
  /** Randomness for the generated dev key (tests pass a seeded one). */
  randomBytes?: (size: number) => Uint8Array;
  /** Identity parts of the default instance_id. */
  hostname?: string;
  pid?: number;
}

/** Every problem found in one load, so an operator fixes them in one pass. */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`);
    this.name = 'ConfigError';
    this.problems = [...problems];
  }
}

function freezeConfig(config: BatonConfig): BatonConfig {
  config.tenants.forEach((t) => Object.freeze(t));
  Object.freeze(config.tenants);
  return Object.freeze(config);
}

function defaults(): BatonConfig {
  const entries = KEY_NAMES.map((k) => [k, KEYS[k].default]);
  const config = Object.fromEntries(entries) as unknown as BatonConfig;
  config.tenants = [...config.tenants];
  return config;
}

/** The embedded defaults, with dev_key and instance_id empty (they are generated at load). */
export const DEFAULT_CONFIG: Readonly<BatonConfig> = freezeConfig(defaults());

function parseSetting<K extends ConfigKey>(key: K, raw: unknown): Parsed<BatonConfig[K]> {
  return (KEYS[key] as KeySpec<BatonConfig[K]>).rule.parse(raw);
}

function resolveValue<K extends ConfigKey>(config: BatonConfig, key: K, cwd: string): void {
  const rule = (KEYS[key] as KeySpec<BatonConfig[K]>).rule;
  if (rule.resolve) config[key] = rule.resolve(config[key], cwd);
}

function setValue<K extends ConfigKey>(config: BatonConfig, key: K, value: BatonConfig[K]): void {
  config[key] = value;
}

/** Host names are free-form on Linux; the default identity keeps only characters instance_id allows. */
function defaultInstanceId(hostname: string, pid: number): string {
  const host = hostname.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'host';
  return `baton-${host}-${pid}`.slice(0, 128);
}

function fileProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `${path} is not a file`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `file not found: ${path}` : `cannot read ${path} (${code ?? (err as Error).message})`;
  }
}

/** A scripts directory that is missing is a typo far more often than a wish for an empty one, so it is never created. */
function directoryProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isDirectory()) return `${path} is not a directory`;
    accessSync(path, constants.R_OK | constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `directory not found: ${path}` : `cannot read ${path} (${code ?? (err as Error).message})`;
  }
}

/** Rules that involve more than one key or the file system; run on the merged values. */
function crossChecks(config: BatonConfig, origins: Record<ConfigKey, string>): string[] {
  const problems: string[] = [];
  const { tls_cert, tls_key } = config;
  if ((tls_cert === '') !== (tls_key === '')) {
    const [set, unset] = tls_cert !== '' ? (['tls_cert', 'tls_key'] as const) : (['tls_key', 'tls_cert'] as const);
    problems.push(`tls_cert and tls_key must be set together: ${set} is set (${origins[set]}) but ${unset} is not`);
  }
  for (const key of ['tls_cert', 'tls_key'] as const) {
    if (config[key] === '') continue;
    const problem = fileProblem(config[key]);
    if (problem !== undefined) problems.push(`${origins[key]}: ${problem}`);
  }
  if (config.scripts_dir !== '') {
    const problem = directoryProblem(config.scripts_dir);
    if (problem !== undefined) problems.push(`${origins.scripts_dir}: ${problem}`);
  }
  // Keys are looked up by value: two tenants sharing one would authenticate as whichever was registered last.
  const owners = new Map<string, string>([[config.dev_key, DEV_TENANT]]);
  for (const tenant of config.tenants) {
    const owner = owners.get(tenant.key);
    if (owner !== undefined) problems.push(`${origins.tenants}: tenant '${tenant.name}' has the same key as tenant '${owner}'`);
    else owners.set(tenant.key, tenant.name);
  }
  if (config.http_port !== 0 && config.http_port === config.grpc_port && config.http_host === config.grpc_host) {
    problems.push(`http_port (${origins.http_port}) and grpc_port (${origins.grpc_port}) are both ${config.http_port} on ${config.http_host}`);
  }
  return problems;
}

const NO_SOURCE: SourceRead = { settings: [], problems: [] };

/**
 * Loads and validates the config. Throws ConfigError listing every problem
 * found: a config error stops startup, and one report beats a fix-rerun loop.
 */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const cwd = opts.cwd ?? process.cwd();
  const flags = readFlags(opts.argv ?? []);
  const env = readEnv(opts.env ?? {});
  // The flag names the file over the env var, like any other key.
  const fileRef = flags.file ?? env.file;
  const file = fileRef ? readFile(fileRef, cwd) : NO_SOURCE;

  const config = defaults();
  const sources = Object.fromEntries(KEY_NAMES.map((k) => [k, 'default'])) as Record<ConfigKey, ConfigSource>;
  const origins = Object.fromEntries(KEY_NAMES.map((k) => [k, k])) as Record<ConfigKey, string>;
  const problems: string[] = [];
  // Lowest precedence first, so a later source overwrites; a bad value is reported even when a
  // higher source overrides it, because the source it sits in is still broken.
  const layers: [ConfigSource, SourceRead][] = [['file', file], ['env', env], ['flag', flags]];
  for (const [source, read] of layers) {
    problems.push(...read.problems);
    for (const setting of read.settings) {
      const parsed = parseSetting(setting.key, setting.raw);
      if (!parsed.ok) {
        problems.push(...parsed.problems.map((p) => `${setting.origin}: ${p}`));
        continue;
      }
      setValue(config, setting.key, parsed.value);
      sources[setting.key] = source;
      origins[setting.key] = setting.origin;
    }
  }

  let generatedDevKey = false;
  if (config.dev_key === '') {
    config.dev_key = Buffer.from((opts.randomBytes ?? cryptoRandomBytes)(32)).toString('base64url');
    generatedDevKey = true;
  }
  if (config.instance_id === '') config.instance_id = defaultInstanceId(opts.hostname ?? osHostname(), opts.pid ?? process.pid);
  for (const key of KEY_NAMES) resolveValue(config, key, cwd);

  problems.push(...crossChecks(config, origins));
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: freezeConfig(config), generatedDevKey, sources };
}

function helpRow(key: ConfigKey): [string, string, string, string] {
  const spec = KEYS[key] as KeySpec<unknown>;
  const shown = spec.shownDefault ?? (typeof spec.default === 'string' ? spec.default : JSON.stringify(spec.default));
  return [`${flagName(key)} ${spec.rule.placeholder}`, envName(key), shown, spec.meaning];
}

/** One line per key: flag, env var, default, meaning; columns aligned for a terminal. */
export function configHelp(): string {
  const rows: [string, string, string, string][] = [
    [`${CONFIG_FLAG} PATH`, CONFIG_ENV, '(none)', 'YAML (.yaml, .yml) or JSON (.json) file of the snake_case keys below'],
    ...KEY_NAMES.map(helpRow),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => `  ${r.slice(0, 3).map((cell, c) => cell.padEnd(widths[c]!)).join('  ')}  ${r[3]}`).join('\n');
}
