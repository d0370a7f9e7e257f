// One tenant's QuickJS engine inside a worker: its own WebAssembly instance on a capped memory, its runtime limits, its reused and frozen context with the linked modules it caches, and the run of one invocation from module load to result. It runs only on a worker thread, never shares an instance between tenants, never lets a host object, stack or error into the script, and never lets one invocation's writes reach the next.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import RELEASE_SYNC_PACKAGE from '@jitl/quickjs-wasmfile-release-sync';
import { type Pattern, parse as parseModule, type Program } from 'acorn';
import { analyzeScript } from '../../registry/analyze.js';
import { SCRIPT_LIMITS, type ScriptKind } from '../../registry/names.js';
import {
  type CustomizeVariantOptions,
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSDeferredPromise,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSSyncVariant,
} from 'quickjs-emscripten-core';
import type { ScriptResult } from '../../script-tier.js';
import type { NodeErrorCode } from '../../types.js';
import { PRELUDE } from './prelude.js';
import { BOUNDARY_LIMITS, type EngineLimits, LOG_LEVELS, type LogLevel, type RunRequest, type StateWrites } from './protocol.js';

/** What an invocation says to the main thread while it runs. */
export interface RunOutlet {
  started(): void;
  emit(text: string): void;
  log(level: LogLevel, message: string): void;
  provider(call: number, binding: string, json: string): void;
}

const RESERVED = ['baton:host', 'baton:state', 'baton:provider', 'baton:clock'] as const;
const PAGE = 64 * 1024;
/** The deadline of loading a script's modules (declarations only, DESIGN 11.1): a cold worker's first parse and compile may take longer than a short budget. */
const LOAD_DEADLINE_MS = 2000;
/** Microtasks run between checks of the deadline and the cancel word: a flood of tiny jobs never polls the interrupt handler. */
const JOB_BATCH = 256;

/**
 * The package is typed as CommonJS while Node loads its ES build, whose
 * default export is the variant itself; this reads it either way.
 */
const RELEASE_SYNC = ((RELEASE_SYNC_PACKAGE as { default?: unknown }).default ?? RELEASE_SYNC_PACKAGE) as QuickJSSyncVariant;

type WasmModule = NonNullable<CustomizeVariantOptions['wasmModule']>;
type WasmMemory = Extract<NonNullable<CustomizeVariantOptions['wasmMemory']>, { buffer: ArrayBuffer }>;
/** The lib settings carry no WebAssembly types; these two constructors are all the engine needs. */
const wasm = (globalThis as unknown as {
  WebAssembly: { Module: new (bytes: Uint8Array) => WasmModule; Memory: new (d: { initial: number; maximum: number }) => WasmMemory };
}).WebAssembly;

/** The compiled engine code is immutable and shared by the worker's tenants; each tenant gets its own instance and memory. */
let compiled: WasmModule | undefined;
function engineCode(): WasmModule {
  if (!compiled) {
    const path = createRequire(import.meta.url).resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
    compiled = new wasm.Module(readFileSync(path));
    // A first parse warms acorn in this worker, so a tenant's first load does not pay for it.
    topLevelNames('export const A = { a: [1] };\nexport default function handle(input, ctx) { return input.text; }\n');
  }
  return compiled;
}

type Failure = { readonly code: NodeErrorCode; readonly message: string };

/** One invocation's state while it runs: its deadline, its cancel, its state snapshot and writes, its provider calls. */
class Invocation {
  interrupted: 'deadline' | 'cancel' | undefined;
  /** A host-side refusal (a cap, a state limit) that fails the invocation even if the script catches the error. */
  fatal: Failure | undefined;
  notFound: string | undefined;
  cancelMessage = false;
  emitted = '';
  emitCount = 0;
  readonly state: Map<string, string>;
  stateSize: number;
  readonly writes: StateWrites = {};
  /** Compile and link time of this call (0 when the context had the entry linked). */
  compileMs = 0;
  readonly calls = new Map<number, QuickJSDeferredPromise>();
  readonly answers: { call: number; ok: boolean; text: string }[] = [];
  private nextCall = 1;
  private wake: (() => void) | undefined;
  readonly sources: Map<string, readonly [string, string]>;
  /** The whole pinned link (every name and hash): a cached module record is reused only by an invocation with the same link. */
  readonly link: string;

