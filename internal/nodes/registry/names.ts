// Script names, the reserved `baton:` modules and the script store's limits: the vocabulary every other file of the registry checks against; it holds no state.

export type ScriptKind = 'node' | 'module';

export const SCRIPT_KINDS: readonly ScriptKind[] = ['node', 'module'];

/**
 * A script name is one or more `/`-separated segments of lower-case letters,
 * digits, `_`, `.` and `-`, each starting with a letter or digit (so `.` and
 * `..` are never segments): `greeter`, `lib/text-utils`, `lib/v2.format`.
 * The same string is the import specifier other scripts use, so it must not
 * look like a path (`./x`), a URL or a `baton:` name.
 */
export const SCRIPT_NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]*(?:\/[a-z0-9][a-z0-9_.-]*)*$/;

/** The shape of a script name as people write it, for problem messages. */
export const SCRIPT_NAME_SHAPE = 'segments of [a-z0-9_.-] starting with a letter or digit, joined by "/"';

export const RESERVED_PREFIX = 'baton:';

/**
 * The host capabilities a script may import, and what each exports (all
 * functions). The sandbox provides exactly these; whether a node may call one
 * is its plan's capability list, decided at run time, not here.
 */
export const RESERVED_MODULES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  /** The node's output and its log: `emit(output)`, `log(level, message)`. */
  'baton:host': Object.freeze(['emit', 'log']),
  /** Session state that survives turns: `get(key)`, `put(key, value)`. */
  'baton:state': Object.freeze(['get', 'put']),
  /** The plan's provider bindings, with retries and fallbacks: `call(binding, request)`. */
  'baton:provider': Object.freeze(['call']),
  /** The turn's clock (virtual under replay): `now()`. */
  'baton:clock': Object.freeze(['now']),
});

/** Caps: a script is untrusted input, and everything the store keeps is bounded. */
export const SCRIPT_LIMITS = Object.freeze({
  nameChars: 128,
  /** UTF-8 bytes of one source. */
  sourceBytes: 256 * 1024,
  /** Distinct modules (tenant and `baton:`) one script imports. */
  importsPerScript: 64,
  /** Edges in the longest chain of tenant-module imports through any script. */
  importDepth: 8,
  scriptsPerTenant: 512,
  /** UTF-8 bytes of every source of one tenant. */
  bytesPerTenant: 16 * 1024 * 1024,
  /** Problems reported for one source; more are summarized as a count. */
  problems: 100,
  defaultPageSize: 50,
  maxPageSize: 500,
});

export type ScriptLimits = { -readonly [K in keyof typeof SCRIPT_LIMITS]: number };

/** Every problem with a script name, or none. */
export function scriptNameProblems(name: unknown, maxChars: number = SCRIPT_LIMITS.nameChars): string[] {
  if (typeof name !== 'string' || name.length === 0) return ['name: required'];
  if (name.length > maxChars) return [`name: at most ${maxChars} characters (got ${name.length})`];
  if (!SCRIPT_NAME_PATTERN.test(name)) return [`name: ${JSON.stringify(name)} is not a valid script name (expected ${SCRIPT_NAME_SHAPE})`];
  return [];
}

export function isReservedSpecifier(specifier: string): boolean {
  return specifier.startsWith(RESERVED_PREFIX);
}
