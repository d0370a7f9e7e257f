import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { stringify } from 'yaml';
import { type BatonConfig, ConfigError, configHelp, DEFAULT_CONFIG, type LoadOptions, loadConfig } from './config.js';
import { KEY_NAMES, scriptWorkerCount } from './keys.js';
import { closest } from './suggest.js';

const KEY_A = 'tenant-a-key-0123456789';
const KEY_B = 'tenant-b-key-0123456789';
const DEV = 'dev-key-0123456789abcdef';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-config-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** A load isolated from the process: no env unless given, the temp dir as cwd, fixed identity. */
function load(opts: LoadOptions = {}) {
  return loadConfig({ env: {}, cwd: dir, hostname: 'host', pid: 7, ...opts });
}

function problemsOf(opts: LoadOptions): string[] {
  try {
    load(opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  test('with no sources every key takes its embedded default', () => {
    const { config, sources } = load();
    const { dev_key: _d, instance_id: _i, timeline_dir, ...rest } = config;
    const { dev_key: _dd, instance_id: _di, timeline_dir: _dt, ...expected } = DEFAULT_CONFIG;
    expect(rest).toEqual(expected);
    expect(timeline_dir).toBe(join(dir, '.baton/timelines'));
    expect(Object.values(sources).every((s) => s === 'default')).toBe(true);
    expect(Object.keys(sources).sort()).toEqual([...KEY_NAMES].sort());
  });

  test('the embedded defaults are the documented ones', () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      http_host: '127.0.0.1',
      http_port: 8080,
      grpc_host: '127.0.0.1',
      grpc_port: 50051,
      dev_key: '',
      tenants: [],
      authority: 'memory',
      instance_id: '',
      public_url: '',
      max_frame_bytes: 1_048_576,
      max_audio_frame_ms: 1000,
      drain_grace_ms: 10_000,
      egress_buffer_bytes: 262_144,
      lane_max_bytes: 4_194_304,
      heartbeat_ms: 15_000,
      session_idle_ms: 60_000,
      reconnect_grace_ms: 5000,
      max_sessions: 10_000,
      max_sessions_per_tenant: 1000,
      max_connections_per_tenant: 1000,
      lease_ttl_ms: 10_000,
      timeline_dir: '.baton/timelines',
      timeline_memory_bytes: 1_048_576,
      timeline_memory_records: 256,
      log_level: 'info',
      tls_cert: '',
      tls_key: '',
      tenant_seed: 'baton',
      grpc_max_deadline_ms: 30_000,
    });
  });

  test('defaults and loaded configs are frozen, so no component can change what others read', () => {
    expect(Object.isFrozen(DEFAULT_CONFIG)).toBe(true);
    expect(Object.isFrozen(DEFAULT_CONFIG.tenants)).toBe(true);
    const { config } = load({ env: { BATON_TENANTS: `a:${KEY_A}` } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.tenants)).toBe(true);
    expect(Object.isFrozen(config.tenants[0])).toBe(true);
  });

  test('instance_id defaults to baton-HOST-PID with the host name made safe', () => {
    expect(load().config.instance_id).toBe('baton-host-7');
    expect(load({ hostname: 'my host/01' }).config.instance_id).toBe('baton-my-host-01-7');
  });

  test('loadConfig reads nothing from process.env or process.argv when opts omit them', () => {
    vi.stubEnv('BATON_HTTP_PORT', '1234');
    vi.stubEnv('BATON_NOT_A_KEY', 'x');
    try {
      const { config } = loadConfig({ cwd: dir });
      expect(config.http_port).toBe(8080);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('precedence flag > env > file > default', () => {
  type Row = { key: keyof BatonConfig; file?: unknown; env?: string; flag?: string; want: unknown; source: string };
  const rows: Row[] = [
    { key: 'http_port', file: 1001, env: '1002', flag: '1003', want: 1003, source: 'flag' },
    { key: 'http_port', file: 1001, env: '1002', want: 1002, source: 'env' },
    { key: 'http_port', file: 1001, want: 1001, source: 'file' },
    { key: 'http_port', file: 1001, flag: '1003', want: 1003, source: 'flag' },
    { key: 'http_port', want: 8080, source: 'default' },
    { key: 'log_level', file: 'debug', env: 'warn', want: 'warn', source: 'env' },
    { key: 'log_level', file: 'debug', flag: 'error', want: 'error', source: 'flag' },
    { key: 'tenant_seed', env: 'from-env', flag: 'from-flag', want: 'from-flag', source: 'flag' },
    { key: 'max_frame_bytes', file: 2048, want: 2048, source: 'file' },
    { key: 'authority', file: 'etcd://a:2379', env: 'memory', want: 'memory', source: 'env' },
    { key: 'tenants', file: [{ name: 'a', key: KEY_A }], env: `b:${KEY_B}`, want: [{ name: 'b', key: KEY_B }], source: 'env' },
    { key: 'tenants', file: { a: KEY_A }, want: [{ name: 'a', key: KEY_A }], source: 'file' },
  ];

  test.each(rows)('$key: file=$file env=$env flag=$flag gives $source', ({ key, file, env, flag, want, source }) => {
    const opts: LoadOptions = { env: {}, argv: [] };
    if (file !== undefined) opts.env = { BATON_CONFIG: write('baton.yaml', stringify({ [key]: file })) };
    if (env !== undefined) opts.env = { ...opts.env, [`BATON_${key.toUpperCase()}`]: env };
    if (flag !== undefined) opts.argv = [`--${key.replace(/_/g, '-')}`, flag];
    const loaded = load(opts);
    expect(loaded.config[key]).toEqual(want);
    expect(loaded.sources[key]).toBe(source);
  });

  test('precedence is decided per key, not per source', () => {
    const file = write('baton.yaml', 'http_port: 1001\ngrpc_port: 2001\nheartbeat_ms: 3001\n');
    const { config, sources } = load({ argv: ['--config', file, '--heartbeat-ms=3003'], env: { BATON_GRPC_PORT: '2002' } });
    expect([config.http_port, config.grpc_port, config.heartbeat_ms, config.log_level]).toEqual([1001, 2002, 3003, 'info']);
    expect([sources.http_port, sources.grpc_port, sources.heartbeat_ms, sources.log_level]).toEqual(['file', 'env', 'flag', 'default']);
  });

  test('--config names the file over BATON_CONFIG', () => {
    const fromFlag = write('flag.yaml', 'http_port: 1111\n');
    const fromEnv = write('env.yaml', 'http_port: 2222\n');
    expect(load({ argv: ['--config', fromFlag], env: { BATON_CONFIG: fromEnv } }).config.http_port).toBe(1111);
    expect(load({ env: { BATON_CONFIG: fromEnv } }).config.http_port).toBe(2222);
  });

  test('property: a numeric key takes its value from the highest source that set it', () => {
    const keys = ['http_port', 'grpc_port', 'heartbeat_ms', 'max_sessions', 'timeline_memory_records', 'max_audio_frame_ms'] as const;
    // 9000..50000 is valid for every key above and never collides with the other listener's default port.
    const value = fc.integer({ min: 9000, max: 50_000 });
    const maybe = fc.option(value, { nil: undefined });
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        maybe,
        maybe,
        maybe,
        fc.constantFrom('yaml', 'json'),
        fc.boolean(),
        (key, fileValue, envValue, flagValue, format, joined) => {
          const env: NodeJS.ProcessEnv = {};
          const argv: string[] = [];
          if (fileValue !== undefined) {
            const content = format === 'json' ? JSON.stringify({ [key]: fileValue }) : stringify({ [key]: fileValue });
            env['BATON_CONFIG'] = write(`baton.${format}`, content);
          }
          if (envValue !== undefined) env[`BATON_${key.toUpperCase()}`] = String(envValue);
          const flag = `--${key.replace(/_/g, '-')}`;
          if (flagValue !== undefined) argv.push(...(joined ? [`${flag}=${flagValue}`] : [flag, String(flagValue)]));
          const { config, sources } = load({ env, argv });
          const [want, source] =
            flagValue !== undefined ? [flagValue, 'flag'] : envValue !== undefined ? [envValue, 'env'] : fileValue !== undefined ? [fileValue, 'file'] : [DEFAULT_CONFIG[key], 'default'];
          expect(config[key]).toBe(want);
          expect(sources[key]).toBe(source);
        },
      ),
    );
  });
});

describe('config files', () => {
  test('a YAML file sets keys, with tenants as a list of {name, key}', () => {
    const file = write(
      'baton.yaml',
      ['http_host: 0.0.0.0', 'http_port: 9000', 'log_level: debug', 'tenants:', `  - { name: acme, key: ${KEY_A} }`, `  - name: beta`, `    key: ${KEY_B}`].join('\n'),
    );
    const { config, sources } = load({ argv: ['--config', file] });
    expect(config).toMatchObject({ http_host: '0.0.0.0', http_port: 9000, log_level: 'debug' });
    expect(config.tenants).toEqual([
      { name: 'acme', key: KEY_A },
      { name: 'beta', key: KEY_B },
    ]);
    expect(sources.tenants).toBe('file');
  });

  test('a .yml file is YAML too', () => {
    expect(load({ argv: ['--config', write('baton.yml', 'grpc_port: 7000')] }).config.grpc_port).toBe(7000);
  });

  test('a JSON file sets keys, with tenants as a map of name to key', () => {
    const file = write('baton.json', JSON.stringify({ grpc_port: 7001, authority: 'etcd://10.0.0.1:2379', tenants: { acme: KEY_A } }));
    const { config } = load({ argv: ['--config', file] });
    expect(config).toMatchObject({ grpc_port: 7001, authority: 'etcd://10.0.0.1:2379', tenants: [{ name: 'acme', key: KEY_A }] });
  });

  test('a relative config path and relative paths inside it are taken from cwd', () => {
    mkdirSync(join(dir, 'etc'));
    write('etc/baton.yaml', 'timeline_dir: timelines\n');
    expect(load({ argv: ['--config', 'etc/baton.yaml'] }).config.timeline_dir).toBe(join(dir, 'timelines'));
    write('etc/absolute.yaml', 'timeline_dir: /var/tmp/tl\n');
    expect(load({ argv: ['--config', 'etc/absolute.yaml'] }).config.timeline_dir).toBe('/var/tmp/tl');
  });

  test('an empty YAML file sets nothing', () => {
    expect(load({ argv: ['--config', write('baton.yaml', '')] }).sources.http_port).toBe('default');
  });

  test('a quoted number in a file is read like env text; a number for a string key must be quoted', () => {
    const file = write('baton.yaml', 'http_port: "9001"\ntenant_seed: 42\n');
    expect(problemsOf({ argv: ['--config', file] })).toEqual(['tenant_seed in ' + file + ': must be a string, got 42 (quote it)']);
    expect(load({ argv: ['--config', write('ok.yaml', 'http_port: "9001"\n')] }).config.http_port).toBe(9001);
  });

  test('a missing config file is an error naming the path', () => {
    expect(problemsOf({ argv: ['--config', 'nope.yaml'] })).toEqual([`config file nope.yaml (${join(dir, 'nope.yaml')}) from --config: not found`]);
    expect(problemsOf({ env: { BATON_CONFIG: join(dir, 'gone.json') } })).toEqual([`config file ${join(dir, 'gone.json')} from BATON_CONFIG: not found`]);
  });

  test('a config file must be YAML or JSON by its extension', () => {
    expect(problemsOf({ argv: ['--config', write('baton.toml', 'x = 1')] })[0]).toMatch(/must end in \.yaml, \.yml or \.json/);
  });

  test('syntax errors and duplicate keys are reported with the file', () => {
    const yaml = write('bad.yaml', 'http_port: 1\nhttp_port: 2\n');
    expect(problemsOf({ argv: ['--config', yaml] })[0]).toMatch(/^config file .*bad\.yaml is not valid YAML: Map keys must be unique/);
    const json = write('bad.json', '{"http_port": 1,');
    expect(problemsOf({ argv: ['--config', json] })[0]).toMatch(/^config file .*bad\.json is not valid JSON/);
  });

  test('a file must hold a map of keys', () => {
    expect(problemsOf({ argv: ['--config', write('list.yaml', '- a\n- b\n')] })[0]).toMatch(/must hold a map of keys, got a list/);
  });

  test('values in a file are validated by the same rules', () => {
    const file = write('baton.yaml', 'http_port: 1.5\ngrpc_port: true\nmax_frame_bytes: 12\n');
    expect(problemsOf({ argv: ['--config', file] })).toEqual([
      `http_port in ${file}: must be an integer from 0 to 65535, got 1.5`,
      `grpc_port in ${file}: must be an integer from 0 to 65535, got true`,
      `max_frame_bytes in ${file}: must be an integer from 1024 to 67108864, got 12`,
    ]);
  });
});

describe('unknown keys', () => {
  test('in a file, named with the closest known key', () => {
    write('baton.yaml', 'http_prot: 9000\nwhatever: 1\n');
    expect(problemsOf({ argv: ['--config', 'baton.yaml'] })).toEqual([
      "unknown key 'http_prot' in baton.yaml; did you mean 'http_port'?",
      "unknown key 'whatever' in baton.yaml",
    ]);
  });

  test('in flags, named with the closest known flag', () => {
    expect(problemsOf({ argv: ['--nope', '1', '--http-prot', '1', '--http_port=2', '--confg', 'x.yaml'] })).toEqual([
      "unknown flag '--nope'",
      "unknown flag '--http-prot'; did you mean '--http-port'?",
      "unknown flag '--http_port'; did you mean '--http-port'?",
      "unknown flag '--confg'; did you mean '--config'?",
    ]);
  });

  test('in BATON_* env vars, except BATON_CONFIG; other variables are not ours', () => {
    const file = write('baton.yaml', '');
    expect(problemsOf({ env: { BATON_HTTP_PROT: '1', BATON_CONFIG: file, BATON_ZZZ: '', PATH: '/bin', HOME: '/root' } })).toEqual([
      "unknown environment variable 'BATON_HTTP_PROT'; did you mean 'BATON_HTTP_PORT'?",
      "unknown environment variable 'BATON_ZZZ'",
    ]);
  });

  test('suggestions only for near misses', () => {
    expect(closest('log_levle', KEY_NAMES)).toBe('log_level');
    expect(closest('HTTP_PORT', KEY_NAMES)).toBe('http_port');
    expect(closest('xyz', KEY_NAMES)).toBeUndefined();
  });

  test('positional arguments, a lone --, a missing value and a repeated flag are errors', () => {
    expect(problemsOf({ argv: ['serve'] })).toEqual(["unexpected argument 'serve' (options are --name value or --name=value)"]);
    expect(problemsOf({ argv: ['--'] })).toEqual(["unexpected argument '--' (options are --name value or --name=value)"]);
    expect(problemsOf({ argv: ['--http-port'] })).toEqual(['flag --http-port needs a value']);
    expect(problemsOf({ argv: ['--http-port', '--grpc-port', '1'] })).toEqual(['flag --http-port needs a value']);
    expect(problemsOf({ argv: ['--http-port', '1', '--http-port=2'] })).toEqual(['flag --http-port is given more than once']);
    expect(problemsOf({ argv: ['--config='] })).toEqual(['flag --config needs a value']);
  });
});

describe('value rules', () => {
  const rejected: [string, string, string][] = [
    ['BATON_HTTP_PORT', '12abc', "must be an integer from 0 to 65535, got '12abc'"],
    ['BATON_HTTP_PORT', '70000', 'must be an integer from 0 to 65535'],
    ['BATON_HTTP_PORT', '-1', 'must be an integer from 0 to 65535'],
    ['BATON_HTTP_PORT', '1.5', 'must be an integer'],
    ['BATON_HTTP_PORT', '1e3', 'must be an integer'],
    ['BATON_HTTP_PORT', '0x50', 'must be an integer'],
    ['BATON_HTTP_PORT', ' 80', 'must be an integer'],
    ['BATON_GRPC_PORT', '65536', 'must be an integer from 0 to 65535'],
    ['BATON_MAX_FRAME_BYTES', '1023', 'must be an integer from 1024 to 67108864'],
    ['BATON_MAX_FRAME_BYTES', '67108865', 'must be an integer from 1024 to 67108864'],
    ['BATON_MAX_AUDIO_FRAME_MS', '0', 'must be an integer from 1 to 60000'],
    ['BATON_HEARTBEAT_MS', '0', 'must be an integer from 1 to 86400000'],
    ['BATON_DRAIN_GRACE_MS', '86400001', 'must be an integer from 1 to 86400000'],
    ['BATON_SESSION_IDLE_MS', '-5', 'must be an integer from 1'],
    ['BATON_RECONNECT_GRACE_MS', 'soon', 'must be an integer from 1'],
    ['BATON_GRPC_MAX_DEADLINE_MS', '0', 'must be an integer from 1'],
    ['BATON_LEASE_TTL_MS', '1', 'must be an integer from 2'],
    ['BATON_MAX_SESSIONS', '0', 'must be an integer from 1'],
    ['BATON_MAX_SESSIONS_PER_TENANT', '0', 'must be an integer from 1'],
    ['BATON_MAX_CONNECTIONS_PER_TENANT', '0', 'must be an integer from 1'],
    ['BATON_TIMELINE_MEMORY_RECORDS', '0', 'must be an integer from 1'],
    ['BATON_LOG_LEVEL', 'verbose', "must be one of fatal, error, warn, info, debug, trace, silent, got 'verbose'"],
    ['BATON_AUTHORITY', 'redis://x:1', "must be 'memory' or 'etcd://host:port[,host:port...]'"],
    ['BATON_AUTHORITY', 'etcd://', "etcd endpoint 1 '' must be host:port"],
    ['BATON_AUTHORITY', 'etcd://host', "etcd endpoint 1 'host' must be host:port"],
    ['BATON_AUTHORITY', 'etcd://a:1,b:0', "etcd endpoint 2 'b:0' needs a port from 1 to 65535"],
    ['BATON_AUTHORITY', 'etcd://a:1/', "etcd endpoint 1 'a:1/' must be host:port"],
    ['BATON_AUTHORITY', 'etcd://bad_host:1', "etcd endpoint 1 'bad_host:1' has an invalid host"],
    ['BATON_AUTHORITY', 'etcd://[nope]:1', 'has an invalid host'],
    ['BATON_HTTP_HOST', 'not a host', "must be an IP address or host name, got 'not a host'"],
    ['BATON_GRPC_HOST', 'a..b', 'must be an IP address or host name'],
    ['BATON_PUBLIC_URL', 'http://example.com', 'must be a ws:// or wss:// URL'],
    ['BATON_PUBLIC_URL', 'ws://example.com/?a=1', 'must not carry a query, fragment or credentials'],
    ['BATON_DEV_KEY', 'short', 'must be at least 16 characters'],
    ['BATON_DEV_KEY', 'a key with spaces inside it', 'must contain only visible ASCII characters'],
    ['BATON_INSTANCE_ID', '-leading-dash', 'must be letters, digits'],
  ];

  test.each(rejected)('%s=%j is rejected', (name, value, message) => {
    const problems = problemsOf({ env: { [name]: value } });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.startsWith(`${name}: `)).toBe(true);
    expect(problems[0]).toContain(message);
  });

  const accepted: [string, string, keyof BatonConfig, unknown][] = [
    ['--http-port', '0', 'http_port', 0],
    ['--http-port', '65535', 'http_port', 65535],
    ['--max-frame-bytes', '1024', 'max_frame_bytes', 1024],
    ['--max-frame-bytes', '67108864', 'max_frame_bytes', 67_108_864],
    ['--authority', 'etcd://etcd-0.local:2379,10.0.0.2:2379,[::1]:2379', 'authority', 'etcd://etcd-0.local:2379,10.0.0.2:2379,[::1]:2379'],
    ['--public-url', 'wss://voice.example.com/baton/', 'public_url', 'wss://voice.example.com/baton'],
    ['--http-host', '::', 'http_host', '::'],
    ['--log-level', 'silent', 'log_level', 'silent'],
    ['--instance-id', 'kernel-1.eu:a', 'instance_id', 'kernel-1.eu:a'],
  ];

  test.each(accepted)('%s %s is accepted', (flag, value, key, want) => {
    expect(load({ argv: [flag, value] }).config[key]).toEqual(want);
  });

  test('a secret is never echoed in a problem', () => {
    const secret = 'sk_live_not_long';
    const problems = problemsOf({ env: { BATON_DEV_KEY: 'sk live', BATON_TENANTS: `acme:${secret.slice(0, 10)},${secret}` } });
    expect(problems.join('\n')).not.toContain('sk live');
    expect(problems.join('\n')).not.toContain(secret);
  });

  test('a bad value is reported even when a higher source overrides it', () => {
    expect(problemsOf({ argv: ['--http-port', '9000'], env: { BATON_HTTP_PORT: 'abc' } })).toEqual([
      "BATON_HTTP_PORT: must be an integer from 0 to 65535, got 'abc'",
    ]);
  });

  test('an empty env var counts as unset', () => {
    const { sources } = load({ env: { BATON_HTTP_PORT: '', BATON_LOG_LEVEL: '' } });
    expect([sources.http_port, sources.log_level]).toEqual(['default', 'default']);
  });

  test('HTTP and gRPC may not share a port on one host', () => {
    expect(problemsOf({ argv: ['--grpc-port', '8080'] })).toEqual(['http_port (http_port) and grpc_port (--grpc-port) are both 8080 on 127.0.0.1']);
    expect(load({ argv: ['--grpc-port', '0', '--http-port', '0'] }).config.grpc_port).toBe(0);
    expect(load({ argv: ['--grpc-port', '8080', '--grpc-host', '127.0.0.2'] }).config.grpc_port).toBe(8080);
  });
});

