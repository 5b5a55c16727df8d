import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPackRecords } from '../blob-packs.ts';

/** A blob as it lies in a data folder: its name, the file it is in, and its bytes (read when asked). */
export interface BlobOnDisk {
  sha256: string;
  file: string;
  bytes(): Buffer;
}

const SHA256_NAME = /^[0-9a-f]{64}$/;

/**
 * Every blob a store under `root` holds on disk, each copy once: the files
 * of their own under the shard folders, and the records of each pack, read
 * as they lie (not checked against their names: that is for the test).
 */
export function blobsOnDisk(root: string): BlobOnDisk[] {
  const blobsDir = join(root, 'blobs');
  if (!existsSync(blobsDir)) return [];
  const found: BlobOnDisk[] = [];
  for (const entry of readdirSync(blobsDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    if (SHA256_NAME.test(entry.name)) found.push({ sha256: entry.name, file, bytes: () => readFileSync(file) });
    if (!entry.name.endsWith('.pack')) continue;
    for (const { sha256, offset, size } of readPackRecords(file, { verify: false }).records) {
      found.push({ sha256, file, bytes: () => readFileSync(file).subarray(offset, offset + size) });
    }
  }
  return found;
}

/** The copies of blob `sha256` on disk under `root`. */
export function copiesOnDisk(root: string, sha256: string): BlobOnDisk[] {
  return blobsOnDisk(root).filter((blob) => blob.sha256 === sha256);
}
