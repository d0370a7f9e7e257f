// Page tokens resume a listing where it stopped, and only the listing that
// minted them: any other text is refused with why, never read as a position.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PAGE_SCOPES, type PageScope, decodePageToken, encodePageToken } from './page-token.js';

const SCOPES = Object.keys(PAGE_SCOPES) as PageScope[];

describe('page tokens', () => {
  test('a token names the key it was minted after, in its own scope', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SCOPES), fc.string({ unit: 'grapheme' }), (scope, key) => {
        expect(decodePageToken(scope, encodePageToken(scope, key))).toEqual({ ok: true, after: key });
      }),
    );
  });

  test('an empty token is the first page', () => {
    expect(decodePageToken('sessions', '')).toEqual({ ok: true, after: undefined });
  });

  test("another scope's token is refused and named", () => {
    expect(decodePageToken('scripts', encodePageToken('pipelines', 'a'))).toEqual({ ok: false, problem: 'a pipelines page token, not a scripts one' });
  });

  test('text it did not mint is refused: no prefix, padding, stray characters', () => {
    const good = encodePageToken('pipelines', 'a');
    expect(decodePageToken('pipelines', Buffer.from('a').toString('base64url'))).toEqual({ ok: false, problem: 'not a pipelines page token' });
    expect(decodePageToken('pipelines', `${good}=`)).toEqual({ ok: false, problem: 'not the base64url a pipelines page token is' });
    expect(decodePageToken('sessions', '***not a token***').ok).toBe(false);
  });

  test('every scope has its own prefix', () => {
    expect(new Set(Object.values(PAGE_SCOPES)).size).toBe(SCOPES.length);
  });
});
