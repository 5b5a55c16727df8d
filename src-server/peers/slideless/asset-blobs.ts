import { createHash, randomUUID, type Hash } from 'node:crypto';
import type { ReadStream } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from '../../blob-store.ts';

/**
 * The peer's blobs, content-addressed by SHA-256 in
 * src-server/blob-store.ts (its packs and files, and its reads). That store's
 * `ingest` needs the hash and size before the body; a Slideless upload's
 * `sha256` field may come after the file part ("order-independent"), so
 * here a body is first written to a temp file while it is hashed, and only
 * named by its hash once the caller has checked it.
 */
export class AssetBlobs {
  /** The layout, the sweep of temp files at open, and the reads: the local Press Cloud's own store. */
  readonly #store: BlobStore;
  readonly #tmpDir: string;

  private constructor(store: BlobStore, root: string) {
    this.#store = store;
    this.#tmpDir = join(root, 'tmp');
  }

  /** Opens the store under `root`, removing temp files a killed process left. */
  static async open(root: string): Promise<AssetBlobs> {
    return new AssetBlobs(await BlobStore.open(root), root);
  }

  /** The blob's size, or null when it is not on disk. */
  async sizeOf(sha256: string): Promise<number | null> {
    return this.#store.sizeOf(sha256);
  }

  /** The blob's bytes, streamed from disk. */
  read(sha256: string): ReadStream {
    return this.#store.read(sha256);
  }

  /** A temp file to stream one upload into. */
  async newIncoming(): Promise<IncomingBlob> {
    const path = join(this.#tmpDir, `${randomUUID()}.part`);
    return new IncomingBlob(path, await open(path, 'wx'), (sha256) => this.#keep(path, sha256));
  }

  async #keep(tempPath: string, sha256: string): Promise<void> {
    if ((await this.sizeOf(sha256)) !== null) {
      // Same hash, same bytes: the copy already there is kept.
      await rm(tempPath, { force: true });
      return;
    }
    await this.#store.adopt(tempPath, sha256);
  }
}

/** One upload on its way to disk: written and hashed chunk by chunk, then kept under its hash or discarded. */
export class IncomingBlob {
  readonly #path: string;
  readonly #file: FileHandle;
  readonly #hash: Hash = createHash('sha256');
  readonly #keep: (sha256: string) => Promise<void>;
  #size = 0;
  #closed = false;

  constructor(path: string, file: FileHandle, keep: (sha256: string) => Promise<void>) {
    this.#path = path;
    this.#file = file;
    this.#keep = keep;
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#size;
  }

  /** Appends a chunk; resolves once it is written, so a slow disk slows the reader of the body. */
  async write(chunk: Buffer): Promise<void> {
    this.#size += chunk.length;
    this.#hash.update(chunk);
    await this.#file.write(chunk);
  }

  /** Ends the writing; answers the SHA-256 (hex) and size of what was written. */
  async finish(): Promise<{ sha256: string; size: number }> {
    await this.#file.sync();
    await this.#close();
    return { sha256: this.#hash.digest('hex'), size: this.#size };
  }

  /** Stores the finished file as blob `sha256` (the caller checked the hash). */
  async keepAs(sha256: string): Promise<void> {
    await this.#keep(sha256);
  }

  /** Throws the temp file away (a refused or broken upload leaves nothing behind). */
  async discard(): Promise<void> {
    await this.#close().catch(() => undefined);
    await rm(this.#path, { force: true });
  }

  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#file.close();
  }
}
