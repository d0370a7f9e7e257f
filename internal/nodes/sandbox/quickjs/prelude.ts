// The code run first in every fresh QuickJS context: it strips the global object down to ECMA-262 and installs the seeded Math.random. It must never hand the script anything from the host; what it returns is held by the host only.

/**
 * Every global a script may see (DESIGN 11.1): the ECMA-262 global object
 * without Date, WebAssembly, SharedArrayBuffer, Atomics, WeakRef and
 * FinalizationRegistry. An allowlist, not a denylist, so an engine upgrade
 * that adds an extra (QuickJS's InternalError, print, std, os, ...) cannot
 * leak it in.
 */
export const ALLOWED_GLOBALS: readonly string[] = [
  'globalThis', 'Infinity', 'NaN', 'undefined', 'eval', 'isFinite', 'isNaN', 'parseFloat', 'parseInt',
  'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape',
  'AggregateError', 'Array', 'ArrayBuffer', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'Boolean', 'DataView',
  'Error', 'EvalError', 'Float16Array', 'Float32Array', 'Float64Array', 'Function', 'Int8Array', 'Int16Array', 'Int32Array',
  'Iterator', 'JSON', 'Map', 'Math', 'Number', 'Object', 'Promise', 'Proxy', 'RangeError', 'ReferenceError', 'Reflect',
  'RegExp', 'Set', 'String', 'Symbol', 'SyntaxError', 'TypeError', 'Uint8Array', 'Uint8ClampedArray', 'Uint16Array',
  'Uint32Array', 'URIError', 'WeakMap', 'WeakSet',
];

/**
 * Evaluated as a global script; its value is `{ reseed, stringify, parse }`.
 * The PRNG is sfc32 seeded by cyrb128 of the seed string: small, fast, and
 * the same sequence on every machine for the same seed.
 */
export const PRELUDE = `(function () {
  'use strict';
  const allowed = new Set(${JSON.stringify(ALLOWED_GLOBALS)});
  for (const name of Reflect.ownKeys(globalThis)) {
    if (typeof name === 'string' && allowed.has(name)) continue;
    delete globalThis[name];
  }
  // QuickJS offers a stack-capturing helper on Error; it is not ECMA-262.
  delete Error.captureStackTrace;
  delete Error.prepareStackTrace;
  let a = 0, b = 0, c = 0, d = 0;
  function reseed(seed) {
    let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
    for (let i = 0; i < seed.length; i++) {
      const k = seed.charCodeAt(i);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
    }
    h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
    h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
    h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
    h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
    a = (h1 ^ h2 ^ h3 ^ h4) >>> 0; b = (h2 ^ h1) >>> 0; c = (h3 ^ h1) >>> 0; d = (h4 ^ h1) >>> 0;
  }
  const random = function random() {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  Object.defineProperty(Math, 'random', { value: random, writable: true, enumerable: false, configurable: true });
  const stringify = JSON.stringify, parse = JSON.parse;
  return { reseed, stringify: (v) => stringify(v), parse: (s) => parse(s) };
})()`;
