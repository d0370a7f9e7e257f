// The sandbox conformance suite, parameterised by tier: what every ScriptTier must hold for a hostile script (escape, CPU, memory, cancel, determinism, one result per invocation). A tier runs it by calling describeSandboxConformance with a factory; nothing here knows how the tier is built.
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import type { ScriptHost, ScriptInvocation, ScriptResult, ScriptTier, StateValue } from '../../../internal/nodes/script-tier.js';

export interface TierOptions {
  /** Hard memory cap per tenant. */
  readonly memoryBytes: number;
  readonly graceMs: number;
  readonly poolSize: number;
  readonly maxQueued?: number;
}

export interface TierUnderTest {
  readonly tier: ScriptTier;
  /** Workers (or children) alive now, and the bound they must never pass. */
  readonly workers?: () => number;
  readonly maxWorkers?: number;
  /** Kills one busy or idle worker from outside, as a crash would. */
  readonly killWorker?: () => void;
}

export type MakeTier = (opts: TierOptions) => TierUnderTest;

/** The suite's limits: a small cap so memory tests end fast, a grace like production's. */
const MEMORY = 32 * 1024 * 1024;
const GRACE = 50;
const BUDGET = 150;
/** Scheduling slack on two busy cores: a result may arrive this late past budget + grace. */
const SLACK = 400;
const CYCLES = Number(process.env['SANDBOX_CYCLES'] ?? 40);

/** ECMA-262's global object without what DESIGN 11.1 removes. */
const ECMA_GLOBALS = new Set([
  'globalThis', 'Infinity', 'NaN', 'undefined', 'eval', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'decodeURI',
  'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape', 'AggregateError', 'Array', 'ArrayBuffer',
  'BigInt', 'BigInt64Array', 'BigUint64Array', 'Boolean', 'DataView', 'Error', 'EvalError', 'Float16Array', 'Float32Array',
  'Float64Array', 'Function', 'Int8Array', 'Int16Array', 'Int32Array', 'Iterator', 'JSON', 'Map', 'Math', 'Number', 'Object',
  'Promise', 'Proxy', 'RangeError', 'ReferenceError', 'Reflect', 'RegExp', 'Set', 'String', 'Symbol', 'SyntaxError', 'TypeError',
  'Uint8Array', 'Uint8ClampedArray', 'Uint16Array', 'Uint32Array', 'URIError', 'WeakMap', 'WeakSet',
]);

const FORBIDDEN_GLOBALS = [
  'Date', 'WebAssembly', 'SharedArrayBuffer', 'Atomics', 'WeakRef', 'FinalizationRegistry', 'setTimeout', 'setInterval',
  'setImmediate', 'clearTimeout', 'queueMicrotask', 'console', 'performance', 'URL', 'TextEncoder', 'TextDecoder',
  'structuredClone', 'print', 'std', 'os', 'process', 'require', 'module', 'exports', 'fetch', 'Buffer', 'InternalError',
  'scriptArgs', 'bjson', 'navigator', 'Intl',
];

interface Call {
  readonly emitted: string[];
  readonly logs: [string, string][];
  readonly result: Promise<ScriptResult>;
  readonly abort: () => void;
}

interface RunOptions {
  readonly tenant?: string;
  readonly modules?: Record<string, string>;
  readonly budgetMs?: number;
  readonly text?: string;
  readonly seed?: string;
  readonly state?: Record<string, StateValue>;
  readonly provider?: ScriptHost['providerCall'];
  readonly emit?: (text: string) => void;
}

