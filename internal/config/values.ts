// Rules that turn one raw config value (text from env or flags, or a parsed
// YAML/JSON value) into a typed value. They judge a single value in isolation
// and must never read a source, another key, or the file system.
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { TenantConfig } from './config.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

export interface ValueRule<T> {
  /** Placeholder for the value in help text (`--http-port PORT`). */
  readonly placeholder: string;
  parse(raw: unknown): Parsed<T>;
  /** Places a valid value in its surroundings (relative paths against cwd); applied to the final value whatever its source. */
  resolve?(value: T, cwd: string): T;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(...problems: string[]): Parsed<T> => ({ ok: false, problems });

/** How a rejected value is shown back: quoted and cut short, so a pasted blob cannot flood the report. */
export function describe(raw: unknown): string {
  if (raw === null || raw === undefined) return 'nothing';
  if (Array.isArray(raw)) return 'a list';
  if (typeof raw === 'object') return 'a map';
  if (typeof raw === 'string') {
    const shown = raw.length > 60 ? `${raw.slice(0, 57)}...` : raw;
    return `'${JSON.stringify(shown).slice(1, -1)}'`;
  }
  return String(raw);
}

const INTEGER_TEXT = /^-?[0-9]+$/;

/** Whole numbers only: env and flag text must be all digits (no `12abc`, `1e3`, `0x10`, spaces or fractions). */
export function integer(placeholder: string, min: number, max: number): ValueRule<number> {
  const wanted = `must be an integer from ${min} to ${max}`;
  return {
    placeholder,
    parse(raw) {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && INTEGER_TEXT.test(raw)) n = Number(raw);
      else return fail(`${wanted}, got ${describe(raw)}`);
      if (!Number.isSafeInteger(n) || n < min || n > max) return fail(`${wanted}, got ${describe(raw)}`);
      return ok(n);
    },
  };
}

interface TextOptions {
  allowEmpty?: boolean;
  maxLength?: number;
  /** Checked after the empty/length checks; returns the problem or undefined. */
  check?: (text: string) => string | undefined;
}

/** A string; YAML numbers and booleans are refused rather than stringified, because `key: 0123` would silently lose its zero. */
export function text(placeholder: string, opts: TextOptions = {}): ValueRule<string> {
  const maxLength = opts.maxLength ?? 4096;
  return {
    placeholder,
    parse(raw) {
      if (typeof raw !== 'string') return fail(`must be a string, got ${describe(raw)}${typeof raw === 'number' ? ' (quote it)' : ''}`);
      if (raw === '') return opts.allowEmpty ? ok(raw) : fail('must not be empty');
      if (raw.length > maxLength) return fail(`must be at most ${maxLength} characters`);
      const problem = opts.check?.(raw);
      return problem === undefined ? ok(raw) : fail(problem);
    },
  };
}

export function oneOf<T extends string>(placeholder: string, values: readonly T[]): ValueRule<T> {
  return {
    placeholder,
    parse(raw) {
      if (typeof raw === 'string' && (values as readonly string[]).includes(raw)) return ok(raw as T);
      return fail(`must be one of ${values.join(', ')}, got ${describe(raw)}`);
    },
  };
}

/** A file system path; empty means "none" where allowed. Relative paths are taken from the working directory, so every later reader sees the same file. */
export function path(opts: { allowEmpty: boolean }): ValueRule<string> {
  const base = text('PATH', {
    allowEmpty: opts.allowEmpty,
    check: (p) => (p.includes('\0') ? 'must not contain a NUL character' : undefined),
  });
  return { ...base, resolve: (value, cwd) => (value === '' ? value : resolve(cwd, value)) };
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function isHost(host: string): boolean {
  return isIP(host) !== 0 || HOST_NAME.test(host);
}

/** An address to listen on: an IP address or a host name. */
export function host(): ValueRule<string> {
  return text('HOST', { check: (h) => (isHost(h) ? undefined : `must be an IP address or host name, got ${describe(h)}`) });
}

/** Secrets: checked for shape but never echoed, since problems end up in terminals and logs. */
export function keyProblem(key: string): string | undefined {
  if (key.length < 16) return 'must be at least 16 characters';
  if (key.length > 512) return 'must be at most 512 characters';
  // Keys travel in HTTP headers and gRPC metadata, which carry visible ASCII only.
  if (!/^[\x21-\x7e]+$/.test(key)) return 'must contain only visible ASCII characters (no spaces)';
  return undefined;
}

export function secretKey(): ValueRule<string> {
  return {
    placeholder: 'KEY',
    parse(raw) {
      if (typeof raw !== 'string') return fail('must be a string');
      const problem = keyProblem(raw);
      return problem === undefined ? ok(raw) : fail(problem);
    },
  };
}

const ETCD_PREFIX = 'etcd://';

function endpointProblem(endpoint: string): string | undefined {
  const match = /^(\[[^\]]+\]|[^:[\]]+):([0-9]+)$/.exec(endpoint);
  if (!match) return 'must be host:port';
  const [, rawHost, rawPort] = match as unknown as [string, string, string];
  const hostPart = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  if (rawHost.startsWith('[') ? isIP(hostPart) !== 6 : !isHost(hostPart)) return 'has an invalid host';
  const port = Number(rawPort);
  if (port < 1 || port > 65535) return 'needs a port from 1 to 65535';
  return undefined;
}