describe('tenants', () => {
  test('BATON_TENANTS is name:key pairs; spaces around entries are ignored and a key may contain ":"', () => {
    const { config } = load({ env: { BATON_TENANTS: ` acme:${KEY_A} , beta_2:${KEY_B}:x ` } });
    expect(config.tenants).toEqual([
      { name: 'acme', key: KEY_A },
      { name: 'beta_2', key: `${KEY_B}:x` },
    ]);
  });

  test('an empty --tenants clears tenants set in a file', () => {
    const file = write('baton.yaml', `tenants: { acme: ${KEY_A} }`);
    expect(load({ argv: ['--config', file, '--tenants='] }).config.tenants).toEqual([]);
  });

  test('each bad entry is named by position, in order', () => {
    const value = [`Acme:${KEY_A}`, '', 'nocolon', `b:short`, `:${KEY_B}`, `dev:${KEY_B}`, `c:${KEY_A}x`, `c:${KEY_B}x`].join(',');
    expect(problemsOf({ env: { BATON_TENANTS: value } })).toEqual([
      "BATON_TENANTS: entry 1 ('Acme'): name must match [a-z0-9][a-z0-9_-]{0,62}",
      'BATON_TENANTS: entry 2 is empty',
      "BATON_TENANTS: entry 3 has no ':' (expected name:key)",
      "BATON_TENANTS: entry 4 ('b'): key must be at least 16 characters",
      'BATON_TENANTS: entry 5 needs a name',
      "BATON_TENANTS: entry 6 ('dev'): 'dev' is reserved; set its key with dev_key",
      "BATON_TENANTS: entry 8 ('c'): tenant 'c' is already defined by entry 7",
    ]);
  });

  test('tenant names are at most 63 characters', () => {
    expect(load({ env: { BATON_TENANTS: `${'a'.repeat(63)}:${KEY_A}` } }).config.tenants).toHaveLength(1);
    expect(problemsOf({ env: { BATON_TENANTS: `${'a'.repeat(64)}:${KEY_A}` } })[0]).toMatch(/name must match/);
  });

  test('two tenants may not share a key, nor share the dev key', () => {
    expect(problemsOf({ env: { BATON_DEV_KEY: DEV, BATON_TENANTS: `a:${DEV},b:${KEY_B},c:${KEY_B}` } })).toEqual([
      "BATON_TENANTS: tenant 'a' has the same key as tenant 'dev'",
      "BATON_TENANTS: tenant 'c' has the same key as tenant 'b'",
    ]);
  });

  test('file entries must be {name, key} maps with string keys', () => {
    const file = write('baton.yaml', ['tenants:', '  - acme', `  - { name: b, key: ${KEY_B}, role: admin }`, '  - { name: c, key: 12345678901234567 }'].join('\n'));
    expect(problemsOf({ argv: ['--config', file] })).toEqual([
      `tenants in ${file}: entry 1 must be a map with 'name' and 'key', got 'acme'`,
      `tenants in ${file}: entry 2 has unknown field 'role'`,
      `tenants in ${file}: entry 3 ('c') needs a key string`,
    ]);
    expect(problemsOf({ argv: ['--config', write('s.yaml', 'tenants: 5')] })[0]).toMatch(/must be 'name:key,\.\.\.', a list of \{name, key\} or a map/);
  });
});

