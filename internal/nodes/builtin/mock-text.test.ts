// mock_stt and mock_llm: transcripts and replies that are pure functions of input and config (seeded only on request), word deltas, simulated provider failures.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MOCK_STT_PHRASES, mockTranscript } from './mock-stt.js';
import { VirtualClock } from '../../determinism/clock.js';
import type { LlmCall } from '../node.js';
import { mockLlm, mockReply, simulatedFailure, wordDeltas } from './mock-llm.js';

/** Turn seeds are 53-bit (DESIGN 10). */
const seedArb = fc.maxSafeNat();
const SEEDED = { vary: 'seed' };

/** Text the mock hears as something said, so it gets a template rather than the polite miss. */
function heardSomething(text: string): boolean {
  return text.trim().replace(/[.!?]+$/u, '') !== '';
}

/** An LLM call whose sleeps resolve at once, recording its deltas and sleeps. */
function llmCall(config: Record<string, string>, seed: number, slept: number[] = []): { call: LlmCall; deltas: string[] } {
  const deltas: string[] = [];
  const call: LlmCall = {
    node_id: 'llm',
    config,
    seed,
    clock: new VirtualClock(),
    format: { codec: 'pcm16', sample_rate: 16000 },
    signal: new AbortController().signal,
    sleep: async (ms) => {
      slept.push(ms);
    },
    binding: undefined,
    attempt: 0,
    delta: (text) => deltas.push(text),
  };
  return { call, deltas };
}

describe('mock_stt', () => {
  it('hears nothing in no audio', () => {
    expect(mockTranscript(new Uint8Array(0), {})).toBe('');
    expect(mockTranscript(new Uint8Array(0), { text: 'forced' })).toBe('');
  });

  it('picks the same phrase for the same audio', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 512 }), (audio) => {
        const heard = mockTranscript(audio, {});
        expect(MOCK_STT_PHRASES).toContain(heard);
        expect(mockTranscript(Uint8Array.from(audio), {})).toBe(heard);
      }),
    );
  });

  it('config.text forces the transcript', () => {
    expect(mockTranscript(new Uint8Array([1, 2, 3]), { text: 'book a flight' })).toBe('book a flight');
  });
});

describe('mock_llm', () => {
  it('the default reply is a pure function of the text and config: every seed gives the same one', () => {
    expect(mockReply('what time is it', {}, 42)).toBe('You said: what time is it.');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), seedArb, seedArb, (text, a, b) => {
        expect(mockReply(text, {}, b)).toBe(mockReply(text, {}, a));
        expect(mockReply(text, { vary: 'none' }, a)).toBe(mockReply(text, {}, a));
      }),
    );
  });

  it('config.vary: seed picks the template by the seed, the same seed always the same one', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).filter(heardSomething), seedArb, (text, seed) => {
        const reply = mockReply(text, SEEDED, seed);
        expect(reply).toMatch(/^(You said|I heard|Got it): /);
        expect(mockReply(text, SEEDED, seed)).toBe(reply);
        const replies = new Set(Array.from({ length: 32 }, (_, other) => mockReply(text, SEEDED, other)));
        expect(replies.size).toBeGreaterThan(1);
      }),
    );
  });

  it('a config.vary that is not none or seed is the node own failure, before any latency', async () => {
    expect(() => mockReply('hi', { vary: 'random' }, 1)).toThrow('config.vary: "random" is not one of none, seed');
    expect(() => mockReply('hi', { vary: 'random', reply: 'Fixed.' }, 1)).toThrow(/config\.vary/);
    const slept: number[] = [];
    const { call } = llmCall({ vary: 'Seed', latency_ms: '500' }, 1, slept);
    await expect(mockLlm.generate('hi', call)).rejects.toThrow(/config\.vary/);
    expect(slept).toEqual([]);
  });

  it('streams the same deltas in sessions whose turn seeds differ', async () => {
    // Seeds whose seeded templates differ, so a reply that leaked the seed would show here.
    expect(mockReply('book a table for two', SEEDED, 1)).not.toBe(mockReply('book a table for two', SEEDED, 4));
    const first = llmCall({ token_interval_ms: '10' }, 1);
    const second = llmCall({ token_interval_ms: '10' }, 4);
    expect(await mockLlm.generate('book a table for two', first.call)).toBe('ok');
    expect(await mockLlm.generate('book a table for two', second.call)).toBe('ok');
    expect(first.deltas.join('')).toBe('You said: book a table for two.');
    expect(second.deltas).toEqual(first.deltas);
  });

  it('config.reply fixes the reply; empty input gets a polite miss', () => {
    expect(mockReply('anything', { reply: 'Fixed.' }, 1)).toBe('Fixed.');
    expect(mockReply('anything', { reply: 'Fixed.', vary: 'seed' }, 1)).toBe('Fixed.');
    expect(mockReply('   ', {}, 1)).toBe("Sorry, I didn't catch that.");
    expect(mockReply('   ', SEEDED, 1)).toBe("Sorry, I didn't catch that.");
    expect(mockReply('hello!', {}, 3)).toBe('You said: hello.');
    expect(mockReply('hello!', SEEDED, 3)).toMatch(/: hello\.$/);
    // `$&` in user text is text, not a replacement pattern.
    expect(mockReply('$& $1', {}, 3)).toBe('You said: $& $1.');
    expect(mockReply('$& $1', SEEDED, 3)).toMatch(/: \$& \$1\.$/);
  });

  it('streams word deltas whose concatenation is the reply', () => {
    expect(wordDeltas('You said: hi there.')).toEqual(['You ', 'said: ', 'hi ', 'there.']);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (reply) => {
        const deltas = wordDeltas(reply);
        expect(deltas.join('')).toBe(reply);
        for (const delta of deltas) expect(delta).not.toBe('');
      }),
    );
  });

  it('simulates provider failures per binding and attempt', () => {
    const primary = { name: 'primary', kind: 'mock' };
    const backup = { name: 'backup', kind: 'mock' };
    expect(simulatedFailure({ config: {}, binding: primary, attempt: 0 })).toBeUndefined();
    expect(simulatedFailure({ config: { fail: 'rate_limited' }, binding: undefined, attempt: 5 })).toBe('rate_limited');
    const onlyPrimary = { fail: 'unavailable', fail_providers: 'primary' };
    expect(simulatedFailure({ config: onlyPrimary, binding: primary, attempt: 0 })).toBe('unavailable');
    expect(simulatedFailure({ config: onlyPrimary, binding: backup, attempt: 0 })).toBeUndefined();
    const firstOnly = { fail: 'timeout', fail_attempts: '1' };
    expect(simulatedFailure({ config: firstOnly, binding: primary, attempt: 0 })).toBe('timeout');
    expect(simulatedFailure({ config: firstOnly, binding: primary, attempt: 1 })).toBeUndefined();
    expect(() => simulatedFailure({ config: { fail: 'exploded' }, binding: primary, attempt: 0 })).toThrow(/provider outcome/);
  });
});