/** `memory`, or `etcd://host:port[,host:port...]` naming every endpoint of one etcd cluster. */
export function authority(): ValueRule<string> {
  const wanted = `must be 'memory' or 'etcd://host:port[,host:port...]'`;
  return text('SPEC', {
    check(spec) {
      if (spec === 'memory') return undefined;
      if (!spec.startsWith(ETCD_PREFIX)) return `${wanted}, got ${describe(spec)}`;
      const endpoints = spec.slice(ETCD_PREFIX.length).split(',');
      const bad = endpoints.flatMap((e, i) => {
        const problem = endpointProblem(e);
        return problem === undefined ? [] : [`etcd endpoint ${i + 1} ${describe(e)} ${problem}`];
      });
      return bad.length === 0 ? undefined : bad.join(', ');
    },
  });
}

/** A ws:// or wss:// base URL; a trailing slash is dropped so callers can append paths. */
export function wsBaseUrl(): ValueRule<string> {
  const base = text('URL', {
    allowEmpty: true,
    check(raw) {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return `must be a ws:// or wss:// URL, got ${describe(raw)}`;
      }
      if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return `must be a ws:// or wss:// URL, got ${describe(raw)}`;
      if (url.search || url.hash || url.username || url.password) return 'must not carry a query, fragment or credentials';
      return undefined;
    },
  });
  return {
    ...base,
    parse(raw) {
      const parsed = base.parse(raw);
      return parsed.ok ? ok(parsed.value.replace(/\/+$/, '')) : parsed;
    },
  };
}

export const TENANT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** The tenant whose key is `dev_key`; redefining it in `tenants` would give it two keys from two places. */
export const DEV_TENANT = 'dev';

/** One tenant entry as read, before its name and key are judged; `problem` when it could not even be read. */
interface TenantEntry {
  label: string;
  name?: unknown;
  key?: unknown;
  problem?: string;
}

function entriesFromText(raw: string): TenantEntry[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((part, i) => {
    const entry = part.trim();
    const label = `entry ${i + 1}`;
    // The entry itself is never echoed: it may be a bare key pasted without its name.
    if (entry === '') return { label, problem: `${label} is empty` };
    const at = entry.indexOf(':');
    if (at < 0) return { label, problem: `${label} has no ':' (expected name:key)` };
    return { label, name: entry.slice(0, at), key: entry.slice(at + 1) };
  });
}

function entriesFromList(raw: unknown[]): TenantEntry[] {
  return raw.map((item, i) => {
    const label = `entry ${i + 1}`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      return { label, problem: `${label} must be a map with 'name' and 'key', got ${describe(item)}` };
    }
    const extra = Object.keys(item).filter((k) => k !== 'name' && k !== 'key');
    if (extra.length > 0) return { label, problem: `${label} has unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')}` };
    const fields = item as Record<string, unknown>;
    return { label, name: fields['name'], key: fields['key'] };
  });
}

function entriesFromMap(raw: object): TenantEntry[] {
  return Object.entries(raw).map(([name, key]) => ({ label: `tenant ${describe(name)}`, name, key }));
}

/** Extra tenants: `name:key,name:key` as text, or in a file a list of {name, key} or a map of name to key. */
export function tenants(): ValueRule<TenantConfig[]> {
  return {
    placeholder: 'LIST',
    parse(raw) {
      let entries: TenantEntry[];
      if (typeof raw === 'string') entries = entriesFromText(raw);
      else if (Array.isArray(raw)) entries = entriesFromList(raw);
      else if (raw !== null && typeof raw === 'object') entries = entriesFromMap(raw);
      else return fail(`must be 'name:key,...', a list of {name, key} or a map of name to key, got ${describe(raw)}`);
      const problems: string[] = [];
      const result: TenantConfig[] = [];
      const seen = new Map<string, string>();
      for (const { label, name, key, problem } of entries) {
        if (problem !== undefined) {
          problems.push(problem);
          continue;
        }
        // Map entries are already labelled by name; list and text entries add it once known.
        const named = typeof name === 'string' && label.startsWith('entry') ? `${label} (${describe(name)})` : label;
        const before = problems.length;
        if (typeof name !== 'string' || name === '') problems.push(`${label} needs a name`);
        else if (!TENANT_NAME.test(name)) problems.push(`${named}: name must match [a-z0-9][a-z0-9_-]{0,62}`);
        else if (name === DEV_TENANT) problems.push(`${named}: '${DEV_TENANT}' is reserved; set its key with dev_key`);
        else if (seen.has(name)) problems.push(`${named}: tenant '${name}' is already defined by ${seen.get(name)}`);
        else seen.set(name, label);
        if (typeof key !== 'string') problems.push(`${named} needs a key string`);
        else {
          const keyIssue = keyProblem(key);
          if (keyIssue !== undefined) problems.push(`${named}: key ${keyIssue}`);
        }
        if (problems.length === before) result.push({ name: name as string, key: key as string });
      }
      return problems.length === 0 ? ok(result) : fail(...problems);
    },
  };
}
