// Field readers for untrusted specs: each reads one field and pushes at most one path-named problem; they never know what a pipeline is.

export type Obj = Record<string, unknown>;

/** Free-text fields (ids, names, enum values) longer than this are refused before anything else looks at them. */
export const TEXT_CHARS = 1024;

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isOneOf<T extends string>(value: string, allowed: readonly T[]): value is T {
  return (allowed as readonly string[]).includes(value);
}

/** A spec may come from a file, so a misspelt field is a problem rather than a silently ignored default. */
export function unknownKeys(obj: Obj, known: readonly string[], at: string, p: string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) p.push(`${at === '' ? '' : `${at}.`}${key}: unknown field (expected one of ${known.join(', ')})`);
  }
}

export function requiredString(obj: Obj, key: string, at: string, p: string[]): string | undefined {
  if (obj[key] === undefined) {
    p.push(`${at}: required`);
    return undefined;
  }
  return optionalString(obj, key, at, TEXT_CHARS, p);
}

export function optionalString(obj: Obj, key: string, at: string, maxChars: number, p: string[]): string | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    p.push(`${at}: must be a string`);
    return undefined;
  }
  if (value.length > maxChars) {
    p.push(`${at}: at most ${maxChars} characters`);
    return undefined;
  }
  return value;
}

export function optionalEnum<T extends string>(obj: Obj, key: string, at: string, what: string, allowed: readonly T[], p: string[]): T | undefined {
  const value = optionalString(obj, key, at, TEXT_CHARS, p);
  if (value === undefined) return undefined;
  if (!isOneOf(value, allowed)) {
    p.push(`${at}: unknown ${what} ${JSON.stringify(value)} (expected one of ${allowed.join(', ')})`);
    return undefined;
  }
  return value;
}

/** An optional integer in [min, max]; when zero is what is excluded the message says "positive", DESIGN 5.2's word. */
export function intInRange(value: unknown, at: string, min: number, max: number, p: string[]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    p.push(`${at}: must be an integer (got ${describeValue(value)})`);
    return undefined;
  }
  if (value < min || value > max) {
    const range = min === 1 && value < 1 ? 'must be positive' : `must be from ${min} to ${max}`;
    p.push(`${at}: ${range} (got ${value})`);
    return undefined;
  }
  return value;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 32));
  if (typeof value === 'number') return String(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}
