// Error values of the Event ABI: whatever a refused frame contained, the
// message an `error` event carries is well-formed Unicode (both encodings can
// carry it and strict decoders accept it) and bounded in length.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeBinary, decodeJson, encodeBinary, encodeJson } from './index.js';
import { anyEnvelope } from './envelope.js';
import { MAX_ERROR_MESSAGE_CHARS, abiError } from './errors.js';
import type { AnyEnvelope } from './kinds.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function errorEvent(message: string): AnyEnvelope {
  return anyEnvelope('error', { code: 'invalid_event', message }, { id: 'k1', session_id: 's-1', epoch: 1, seq: 1 });
}

describe('abiError', () => {
  test('a message with lone surrogates or of any length becomes a well-formed message of at most MAX_ERROR_MESSAGE_CHARS that both codecs carry', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', minLength: 1 }), fc.string({ unit: 'binary', minLength: 1000, maxLength: 5000 })), (text) => {
        const { message } = abiError('invalid_event', text);
        expect(LONE_SURROGATE.test(message)).toBe(false);
        expect(message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
        const json = decodeJson(encodeJson(errorEvent(message)));
        const binary = decodeBinary(encodeBinary(errorEvent(message)));
        expect(json.ok && json.event.payload).toEqual({ code: 'invalid_event', message });
        expect(binary.ok && binary.event.payload).toEqual({ code: 'invalid_event', message });
      }),
      { numRuns: 2000 },
    );
  });

  test('a well-formed short message is kept exactly; a JSON parser excerpt that split a surrogate pair gets U+FFFD for the half', () => {
    expect(abiError('unknown_kind', 'unknown kind "x.y"', 'g-1')).toEqual({ code: 'unknown_kind', message: 'unknown kind "x.y"', ref_id: 'g-1' });
    expect(abiError('invalid_event', 'Unexpected token \uD83D, "\uD83D\uDE00" is not valid JSON').message).toBe('Unexpected token \uFFFD, "\uD83D\uDE00" is not valid JSON');
  });

  test('a not-JSON frame beginning with an astral character is refused with a well-formed message', () => {
    const result = decodeJson('\u{1F600}\u{1F600} not json');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(LONE_SURROGATE.test(result.error.message)).toBe(false);
  });
});
