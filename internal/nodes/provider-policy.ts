// Provider retry and fallback policy: which bindings a provider node tries, in what order, how often, and how long it waits between tries; it never calls a provider.
import type { RandomStream } from '../determinism/seeds.js';
import type { NodeSpec, ProviderBinding } from '../plan/types.js';
import type { ProviderOutcome } from './types.js';

const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 2000;

/** A binding to try and how many retries it gets after its first attempt. */
export interface BindingStep {
  readonly binding: Readonly<ProviderBinding> | undefined;
  readonly retries: number;
}

/**
 * The node's binding, then its fallbacks in order (one level: a fallback's own
 * fallbacks are not followed, so the chain is bounded by the spec). A node that
 * names no binding gets one attempt and no retries.
 */
export function bindingChain(node: Readonly<NodeSpec>, providers: readonly Readonly<ProviderBinding>[]): { ok: true; steps: BindingStep[] } | { ok: false; missing: string } {
  if (node.provider === undefined || node.provider === '') return { ok: true, steps: [{ binding: undefined, retries: 0 }] };
  const byName = new Map(providers.map((binding) => [binding.name, binding]));
  const primary = byName.get(node.provider);
  if (!primary) return { ok: false, missing: node.provider };
  const steps: BindingStep[] = [{ binding: primary, retries: primary.max_retries ?? 0 }];
  for (const name of primary.fallbacks ?? []) {
    const fallback = byName.get(name);
    if (!fallback) return { ok: false, missing: name };
    steps.push({ binding: fallback, retries: fallback.max_retries ?? 0 });
  }
  return { ok: true, steps };
}

/**
 * Whether the same binding is worth another try. A bad request will be bad
 * again there, but another provider may accept it, so it moves to the next binding.
 */
export function retrySameBinding(outcome: ProviderOutcome): boolean {
  return outcome === 'timeout' || outcome === 'rate_limited' || outcome === 'overloaded' || outcome === 'unavailable';
}

/** Exponential backoff with seeded "equal jitter": half fixed, half random, so replays wait exactly as long. */
export function retryDelayMs(retry: number, random: RandomStream): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retry);
  return Math.round(ceiling / 2 + (ceiling / 2) * random.next());
}
