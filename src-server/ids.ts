import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The prefixes the contract gives each kind of identifier and secret. */
export type IdPrefix = 'dpl' | 'dv' | 'us' | 'ustk' | 'pcak' | 'key' | 'inst' | 'rj' | 'pdf';

/** The API keys this server accepts from its owner (`--api-key`, `--api-key-file`): what it mints itself, and hand-made ones as long. */
export const ACCEPTED_API_KEY_PATTERN = /^pcak_[A-Za-z0-9_-]{16,200}$/;

/** A new random identifier or secret with its prefix, e.g. `dpl_3fZ…`. Secrets get 192 bits, ids 120. */
export function newId(prefix: IdPrefix): string {
  const secret = prefix === 'ustk' || prefix === 'pcak';
  return `${prefix}_${randomBytes(secret ? 24 : 15).toString('base64url')}`;
}

/** The SHA-256 of a secret: what the database keeps instead of the secret itself. */
export function hashSecret(secret: string): Buffer {
  // One-shot: twice as fast as a Hash object, and every authenticated request hashes its key (a blob PUT its token too).
  return hash('sha256', secret, 'buffer');
}

/** Whether `secret` hashes to `storedHash`, compared in constant time. */
export function secretMatches(secret: string, storedHash: Uint8Array): boolean {
  const candidate = hashSecret(secret);
  return candidate.length === storedHash.length && timingSafeEqual(candidate, storedHash);
}
