// One provider-backed node call for a turn: slots in the host's provider queue, attempts with timeouts, retry then fallback under the node's budget; it never emits, it hands deltas on.
import type PQueue from 'p-queue';
import { randomStream } from '../determinism/seeds.js';
import { abortable, invoke, sleep } from './deadline.js';
import { utf8Bytes } from './invocation.js';
import type { LlmCall, LlmNode } from './node.js';
import type { NodeSpec } from '../plan/types.js';
import { type BindingStep, bindingChain, retryDelayMs, retrySameBinding } from './provider-policy.js';
import { GraphStop, type StageScope, graphFailure } from './scope.js';
import type { Stage } from './stages.js';
import { PROVIDER_OUTCOMES, type ProviderOutcome } from './types.js';

/** The host-wide limit on provider calls: p-queue bounds concurrency, `maxQueued` bounds the wait line it lacks. */
export interface ProviderGate {
  readonly queue: PQueue;
  readonly maxQueued: number;
}

/** Why a provider attempt's signal fired: its binding's timeout passed. */
const ATTEMPT_TIMEOUT = Object.freeze({ stop: 'provider_timeout' });
/** Why a provider attempt's signal fired: the attempt is over, so a late delta must be dropped. */
const ATTEMPT_OVER = Object.freeze({ stop: 'attempt_over' });

/** Aborts `child` when `parent` aborts; returns the unlink. */
function link(parent: AbortSignal, child: AbortController): () => void {
  const onAbort = (): void => child.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  return () => parent.removeEventListener('abort', onAbort);
}

/** Retry on the same binding, then the fallbacks in order (DESIGN 11), all within the node's budget; throws GraphStop on failure. */
export async function callProvider(scope: StageScope, gate: ProviderGate, stage: Stage<LlmNode>, text: string, onDelta: (delta: string) => void): Promise<void> {
  const { node } = stage;
  const chain = bindingChain(node, scope.ctx.plan.providers);
  if (!chain.ok) throw new GraphStop(graphFailure('node_failure', node, 'not_found', `provider binding ${chain.missing} is not in the plan`));
  await callBindings(scope, gate, { node, steps: chain.steps, implFor: () => stage.impl }, text, onDelta);
}

/** Which bindings a provider call walks and what answers on each. */
export interface ProviderRoute {
  /** The node the call is made for: its budget, config and seeded jitter apply. */
  readonly node: Readonly<NodeSpec>;
  readonly steps: readonly BindingStep[];
  readonly implFor: (binding: BindingStep['binding']) => LlmNode;
  /** What each attempt's invocation record calls the node (default: the node's own implementation). */
  readonly evidenceKind?: string;
}

/** Walks `route.steps`: retries in place while the outcome allows, then the next binding; throws GraphStop when every step failed. */
export async function callBindings(scope: StageScope, gate: ProviderGate, route: ProviderRoute, text: string, onDelta: (delta: string) => void): Promise<void> {
  const { node } = route;
  const work = scope.startWork(node);
  const random = randomStream(scope.ctx.seed, `provider_retry:${node.id}`);
  let last: ProviderOutcome = 'unavailable';
  let attempts = 0;
  try {
    for (const step of route.steps) {
      for (let attempt = 0; attempt <= step.retries; attempt++) {
        if (attempt > 0) {
          const delay = retryDelayMs(attempt - 1, random);
          // Waiting out a backoff the budget cannot cover only turns a provider failure into a budget one.
          if (delay >= work.deadline.remaining()) break;
          await sleep(scope.ctx.clock, delay, scope.signal);
        }
        attempts++;
        const result = await attemptOnce(scope, gate, route, step.binding, attempt, text, onDelta);
        if (result.outcome === 'ok') return;
        last = result.outcome;
        // Part of the reply is already out; another attempt would say it twice.
        if (result.streamed) {
          throw new GraphStop(graphFailure('provider_failure', node, last, `node ${node.id}: provider ${step.binding?.name ?? '(none)'} failed mid-reply with ${last}`));
        }
        if (!retrySameBinding(last)) break;
      }
    }
  } finally {
    work.done();
  }
  throw new GraphStop(
    graphFailure('provider_failure', node, last, `node ${node.id}: provider calls failed (${attempts} attempts over ${route.steps.length} bindings), last with ${last}`),
  );
}

/** One provider attempt: one slot in the host's queue, one invocation record. */
async function attemptOnce(
  scope: StageScope,
  gate: ProviderGate,
  route: ProviderRoute,
  binding: LlmCall['binding'],
  attempt: number,
  text: string,
  onDelta: (delta: string) => void,
): Promise<{ outcome: ProviderOutcome; streamed: boolean }> {
  const node = route.node;
  const impl = route.implFor(binding);
  const inv = scope.openInvocation(node, route.evidenceKind);
  inv.addInput(utf8Bytes(text));
  if (gate.queue.size >= gate.maxQueued) {
    scope.close(inv, 'overloaded');
    throw new GraphStop(graphFailure('provider_failure', node, 'overloaded', `the host's provider queue is full (${gate.maxQueued} waiting)`));
  }
  const controller = new AbortController();
  const unlink = link(scope.signal, controller);
  const signal = controller.signal;
  let streamed = false;
  const call: LlmCall = {
    ...scope.nodeCall(node, signal),
    binding,
    attempt,
    delta: (delta) => {
      if (signal.aborted || typeof delta !== 'string' || delta === '') return;
      streamed = true;
      inv.addOutput(utf8Bytes(delta));
      onDelta(delta);
    },
  };
  const clock = scope.ctx.clock;
  const timeoutMs = binding?.timeout_ms;
  try {
    const outcome: unknown = await gate.queue.add(
      async () => {
        // The binding's timeout covers the provider call itself, not the wait for a slot.
        const timer = timeoutMs ? clock.setTimer(timeoutMs, () => controller.abort(ATTEMPT_TIMEOUT)) : undefined;
        try {
          return await abortable(
            invoke(() => impl.generate(text, call)),
            signal,
          );
        } finally {
          clock.clearTimer(timer);
        }
      },
      { signal },
    );
    if (!(PROVIDER_OUTCOMES as readonly unknown[]).includes(outcome)) throw scope.protocolError(inv, `unknown provider outcome ${JSON.stringify(outcome)}`);
    scope.close(inv, outcome as ProviderOutcome);
    return { outcome: outcome as ProviderOutcome, streamed };
  } catch (err) {
    if (err instanceof GraphStop) throw err;
    if (signal.reason === ATTEMPT_TIMEOUT && !scope.signal.aborted) {
      scope.close(inv, 'timeout');
      return { outcome: 'timeout', streamed };
    }
    throw scope.nodeThrew(inv, err);
  } finally {
    unlink();
    controller.abort(ATTEMPT_OVER);
  }
}
