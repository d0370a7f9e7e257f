// Provider policy: the binding chain a node walks, which outcomes retry in place, and seeded backoff.
import { describe, expect, it } from 'vitest';
import { randomStream } from '../determinism/seeds.js';
import { bindingChain, retryDelayMs, retrySameBinding } from './provider-policy.js';

describe('provider policy', () => {
  const providers = [
    { name: 'a', kind: 'mock', max_retries: 2, fallbacks: ['b', 'c'] },
    { name: 'b', kind: 'mock', fallbacks: ['c'] },
    { name: 'c', kind: 'mock', max_retries: 1 },
  ];

  it('walks the primary then its fallbacks in order, one level deep', () => {
    const chain = bindingChain({ id: 'llm', kind: 'llm', provider: 'a' }, providers);
    expect(chain.ok && chain.steps.map((s) => [s.binding?.name, s.retries])).toEqual([
      ['a', 2],
      ['b', 0],
      ['c', 1],
    ]);
  });

  it('a node without a binding gets one attempt; a missing binding is reported', () => {
    expect(bindingChain({ id: 'llm', kind: 'llm' }, providers)).toEqual({ ok: true, steps: [{ binding: undefined, retries: 0 }] });
    expect(bindingChain({ id: 'llm', kind: 'llm', provider: 'zz' }, providers)).toEqual({ ok: false, missing: 'zz' });
  });

  it('retries transient outcomes in place, never a bad request', () => {
    expect(['timeout', 'rate_limited', 'overloaded', 'unavailable'].every((o) => retrySameBinding(o as never))).toBe(true);
    expect(retrySameBinding('bad_request')).toBe(false);
  });

  it('backs off exponentially with seeded jitter, capped', () => {
    const a = randomStream(5, 'retry');
    const b = randomStream(5, 'retry');
    for (let retry = 0; retry < 8; retry++) {
      const delay = retryDelayMs(retry, a);
      expect(retryDelayMs(retry, b)).toBe(delay);
      const ceiling = Math.min(2000, 100 * 2 ** retry);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });
});
