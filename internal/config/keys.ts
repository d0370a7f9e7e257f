// The one table of configuration keys: each key's default, value rule and
// meaning, from which flag names, env names, defaults and help are derived.
// It must never read a source: loading lives in config.ts.
import type { BatonConfig } from './config.js';
import { authority, host, integer, oneOf, path, secretKey, tenants, text, wsBaseUrl, type ValueRule } from './values.js';

export type ConfigKey = keyof BatonConfig;

export interface KeySpec<T> {
  readonly default: T;
  readonly rule: ValueRule<T>;
  readonly meaning: string;
  /** Shown in help instead of the default when the real default is computed or empty. */
  readonly shownDefault?: string;
}

export type KeyTable = { readonly [K in ConfigKey]: KeySpec<BatonConfig[K]> };

/** Node timers overflow past 2^31-1 ms and fire at once; one day is far beyond any sane setting and well below that. */
const MAX_DURATION_MS = 86_400_000;
const duration = (min = 1): ValueRule<number> => integer('MS', min, MAX_DURATION_MS);
const port = (): ValueRule<number> => integer('PORT', 0, 65535);
const count = (max: number): ValueRule<number> => integer('N', 1, max);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Object order is help order. The mapped type makes the compiler reject a missing or extra key. */
export const KEYS: KeyTable = {
  http_host: { default: '127.0.0.1', rule: host(), meaning: 'address the HTTP server (WebSocket, metrics, health) binds' },
  http_port: { default: 8080, rule: port(), meaning: 'HTTP port; 0 picks a free port' },
  grpc_host: { default: '127.0.0.1', rule: host(), meaning: 'address the gRPC server binds' },
  grpc_port: { default: 50051, rule: port(), meaning: 'gRPC port; 0 picks a free port' },
  dev_key: { default: '', rule: secretKey(), shownDefault: '(generated)', meaning: "key of tenant 'dev' (16+ chars); generated and printed when unset" },
  tenants: { default: [], rule: tenants(), shownDefault: '(none)', meaning: "extra tenants 'name:key,name:key' (in a file: list of {name,key} or map name->key)" },
  authority: { default: 'memory', rule: authority(), meaning: "lease authority: 'memory' or 'etcd://host:port[,host:port]'" },
  instance_id: {
    default: '',
    rule: text('ID', { maxLength: 128, check: (id) => (/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/.test(id) ? undefined : 'must be letters, digits and . _ : @ - (starting with a letter or digit)') }),
    shownDefault: 'baton-HOST-PID',
    meaning: "this kernel's identity as a lease holder",
  },
  public_url: { default: '', rule: wsBaseUrl(), shownDefault: '(derived)', meaning: 'base ws:// or wss:// URL given out as stream_url; derived from the HTTP address when empty' },
  max_frame_bytes: { default: 1_048_576, rule: integer('BYTES', 1024, 64 * 1024 * 1024), meaning: 'largest WebSocket frame accepted (1024 to 64 MiB)' },
  max_audio_frame_ms: { default: 1000, rule: integer('MS', 1, 60_000), meaning: 'longest audio frame accepted' },
  drain_grace_ms: { default: 10_000, rule: duration(), meaning: 'time a drain waits for sessions to end before closing them' },
  egress_buffer_bytes: {
    default: 262_144,
    rule: integer('BYTES', 4096, 64 * 1024 * 1024),
    meaning: 'bytes a gateway socket may hold unsent before the session stops producing output (4 KiB to 64 MiB)',
  },
  lane_max_bytes: {
    default: 4 * 1_048_576,
    rule: integer('BYTES', 65_536, 1024 * 1024 * 1024),
    meaning: "bytes each session's Data and Telemetry lanes may hold, besides their event count (64 KiB to 1 GiB)",
  },
  heartbeat_ms: { default: 15_000, rule: duration(), meaning: 'interval between WebSocket pings' },
  session_idle_ms: { default: 60_000, rule: duration(), meaning: 'a session with no traffic for this long is closed' },
  reconnect_grace_ms: { default: 5000, rule: duration(), meaning: 'how long a session outlives its dropped socket, waiting for a reconnect' },
  max_sessions: { default: 10_000, rule: count(10_000_000), meaning: 'sessions this kernel holds at once' },
  max_sessions_per_tenant: { default: 1000, rule: count(10_000_000), meaning: 'sessions one tenant holds at once' },
  max_connections_per_tenant: { default: 1000, rule: count(10_000_000), meaning: 'open sockets one tenant holds at once' },
  lease_ttl_ms: { default: 10_000, rule: duration(2), meaning: 'session lease lifetime; renewed at half of it' },
  timeline_dir: { default: '.baton/timelines', rule: path({ allowEmpty: false }), meaning: 'directory timelines rotate to (relative to the working directory)' },
  timeline_memory_bytes: {
    default: 1_048_576,
    rule: integer('BYTES', 4096, 1024 * 1024 * 1024),
    meaning: 'bytes of timeline records each session keeps in memory (older ones are flushed to timeline_dir)',
  },
  timeline_memory_records: { default: 256, rule: count(1_048_576), meaning: 'timeline records each session keeps in memory (older ones are flushed to timeline_dir)' },
  log_level: { default: 'info', rule: oneOf('LEVEL', LOG_LEVELS), meaning: `log level: ${LOG_LEVELS.join(', ')}` },
  tls_cert: { default: '', rule: path({ allowEmpty: true }), shownDefault: '(none)', meaning: 'TLS certificate file (PEM); set with tls_key' },
  tls_key: { default: '', rule: path({ allowEmpty: true }), shownDefault: '(none)', meaning: 'TLS private key file (PEM); set with tls_cert' },
  tenant_seed: { default: 'baton', rule: text('TEXT', { maxLength: 256 }), meaning: 'mixed into every session seed' },
  grpc_max_deadline_ms: { default: 30_000, rule: duration(), meaning: 'deadline given to gRPC calls that set none' },
  scripts_dir: {
    default: '',
    rule: path({ allowEmpty: true }),
    shownDefault: '(none)',
    meaning: 'watched directory of tenant scripts (<dir>/<tenant>/nodes/<name>.js, <dir>/<tenant>/modules/<name>.js); must exist when set',
  },
  script_memory_bytes: {
    default: 64 * 1_048_576,
    rule: integer('BYTES', 4 * 1_048_576, 2048 * 1_048_576),
    meaning: "hard cap of one tenant's script engine memory (4 MiB to 2 GiB)",
  },
  script_workers: {
    default: 0,
    rule: integer('N', 0, 256),
    shownDefault: '0 (auto)',
    meaning: 'worker threads running scripts; 0 picks min(2, cores - 1), at least 1; never more than cores - 1 (or 1)',
  },
  script_queue: { default: 64, rule: count(100_000), meaning: 'script invocations waiting for a worker before a call is refused as overloaded' },
  script_cache_entries: { default: 256, rule: count(100_000), meaning: 'compiled scripts kept per tenant (least recently used dropped first)' },
};

/** Script workers for `configured` (0: automatic) on a machine with `cores`: never the kernel's core, never none. */
export function scriptWorkerCount(configured: number, cores: number): number {
  const most = Math.max(1, cores - 1);
  return configured === 0 ? Math.min(2, most) : Math.min(configured, most);
}

export const KEY_NAMES = Object.keys(KEYS) as ConfigKey[];

/** The key a file, flag or env name refers to; undefined when it is not one. */
export function isConfigKey(name: string): name is ConfigKey {
  return Object.prototype.hasOwnProperty.call(KEYS, name);
}

export const flagName = (key: string): string => `--${key.replace(/_/g, '-')}`;
export const envName = (key: string): string => `BATON_${key.toUpperCase()}`;

/** The config file is named on the command line or in the environment, never inside a file. */
export const CONFIG_FLAG = '--config';
export const CONFIG_ENV = 'BATON_CONFIG';
