import { posix } from 'node:path';
import { createBLAKE3, type IHasher } from 'hash-wasm';

let hasher: Promise<IHasher> | undefined;

/**
 * The extension Cloudflare's asset hash includes: what follows the last dot
 * of the file name, without the dot ('' for `/LICENSE` or `/.env`), as
 * wrangler's hashFile takes it from `path.extname`.
 */
export function assetExtension(manifestPath: string): string {
  return posix.extname(manifestPath).slice(1);
}

/**
 * Cloudflare's asset hash: BLAKE3 of the file's base64 text followed by its
 * extension, as hex, first 32 characters. `base64` must be the canonical
 * encoding (padded, no line breaks), as `Buffer#toString('base64')` gives.
 */
export async function assetHash(base64: string, extension: string): Promise<string> {
  const blake3 = await (hasher ??= createBLAKE3());
  // One hasher for the process: init, update and digest run with no await between them.
  blake3.init();
  blake3.update(base64);
  blake3.update(extension);
  return blake3.digest('hex').slice(0, 32);
}
