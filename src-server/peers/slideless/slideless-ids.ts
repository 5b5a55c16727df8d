import { createHash, randomBytes } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562), the id shape Slideless uses for presentations,
 * sessions and tokens (`019dba77-4a1d-716e-…` in the docs' examples):
 * 48 bits of Unix milliseconds, then random bits.
 */
export function uuidV7(nowMs: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(Math.floor(nowMs), 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A viewer token: 48 random bytes, 64 base64url characters like the docs' example token. */
export function newViewerToken(): string {
  return randomBytes(48).toString('base64url');
}

/** Who owns a presentation: the SHA-256 of the API key, so the key itself is never stored. */
export function ownerOf(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}
