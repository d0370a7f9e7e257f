// Canonical JSON (RFC 8785 style) and SHA-256 for content hashes; it never accepts a value JSON cannot say exactly once.
import { createHash } from 'node:crypto';

/**
 * Serializes plain data to one canonical JSON string: object keys sorted by
 * UTF-16 code units, no whitespace, arrays in order, `undefined` object
 * members dropped, numbers in ECMAScript shortest form (as RFC 8785 requires).
 *
 * Throws a TypeError on anything with no single JSON spelling (NaN, Infinity,
 * bigint, functions, symbols, `undefined` in an array or at the top, class
 * instances, cycles). It is only called on validated data, so a throw here is
 * a bug in the caller, never a user error.
 */
export function canonicalize(value: unknown): string {
  const parts: string[] = [];
  write(value, parts, new Set<object>(), '$');
  return parts.join('');
}

function write(value: unknown, out: string[], stack: Set<object>, path: string): void {
  switch (typeof value) {
    case 'string':
      // JSON.stringify escapes exactly what RFC 8785 escapes (control characters, `"` and `\`) and
      // writes every other character as itself; lone surrogates come out as \u escapes.
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalize: ${path} is ${value}, which JSON cannot represent`);
      // ECMAScript Number-to-String is RFC 8785's number form; -0 becomes "0".
      out.push(JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`canonicalize: ${path} is a ${typeof value}, which JSON cannot represent`);
  }
  if (value === null) {
    out.push('null');
    return;
  }
  if (stack.has(value)) throw new TypeError(`canonicalize: ${path} refers back to itself`);
  stack.add(value);
  if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      // JSON.stringify would turn a hole or undefined into null, silently changing the value.
      if (item === undefined) throw new TypeError(`canonicalize: ${path}[${i}] is undefined`);
      if (i > 0) out.push(',');
      write(item, out, stack, `${path}[${i}]`);
    });
    out.push(']');
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`canonicalize: ${path} is not plain data (a ${describe(value)})`);
    }
    const record = value as Record<string, unknown>;
    // Default string sort compares UTF-16 code units, which is RFC 8785's key order.
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    out.push('{');
    keys.forEach((key, i) => {
      if (i > 0) out.push(',');
      out.push(JSON.stringify(key), ':');
      write(record[key], out, stack, `${path}.${key}`);
    });
    out.push('}');
  }
  stack.delete(value);
}

function describe(value: object): string {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'non-plain object';
}

/** Lower-case hex SHA-256 of bytes, or of a string's UTF-8 encoding. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
