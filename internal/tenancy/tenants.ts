// Who a caller is: tenant keys and the short-lived HMAC-signed session tokens
// OpenSession mints, checked the same way by the gRPC control plane, the
// gateways and the operator page. It owns no sessions and knows no transport;
// it never compares a secret in variable time and never logs a key or token.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TenantCredential {
  readonly name: string;
  readonly key: string;
}

export type TokenCheck = { ok: true; tenant: string } | { ok: false; reason: string };

const TOKEN_PREFIX = 'bt1';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export class Tenants {
  private readonly byDigest = new Map<string, string>();
  private readonly secret: Buffer;

  constructor(credentials: readonly TenantCredential[], secret: Buffer = randomBytes(32)) {
    for (const { name, key } of credentials) this.byDigest.set(digest(key).toString('hex'), name);
    this.secret = secret;
  }

  get names(): string[] {
    return [...new Set(this.byDigest.values())].sort();
  }

  /** The tenant a key belongs to. Hashing first makes the lookup independent of how much of a key matches. */
  tenantForKey(key: string | undefined): string | undefined {
    if (!key) return undefined;
    return this.byDigest.get(digest(key).toString('hex'));
  }

  mintSessionToken(tenant: string, session_id: string, expiresAtMs: number): string {
    const body = Buffer.from(JSON.stringify({ t: tenant, s: session_id, e: expiresAtMs })).toString('base64url');
    return `${TOKEN_PREFIX}.${body}.${this.sign(body)}`;
  }

  /** Checks a session token for `session_id` at wall time `nowMs`. */
  verifySessionToken(token: string, session_id: string, nowMs: number): TokenCheck {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX) return { ok: false, reason: 'not a session token' };
    const [, body, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad token signature' };
    let claims: { t?: unknown; s?: unknown; e?: unknown };
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return { ok: false, reason: 'malformed token' };
    }
    if (typeof claims.t !== 'string' || typeof claims.s !== 'string' || typeof claims.e !== 'number') {
      return { ok: false, reason: 'malformed token' };
    }
    if (claims.s !== session_id) return { ok: false, reason: 'token is for another session' };
    if (claims.e <= nowMs) return { ok: false, reason: 'token expired' };
    return { ok: true, tenant: claims.t };
  }

  /** A tenant key, or a session token valid for `session_id`. */
  authenticateStream(token: string | undefined, session_id: string | undefined, nowMs: number): TokenCheck {
    if (!token) return { ok: false, reason: 'missing credentials' };
    const tenant = this.tenantForKey(token);
    if (tenant) return { ok: true, tenant };
    if (session_id && token.startsWith(`${TOKEN_PREFIX}.`)) return this.verifySessionToken(token, session_id, nowMs);
    return { ok: false, reason: 'unknown key' };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}

/** The bearer token of an `Authorization` header value, if well-formed. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}
