// Page tokens for every List method (pipelines, scripts, sessions): the
// base64url of a scope prefix and the last key of the previous page. A token
// is accepted only by the scope that minted it, so a pipelines token never
// pages scripts. It owns the token text only; it never sorts or fetches.

/** One prefix per listing, in one table so no two listings can share one. */
export const PAGE_SCOPES = {
  pipelines: 'p1',
  scripts: 's1',
  sessions: 'k1',
} as const;
export type PageScope = keyof typeof PAGE_SCOPES;

/** Where the next page starts: after `after`, or at the beginning when the caller sent no token. */
export type PagePosition = { ok: true; after: string | undefined } | { ok: false; problem: string };

/** The token that continues a listing of `scope` after `lastKey`. */
export function encodePageToken(scope: PageScope, lastKey: string): string {
  return Buffer.from(`${PAGE_SCOPES[scope]}\u0000${lastKey}`, 'utf8').toString('base64url');
}

/** The position a token names, or why it is not a token `scope` minted. An empty token is the first page. */
export function decodePageToken(scope: PageScope, token: string): PagePosition {
  if (token === '') return { ok: true, after: undefined };
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const prefix = `${PAGE_SCOPES[scope]}\u0000`;
  if (!text.startsWith(prefix)) {
    const other = Object.entries(PAGE_SCOPES).find(([, p]) => text.startsWith(`${p}\u0000`));
    return { ok: false, problem: other ? `a ${other[0]} page token, not a ${scope} one` : `not a ${scope} page token` };
  }
  const after = text.slice(prefix.length);
  // Re-encoding must give the token back: rejects padding, stray characters and lossy UTF-8.
  if (encodePageToken(scope, after) !== token) return { ok: false, problem: `not the base64url a ${scope} page token is` };
  return { ok: true, after };
}
