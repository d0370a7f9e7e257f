// The script tier behind the node tier interface: links a script node to the sources its plan pinned, runs it on the ScriptTier with the session's history and baton:state, grants its host calls, commits its writes only when it succeeded, and maps its outcome (DESIGN 11.1); it never runs script code itself.
import { hashToSeed } from '../determinism/seeds.js';
import type { NodeSpec } from '../plan/types.js';
import { abortable, invoke } from './deadline.js';
import { type InvocationEvidence, utf8Bytes } from './invocation.js';
import type { LlmNode } from './node.js';
import type { ProviderGate } from './provider-call.js';
import { HostCallError, callProviderForScript } from './provider-script.js';
import { GraphStop, type StageScope, describeError, graphFailure } from './scope.js';
import type { LinkedScript, ScriptHost, ScriptResult, ScriptTier } from './script-tier.js';
import type { SessionStateStore, StateSnapshot, StateWrites } from './state-store.js';
import { type NodeRunner, type NodeTier, type TierRefusal, refusal } from './tier.js';
import type { GraphContext, NodeErrorCode, TurnSession } from './types.js';

/** baton:host log lines one invocation may write; the rest are dropped (a script must not flood the kernel log). */
export const MAX_LOG_LINES_PER_INVOCATION = 32;
export const MAX_LOG_LINE_CHARS = 1024;
/** `input.history` holds at most this many entries, the most recent (DESIGN 11.1). */
export const SCRIPT_HISTORY_ENTRIES = 32;

/** What the kernel observes of script nodes: the security events to log and count, run metrics, script log lines. */
export interface ScriptObserver {
  /** A script asked for a capability its node was not granted (log it as a security event at warn, and count it). */
  securityViolation(event: { readonly tenant: string; readonly node_id: string; readonly capability: 'provider.call'; readonly binding: string }): void;
  /** One script invocation ended; `node_kind` is the NodeSpec kind (`llm` or `custom`), `outcome` what its record says. */
  invocation(event: { readonly node_kind: string; readonly outcome: string; readonly seconds: number; readonly memory_bytes?: number; readonly compile_seconds?: number }): void;
  /** baton:host log(level, message): the message is personal data (log it under `pii`). */
  scriptLog(event: { readonly node_id: string; readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly message: string }): void;
}

/** What a host needs to run script nodes; without it a script node fails `not_found`. */
export interface ScriptNodes {
  readonly tier: ScriptTier;
  /** The node script `name` and every module it imports, at the hashes `pinned` (the plan's `scripts`); undefined when any is missing. */
  link(tenant: string, name: string, pinned: Readonly<Record<string, string>>): LinkedScript | undefined;
  readonly state: SessionStateStore;
  /** Provider adapters for baton:provider by binding kind; default: `mock` answers with mock_llm. */
  readonly providers?: Readonly<Record<string, LlmNode>>;
  readonly observer?: ScriptObserver;
}

const LOG_LEVELS = new Set(['debug', 'info', 'warn', 'error']);

export class ScriptNodeTier implements NodeTier {
  constructor(
    private readonly scripts: ScriptNodes,
    private readonly gate: ProviderGate,
    private readonly adapters: Readonly<Record<string, LlmNode>>,
  ) {}

  resolve(node: Readonly<NodeSpec>, ctx: GraphContext): NodeRunner | TierRefusal | undefined {
    const name = node.script;
    if (name === undefined) return undefined;
    if (node.kind !== 'llm' && node.kind !== 'custom') return refusal(node, 'not_found', `node ${node.id}: script nodes are text nodes (llm or custom), not ${node.kind}`);
    const session = ctx.session;
    if (!session) return refusal(node, 'internal', `node ${node.id}: the turn carries no session (tenant, history, ordinal), which a script node needs`);
    const script = this.scripts.link(session.tenant, name, ctx.plan.scripts);
    if (!script) return refusal(node, 'not_found', `node ${node.id}: script ${name} is not stored at the hashes its plan pinned`);
    return { role: 'text', node, generate: (text, scope, onDelta) => this.run(scope, node, session, script, text, onDelta) };
  }