describe('scripts', () => {
  test('the script keys default to no directory, a 64 MiB cap, automatic workers, a queue of 64 and 256 cached compilations', () => {
    expect(DEFAULT_CONFIG).toMatchObject({ scripts_dir: '', script_memory_bytes: 64 * 1_048_576, script_workers: 0, script_queue: 64, script_cache_entries: 256 });
  });

  test('scripts_dir is taken from cwd and must be an existing directory: a missing one is a typo, never created', () => {
    mkdirSync(join(dir, 'scripts'));
    expect(load({ argv: ['--scripts-dir', 'scripts'] }).config.scripts_dir).toBe(join(dir, 'scripts'));
    expect(problemsOf({ argv: ['--scripts-dir', 'absent'] })).toEqual([`--scripts-dir: directory not found: ${join(dir, 'absent')}`]);
    write('file.js', '');
    expect(problemsOf({ env: { BATON_SCRIPTS_DIR: 'file.js' } })).toEqual([`BATON_SCRIPTS_DIR: ${join(dir, 'file.js')} is not a directory`]);
  });

  test.each([
    ['--script-memory-bytes', '1048576', 'must be an integer from 4194304 to 2147483648'],
    ['--script-workers', '-1', 'must be an integer from 0 to 256'],
    ['--script-queue', '0', 'must be an integer from 1 to 100000'],
    ['--script-cache-entries', '100001', 'must be an integer from 1 to 100000'],
  ])('%s %s is out of range', (flag, value, message) => {
    expect(problemsOf({ argv: [flag, value] })).toEqual([`${flag}: ${message}, got '${value}'`]);
  });

  test('script workers: automatic is min(2, cores - 1), at least 1; a configured count never takes the last core', () => {
    expect([1, 2, 3, 8].map((cores) => scriptWorkerCount(0, cores))).toEqual([1, 1, 2, 2]);
    expect([1, 2, 3, 8].map((cores) => scriptWorkerCount(4, cores))).toEqual([1, 1, 2, 4]);
    expect(load({ argv: ['--script-workers', '3'] }).config.script_workers).toBe(3);
  });
});

