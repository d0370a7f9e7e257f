// mock_stt and mock_llm: deterministic transcripts and replies, word deltas, simulated provider failures.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MOCK_STT_PHRASES, mockTranscript } from './mock-stt.js';
import { mockReply, simulatedFailure, wordDeltas } from './mock-llm.js';

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
  it('replies with a template chosen by the seed, the same every time', () => {
    const reply = mockReply('what time is it', {}, 42);
    expect(reply).toMatch(/^(You said|I heard|Got it): what time is it\.$/);
    expect(mockReply('what time is it', {}, 42)).toBe(reply);
    const replies = new Set(Array.from({ length: 32 }, (_, seed) => mockReply('hi', {}, seed)));
    expect(replies.size).toBeGreaterThan(1);
  });

  it('config.reply fixes the reply; empty input gets a polite miss', () => {
    expect(mockReply('anything', { reply: 'Fixed.' }, 1)).toBe('Fixed.');
    expect(mockReply('   ', {}, 1)).toBe("Sorry, I didn't catch that.");
    expect(mockReply('hello!', {}, 3)).toMatch(/: hello\.$/);
    // `$&` in user text is text, not a replacement pattern.
    expect(mockReply('$& $1', {}, 3)).toMatch(/: \$& \$1\.$/);
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