  constructor(
    readonly req: RunRequest,
    /** Reset when the script starts: a fresh context's lockdown is not the script's time. */
    public deadline: number,
    private readonly cancelWord: Int32Array,
  ) {
    this.state = new Map(req.state);
    this.stateSize = stateSize(this.state);
    this.sources = new Map(req.sources.map(([name, hash, source]) => [name, [hash, source] as const]));
    this.link = linkKey(req.sources);
  }

  shouldInterrupt(): boolean {
    if (this.fatal || this.interrupted) return true;
    if (this.cancelMessage || Atomics.load(this.cancelWord, 0) === this.req.id) this.interrupted = 'cancel';
    else if (performance.now() > this.deadline) this.interrupted = 'deadline';
    return this.interrupted !== undefined;
  }

  callId(): number {
    return this.nextCall++;
  }

  deliver(call: number, ok: boolean, text: string): void {
    this.answers.push({ call, ok, text });
    this.poke();
  }

  cancel(): void {
    this.cancelMessage = true;
    this.poke();
  }

  /** Waits for a provider answer or a cancel, or the deadline. */
  waitForWork(): Promise<void> {
    if (this.answers.length > 0 || this.cancelMessage) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.poke(), Math.max(0, this.deadline - performance.now()) + 1);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

function stateSize(state: ReadonlyMap<string, string>): number {
  let size = 0;
  for (const [key, json] of state) size += key.length + json.length;
  return size;
}

/**
 * A short digest of the link (names and content hashes, in order): two
 * invocations share module records only when every module they could reach
 * is the same code, so a replaced dependency never runs under an unchanged
 * entry's cached record.
 */
function linkKey(sources: readonly (readonly [string, string, string])[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (const [name, hash] of sources) {
    const part = `${name}\u0000${hash}\u0001`;
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 16777619);
      h2 = Math.imul(h2 ^ c, 2246822519);
    }
  }
  return `${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16)}`;
}

interface Helpers {
  readonly enter: QuickJSHandle;
  readonly stringify: QuickJSHandle;
  readonly parse: QuickJSHandle;
  readonly hardenModule: QuickJSHandle;
  readonly lockdown: QuickJSHandle;
}

/** A context, the host-held helpers its prelude returned, and what it caches: the entries' handlers and the module records it holds. */
interface LiveContext {
  readonly ctx: QuickJSContext;
  readonly helpers: Helpers;
  runs: number;
  /** `entry@link` -> the entry's default export, hardened. */
  readonly handlers: Map<string, QuickJSHandle>;
  /** Module records the context holds (QuickJS frees them only with the context). */
  modules: number;
}

/** The names a module's top level binds, so its own values can be frozen after it evaluates; undefined when acorn cannot parse it (QuickJS then reports why). */
function topLevelNames(source: string): string[] | undefined {
  let program: Program;
  try {
    program = parseModule(source, { ecmaVersion: 'latest', sourceType: 'module' });
  } catch {
    return undefined;
  }
  const names: string[] = [];
  const bind = (p: Pattern | null | undefined): void => {
    if (!p) return;
    switch (p.type) {
      case 'Identifier':
        names.push(p.name);
        return;
      case 'ObjectPattern':
        for (const prop of p.properties) bind(prop.type === 'RestElement' ? prop.argument : prop.value);
        return;
      case 'ArrayPattern':
        for (const el of p.elements) bind(el);
        return;
      case 'RestElement':
        bind(p.argument);
        return;
      case 'AssignmentPattern':
        bind(p.left);
        return;
      default:
        return;
    }
  };
  for (const node of program.body) {
    const decl = node.type === 'ExportNamedDeclaration' || node.type === 'ExportDefaultDeclaration' ? node.declaration : node;
    if (!decl) continue;
    if (decl.type === 'FunctionDeclaration' || decl.type === 'ClassDeclaration') {
      if (decl.id) names.push(decl.id.name);
    } else if (decl.type === 'VariableDeclaration') {
      for (const d of decl.declarations) bind(d.id);
    }
  }
  return names;
}

