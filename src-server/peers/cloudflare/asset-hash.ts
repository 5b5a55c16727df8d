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

/** Cloudflare's asset hash of canonical base64 text, given in pieces (bytes or strings), and an extension. */
export type AssetHasher = (base64: ReadonlyArray<Uint8Array | string>, extension: string) => string;

/**
 * Loads the process's one BLAKE3 hasher and answers Cloudflare's asset hash
 * as a synchronous function: BLAKE3 of the file's base64 text followed by
 * its extension, as hex, first 32 characters. `base64` must be the
 * canonical encoding (padded, no line breaks), as `Buffer#toString('base64')`
 * gives. Synchronous, so init, update and digest of one hash never
 * interleave with another's.
 */
export async function loadAssetHasher(): Promise<AssetHasher> {
  const blake3 = await (hasher ??= createBLAKE3());
  return (base64, extension) => {
    blake3.init();
    for (const piece of base64) blake3.update(piece);
    blake3.update(extension);
    return blake3.digest('hex').slice(0, 32);
  };
}

/** Cloudflare's asset hash (see loadAssetHasher). */
export async function assetHash(base64: Uint8Array | string, extension: string): Promise<string> {
  return (await loadAssetHasher())([base64], extension);
}