  private async run(scope: StageScope, node: Readonly<NodeSpec>, session: TurnSession, script: LinkedScript, text: string, onDelta: (delta: string) => void): Promise<void> {
    const clock = scope.ctx.clock;
    const observer = this.scripts.observer;
    const work = scope.startWork(node);
    const inv = scope.openInvocation(node);
    const startedAt = clock.now();
    inv.addInput(utf8Bytes(text));
    let memoryBytes: number | undefined;
    let compileMs: number | undefined;
    try {
      const state = await this.load(scope, inv, session);
      const run = new ScriptRun(scope, node, inv, onDelta);
      const host = this.host(scope, node, session, run, work.deadline);
      const result: ScriptResult = await abortable(
        invoke(() =>
          this.scripts.tier.invoke({
            script,
            input: { text, history: session.history.slice(-SCRIPT_HISTORY_ENTRIES) },
            ctx: { node_id: node.id, config: node.config ?? {}, turn: { ordinal: session.ordinal, seed: String(scope.ctx.seed) } },
            randomSeed: String(hashToSeed(scope.ctx.seed, 'script_random', node.id)),
            nowMs: clock.now() - session.started_at_ms,
            budgetMs: work.deadline.remaining(),
            state,
            signal: scope.signal,
            host,
          }),
        ),
        scope.signal,
      ).catch((err: unknown) => {
        if (scope.signal.aborted) throw err;
        // The tier's contract is to never throw: a throw is the host's bug, not the script's.
        throw fail(scope, inv, 'internal', `the script tier threw: ${describeError(err)}`);
      });
      run.finished = true;
      work.done();
      if (run.violation) throw fail(scope, inv, 'security_violation', run.violation);
      if (!result.ok) throw fail(scope, inv, result.code, result.message);
      memoryBytes = result.memoryBytes;
      compileMs = result.compileMs;
      if (typeof result.text !== 'string') throw fail(scope, inv, 'protocol_error', 'the script tier answered a result without text');
      if (run.emitted !== '' && result.text !== run.emitted) {
        throw fail(scope, inv, 'execution', 'the handler emitted deltas and also returned a different string (return undefined when streaming)');
      }
      await this.commit(scope, inv, session, result.stateWrites);
      if (run.emitted === '' && result.text !== '') run.deliver(result.text);
      scope.close(inv, 'ok');
    } finally {
      work.done();
      const outcome = inv.outcome ?? 'canceled';
      observer?.invocation({
        node_kind: node.kind,
        outcome,
        seconds: Math.max(0, clock.now() - startedAt) / 1000,
        ...(memoryBytes !== undefined ? { memory_bytes: memoryBytes } : {}),
        ...(compileMs !== undefined && compileMs > 0 ? { compile_seconds: compileMs / 1000 } : {}),
      });
    }
  }

  private async load(scope: StageScope, inv: InvocationEvidence, session: TurnSession): Promise<StateSnapshot> {
    try {
      return await abortable(this.scripts.state.load(session.session_id), scope.signal);
    } catch (err) {
      if (scope.signal.aborted) throw err;
      throw fail(scope, inv, 'internal', `baton:state could not be loaded: ${describeError(err)}`);
    }
  }

  /** Writes are stored only now that the invocation succeeded; over a bound they fail it `execution`. */
  private async commit(scope: StageScope, inv: InvocationEvidence, session: TurnSession, writes: StateWrites): Promise<void> {
    if (Object.keys(writes).length === 0) return;
    const committed = await abortable(this.scripts.state.commit(session.session_id, session.epoch, writes), scope.signal).catch((err: unknown) => {
      if (scope.signal.aborted) throw err;
      throw fail(scope, inv, 'internal', `baton:state could not be committed: ${describeError(err)}`);
    });
    // A stale epoch is not the script's fault: another kernel owns the session now.
    if (!committed.ok) throw fail(scope, inv, committed.code === 'stale_epoch' ? 'internal' : 'execution', committed.message);
  }

  private host(scope: StageScope, node: Readonly<NodeSpec>, session: TurnSession, run: ScriptRun, deadline: { hold(): void; release(): void }): ScriptHost {
    const observer = this.scripts.observer;
    let logs = 0;
    return {
      emit: (delta) => {
        if (run.live) run.deliver(delta);
      },
      log: (level, message) => {
        if (!run.live || logs >= MAX_LOG_LINES_PER_INVOCATION) return;
        logs++;
        const safeLevel = LOG_LEVELS.has(level) ? level : 'info';
        observer?.scriptLog({ node_id: node.id, level: safeLevel, message: String(message).slice(0, MAX_LOG_LINE_CHARS) });
      },
      providerCall: async (binding, request) => {
        if (!run.live) throw new HostCallError('canceled', 'the invocation is over');
        // The provider call runs under its own budget; the script's CPU budget does not run while it waits.
        deadline.hold();
        try {
          return await callProviderForScript(
            scope,
            {
              node,
              gate: this.gate,
              adapters: this.adapters,
              onViolation: (name) => {
                run.violation ??= `node ${node.id} called provider binding ${JSON.stringify(name)}, which its spec does not name`;
                observer?.securityViolation({ tenant: session.tenant, node_id: node.id, capability: 'provider.call', binding: name });
              },
            },
            binding,
            request,
          );
        } finally {
          deadline.release();
        }
      },
    };
  }
}

/** One invocation's streaming state: deltas pass only while it is live, in order, into its evidence. */
class ScriptRun {
  emitted = '';
  finished = false;
  /** Set by the first refused capability: the invocation fails `security_violation` whatever the script does next. */
  violation: string | undefined;

  constructor(
    private readonly scope: StageScope,
    readonly node: Readonly<NodeSpec>,
    private readonly inv: InvocationEvidence,
    private readonly onDelta: (delta: string) => void,
  ) {}

  get live(): boolean {
    return !this.finished && !this.inv.isClosed && !this.scope.signal.aborted;
  }

  /** A delta of the node's output: an emit while live, or the returned string once the tier answered. */
  deliver(delta: unknown): void {
    if (this.inv.isClosed || this.scope.signal.aborted || typeof delta !== 'string' || delta === '') return;
    this.emitted += delta;
    this.inv.addOutput(utf8Bytes(delta));
    this.onDelta(delta);
  }
}

/** Records the invocation's outcome and the turn abort DESIGN 11.1 gives it: over budget is budget_exhausted, anything else node_failure. */
function fail(scope: StageScope, inv: InvocationEvidence, code: NodeErrorCode, message: string): GraphStop {
  scope.close(inv, code);
  return new GraphStop(graphFailure(code === 'timeout' ? 'budget_exhausted' : 'node_failure', inv.node, code, `node ${inv.node.id}: ${message}`));
}