/**
 * The rules checked again at load are the shape rules only: sizes are the
 * store's caps, and past them a source still meets the engine's own memory
 * cap (a huge literal ends memory_limit, as any allocation does).
 */
const SHAPE_ONLY = Object.freeze({ ...SCRIPT_LIMITS, sourceBytes: Number.MAX_SAFE_INTEGER, importsPerScript: Number.MAX_SAFE_INTEGER });

export class TenantEngine {
  private current: Invocation | undefined;
  private live: LiveContext | undefined;
  /** Set when the engine failed in a way that may have left its memory inconsistent: it is dropped, never reused. */
  poisoned = false;
  /**
   * Tenant module sources with their hardening suffix, by name and content
   * hash, least recently used first: what survives a context's retirement.
   * A source acorn cannot parse is never kept (its load fails in QuickJS).
   */
  private readonly prepared = new Map<string, string>();
  /** The module that hands a loading module the prelude's hardenModule, and the local name it is imported as; random per engine so no script can name them. */
  private readonly hardenName = `baton-harden:${randomUUID()}`;
  private readonly hardenLocal = `$baton$harden$${randomUUID().replaceAll('-', '')}`;

  private constructor(
    /** The capped memory the instance runs on, held here: asking the module for it builds its extension table each time. */
    private readonly memory: WasmMemory,
    private readonly runtime: QuickJSRuntime,
    private readonly limits: EngineLimits,
    private readonly cancelWord: Int32Array,
  ) {
    runtime.setMemoryLimit(limits.runtimeMemoryBytes);
    runtime.setMaxStackSize(limits.maxStackBytes);
    runtime.setInterruptHandler(() => this.current?.shouldInterrupt() ?? false);
    runtime.setModuleLoader(
      (name) => this.load(name),
      (_base, requested) => this.normalize(requested),
    );
  }

