// The code run first in every fresh QuickJS context: it strips the global object down to ECMA-262, installs the seeded Math.random and brings the hardening that freezes every intrinsic before a script runs. It must never hand the script anything from the host; what it returns is held by the host only.

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
 * Data properties of the intrinsic prototypes that ordinary code assigns on
 * its own objects (`this.name = ...` in an Error subclass, `o.toString = f`).
 * Once the prototype is frozen such an assignment would throw (the "override
 * mistake"), so each becomes an accessor whose setter defines an own property
 * on the receiver and refuses only the prototype itself, as SES does.
 */
export const OVERRIDABLE: readonly string[] = [
  'constructor', 'toString', 'valueOf', 'toLocaleString', 'name', 'message', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable',
];

/**
 * Evaluated as a global script; its value is `{ enter, stringify, parse, hardenModule, lockdown }`.
 * The PRNG is sfc32 seeded by cyrb128 of the seed string: small, fast, and
 * the same sequence on every machine for the same seed. Its state lives in
 * this closure, out of any script's reach, and is reseeded per invocation.
 * `lockdown` runs once per context after the baton: modules have booted:
 * from then on every intrinsic and the global object are frozen, so a
 * reused context carries nothing from one invocation to the next.
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
  const freeze = Object.freeze, isFrozen = Object.isFrozen, getProto = Object.getPrototypeOf;
  const ownKeys = Reflect.ownKeys, describe = Object.getOwnPropertyDescriptor, define = Object.defineProperty;
  const hasOwn = Function.prototype.call.bind(Object.prototype.hasOwnProperty);
  const TypeErr = TypeError;
  /** Deep freeze, like SES's harden: the value, everything its properties and accessors hold, and its prototype chain. */
  // Everything hardened once stays so (it is frozen with all it reaches), so a module's load walks only its own values.
  const hardened = new WeakSet();
  function harden(root) {
    const todo = [root];
    while (todo.length > 0) {
      const o = todo.pop();
      if ((typeof o !== 'object' || o === null) && typeof o !== 'function') continue;
      if (hardened.has(o)) continue;
      hardened.add(o);
      if (!isFrozen(o)) freeze(o);
      todo.push(getProto(o));
      for (const key of ownKeys(o)) {
        const d = describe(o, key);
        if (!d) continue;
        if ('value' in d) todo.push(d.value);
        else todo.push(d.get, d.set);
      }
    }
    return root;
  }
  /** A module's namespace cannot be frozen (its bindings are live), so its values are; import.meta and the module's own top-level values with it. */
  function hardenModule(namespace, meta, locals) {
    for (const key of ownKeys(namespace)) {
      const d = describe(namespace, key);
      if (d && 'value' in d) harden(d.value);
    }
    harden(meta);
    harden(locals);
  }
  function enableOverride(proto, key) {
    const d = describe(proto, key);
    if (!d || !('value' in d) || !d.writable || !d.configurable) return;
    const value = d.value;
    // Methods, not function expressions: they carry no prototype object that would be left mutable.
    const accessor = {
      get() { return value; },
      set(v) {
        if (this === proto) throw new TypeErr('Cannot assign to read only property ' + String(key) + ' of a frozen intrinsic');
        define(this, key, { value: v, writable: true, enumerable: true, configurable: true });
      },
    };
    define(proto, key, { get: accessor.get, set: accessor.set, enumerable: d.enumerable, configurable: false });
    return describe(proto, key);
  }
  function lockdown(extra) {
    const overridable = ${JSON.stringify(OVERRIDABLE)};
    // Intrinsics no global names: reached through an instance so their prototypes are frozen too.
    const hidden = [
      function* () {}, async function () {}, async function* () {}, () => {},
      [].values(), new Map().entries(), new Set().values(), ''[Symbol.iterator](), /x/[Symbol.matchAll](''),
      getProto(Int8Array), (function () { return arguments; })(),
    ];
    if (typeof Iterator === 'function' && typeof Iterator.from === 'function') hidden.push(Iterator.from({ next() { return { done: true }; } }));
    if (typeof [].values().map === 'function') hidden.push([].values().map((x) => x));
    // One walk finds every object reachable from the roots and every prototype among them; overrides are enabled on the
    // prototypes, then everything is frozen and marked hardened, so a module's load never walks the intrinsics again.
    const all = [];
    const protos = new Set();
    const todo = [globalThis, extra, ...hidden];
    while (todo.length > 0) {
      const o = todo.pop();
      if ((typeof o !== 'object' || o === null) && typeof o !== 'function') continue;
      if (hardened.has(o)) continue;
      hardened.add(o);
      all.push(o);
      const p = getProto(o);
      if (p !== null) {
        protos.add(p);
        todo.push(p);
      }
      for (const key of ownKeys(o)) {
        const d = describe(o, key);
        if (!d) continue;
        if ('value' in d) {
          todo.push(d.value);
          if (key === 'prototype' && typeof d.value === 'object' && d.value !== null) protos.add(d.value);
        } else todo.push(d.get, d.set);
      }
    }
    for (const proto of protos) {
      for (const key of overridable) {
        if (!hasOwn(proto, key)) continue;
        const accessor = enableOverride(proto, key);
        if (accessor) all.push(accessor.get, accessor.set);
      }
    }
    for (const o of all) {
      hardened.add(o);
      freeze(o);
    }
  }
  // One call into the context per invocation: the seed, input and ctx arrive as one JSON text [seed, input, ctx], so a
  // call costs one string and one crossing instead of four; the array itself never reaches the script.
  function enter(handler, call) {
    const c = parse(call);
    reseed(c[0]);
    return handler(c[1], c[2]);
  }
  return { enter, stringify: (v) => stringify(v), parse: (s) => parse(s), hardenModule, lockdown };
})()`;