function start(tier: ScriptTier, source: string, opts: RunOptions = {}): Call {
  const emitted: string[] = [];
  const logs: [string, string][] = [];
  const controller = new AbortController();
  const sources = new Map([['main', { hash: hashOf(source), source }]]);
  for (const [name, text] of Object.entries(opts.modules ?? {})) sources.set(name, { hash: hashOf(text), source: text });
  const invocation: ScriptInvocation = {
    script: { tenant: opts.tenant ?? 'acme', entry: 'main', sources },
    input: { text: opts.text ?? 'hello', history: [{ role: 'user', text: 'hi' }, { role: 'assistant', text: 'hello there' }] },
    ctx: { node_id: 'bot', config: { tone: 'dry' }, turn: { ordinal: 3, seed: opts.seed ?? '1234567' } },
    randomSeed: `${opts.seed ?? '1234567'}/bot`,
    nowMs: 1500,
    budgetMs: opts.budgetMs ?? BUDGET,
    state: opts.state ?? {},
    signal: controller.signal,
    host: {
      emit: (text) => {
        emitted.push(text);
        opts.emit?.(text);
      },
      log: (level, message) => logs.push([level, message]),
      providerCall: opts.provider ?? (async (binding, request) => ({ text: `${binding}:${JSON.stringify(request)}` })),
    },
  };
  return { emitted, logs, result: tier.invoke(invocation), abort: () => controller.abort() };
}

function hashOf(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16);
}

async function run(tier: ScriptTier, source: string, opts?: RunOptions): Promise<ScriptResult> {
  return start(tier, source, opts).result;
}

