// Canonical JSON: one spelling per value, key order never matters, and nothing JSON cannot say gets through.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { canonicalize, sha256Hex } from './canonical.js';

/** The same object with its keys inserted in another order, at every depth. */
function shuffleKeys(value: unknown, pick: (n: number) => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, pick));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  while (entries.length > 0) {
    const [key, v] = entries.splice(pick(entries.length), 1)[0]!;
    Object.defineProperty(out, key, { value: shuffleKeys(v, pick), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const jsonValue = fc.jsonValue({ maxDepth: 4 });

describe('canonical JSON', () => {
  test('sorts keys by UTF-16 code units and writes no whitespace', () => {
    // U+FB01 sorts after U+1F600's lead surrogate (0xD83D) in UTF-16, unlike in code points.
    expect(canonicalize({ b: 1, a: [true, null, 'x'], '\uFB01': 2, '\u{1F600}': 3, B: { z: 0, y: -0 } })).toBe(
      '{"B":{"y":0,"z":0},"a":[true,null,"x"],"b":1,"\u{1F600}":3,"\uFB01":2}',
    );
  });

  test('drops undefined members and writes numbers in shortest ECMAScript form', () => {
    expect(canonicalize({ a: undefined, n: [1e21, 1.5e-7, 0.1, 100, -3] })).toBe('{"n":[1e+21,1.5e-7,0.1,100,-3]}');
  });

  test('escapes only what JSON requires', () => {
    expect(canonicalize('a"b\\c\n\u0001é/')).toBe('"a\\"b\\\\c\\n\\u0001é/"');
  });

  test.each([
    ['NaN', NaN],
    ['Infinity', [Infinity]],
    ['a bigint', { n: 1n }],
    ['a function', { f: () => 1 }],
    ['a symbol', Symbol('s')],
    ['undefined at the top', undefined],
    ['undefined in an array', [1, undefined]],
    ['a class instance', { d: new Date(0) }],
    ['a Map', new Map()],
  ])('refuses %s with a TypeError', (_name, value) => {
    expect(() => canonicalize(value)).toThrow(TypeError);
  });

  test('refuses a cycle but accepts a shared reference', () => {
    const shared = { x: 1 };
    expect(canonicalize({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const loop: Record<string, unknown> = {};
    loop['self'] = loop;
    expect(() => canonicalize(loop)).toThrow(TypeError);
  });

  test('accepts objects without a prototype', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare['k'] = 'v';
    expect(canonicalize(bare)).toBe('{"k":"v"}');
  });

  test('sha256Hex hashes a string as its UTF-8 bytes', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('é')).toBe(sha256Hex(new Uint8Array([0xc3, 0xa9])));
  });

  test('property: key insertion order never changes the canonical form', () => {
    fc.assert(
      fc.property(jsonValue, fc.infiniteStream(fc.nat()), (value, picks) => {
        const it = picks[Symbol.iterator]();
        const shuffled = shuffleKeys(value, (n) => (it.next().value as number) % n);
        expect(canonicalize(shuffled)).toBe(canonicalize(value));
      }),
    );
  });

  test('property: canonical form parses back to an equal value', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        expect(JSON.parse(canonicalize(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  test('property: equal values give equal hashes, different values different ones', () => {
    fc.assert(
      fc.property(jsonValue, jsonValue, (a, b) => {
        const same = canonicalize(a) === canonicalize(b);
        expect(sha256Hex(canonicalize(a)) === sha256Hex(canonicalize(b))).toBe(same);
        expect(sha256Hex(canonicalize(structuredClone(a)))).toBe(sha256Hex(canonicalize(a)));
      }),
    );
  });
});