describe('TLS files', () => {
  test('tls_cert and tls_key are set together or not at all', () => {
    const cert = write('cert.pem', 'x');
    expect(problemsOf({ argv: ['--tls-cert', cert] })).toEqual(['tls_cert and tls_key must be set together: tls_cert is set (--tls-cert) but tls_key is not']);
    expect(problemsOf({ env: { BATON_TLS_KEY: cert } })).toEqual(['tls_cert and tls_key must be set together: tls_key is set (BATON_TLS_KEY) but tls_cert is not']);
  });

  test('both files must exist and be files; relative paths are taken from cwd', () => {
    mkdirSync(join(dir, 'certs'));
    expect(problemsOf({ argv: ['--tls-cert', 'missing.pem', '--tls-key', 'certs'] })).toEqual([
      `--tls-cert: file not found: ${join(dir, 'missing.pem')}`,
      `--tls-key: ${join(dir, 'certs')} is not a file`,
    ]);
    write('cert.pem', 'c');
    write('key.pem', 'k');
    const { config } = load({ argv: ['--tls-cert', 'cert.pem', '--tls-key', 'key.pem'] });
    expect([config.tls_cert, config.tls_key]).toEqual([join(dir, 'cert.pem'), join(dir, 'key.pem')]);
  });
});

describe('dev key', () => {
  test('generated from 32 random bytes as base64url when unset, and reported as generated', () => {
    const loaded = load({ randomBytes: (n) => new Uint8Array(n).fill(0xfb) });
    expect(loaded.generatedDevKey).toBe(true);
    expect(loaded.config.dev_key).toBe(Buffer.alloc(32, 0xfb).toString('base64url'));
    expect(loaded.config.dev_key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(loaded.sources.dev_key).toBe('default');
  });

  test('real randomness gives a different key each load', () => {
    expect(load().config.dev_key).not.toBe(load().config.dev_key);
  });

  test('a configured key is used as is, and an empty BATON_DEV_KEY still generates one', () => {
    const set = load({ env: { BATON_DEV_KEY: DEV } });
    expect([set.config.dev_key, set.generatedDevKey, set.sources.dev_key]).toEqual([DEV, false, 'env']);
    expect(load({ env: { BATON_DEV_KEY: '' } }).generatedDevKey).toBe(true);
  });
});

describe('reporting', () => {
  test('every problem from every source is reported in one ConfigError', () => {
    const file = write('baton.yaml', 'http_prot: 1\nlog_level: loud\n');
    let error: unknown;
    try {
      load({
        argv: ['--config', file, '--nope', 'x', 'stray', '--max-frame-bytes', '12abc', '--tls-cert', 'absent.pem'],
        env: { BATON_GRPC_PORT: '99999', BATON_TENANTS: 'x', BATON_WHAT: '1' },
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems).toEqual([
      `unknown key 'http_prot' in ${file}; did you mean 'http_port'?`,
      `log_level in ${file}: must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'`,
      "unknown environment variable 'BATON_WHAT'",
      "BATON_GRPC_PORT: must be an integer from 0 to 65535, got '99999'",
      "BATON_TENANTS: entry 1 has no ':' (expected name:key)",
      "unknown flag '--nope'",
      "unexpected argument 'stray' (options are --name value or --name=value)",
      "--max-frame-bytes: must be an integer from 1024 to 67108864, got '12abc'",
      'tls_cert and tls_key must be set together: tls_cert is set (--tls-cert) but tls_key is not',
      `--tls-cert: file not found: ${join(dir, 'absent.pem')}`,
    ]);
    expect(message).toBe(`invalid configuration (10 problems): ${problems.join('; ')}`);
    expect((error as Error).name).toBe('ConfigError');
  });
});

describe('help', () => {
  test('one line per key with its flag, env var, default and meaning, plus --config', () => {
    const lines = configHelp().split('\n');
    expect(lines).toHaveLength(KEY_NAMES.length + 1);
    expect(lines[0]).toMatch(/--config PATH\s+BATON_CONFIG\s+\(none\)\s+YAML/);
    for (const key of KEY_NAMES) {
      const line = lines.find((l) => l.trimStart().startsWith(`--${key.replace(/_/g, '-')} `));
      expect(line, key).toBeDefined();
      expect(line).toContain(`BATON_${key.toUpperCase()}`);
    }
    expect(lines.find((l) => l.includes('--http-port'))).toMatch(/--http-port PORT\s+BATON_HTTP_PORT\s+8080\s+HTTP port/);
    expect(lines.find((l) => l.includes('--dev-key'))).toContain('(generated)');
  });
});
