// The messages between the QuickJS tier (main thread) and its workers, and the caps every value crossing that boundary is held to. It carries only JSON-safe data: no handle, function or host object ever crosses.
import type { ScriptResult, StateValue } from '../../script-tier.js';

/**
 * Caps on what crosses the boundary, in UTF-16 code units of the JSON text
 * (what both engines measure without an encode). Each is far above what a
 * voice turn needs and far below what could hurt a worker.
 */
export const BOUNDARY_LIMITS = Object.freeze({
  /** input.text plus history: a turn's transcript and 32 heard entries. */
  inputChars: 256 * 1024,
  /** One emit delta. */
  emitChars: 16 * 1024,
  /** Everything one invocation emits or returns: far more than any reply is spoken. */
  resultChars: 256 * 1024,
  /** One log message. */
  logChars: 4 * 1024,
  /** One provider request, and one provider answer. */
  providerChars: 256 * 1024,
  /** Provider calls one invocation may have in flight. */
  providerCallsInFlight: 8,
  /** baton:state keys (DESIGN 11.1). */
  stateKeyChars: 128,
  /** baton:state, all keys and JSON values of one session together (DESIGN 11.1: 64 KiB). */
  stateChars: 64 * 1024,
});

/** The engine's limits, set once per worker. */
export interface EngineLimits {
  /** The capped WebAssembly.Memory of each tenant's engine: the hard cap. */
  readonly memoryBytes: number;
  /** QuickJS's own allocation limit, a little below the cap so the engine refuses before the memory does. */
  readonly runtimeMemoryBytes: number;
  readonly maxStackBytes: number;
  /** A context serves this many invocations, then a fresh one is made; any error also retires it. */
  readonly contextRuns: number;
  /** Compiled tenant modules kept per tenant engine (config `script_cache_entries`): the prepared sources' LRU cap, and the module records a context may hold before it is retired. */
  readonly cacheEntries: number;
  /** Tenant engines a worker keeps; the least recently used is dropped beyond it. */
  readonly enginesPerWorker: number;
}

export interface WorkerData {
  readonly limits: EngineLimits;
  /** Int32Array over a SharedArrayBuffer: slot 0 holds the id of the invocation the main thread cancelled. */
  readonly cancelWord: SharedArrayBuffer;
  /** STARTED_BYTES shared bytes: the id of the invocation whose handler started (Int32 at 0) and when (Float64 at 8, ms on the shared wall clock). Written instead of a message, so a call costs two messages, not three. */
  readonly startedWord: SharedArrayBuffer;
}

export const STARTED_BYTES = 16;

/** The same clock on every thread: performance.now() alone is per thread. */
export function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface RunRequest {
  readonly type: 'run';
  readonly id: number;
  readonly tenant: string;
  readonly entry: string;
  /** name -> [content hash, source]. */
  readonly sources: readonly (readonly [string, string, string])[];
  /** JSON text of `[randomSeed, input, ctx]`: what the handler's one call into the context parses. */
  readonly call: string;
  readonly nowMs: number;
  readonly budgetMs: number;
  /** key -> JSON text of the value. */
  readonly state: readonly (readonly [string, string])[];
}

export type ToWorker =
  | RunRequest
  | { readonly type: 'provider_answer'; readonly id: number; readonly call: number; readonly ok: true; readonly json: string }
  | { readonly type: 'provider_answer'; readonly id: number; readonly call: number; readonly ok: false; readonly message: string }
  | { readonly type: 'cancel'; readonly id: number };

export type FromWorker =
  | { readonly type: 'emit'; readonly id: number; readonly text: string }
  | { readonly type: 'log'; readonly id: number; readonly level: LogLevel; readonly message: string }
  | { readonly type: 'provider'; readonly id: number; readonly call: number; readonly binding: string; readonly json: string }
  | { readonly type: 'done'; readonly id: number; readonly result: ScriptResult };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export type StateWrites = Record<string, StateValue | undefined>;
