import { randomUUID } from 'node:crypto';
import type { AssetManifest } from './asset-manifest.ts';
import { assetExtension } from './asset-hash.ts';
import { UploadTokens, type TokenCheck, type TokenKind } from './upload-tokens.ts';

/** How long upload and completion tokens live (Cloudflare: one hour each). */
export const TOKEN_TTL_MS = 60 * 60 * 1000;

/** What the session expects of one asset it asked for. */
export interface WantedAsset {
  size: number;
  /** From the manifest path, for the hash check. */
  extension: string;
}

/** One assets-upload-session: the manifest, what it asked for, and what has arrived. */
export interface UploadSession {
  id: string;
  accountId: string;
  scriptName: string;
  manifest: AssetManifest;
  buckets: string[][];
  /** Every hash in the buckets. */
  wanted: Map<string, WantedAsset>;
  /** Hashes of the buckets not uploaded yet. */
  missing: Set<string>;
  /** Epoch ms. */
  expiresAt: number;
  /** Made when the last asset lands (or at once when none was missing). */
  completion: { token: string; expiresAt: number } | null;
}

/**
 * The open upload sessions, in memory: their tokens are signed with a
 * secret made at start, so no session could outlive a restart anyway.
 */
export class UploadSessions {
  readonly #tokens = new UploadTokens();
  readonly #sessions = new Map<string, UploadSession>();

  /**
   * Opens a session asking for `buckets`; answers its token: an upload
   * token, or already the completion token when nothing is missing.
   */
  open(options: {
    accountId: string;
    scriptName: string;
    manifest: AssetManifest;
    buckets: string[][];
    ttlMs: number;
    now?: number;
  }): { session: UploadSession; jwt: string } {
    const now = options.now ?? Date.now();
    this.#prune(now);
    const wanted = new Map<string, WantedAsset>();
    const asked = new Set(options.buckets.flat());
    for (const [path, { hash, size }] of Object.entries(options.manifest)) {
      if (asked.has(hash) && !wanted.has(hash)) wanted.set(hash, { size, extension: assetExtension(path) });
    }
    const session: UploadSession = {
      id: randomUUID(),
      accountId: options.accountId,
      scriptName: options.scriptName,
      manifest: options.manifest,
      buckets: options.buckets,
      wanted,
      missing: new Set(wanted.keys()),
      expiresAt: now + options.ttlMs,
      completion: null,
    };
    this.#sessions.set(session.id, session);
    if (session.missing.size === 0) return { session, jwt: this.#complete(session, now, options.ttlMs) };
    return { session, jwt: this.#sign(session, 'upload', now, session.expiresAt) };
  }

  /** Checks a token of `kind` for `accountId` and finds its session (null: unknown, e.g. pruned). */
  check(
    token: string,
    kind: TokenKind,
    accountId: string,
    now = Date.now(),
  ): { check: TokenCheck; session: UploadSession | null } {
    const check = this.#tokens.check(token, { kind, accountId }, now);
    return { check, session: check.ok ? (this.#sessions.get(check.claims.sub) ?? null) : null };
  }

  /** Records that `hashes` arrived; answers the completion token once nothing is missing, else null. */
  received(session: UploadSession, hashes: Iterable<string>, now = Date.now()): string | null {
    for (const hash of hashes) session.missing.delete(hash);
    return session.missing.size === 0 ? this.#complete(session, now, TOKEN_TTL_MS) : null;
  }

  #complete(session: UploadSession, now: number, ttlMs: number): string {
    session.completion ??= {
      token: this.#sign(session, 'completion', now, now + ttlMs),
      expiresAt: now + ttlMs,
    };
    return session.completion.token;
  }

  #sign(session: UploadSession, kind: TokenKind, now: number, expiresAt: number): string {
    return this.#tokens.sign({ sub: session.id, aud: session.accountId, kind, iat: now / 1000, exp: expiresAt / 1000 });
  }

  /** Forgets sessions none of whose tokens can still be used. */
  #prune(now: number): void {
    for (const [id, session] of this.#sessions) {
      if (Math.max(session.expiresAt, session.completion?.expiresAt ?? 0) <= now) this.#sessions.delete(id);
    }
  }
}
