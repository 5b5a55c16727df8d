import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a token lets its bearer do: upload a session's assets, or deploy them once all are uploaded. */
export type TokenKind = 'upload' | 'completion';

/** The claims the peer puts in its JWTs. */
export interface TokenClaims {
  /** The upload session. */
  sub: string;
  /** The account the session belongs to. */
  aud: string;
  kind: TokenKind;
  /** Seconds since the epoch; fractional, so an injected early expiry can be shorter than a second. */
  iat: number;
  exp: number;
}

/** Why a token was refused. */
export type TokenRefusal = 'malformed' | 'bad_signature' | 'expired' | 'wrong_kind' | 'wrong_account';

/** The outcome of checking a token. */
export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: TokenRefusal };

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function base64url(text: string | Buffer): string {
  return Buffer.from(text).toString('base64url');
}

/**
 * Signs and checks the upload and completion JWTs (HS256) with a secret
 * made at start: tokens of an earlier run of the peer are refused, as the
 * real service's would be after its keys rotate.
 */
export class UploadTokens {
  readonly #secret = randomBytes(32);

  /** A signed token for `claims`. */
  sign(claims: TokenClaims): string {
    const body = `${HEADER}.${base64url(JSON.stringify(claims))}`;
    return `${body}.${this.#signature(body).toString('base64url')}`;
  }

  /** Checks signature, expiry, kind and account, in that order; `now` is in ms. */
  check(token: string, expected: { kind: TokenKind; accountId: string }, now = Date.now()): TokenCheck {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== HEADER) return { ok: false, reason: 'malformed' };
    const [header, payload, signature] = parts as [string, string, string];
    const given = Buffer.from(signature, 'base64url');
    const wanted = this.#signature(`${header}.${payload}`);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
      return { ok: false, reason: 'bad_signature' };
    // Signed by us, so the payload is ours: parse it without further checks.
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    if (claims.exp * 1000 <= now) return { ok: false, reason: 'expired' };
    if (claims.kind !== expected.kind) return { ok: false, reason: 'wrong_kind' };
    if (claims.aud !== expected.accountId) return { ok: false, reason: 'wrong_account' };
    return { ok: true, claims };
  }

  #signature(body: string): Buffer {
    return createHmac('sha256', this.#secret).update(body).digest();
  }
}