  static async create(limits: EngineLimits, cancelWord: Int32Array): Promise<TenantEngine> {
    const memory = new wasm.Memory({ initial: 256, maximum: Math.floor(limits.memoryBytes / PAGE) });
    const module = await newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmModule: engineCode(), wasmMemory: memory }));
    return new TenantEngine(memory, module.newRuntime(), limits, cancelWord);
  }

  /** The engine's memory high-water mark: a WebAssembly memory only grows. */
  memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Frees the engine. A poisoned one is only dropped: disposing a corrupted heap can trap. */
  dispose(): void {
    if (this.poisoned) return;
    try {
      this.retireContext();
      this.runtime.dispose();
    } catch {
      this.poisoned = true;
    }
  }

  deliver(id: number, call: number, ok: boolean, text: string): void {
    if (this.current?.req.id === id) this.current.deliver(call, ok, text);
  }

  cancel(id: number): void {
    if (this.current?.req.id === id) this.current.cancel();
  }

  async run(req: RunRequest, out: RunOutlet): Promise<ScriptResult> {
    const inv = new Invocation(req, performance.now() + req.budgetMs, this.cancelWord);
    this.current = inv;
    this.outlet = out;
    let result: ScriptResult;
    try {
      result = await this.execute(inv, out);
    } catch (err) {
      // A trap inside the engine (out-of-bounds after an allocation failure, an abort): the instance is not trusted again.
      this.poisoned = true;
      result = this.failure(inv, err instanceof Error ? err.message : String(err), 'run');
    } finally {
      this.current = undefined;
      this.outlet = undefined;
      for (const deferred of inv.calls.values()) safely(() => deferred.dispose());
      inv.calls.clear();
    }
    // Jobs left in the runtime would run in the next invocation's turn, and they outlive the context.
    const leftJobs = !this.poisoned && safeHasPendingJob(this.runtime);
    const live = this.live;
    const spent = live !== undefined && (live.runs >= this.limits.contextRuns || live.modules > this.limits.cacheEntries);
    if (!this.poisoned && (!result.ok || leftJobs || spent)) this.retireContext();
    // After an allocation failure the heap may be inconsistent; after an interrupted job queue the runtime still holds the
    // script's pending jobs: in both cases the engine is dropped.
    if ((!result.ok && result.code === 'memory_limit') || leftJobs) this.poisoned = true;
    return result;
  }

  private async execute(inv: Invocation, out: RunOutlet): Promise<ScriptResult> {
    const live = this.context();
    const { ctx, helpers } = live;
    live.runs++;
    const entryKey = `${inv.req.entry}@${inv.link}`;
    // The context owns the cached handler (retireContext disposes it): the call borrows it, no dup per call.
    let handle: QuickJSHandle | undefined = live.handlers.get(entryKey);
    if (!handle) {
      // Loading runs only declarations (DESIGN 11.1) and happens once per context and link; it has a deadline of its own
      // (LOAD_DEADLINE_MS or the budget), and the handler's budget starts after it, so a cached and an uncached call get the same budget.
      const loadStarted = performance.now();
      inv.deadline = loadStarted + Math.max(inv.req.budgetMs, LOAD_DEADLINE_MS);
      const loaded = await this.loadEntry(inv, ctx);
      inv.compileMs = performance.now() - loadStarted;
      if (!loaded.ok) {
        out.started();
        return loaded.failure;
      }
      handle = loaded.handle;
      live.handlers.set(entryKey, handle);
    }
    inv.deadline = performance.now() + inv.req.budgetMs;
    out.started();
    // Reseeding Math.random, parsing input and ctx and calling the handler is one crossing into the context (prelude `enter`).
    const called = ctx.newString(inv.req.call).consume((call) => ctx.callFunction(helpers.enter, ctx.undefined, [handle, call]));
    if (called.error) return this.failure(inv, this.describe(ctx, called.error), 'run');
    let value = called.value;
    if (this.isPromise(ctx, value)) {
      const settled = await this.settle(inv, ctx, value);
      value.dispose();
      if (!settled.ok) return settled.failure;
      value = settled.value;
    }
    return value.consume((v) => this.finish(inv, ctx, v));
  }

  /** Links and evaluates the entry and its imports once per context and link; the handler is cached after that. */
  private async loadEntry(inv: Invocation, ctx: QuickJSContext): Promise<{ ok: true; handle: QuickJSHandle } | { ok: false; failure: ScriptResult }> {
    // A namespace import links even without a default export, so a missing handler is told apart from a syntax error.
    const loaded = ctx.evalCode(`import * as entry from ${JSON.stringify(inv.req.entry)};\nexport default entry.default;\n`, '<baton:entry>', { type: 'module' });
    if (loaded.error) return { ok: false, failure: this.failure(inv, this.describe(ctx, loaded.error), 'load') };
    let namespace = loaded.value;
    if (ctx.typeof(namespace) !== 'object' || this.isPromise(ctx, namespace)) {
      const settled = await this.settle(inv, ctx, namespace);
      namespace.dispose();
      if (!settled.ok) return settled;
      namespace = settled.value;
    }
    const handle = namespace.consume((ns) => ctx.getProp(ns, 'default'));
    if (ctx.typeof(handle) !== 'function') {
      handle.dispose();
      return { ok: false, failure: { ok: false, code: 'compilation', message: `script ${inv.req.entry} has no default export function handle(input, ctx)` } };
    }
    return { ok: true, handle };
  }

  private finish(inv: Invocation, ctx: QuickJSContext, value: QuickJSHandle): ScriptResult {
    if (inv.fatal) return { ok: false, ...inv.fatal };
    const type = ctx.typeof(value);
    let text: string;
    if (type === 'string') {
      if (inv.emitCount > 0) return { ok: false, code: 'execution', message: 'a handler that emits returns undefined, not a string' };
      text = ctx.getString(value);
      if (text.length > BOUNDARY_LIMITS.resultChars) {
        return { ok: false, code: 'execution', message: `the result is ${text.length} characters, over the ${BOUNDARY_LIMITS.resultChars} limit` };
      }
    } else if (type === 'undefined') {
      text = inv.emitted;
    } else {
      return { ok: false, code: 'execution', message: `handle returned ${type}; it must return a string, a Promise of one, or emit and return undefined` };
    }
    const stateWrites: StateWrites = {};
    for (const [key, json] of Object.entries(inv.writes)) stateWrites[key] = json;
    return { ok: true, text, stateWrites, memoryBytes: this.memoryBytes(), compileMs: inv.compileMs };
  }

  /** Runs microtasks and waits for provider answers until `promise` settles, the deadline passes or the call is cancelled. */
  private async settle(
    inv: Invocation,
    ctx: QuickJSContext,
    promise: QuickJSHandle,
  ): Promise<{ ok: true; value: QuickJSHandle } | { ok: false; failure: ScriptResult }> {
    for (;;) {
      const jobs = this.runtime.executePendingJobs(JOB_BATCH);
      if (jobs.error) return { ok: false, failure: this.failure(inv, this.describe(ctx, jobs.error), 'run') };
      if (inv.shouldInterrupt()) return { ok: false, failure: this.failure(inv, 'interrupted', 'run') };
      const state = ctx.getPromiseState(promise);
      if (state.type === 'fulfilled') return { ok: true, value: 'notAPromise' in state && state.notAPromise ? state.value.dup() : state.value };
      if (state.type === 'rejected') return { ok: false, failure: this.failure(inv, this.describe(ctx, state.error), 'run') };
      if (this.runtime.hasPendingJob()) continue;
      if (inv.calls.size === 0) {
        return { ok: false, failure: { ok: false, code: 'execution', message: 'the handler awaits a promise that nothing can settle' } };
      }
      await inv.waitForWork();
      for (const answer of inv.answers.splice(0)) {
        const deferred = inv.calls.get(answer.call);
        if (!deferred) continue;
        inv.calls.delete(answer.call);
        if (answer.ok) {
          const parsed = ctx.newString(answer.text).consume((s) => ctx.callFunction(this.live!.helpers.parse, ctx.undefined, [s]));
          if (parsed.error) deferred.reject(parsed.error);
          else deferred.resolve(parsed.value);
          (parsed.error ?? parsed.value).dispose();
        } else {
          ctx.newError(answer.text).consume((e) => deferred.reject(e));
        }
        deferred.dispose();
      }
    }
  }

  private isPromise(ctx: QuickJSContext, value: QuickJSHandle): boolean {
    // No typeof first: the engine answers "not a promise" for any non-promise value, a string result included, in one crossing.
    const state = ctx.getPromiseState(value);
    // For a value that is not a promise the engine hands back the same handle: it is not ours to dispose.
    if ('notAPromise' in state && state.notAPromise) return false;
    if (state.type === 'fulfilled') state.value.dispose();
    if (state.type === 'rejected') state.error.dispose();
    return true;
  }

  /** The name and message of what the script threw, read without running its getters past the deadline and never more than a line. */
  private describe(ctx: QuickJSContext, error: QuickJSHandle): { name: string; message: string } {
    return error.consume((e) => {
      if (ctx.typeof(e) !== 'object') {
        const type = ctx.typeof(e);
        return { name: '', message: type === 'string' ? ctx.getString(e).slice(0, 512) : `a thrown ${type}` };
      }
      const read = (key: string): string => {
        const got = ctx.getProp(e, key);
        return got.consume((v) => (ctx.typeof(v) === 'string' ? ctx.getString(v).slice(0, 512) : ''));
      };
      try {
        return { name: read('name'), message: read('message') };
      } catch {
        return { name: '', message: '' };
      }
    });
  }

  private failure(inv: Invocation, thrown: { name: string; message: string } | string, phase: 'load' | 'run'): ScriptResult {
    if (inv.fatal) return { ok: false, ...inv.fatal };
    if (inv.interrupted === 'cancel') return { ok: false, code: 'canceled', message: 'the invocation was cancelled' };
    if (inv.interrupted === 'deadline') return { ok: false, code: 'timeout', message: `the script ran past its ${inv.req.budgetMs} ms budget` };
    if (inv.notFound !== undefined) return { ok: false, code: 'not_found', message: `module ${inv.notFound} is not among the script's linked sources` };
    const { name, message } = typeof thrown === 'string' ? { name: '', message: thrown } : thrown;
    // QuickJS reports an allocation refused by its limit as InternalError "out of memory"; when even that error cannot be allocated it throws nothing readable.
    const nearCap = this.memoryBytes() >= this.limits.memoryBytes - 4 * PAGE || this.memoryBytes() >= this.limits.runtimeMemoryBytes;
    if (message === 'out of memory' || (name === '' && message === '' && nearCap) || /memory access out of bounds|Out of memory/i.test(message)) {
      return { ok: false, code: 'memory_limit', message: `the script ran out of its ${this.limits.memoryBytes} byte memory` };
    }
    const text = name ? `${name}: ${message}` : message;
    if (phase === 'load') return { ok: false, code: name === 'SyntaxError' ? 'invalid_syntax' : 'compilation', message: text };
    return { ok: false, code: 'execution', message: text || 'the script threw' };
  }

  /**
   * A fresh context: the prelude strips the globals, the baton: modules boot,
   * then lockdown freezes every intrinsic and the global object, all before
   * any script code runs. It then serves up to `contextRuns` invocations.
   */
  private context(): LiveContext {
    if (this.live) return this.live;
    const ctx = this.runtime.newContext();
    const helpersHandle = ctx.unwrapResult(ctx.evalCode(PRELUDE, '<baton:prelude>'));
    const helpers: Helpers = {
      enter: ctx.getProp(helpersHandle, 'enter'),
      stringify: ctx.getProp(helpersHandle, 'stringify'),
      parse: ctx.getProp(helpersHandle, 'parse'),
      hardenModule: ctx.getProp(helpersHandle, 'hardenModule'),
      lockdown: ctx.getProp(helpersHandle, 'lockdown'),
    };
    helpersHandle.dispose();
    this.live = { ctx, helpers, runs: 0, handlers: new Map(), modules: 0 };
    this.installCapabilities(this.live);
    return this.live;
  }

  private retireContext(): void {
    const live = this.live;
    this.live = undefined;
    if (!live) return;
    for (const h of live.handlers.values()) safely(() => h.dispose());
    for (const h of Object.values(live.helpers)) safely(() => h.dispose());
    safely(() => live.ctx.dispose());
  }

  private parse(ctx: QuickJSContext, helpers: Helpers, json: string): QuickJSHandle {
    return ctx.newString(json).consume((s) => ctx.unwrapResult(ctx.callFunction(helpers.parse, ctx.undefined, [s])));
  }

  /**
   * The baton: modules read their functions from a global under a random
   * name that exists only while they load, before any script code runs; the
   * functions look up the running invocation, so a reused context serves
   * each call with its own state.
   */
  private installCapabilities(live: LiveContext): void {
    const { ctx } = live;
    const key = `__baton_${randomUUID().replaceAll('-', '')}`;
    const caps = ctx.newObject();
    const fail = (message: string): never => {
      throw ctx.newError(message);
    };
    const invocation = (): Invocation => this.current ?? fail('baton capabilities are available only while handle runs');
    /** A host refusal that ends the invocation: the script may catch the error, the result stays a failure. */
    const refuse = (inv: Invocation, message: string): never => {
      inv.fatal ??= { code: 'execution', message };
      return fail(message);
    };
    const str = (h: QuickJSHandle | undefined, what: string): string => {
      if (!h || ctx.typeof(h) !== 'string') return fail(`${what} must be a string`);
      return ctx.getString(h);
    };
    const toJson = (inv: Invocation, h: QuickJSHandle | undefined, what: string, cap: number): string | undefined => {
      if (!h || ctx.typeof(h) === 'undefined') return undefined;
      const result = ctx.callFunction(live.helpers.stringify, ctx.undefined, [h]);
      if (result.error) {
        const { message } = this.describe(ctx, result.error);
        return refuse(inv, `${what} is not a JSON value (${message})`);
      }
      const json = result.value.consume((v) => (ctx.typeof(v) === 'string' ? ctx.getString(v) : undefined));
      if (json === undefined) return refuse(inv, `${what} is not a JSON value`);
      if (json.length > cap) return refuse(inv, `${what} is ${json.length} characters of JSON, over the ${cap} limit`);
      return json;
    };
    const define = (name: string, fn: (...args: QuickJSHandle[]) => QuickJSHandle | undefined): void => {
      ctx.newFunction(name, fn).consume((f) => ctx.setProp(caps, name, f));
    };
    define('emit', (text) => {
      const inv = invocation();
      const delta = str(text, 'emit(text): text');
      if (delta.length > BOUNDARY_LIMITS.emitChars) return refuse(inv, `emit: a delta of ${delta.length} characters is over the ${BOUNDARY_LIMITS.emitChars} limit`);
      if (inv.emitted.length + delta.length > BOUNDARY_LIMITS.resultChars) return refuse(inv, `emit: the output is over the ${BOUNDARY_LIMITS.resultChars} character limit`);
      inv.emitted += delta;
      inv.emitCount++;
      this.outlet?.emit(delta);
      return undefined;
    });
    define('log', (level, message) => {
      const inv = invocation();
      const lvl = str(level, 'log(level, message): level') as LogLevel;
      if (!LOG_LEVELS.includes(lvl)) return fail(`log: level must be one of ${LOG_LEVELS.join(', ')}`);
      const text = str(message, 'log(level, message): message');
      if (text.length > BOUNDARY_LIMITS.logChars) return refuse(inv, `log: a message of ${text.length} characters is over the ${BOUNDARY_LIMITS.logChars} limit`);
      this.outlet?.log(lvl, text);
      return undefined;
    });
    define('stateGet', (keyHandle) => {
      const inv = invocation();
      const k = str(keyHandle, 'get(key): key');
      const json = inv.state.get(k);
      if (json === undefined) return undefined;
      return this.parse(ctx, live.helpers, json);
    });
    define('statePut', (keyHandle, value) => {
      const inv = invocation();
      const k = str(keyHandle, 'put(key, value): key');
      if (k.length === 0 || k.length > BOUNDARY_LIMITS.stateKeyChars) {
        return refuse(inv, `baton:state keys are 1 to ${BOUNDARY_LIMITS.stateKeyChars} characters; this one is ${k.length}`);
      }
      const json = toJson(inv, value, `state value for ${k.slice(0, 32)}`, BOUNDARY_LIMITS.stateChars);
      const before = inv.state.get(k);
      const size = inv.stateSize - (before === undefined ? 0 : k.length + before.length) + (json === undefined ? 0 : k.length + json.length);
      if (size > BOUNDARY_LIMITS.stateChars) {
        return refuse(inv, `baton:state is over its limit: ${size} characters of keys and JSON values, at most ${BOUNDARY_LIMITS.stateChars} per session`);
      }
      inv.stateSize = size;
      if (json === undefined) {
        inv.state.delete(k);
        inv.writes[k] = undefined;
      } else {
        inv.state.set(k, json);
        inv.writes[k] = JSON.parse(json);
      }
      return undefined;
    });
    define('providerCall', (bindingHandle, request) => {
      const inv = invocation();
      const binding = str(bindingHandle, 'call(binding, request): binding');
      const json = toJson(inv, request, 'the provider request', BOUNDARY_LIMITS.providerChars) ?? 'null';
      if (inv.calls.size >= BOUNDARY_LIMITS.providerCallsInFlight) {
        return fail(`at most ${BOUNDARY_LIMITS.providerCallsInFlight} provider calls may be in flight`);
      }
      const call = inv.callId();
      const deferred = ctx.newPromise();
      inv.calls.set(call, deferred);
      this.outlet?.provider(call, binding, json);
      return deferred.handle.dup();
    });
    define('now', () => ctx.newNumber(invocation().req.nowMs));
    ctx.setProp(caps, 'hardenModule', live.helpers.hardenModule);
    ctx.setProp(ctx.global, key, caps);
    this.capsKey = key;
    const boot = ctx.evalCode([...RESERVED, this.hardenName].map((name) => `import ${JSON.stringify(name)};`).join('\n'), '<baton:boot>', { type: 'module' });
    ctx.unwrapResult(boot).dispose();
    this.runtime.executePendingJobs();
    const removed = ctx.evalCode(`delete globalThis[${JSON.stringify(key)}]`);
    ctx.unwrapResult(removed).dispose();
    this.capsKey = undefined;
    // The capability functions are shared by every invocation the context serves: frozen with the intrinsics, in the same walk.
    ctx.unwrapResult(ctx.callFunction(live.helpers.lockdown, ctx.undefined, [caps])).dispose();
    caps.dispose();
  }

  private capsKey: string | undefined;
  /** Where the running invocation's emits, logs and provider calls go. */
  private outlet: RunOutlet | undefined;

  private normalize(requested: string): string | { error: Error } {
    if ((RESERVED as readonly string[]).includes(requested) || requested === this.hardenName) return requested;
    const inv = this.current;
    const pinned = inv?.sources.get(requested);
    if (!inv || !pinned) {
      if (inv) inv.notFound ??= requested;
      return { error: new Error(`module ${requested} not found`) };
    }
    // Keyed by content hash and link: a reused context never serves an older version, nor a module linked to one.
    return `${requested}#${pinned[0]}@${inv.link}`;
  }

  private load(name: string): string | { error: Error } {
    const key = this.capsKey;
    const cap = (names: string[]): string =>
      key === undefined ? 'throw new Error("baton modules load only at boot")' : `const c = globalThis[${JSON.stringify(key)}];\n${names.join('\n')}\n`;
    switch (name) {
      case 'baton:host':
        return cap(['export const emit = c.emit;', 'export const log = c.log;']);
      case 'baton:state':
        return cap(['export const get = c.stateGet;', 'export const put = c.statePut;']);
      case 'baton:provider':
        return cap(['export const call = c.providerCall;']);
      case 'baton:clock':
        return cap(['export const now = c.now;']);
      case this.hardenName:
        return cap(['export default c.hardenModule;']);
    }
    const linkAt = name.lastIndexOf('@');
    const hashAt = name.lastIndexOf('#', linkAt);
    const requested = name.slice(0, hashAt);
    const hash = name.slice(hashAt + 1, linkAt);
    const inv = this.current;
    const pinned = inv?.sources.get(requested);
    if (!inv || !pinned || pinned[0] !== hash || name.slice(linkAt + 1) !== inv.link) return { error: new Error(`module ${name} not found`) };
    if (this.live) this.live.modules++;
    return this.withHardening(requested, hash, pinned[1], requested === inv.req.entry ? 'node' : 'module');
  }

  /**
   * The source with a last line that freezes, once it has evaluated, its
   * exported values, its import.meta and every value its top level binds, so
   * a module record the context keeps holds nothing an invocation can change.
   * DESIGN 11.1's top-level rule (checked at PutScript and at load) leaves only
   * constants and functions there; frozen, they are the same for every run.
   */
  private withHardening(requested: string, hash: string, source: string, kind: ScriptKind): string | { error: Error } {
    const key = `${requested}#${hash}`;
    const kept = this.prepared.get(key);
    if (kept !== undefined) {
      this.prepared.delete(key);
      this.prepared.set(key, kept);
      return kept;
    }
    // The shape rules again, at load (issue 8): a source that reached the tier some other way than PutScript
    // or the scripts directory (a timeline being replayed, a bug upstream) must still run nothing at load and
    // keep no state, since reused contexts rely on it. Checked once per source: what passes is kept prepared.
    const shape = analyzeScript(kind, source, SHAPE_ONLY);
    // A syntax error is QuickJS's to report (invalid_syntax); every other broken rule refuses the load (compilation).
    if (!shape.ok && !shape.problems.some((p) => p.code === 'invalid_syntax')) {
      return { error: new Error(`script ${requested} breaks the script rules at load: ${shape.problems.map((p) => p.message).join('; ')}`) };
    }
    const names = topLevelNames(source);
    if (!names) return source;
    const h = this.hardenLocal;
    const suffix = `\n;import ${h} from ${JSON.stringify(this.hardenName)};\nimport * as ${h}ns from ${JSON.stringify(requested)};\n${h}(${h}ns, import.meta, [${names.join(', ')}]);\n`;
    const text = source + suffix;
    this.prepared.set(key, text);
    while (this.prepared.size > this.limits.cacheEntries) this.prepared.delete(this.prepared.keys().next().value as string);
    return text;
  }
}

function safeHasPendingJob(runtime: QuickJSRuntime): boolean {
  try {
    return runtime.hasPendingJob();
  } catch {
    return true;
  }
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Disposal of a handle the engine already freed, or of a trapped instance: nothing left to free.
  }
}
