// mock_llm: a deterministic reply to the user's text, streamed word by word, with simulated latency and provider failures; it never reads wall time or unseeded randomness, and its reply depends on the seed only when its config asks.
import { randomStream } from '../../determinism/seeds.js';
import type { LlmCall, LlmNode } from '../node.js';
import { PROVIDER_OUTCOMES, type ProviderOutcome } from '../types.js';
import { choiceSetting, numberSetting, required, throwIfConfigured } from './settings.js';

const TEMPLATES: readonly string[] = ['You said: {text}.', 'I heard: {text}.', 'Got it: {text}.'];
const NOTHING_HEARD = "Sorry, I didn't catch that.";
const MAX_DELAY_MS = 3_600_000;

/**
 * What `config.vary` lets change the reply: `none` (the default) keeps the node
 * a pure function of its input and config (DESIGN 10: the same text gives the
 * same audio in any session); `seed` picks the template by the turn seed.
 */
export const REPLY_VARIATIONS = ['none', 'seed'] as const;

/**
 * The reply to `text`: `config.reply` when set, else "You said: {text}.", or
 * with `config.vary: seed` one of a few templates picked by the turn seed. A
 * bad `config.vary` throws, as the node's own failure.
 */
export function mockReply(text: string, config: Readonly<Record<string, string>>, seed: number): string {
  const vary = required(choiceSetting(config, 'vary', 'none', REPLY_VARIATIONS));
  const fixed = config['reply'];
  if (fixed !== undefined) return fixed;
  const said = text.trim().replace(/[.!?]+$/u, '');
  if (said === '') return NOTHING_HEARD;
  const pick = vary === 'seed' ? randomStream(seed, 'mock_llm').int(TEMPLATES.length) : 0;
  return TEMPLATES[pick]!.replace('{text}', () => said);
}

/** Word deltas that keep their trailing whitespace, so their concatenation is exactly `reply`. */
export function wordDeltas(reply: string): string[] {
  const leading = /^\s*/u.exec(reply)![0];
  const words = reply.slice(leading.length).match(/\S+\s*/gu) ?? [];
  if (leading !== '' && words.length > 0) words[0] = leading + words[0]!;
  return words.length > 0 ? words : reply === '' ? [] : [reply];
}

/**
 * The simulated provider failure for this attempt, if any: `config.fail` (an
 * outcome), limited to the bindings named in `config.fail_providers` (comma
 * separated; default all) and to the first `config.fail_attempts` attempts on
 * each (default all).
 */
export function simulatedFailure(call: Pick<LlmCall, 'config' | 'binding' | 'attempt'>): ProviderOutcome | undefined {
  const fail = call.config['fail'];
  if (fail === undefined || fail === 'ok') return undefined;
  if (!(PROVIDER_OUTCOMES as readonly string[]).includes(fail)) throw new Error(`config.fail: ${JSON.stringify(fail)} is not a provider outcome`);
  const only = call.config['fail_providers'];
  if (only !== undefined) {
    const names = only.split(',').map((name) => name.trim());
    if (!names.includes(call.binding?.name ?? '')) return undefined;
  }
  const attempts = required(numberSetting(call.config, 'fail_attempts', Number.POSITIVE_INFINITY, 0, Number.MAX_SAFE_INTEGER));
  return call.attempt < attempts ? (fail as ProviderOutcome) : undefined;
}

export const mockLlm: LlmNode = {
  kind: 'llm',
  async generate(text: string, call: LlmCall): Promise<ProviderOutcome> {
    throwIfConfigured(call.config);
    const latency = required(numberSetting(call.config, 'latency_ms', 0, 0, MAX_DELAY_MS));
    const interval = required(numberSetting(call.config, 'token_interval_ms', 0, 0, MAX_DELAY_MS));
    const failure = simulatedFailure(call);
    // Reading the reply before the latency makes a bad config.vary fail at once, like the other settings.
    const deltas = wordDeltas(mockReply(text, call.config, call.seed));
    // A real provider takes time to fail as well as to answer.
    if (latency > 0) await call.sleep(latency);
    if (failure) return failure;
    for (let i = 0; i < deltas.length; i++) {
      if (i > 0 && interval > 0) await call.sleep(interval);
      call.delta(deltas[i]!);
    }
    return 'ok';
  },
};