async function text(tier: ScriptTier, source: string, opts?: RunOptions): Promise<string> {
  const result = await run(tier, source, opts);
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.message}`);
  return result.text;
}

const handler = (body: string, imports = ''): string => `${imports}\nexport default function handle(input, ctx) {\n${body}\n}\n`;

/** The longest gap between ticks of a 5 ms interval on this thread while `work` runs: the kernel's event loop stays free. */
async function loopLag<T>(work: Promise<T>): Promise<{ value: T; lagMs: number }> {
  let last = performance.now();
  let lagMs = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    lagMs = Math.max(lagMs, now - last);
    last = now;
  }, 5);
  try {
    return { value: await work, lagMs };
  } finally {
    clearInterval(tick);
  }
}

export function describeSandboxConformance(name: string, makeTier: MakeTier): void {
  describe(`sandbox conformance: ${name}`, () => {
    const made: TierUnderTest[] = [];
    const make = (opts: Partial<TierOptions> = {}): TierUnderTest => {
      const t = makeTier({ memoryBytes: MEMORY, graceMs: GRACE, poolSize: 2, ...opts });
      made.push(t);
      return t;
    };
    let shared: TierUnderTest | undefined;
    const tier = (): ScriptTier => (shared ??= make()).tier;
    afterAll(async () => {
      await Promise.all(made.map((t) => t.tier.close()));
    });

    describe('the contract of handle(input, ctx)', () => {
      test('input, ctx, history and config reach the handler as plain copies', async () => {
        expect(await text(tier(), handler('return JSON.stringify([input, ctx]);'))).toBe(
          JSON.stringify([
            { text: 'hello', history: [{ role: 'user', text: 'hi' }, { role: 'assistant', text: 'hello there' }] },
            { node_id: 'bot', config: { tone: 'dry' }, turn: { ordinal: 3, seed: '1234567' } },
          ]),
        );
      });

      test('a Promise of a string, emitted deltas, modules by bare name and baton:clock', async () => {
        expect(await text(tier(), handler('return Promise.resolve(input.text + "!");'))).toBe('hello!');
        const streamed = start(tier(), handler('emit("a"); emit("b"); emit("c");', 'import { emit } from "baton:host";'));
        expect(await streamed.result).toMatchObject({ ok: true, text: 'abc' });
        expect(streamed.emitted).toEqual(['a', 'b', 'c']);
        const modules = { 'lib/fmt': 'export function shout(s) { return s.toUpperCase(); }\nexport const SUFFIX = "?";' };
        expect(await text(tier(), handler('return shout(input.text) + SUFFIX + now();', 'import { shout, SUFFIX } from "lib/fmt"; import { now } from "baton:clock";'), { modules })).toBe(
          'HELLO?1500',
        );
      });

      test('a result that is not a string, or a string after emitting, is execution', async () => {
        for (const body of ['return 42;', 'return { text: "x" };', 'return null;', 'return Promise.resolve(7);']) {
          expect(await run(tier(), handler(body))).toMatchObject({ ok: false, code: 'execution' });
        }
        expect(await run(tier(), handler('emit("a"); return "b";', 'import { emit } from "baton:host";'))).toMatchObject({ ok: false, code: 'execution' });
        expect(await run(tier(), handler('throw new Error("no");'))).toMatchObject({ ok: false, code: 'execution', message: 'Error: no' });
      });

      test('syntax errors, missing handlers and unknown imports have their own codes', async () => {
        expect(await run(tier(), handler('return (;'))).toMatchObject({ ok: false, code: 'invalid_syntax' });
        expect(await run(tier(), 'export const x = 1;')).toMatchObject({ ok: false, code: 'compilation' });
        expect(await run(tier(), handler('return "";', 'import { f } from "lib/absent";'))).toMatchObject({ ok: false, code: 'not_found' });
        expect(await run(tier(), handler('return "";', 'import { f } from "baton:fs";'))).toMatchObject({ ok: false, code: 'not_found' });
      });

      test('a source breaking the script rules is refused at load: nothing at its top level runs or keeps state', async () => {
        // What PutScript refuses must not run when it reaches the tier another way (a replayed timeline, a bug upstream).
        const stateful = 'let n = 0;\nexport default function handle() { n += 1; return String(n); }\n';
        expect(await run(tier(), stateful)).toMatchObject({ ok: false, code: 'compilation', message: expect.stringContaining('rules at load') });
        const sideEffect = 'const t = [1, 2].map((x) => x * 2);\nexport default function handle() { return String(t); }\n';
        expect(await run(tier(), sideEffect)).toMatchObject({ ok: false, code: 'compilation' });
        const module = 'export let counter = 0;';
        expect(await run(tier(), handler('return "x";', 'import { counter } from "lib/m";'), { modules: { 'lib/m': module } })).toMatchObject({ ok: false, code: 'compilation' });
      });

      test('baton:state reads the snapshot, collects writes and holds its limits', async () => {
        const imports = 'import { get, put } from "baton:state";';
        const ok = await run(tier(), handler('put("n", get("n") + 1); put("gone", undefined); put("obj", { a: [1, "x"] }); return String(get("missing"));', imports), {
          state: { n: 41, gone: true },
        });
        // compileMs is optional in the tier contract: a tier that reports it reports a number.
        const { compileMs, ...rest } = ok as ScriptResult & { compileMs?: unknown };
        expect(rest).toEqual({ ok: true, text: 'undefined', stateWrites: { n: 42, gone: undefined, obj: { a: [1, 'x'] } }, memoryBytes: expect.any(Number) });
        expect(compileMs === undefined || typeof compileMs === 'number').toBe(true);
        const longKey = await run(tier(), handler(`put("${'k'.repeat(129)}", 1); return "x";`, imports));
        expect(longKey).toMatchObject({ ok: false, code: 'execution', message: expect.stringMatching(/128/) });
        const tooBig = await run(tier(), handler('try { put("big", "x".repeat(70000)); } catch (e) {} return "caught";', imports));
        expect(tooBig).toMatchObject({ ok: false, code: 'execution', message: expect.stringMatching(/limit/) });
        const cyclic = await run(tier(), handler('const o = {}; o.o = o; put("c", o); return "x";', imports));
        expect(cyclic).toMatchObject({ ok: false, code: 'execution' });
      });

      test('a provider answer arrives as a copy; a host failure reaches the script as a plain Error without host stack', async () => {
        const imports = 'import { call } from "baton:provider";';
        expect(await text(tier(), handler('return call("llm", { messages: [{ role: "user", content: input.text }] }).then((a) => a.text);', imports))).toBe(
          'llm:{"messages":[{"role":"user","content":"hello"}]}',
        );
        const failing = async (): Promise<unknown> => {
          throw new Error('upstream 503 at /srv/secret/path.js:12');
        };
        const seen = await text(
          tier(),
          handler('return call("llm", {}).then(() => "no", (e) => [e instanceof Error, e.constructor === Error, e.message, String(e.stack).includes("/srv")].join("|"));', imports),
          { provider: failing },
        );
        expect(seen).toBe('true|true|upstream 503 at /srv/secret/path.js:12|false');
      });

      test('a binding the host refuses ends the call security_violation, even when the script catches it', async () => {
        const denied = async (): Promise<unknown> => {
          throw Object.assign(new Error('binding other is not named by node bot'), { code: 'security_violation' });
        };
        const result = await run(tier(), handler('return call("other", {}).catch(() => "caught");', 'import { call } from "baton:provider";'), { provider: denied });
        expect(result).toMatchObject({ ok: false, code: 'security_violation' });
      });
    });

    describe('escape', () => {
      test('no ambient global beyond ECMA-262 without the removed ones', async () => {
        const names = JSON.parse(await text(tier(), handler('return JSON.stringify(Reflect.ownKeys(globalThis).map(String));'))) as string[];
        expect(names.filter((n) => !ECMA_GLOBALS.has(n))).toEqual([]);
        const types = JSON.parse(await text(tier(), handler(`return JSON.stringify(${JSON.stringify(FORBIDDEN_GLOBALS)}.map((n) => typeof globalThis[n]));`))) as string[];
        expect(types).toEqual(FORBIDDEN_GLOBALS.map(() => 'undefined'));
      });

      test('constructor chains from input, ctx, module functions and errors reach only the sandbox', async () => {
        const probe = (from: string): string => `(${from}).constructor.constructor("return [typeof process, typeof require, typeof Date, typeof console, Object.keys(globalThis).length].join()")()`;
        const body = `
          let hostError;
          try { emit(5); } catch (e) { hostError = e; }
          return [${probe('input')}, ${probe('input.history')}, ${probe('ctx.config')}, ${probe('emit')}, ${probe('get')}, ${probe('call')}, ${probe('hostError')},
            String(hostError && hostError.stack).includes("node:"), Object.getPrototypeOf(hostError) === Error.prototype].join("/");`;
        const out = await text(tier(), handler(body, 'import { emit } from "baton:host"; import { get } from "baton:state"; import { call } from "baton:provider";'));
        const none = 'undefined,undefined,undefined,undefined,0';
        expect(out).toBe([none, none, none, none, none, none, none, 'false', 'true'].join('/'));
      });

      test('prototype pollution stays inside one invocation and one tenant', async () => {
        const check = handler('return [({}).polluted, [1, 2].join("-"), "a".toUpperCase(), typeof globalThis.leak, Math.abs(-1), JSON.stringify([1])].join();');
        const attempts = [
          'Object.prototype.polluted = "yes";',
          'Array.prototype.join = () => "hijacked";',
          'String.prototype.toUpperCase = () => "owned";',
          'globalThis.leak = 1;',
          'Math.abs = () => 7;',
          'JSON.stringify = () => "j";',
          'Object.defineProperty(Object.prototype, "polluted", { value: "yes" });',
          'Object.setPrototypeOf(Array.prototype, { join: () => "hijacked" });',
          'Object.getPrototypeOf(function* () {}).prototype.next = () => ({ done: true });',
          'Object.getPrototypeOf([].values()).next = () => ({ done: true });',
          'Object.getPrototypeOf(Int8Array).prototype.set = () => 0;',
          'delete Array.prototype.join;',
        ];
        for (const attempt of attempts) {
          // A tier may refuse the write (a reused context freezes its intrinsics) or let it happen in a context nobody else sees.
          const tried = await run(tier(), handler(`${attempt} return "done";`), { tenant: 'acme' });
          expect(tried.ok ? 'ok' : tried.code).toMatch(/^(ok|execution)$/);
          expect(await text(tier(), check, { tenant: 'acme' })).toBe(',1-2,A,undefined,1,[1]');
          expect(await text(tier(), check, { tenant: 'globex' })).toBe(',1-2,A,undefined,1,[1]');
        }
      });

      test('a script that mutates its module-level constants, functions or import.meta cannot affect the next run', async () => {
        const modules = { 'lib/shared': 'export const TABLE = { hits: 0, list: [] };\nexport function helper() { return TABLE.hits; }' };
        const imports = 'import { TABLE, helper } from "lib/shared";';
        const body = `
          const tries = [
            () => { TABLE.hits++; }, () => { TABLE.list.push(1); }, () => { helper.cached = 1; }, () => { LOCAL.n = 1; },
            () => { import.meta.seen = 1; }, () => { handle.calls = 1; }, () => { Object.getPrototypeOf(TABLE).x = 1; },
          ];
          let refused = 0;
          for (const t of tries) { try { t(); } catch (e) { refused++; } }
          return [TABLE.hits, TABLE.list.length, helper.cached, LOCAL.n, import.meta.seen, handle.calls, ({}).x].join();`;
        const source = `${imports}\nconst LOCAL = { n: 0 };\nexport default function handle(input, ctx) {\n${body}\n}\n`;
        const first = await text(tier(), source, { modules, tenant: 'acme' });
        for (let i = 0; i < 3; i++) expect(await text(tier(), source, { modules, tenant: 'acme' })).toBe(first);
        // Whatever the first run could write, the later ones see the pristine values.
        expect(await text(tier(), source, { modules, tenant: 'acme' })).toBe(await text(make({ poolSize: 1 }).tier, source, { modules, tenant: 'acme' }));
      });

      test('an Error subclass and own overrides of inherited methods still work', async () => {
        const body = `
          class Refusal extends Error { constructor(m) { super(m); this.name = "Refusal"; } }
          const o = {}; o.toString = () => "custom";
          function P() {} P.prototype.toString = function () { return "p"; };
          const e = new Error("m"); e.message = "changed";
          return [String(new Refusal("no")), String(o), String(new P()), e.message].join("|");`;
        expect(await text(tier(), handler(body))).toBe('Refusal: no|custom|p|changed');
      });

      test('hostile values passed to host functions: getters, Proxies, thenables, deep, huge and cyclic', async () => {
        const imports = 'import { call } from "baton:provider"; import { emit } from "baton:host";';
        const seen: unknown[] = [];
        const provider = async (_b: string, request: unknown): Promise<unknown> => {
          seen.push(request);
          return { text: 'ok' };
        };
        const getter = await text(tier(), handler('let n = 0; const r = { get x() { n++; return n; } }; return call("llm", r).then(() => String(n));', imports), { provider });
        expect(getter).toBe('1');
        const proxy = await text(tier(), handler('const p = new Proxy({}, { get: () => "trap", ownKeys: () => ["a"], getOwnPropertyDescriptor: () => ({ value: "v", enumerable: true, configurable: true }) }); return call("llm", p).then(() => "sent");', imports), { provider });
        expect(proxy).toBe('sent');
        const thenable = await text(tier(), handler('return call("llm", { then(r) { r(1); } }).then(() => "sent");', imports), { provider });
        expect(thenable).toBe('sent');
        expect(seen).toEqual([{ x: 1 }, { a: 'trap' }, {}]);
        // A value nested 100,000 deep is refused by a limit or stopped at the deadline; either way it never reaches the host.
        const deep = await run(tier(), handler('let d = {}; for (let i = 0; i < 100000; i++) d = { d }; return call("llm", d);', imports), { provider });
        expect(deep).toMatchObject({ ok: false, code: expect.stringMatching(/^(execution|timeout)$/) });
        for (const body of [
          'const o = {}; o.self = o; return call("llm", o);',
          'return call("llm", { big: "x".repeat(300000) });',
          'emit({ toString() { return "sneaky"; } }); return "x";',
          'emit("y".repeat(20000)); return undefined;',
        ]) {
          expect(await run(tier(), handler(body, imports), { provider })).toMatchObject({ ok: false, code: 'execution' });
        }
      });

      test("another tenant's modules are unreachable by any spelling", async () => {
        const modules = { 'lib/secret': 'export const SECRET = "acme-only";' };
        expect(await text(tier(), handler('return SECRET;', 'import { SECRET } from "lib/secret";'), { tenant: 'acme', modules })).toBe('acme-only');
        for (const spelling of ['lib/secret', './lib/secret', '../acme/lib/secret', 'acme/lib/secret', 'lib/secret.js', '/lib/secret']) {
          const result = await run(tier(), handler('return SECRET;', `import { SECRET } from ${JSON.stringify(spelling)};`), { tenant: 'globex' });
          expect(result).toMatchObject({ ok: false, code: 'not_found' });
        }
      });
    });

    describe('CPU', () => {
      const hogs: [string, string][] = [
        ['an infinite loop', 'for (;;) {}'],
        ["'x'.repeat in a loop", 'for (;;) { "x".repeat(1e6); }'],
        ['giant joins', 'for (;;) { new Array(1e5).join("ab"); }'],
        ['a catastrophic regular expression', 'return String(/(a+)+$/.test("a".repeat(48) + "b"));'],
        ['a microtask flood', 'const f = () => Promise.resolve().then(f); f(); return new Promise(() => {});'],
      ];
      for (const [what, body] of hogs) {
        test(`${what} ends timeout at budget + grace, and the host's event loop stays free`, async () => {
          const began = performance.now();
          const { value, lagMs } = await loopLag(run(tier(), handler(body)));
          const took = performance.now() - began;
          expect(value).toMatchObject({ ok: false, code: 'timeout' });
          expect(took).toBeLessThan(BUDGET + GRACE + SLACK);
          expect(lagMs).toBeLessThan(100);
        });
      }

      test("'x'.repeat(1e8) is over the memory cap before it is a CPU problem", async () => {
        expect(await run(tier(), handler('return "x".repeat(1e8);'))).toMatchObject({ ok: false, code: 'memory_limit' });
      });

      test('while one script spins, another invocation on another worker completes', async () => {
        const t = make({ poolSize: 2 });
        // On a machine with two cores the pool holds one worker; a second tier stands for the second worker.
        const other = (t.maxWorkers ?? 2) >= 2 ? t : make({ poolSize: 1 });
        const spin = run(t.tier, handler('for (;;) {}'), { budgetMs: 600 });
        await new Promise((r) => setTimeout(r, 50));
        const began = performance.now();
        expect(await text(other.tier, handler('return "still here";'))).toBe('still here');
        expect(performance.now() - began).toBeLessThan(500);
        expect(await spin).toMatchObject({ ok: false, code: 'timeout' });
      });
    });

    describe('memory', () => {
      const allocations: [string, string][] = [
        ['objects', 'const a = []; for (;;) a.push({ n: a.length, s: "v" + a.length });'],
        ['strings', 'const a = []; for (let i = 0; ; i++) a.push("y".repeat(1e4) + i);'],
        ['typed arrays', 'const a = []; for (;;) a.push(new Float64Array(1e5));'],
        ['a huge result', 'return new Array(5e6).fill("abcdefgh").join("");'],
      ];
      for (const [what, body] of allocations) {
        test(`${what} past the cap end memory_limit`, async () => {
          expect(await run(tier(), handler(body), { budgetMs: 5000 })).toMatchObject({ ok: false, code: 'memory_limit' });
        });
      }

      test('a huge literal in the source ends memory_limit', async () => {
        const literal = `export const HUGE = "${'z'.repeat(40 * 1024 * 1024)}";\n` + handler('return HUGE.slice(0, 3);');
        expect(await run(tier(), literal, { budgetMs: 5000 })).toMatchObject({ ok: false, code: 'memory_limit' });
      });

      test("tenant A running out of memory does not disturb tenant B's call, nor A's next one", async () => {
        const t = make({ poolSize: 1 });
        const b = start(t.tier, handler('return call("llm", {}).then((a) => a.text);', 'import { call } from "baton:provider";'), {
          tenant: 'globex',
          provider: () => new Promise((r) => setTimeout(() => r({ text: 'b done' }), 50)),
        });
        const a = run(t.tier, handler('const a = []; for (;;) a.push({ n: a.length });'), { tenant: 'acme', budgetMs: 5000 });
        expect(await b.result).toMatchObject({ ok: true, text: 'b done' });
        expect(await a).toMatchObject({ ok: false, code: 'memory_limit' });
        expect(await text(t.tier, handler('return "a again";'), { tenant: 'acme' })).toBe('a again');
        expect(await text(t.tier, handler('return "b again";'), { tenant: 'globex' })).toBe('b again');
      });

      test(`${CYCLES} tenant engines created, run and dropped keep the process's memory flat`, async () => {
        const t = make({ poolSize: 1 });
        const body = handler('const a = []; for (let i = 0; i < 20000; i++) a.push({ i }); return String(a.length);');
        for (let i = 0; i < 5; i++) await text(t.tier, body, { tenant: `warm-${i}` });
        const before = process.memoryUsage().rss;
        let peak = before;
        for (let i = 0; i < CYCLES; i++) {
          expect(await text(t.tier, body, { tenant: `cycle-${i}` })).toBe('20000');
          peak = Math.max(peak, process.memoryUsage().rss);
        }
        // Dropped engines' memories are freed by the worker's GC, so a few caps' worth may be in flight at once.
        expect(peak - before).toBeLessThan(8 * MEMORY);
      });
    });

    describe('cancel', () => {
      test('during compute: canceled within 20 ms of the abort, exactly once', async () => {
        const call = start(tier(), handler('for (;;) {}'), { budgetMs: 2000 });
        await new Promise((r) => setTimeout(r, 40));
        const began = performance.now();
        call.abort();
        expect(await call.result).toMatchObject({ ok: false, code: 'canceled' });
        expect(performance.now() - began).toBeLessThan(20 + 30);
        expect(await text(tier(), handler('return "next";'))).toBe('next');
      });

      test('during a pending provider call: the late answer is dropped and nothing more is emitted', async () => {
        let answer: ((v: unknown) => void) | undefined;
        const provider = (): Promise<unknown> => new Promise((r) => (answer = r));
        const call = start(tier(), handler('emit("before"); return call("llm", {}).then((a) => { emit("after " + a.text); });', 'import { call } from "baton:provider"; import { emit } from "baton:host";'), {
          provider,
          budgetMs: 2000,
        });
        await waitFor(() => answer !== undefined);
        call.abort();
        expect(await call.result).toMatchObject({ ok: false, code: 'canceled' });
        answer!({ text: 'late' });
        await new Promise((r) => setTimeout(r, 50));
        expect(call.emitted).toEqual(['before']);
        expect(await text(tier(), handler('return "next";'))).toBe('next');
      });

      test('during streaming: no delta reaches the host after the result', async () => {
        let resultAt = Infinity;
        const late: string[] = [];
        const call = start(tier(), handler('for (let i = 0; ; i++) emit(String(i));', 'import { emit } from "baton:host";'), {
          budgetMs: 2000,
          emit: (t) => {
            if (performance.now() > resultAt) late.push(t);
          },
        });
        await waitFor(() => call.emitted.length > 10);
        call.abort();
        const result = await call.result;
        resultAt = performance.now();
        expect(result).toMatchObject({ ok: false, code: 'canceled' });
        await new Promise((r) => setTimeout(r, 50));
        expect(late).toEqual([]);
      });

      test('a cancel racing completion gives exactly one result', async () => {
        for (let i = 0; i < 10; i++) {
          const call = start(tier(), handler('return "fast";'));
          if (i % 2 === 0) call.abort();
          else setTimeout(call.abort, i);
          const result = await call.result;
          expect(result.ok ? result.text : result.code).toMatch(/^(fast|canceled)$/);
        }
      });
    });

    describe('determinism', () => {
      const body = handler('return [Math.random(), Math.random(), ctx.turn.seed, input.history.length].join(",") + "|" + [3, 1, 2].sort((a, b) => Math.random() - 0.5).join("");');
      test('the same script, input, history and seed give the same output across calls, workers and fresh tiers', async () => {
        const first = await text(tier(), body);
        expect(await text(tier(), body)).toBe(first);
        expect(await text(make({ poolSize: 1 }).tier, body, { tenant: 'other' })).toBe(first);
        expect(await text(tier(), body, { seed: '7654321' })).not.toBe(first);
      });

      test('the same input and seed give the same output in a reused context, whatever ran in it before', async () => {
        const fresh = await text(make({ poolSize: 1 }).tier, body, { tenant: 'det' });
        const t = make({ poolSize: 1 }).tier;
        const noise = [
          handler('for (let i = 0; i < 1000; i++) Math.random(); return "r";'),
          handler('try { Math.random = () => 0.5; } catch (e) {} return String(Math.random());'),
          handler('try { Object.prototype.x = 1; } catch (e) {} return "p";'),
          handler('throw new Error("fails and retires the context");'),
          handler('return String(Math.random());'),
        ];
        for (const source of noise) {
          await run(t, source, { tenant: 'det', seed: '99' });
          expect(await text(t, body, { tenant: 'det' })).toBe(fresh);
        }
      });
    });

    describe('property', () => {
      type Op = 'ok' | 'spin' | 'cancel' | 'provider' | 'kill' | 'throw';
      test('random runs, host calls, cancels, timeouts and worker deaths: one result each, progress, the pool within its bound', async () => {
        const t = make({ poolSize: 2, maxQueued: 4 });
        await fc.assert(
          fc.asyncProperty(fc.array(fc.constantFrom<Op>('ok', 'spin', 'cancel', 'provider', 'kill', 'throw'), { minLength: 1, maxLength: 6 }), async (ops) => {
            const calls: { op: Op; call: Call; answers: number }[] = [];
            for (const op of ops) {
              if (op === 'kill') {
                t.killWorker?.();
                continue;
              }
              const source = {
                ok: handler('return "ok";'),
                spin: handler('for (;;) {}'),
                cancel: handler('for (;;) {}'),
                provider: handler('return call("llm", {}).then((a) => a.text);', 'import { call } from "baton:provider";'),
                throw: handler('throw new TypeError("bad");'),
              }[op];
              const call = start(t.tier, source, { budgetMs: 80, provider: () => new Promise((r) => setTimeout(() => r({ text: 'p' }), 10)) });
              const entry = { op, call, answers: 0 };
              void call.result.then(() => entry.answers++);
              calls.push(entry);
              if (op === 'cancel') setTimeout(call.abort, 5);
              if (t.workers && t.maxWorkers) expect(t.workers()).toBeLessThanOrEqual(t.maxWorkers);
            }
            const results = await Promise.all(calls.map((c) => c.call.result));
            await new Promise((r) => setImmediate(r));
            for (const [i, { op, answers }] of calls.entries()) {
              expect(answers).toBe(1);
              const r = results[i]!;
              const allowed: Record<Exclude<Op, 'kill'>, string[]> = {
                ok: ['ok'],
                provider: ['ok'],
                spin: ['timeout'],
                cancel: ['canceled'],
                throw: ['execution'],
              };
              const got = r.ok ? 'ok' : r.code;
              // A worker killed under a call, or a full queue, answers `internal`; nothing else may differ.
              expect([...allowed[op as Exclude<Op, 'kill'>], 'internal']).toContain(got);
            }
            if (t.workers && t.maxWorkers) expect(t.workers()).toBeLessThanOrEqual(t.maxWorkers);
            expect(await text(t.tier, handler('return "progress";'))).toBe('progress');
          }),
          { numRuns: 6 },
        );
      });

      test('a call sent while its worker is dying runs on the replacement: a worker death is not the next call\'s failure', async () => {
        const t = make({ poolSize: 1 });
        expect(t.killWorker, 'a tier under this suite can have a worker killed').toBeDefined();
        expect(await text(t.tier, handler('return "warm";'))).toBe('warm');
        for (let i = 0; i < 3; i++) {
          t.killWorker!();
          expect(await text(t.tier, handler(`return "after ${i}";`))).toBe(`after ${i}`);
        }
      });

      test('a full queue answers overloaded at once instead of waiting', async () => {
        const t = make({ poolSize: 1, maxQueued: 1 });
        const spins = [run(t.tier, handler('for (;;) {}'), { budgetMs: 300 }), run(t.tier, handler('for (;;) {}'), { budgetMs: 300 })];
        const began = performance.now();
        const refused = await run(t.tier, handler('return "x";'));
        expect(performance.now() - began).toBeLessThan(50);
        if ((t.maxWorkers ?? 1) === 1) expect(refused).toMatchObject({ ok: false, code: 'internal', message: expect.stringMatching(/^overloaded:/) });
        await Promise.all(spins);
      });
    });
  });
}

async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 2));
  }
}
