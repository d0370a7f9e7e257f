// A ScriptTier test double that runs plain JS functions keyed by script name on the kernel clock: it honours the signal (canceled), the budget (timeout), the result shape and baton:state semantics of DESIGN 11.1, so the graph executor can be tested without the QuickJS tier; it never sandboxes anything.
import type { Clock } from '../../internal/determinism/clock.js';
import { randomStream } from '../../internal/determinism/seeds.js';
import type { ScriptContext, ScriptInput, ScriptInvocation, ScriptResult, ScriptTier, StateValue } from '../../internal/nodes/script-tier.js';

/** What a double script can reach: the four baton: modules, a seeded Math.random, and `work` standing in for CPU time. */
export interface ScriptApi {
  emit(text: string): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  state: { get(key: string): StateValue | undefined; put(key: string, value: StateValue | undefined): void };
  provider: { call(binding: string, request: unknown): Promise<unknown> };
  clock: { now(): number };
  random(): number;
  /** Spends `ms` of the invocation's CPU budget on the kernel clock: past the budget the invocation ends `timeout`. */
  work(ms: number): Promise<void>;
}

/** A double script: `handle(input, ctx)` with the API as a third argument. */
export type ScriptFn = (input: ScriptInput, ctx: ScriptContext, api: ScriptApi) => unknown;

/** Thrown into a double script when its invocation is over: like an interrupted engine, it cannot go on. */
class Interrupted extends Error {}

const copy = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

export class FunctionScriptTier implements ScriptTier {
  /** Every invocation handed in, in order. */
  readonly invocations: ScriptInvocation[] = [];
  /** How many invocations have not answered yet. */
  pending = 0;
  private readonly live = new Set<() => void>();

  constructor(
    private readonly clock: Clock,
    private readonly scripts: Readonly<Record<string, ScriptFn>>,
  ) {}

  invoke(inv: ScriptInvocation): Promise<ScriptResult> {
    this.invocations.push(inv);
    const fn = Object.prototype.hasOwnProperty.call(this.scripts, inv.script.entry) ? this.scripts[inv.script.entry] : undefined;
    if (!fn) return Promise.resolve({ ok: false, code: 'not_found', message: `no script ${inv.script.entry}` });
    if (inv.signal.aborted) return Promise.resolve({ ok: false, code: 'canceled', message: 'canceled before it ran' });
    this.pending++;
    return new Promise<ScriptResult>((resolve) => {
      let over = false;
      let emitted = '';
      let budgetLeft = inv.budgetMs;
      const state: Record<string, StateValue> = copy({ ...inv.state });
      const writes: Record<string, StateValue | undefined> = {};
      const timers = new Set<ReturnType<Clock['setTimer']>>();
      const random = randomStream(Number(inv.randomSeed), 'math_random');
      const end = (result: ScriptResult): void => {
        if (over) return;
        over = true;
        for (const timer of timers) this.clock.clearTimer(timer);
        inv.signal.removeEventListener('abort', onAbort);
        this.live.delete(onAbort);
        this.pending--;
        resolve(result);
      };
      const onAbort = (): void => end({ ok: false, code: 'canceled', message: 'canceled' });
      inv.signal.addEventListener('abort', onAbort, { once: true });
      this.live.add(onAbort);
      const guard = (): void => {
        if (over) throw new Interrupted('the invocation is over');
      };
      const api: ScriptApi = {
        emit: (text) => {
          guard();
          if (typeof text !== 'string') throw new TypeError('emit takes a string');
          emitted += text;
          inv.host.emit(text);
        },
        log: (level, message) => {
          guard();
          inv.host.log(level, String(message));
        },
        state: {
          get: (key) => {
            guard();
            return copy(state[key]);
          },
          put: (key, value) => {
            guard();
            const kept = copy(value);
            if (kept === undefined) delete state[key];
            else state[key] = kept;
            writes[key] = kept;
          },
        },
        provider: {
          call: async (binding, request) => {
            guard();
            try {
              return copy(await inv.host.providerCall(binding, copy(request)));
            } catch (err) {
              // Only the code and message cross back, as from the real tier.
              const { code, message } = err as { code?: string; message?: string };
              throw Object.assign(new Error(String(message)), { code: String(code) });
            } finally {
              guard();
            }
          },
        },
        clock: { now: () => inv.nowMs + 0 },
        random: () => random.next(),
        work: (ms) =>
          new Promise<void>((resolveWork, rejectWork) => {
            guard();
            const spend = Math.min(ms, budgetLeft);
            const timer = this.clock.setTimer(spend, () => {
              timers.delete(timer);
              budgetLeft -= spend;
              if (over) return rejectWork(new Interrupted('the invocation is over'));
              if (spend < ms) {
                end({ ok: false, code: 'timeout', message: `ran past its ${inv.budgetMs} ms budget` });
                return rejectWork(new Interrupted('interrupted: budget'));
              }
              resolveWork();
            });
            timers.add(timer);
          }),
      };
      Promise.resolve()
        .then(() => fn(copy(inv.input), copy(inv.ctx), api))
        .then(
          (value) => {
            if (value === undefined) end({ ok: true, text: emitted, stateWrites: writes, memoryBytes: JSON.stringify(state).length + emitted.length });
            else if (typeof value === 'string') end({ ok: true, text: value, stateWrites: writes, memoryBytes: JSON.stringify(state).length + value.length });
            else end({ ok: false, code: 'execution', message: `handle returned ${value === null ? 'null' : typeof value}, not a string` });
          },
          (err: unknown) => end({ ok: false, code: 'execution', message: err instanceof Error ? err.message : String(err) }),
        );
    });
  }

  async close(): Promise<void> {
    for (const cancel of [...this.live]) cancel();
  }
}
