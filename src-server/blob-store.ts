import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** Bytes gathered before one write to the temp file. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** Bytes written between background flushes, so the final fsync finds little left to write. */
const EARLY_FLUSH_BYTES = 64 * 1024 * 1024;

/** What an ingest expects the body to be: the session's registered sha256 and size. */
export interface ExpectedBlob {
  sha256: string;
  size: number;
}

/** Why an ingest refused a body; the caller maps it to the API's error. */
export type IngestRefusal = 'size_mismatch' | 'hash_mismatch';

/** Thrown by `ingest` when the body is not the blob it claims to be. Nothing was stored. */
export class BlobRefusedError extends Error {
  readonly reason: IngestRefusal;
  readonly receivedBytes: number;
  constructor(reason: IngestRefusal, message: string, receivedBytes: number) {
    super(message);
    this.reason = reason;
    this.receivedBytes = receivedBytes;
  }
}

/**
 * The content-addressed blob store: each blob is one file named by its
 * SHA-256 under two levels of shard folders (`ab/cd/abcd…`). A blob appears
 * only by rename after its bytes were hashed, checked and fsynced, so a file
 * in the store is always whole; anything cut off is a temp file, and temp
 * files are swept at open.
 */
export class BlobStore {
  readonly #blobsDir: string;
  readonly #tmpDir: string;

  private constructor(root: string) {
    this.#blobsDir = join(root, 'blobs');
    this.#tmpDir = join(root, 'tmp');
  }

  /** Opens the store under `root`, removing temp files a killed process left behind. */
  static async open(root: string): Promise<BlobStore> {
    const store = new BlobStore(root);
    await rm(store.#tmpDir, { recursive: true, force: true });
    await mkdir(store.#tmpDir, { recursive: true });
    await mkdir(store.#blobsDir, { recursive: true });
    return store;
  }

  /** Where the blob lives on disk (whether or not it is there yet). */
  pathOf(sha256: string): string {
    return join(this.#blobsDir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  /** The stored blob's size in bytes, or null when it is not stored. */
  async sizeOf(sha256: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(sha256))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** Whether the blob is stored. */
  async has(sha256: string): Promise<boolean> {
    return (await this.sizeOf(sha256)) !== null;
  }

  /** The blob's bytes (or the inclusive byte range asked for), streamed from disk. */
  read(sha256: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.pathOf(sha256), range);
  }

  /**
   * Streams `body` into the store as blob `expected.sha256`, hashing as it
   * goes. Refuses (BlobRefusedError) as soon as the body runs past
   * `expected.size`, and at the end when the length or hash differs; a
   * refused or broken body leaves nothing behind. The body is never
   * destroyed here, so the caller can still answer on its connection.
   * `onChunk` sees the byte count after each chunk and may throw to abort
   * (the fault injector cuts connections with it). Resolves
   * `alreadyPresent: true` when the blob was stored already (checked, not
   * written again) or another upload stored it first.
   */
  async ingest(
    body: Readable,
    expected: ExpectedBlob,
    onChunk?: (receivedBytes: number) => void,
  ): Promise<{ alreadyPresent: boolean }> {
    // Stored already: the body is still read and checked (the contract refuses a wrong body), but not written.
    const alreadyPresent = await this.has(expected.sha256);
    const tempPath = join(this.#tmpDir, `${expected.sha256}.${randomUUID()}.part`);
    const file = alreadyPresent ? null : await open(tempPath, 'wx');
    const hash = createHash('sha256');
    let received = 0;
    // Chunks are gathered into ~1 MiB writes, one write in flight while the next batch arrives.
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let writing: Promise<unknown> = Promise.resolve();
    // A datasync in the background every EARLY_FLUSH_BYTES overlaps the disk with the network.
    let flushing: Promise<unknown> = Promise.resolve();
    let unflushedBytes = 0;
    const flush = async () => {
      if (!file) {
        batch = [];
        batchBytes = 0;
        return;
      }
      await writing;
      writing = file.writev(batch);
      unflushedBytes += batchBytes;
      batch = [];
      batchBytes = 0;
      if (unflushedBytes >= EARLY_FLUSH_BYTES) {
        unflushedBytes = 0;
        await flushing;
        flushing = writing.then(() => file.datasync());
      }
    };
    try {
      for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > expected.size) {
          throw new BlobRefusedError(
            'size_mismatch',
            `The body is longer than the ${expected.size} bytes the session registered for this blob.`,
            received,
          );
        }
        hash.update(chunk);
        onChunk?.(received);
        batch.push(chunk);
        batchBytes += chunk.length;
        if (batchBytes >= WRITE_BATCH_BYTES) await flush();
      }
      if (batchBytes > 0) await flush();
      await writing;
      await flushing;
      if (received !== expected.size) {
        throw new BlobRefusedError(
          'size_mismatch',
          `The body is ${received} bytes; the session registered ${expected.size} for this blob.`,
          received,
        );
      }
      const actual = hash.digest('hex');
      if (actual !== expected.sha256) {
        throw new BlobRefusedError(
          'hash_mismatch',
          `The body hashes to ${actual}, not to ${expected.sha256}.`,
          received,
        );
      }
      if (!file) return { alreadyPresent: true };
      await file.sync();
      await file.close();
      return { alreadyPresent: await this.#moveIntoPlace(tempPath, expected.sha256) };
    } finally {
      await writing.catch(() => undefined);
      await flushing.catch(() => undefined);
      if (file) {
        await file.close().catch(() => undefined);
        await rm(tempPath, { force: true });
      }
    }
  }

  /** Renames a checked temp file into the store; false when it is new, true when it was already there. */
  async #moveIntoPlace(tempPath: string, sha256: string): Promise<boolean> {
    if (await this.has(sha256)) return true;
    const finalPath = this.pathOf(sha256);
    const shardDir = join(finalPath, '..');
    await mkdir(shardDir, { recursive: true });
    await rename(tempPath, finalPath);
    // The rename is durable only once its directory entry is on disk.
    const dir = await open(shardDir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return false;
  }
}
