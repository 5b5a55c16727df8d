import { createHash, randomUUID } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fdatasync,
  openSync,
  stat,
  statSync,
  unlinkSync,
  writev,
  writevSync,
  type ReadStream,
} from 'node:fs';
import { mkdir, readdir, rename, rm, stat as statAsync } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { BlobPacks } from './blob-packs.ts';
import { type Arrival, SyncRounds, syncDir } from './sync-rounds.ts';

const fdatasyncAsync = promisify(fdatasync);

/**
 * Blobs of up to this many bytes (and more than none) are kept in memory until checked and then
 * appended to a pack; larger ones are written to a file of their own as they arrive.
 */
const PACKED_BLOB_MAX_BYTES = 512 * 1024;
/** Bytes gathered before one write to a large blob's temp file. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** Bytes written between background flushes, so the final fsync finds little left to write. */
const EARLY_FLUSH_BYTES = 64 * 1024 * 1024;
/** Blobs whose size this process remembers; past this many it forgets them all and asks the disk again. */
const MAX_KNOWN_BLOBS = 250_000;

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

interface BlobArrival extends Arrival {
  sha256: string;
  size: number;
}

/**
 * The content-addressed blob store. A small blob is a record in a pack file
 * (`blobs/packs/`, see BlobPacks): many arrive together, and one data sync
 * covers them all. A large one is a file named by its SHA-256 under two
 * levels of shard folders (`ab/cd/abcd…`); it appears only by rename after
 * its bytes were hashed, checked and synced, and an ingest resolves only
 * once that rename is durable too; anything cut off is a temp file, and
 * temp files are swept at open. Blobs are never deleted, so what this
 * process has seen stored it remembers.
 */
export class BlobStore {
  readonly #blobsDir: string;
  readonly #tmpDir: string;
  readonly #packs: BlobPacks;
  /** Size by sha256 of blob files known to be stored. */
  readonly #knownSizes = new Map<string, number>();
  readonly #rounds: SyncRounds<BlobArrival>;
  /**
   * Blobs this process found absent. Only this process writes the store (one server per data
   * folder), and a blob appears only through its sync rounds, which take it out of here: so a
   * missing-blobs answer saves the PUT that follows a second stat.
   */
  readonly #knownAbsent = new Set<string>();
  /**
   * Whether every blob file of its own is in #knownSizes: true for a store that had none when it
   * opened (every file since was written or adopted here), until #knownSizes overflows. Then a blob
   * that is neither packed nor known is absent, and nobody need ask the disk.
   */
  #everyFileKnown: boolean;
  /** Blobs handed to a sync round and not yet answered: on disk, maybe not durably. */
  readonly #settling = new Map<string, Promise<boolean>>();

  private constructor(root: string, packs: BlobPacks, hasFiles: boolean) {
    this.#blobsDir = join(root, 'blobs');
    this.#tmpDir = join(root, 'tmp');
    this.#packs = packs;
    this.#everyFileKnown = !hasFiles;
    this.#rounds = new SyncRounds({
      isStored: (arrival) => this.#knownSizes.has(arrival.sha256),
      stored: (arrival) => this.#remember(arrival.sha256, arrival.size),
    });
  }

  /** Opens the store under `root`, removing temp files a killed process left behind and the torn tail of a pack. */
  static async open(root: string): Promise<BlobStore> {
    const tmpDir = join(root, 'tmp');
    await rm(tmpDir, { recursive: true, force: true });
    await mkdir(tmpDir, { recursive: true });
    const blobsDir = join(root, 'blobs');
    await mkdir(blobsDir, { recursive: true });
    // The blobs folder's own entry, before any blob in it is acknowledged.
    await syncDir(root);
    const packs = await BlobPacks.open(join(blobsDir, 'packs'));
    await syncDir(blobsDir);
    // Shard folders (two hex digits) hold the blob files; a store made before packs has them for small blobs too.
    const hasFiles = (await readdir(blobsDir)).some((name) => name !== 'packs');
    return new BlobStore(root, packs, hasFiles);
  }

  /** Waits for blobs being made durable and closes the packs; the server calls it once requests are done. */
  close(): Promise<void> {
    return this.#packs.close();
  }

  /** Where a blob stored as a file of its own lives (whether or not it is there). */
  #pathOf(sha256: string): string {
    return join(this.#blobsDir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  /** The stored blob's size in bytes, or null when it is not stored (a blob being made durable is waited for). */
  async sizeOf(sha256: string): Promise<number | null> {
    const known = this.knownSize(sha256);
    if (known !== undefined) return known;
    const settling = this.#settling.get(sha256);
    if (settling !== undefined) {
      await settling.catch(() => undefined);
      return this.sizeOf(sha256);
    }
    if (this.#knownAbsent.has(sha256) || this.#everyFileKnown) return null;
    const size = await new Promise<number | null>((resolve, reject) =>
      stat(this.#pathOf(sha256), (error, stats) => {
        if (!error) resolve(stats.size);
        else if (error.code === 'ENOENT') resolve(null);
        else reject(error);
      }),
    );
    // Renamed in while the stat ran: the answer waits for its folder's sync.
    if (this.#settling.has(sha256)) return this.sizeOf(sha256);
    if (size !== null) this.#remember(sha256, size);
    else this.#rememberAbsent(sha256);
    return size;
  }

  /** The size of a blob this process knows is stored; undefined when only the disk can tell (ask `sizeOf`). */
  knownSize(sha256: string): number | undefined {
    return this.#packs.sizeOf(sha256) ?? this.#knownSizes.get(sha256);
  }

  /** Whether the blob is stored. */
  async has(sha256: string): Promise<boolean> {
    return (await this.sizeOf(sha256)) !== null;
  }

  /**
   * Names a checked temp file (in this store's file system) blob `sha256`, for an intake of its own
   * (the Slideless peer hashes a body before it knows its name); the store knows it is there from now.
   */
  async adopt(tempPath: string, sha256: string): Promise<void> {
    const finalPath = this.#pathOf(sha256);
    await mkdir(dirname(finalPath), { recursive: true });
    await rename(tempPath, finalPath);
    this.#remember(sha256, (await statAsync(finalPath)).size);
  }

  /** The blob's bytes (or the inclusive byte range asked for), streamed from disk. */
  read(sha256: string, range?: { start: number; end: number }): ReadStream {
    if (this.#packs.sizeOf(sha256) !== undefined) return this.#packs.read(sha256, range);
    return createReadStream(this.#pathOf(sha256), range);
  }

  /**
   * Streams `body` into the store as blob `expected.sha256`, hashing as it
   * goes. Refuses (BlobRefusedError) as soon as the body runs past
   * `expected.size`, and at the end when the length or hash differs; a
   * refused or broken body leaves nothing behind. The body is never
   * destroyed here, so the caller can still answer on its connection.
   * `onChunk` sees the byte count after each chunk and may throw to abort
   * (the fault injector cuts connections with it). Resolves once the blob
   * is durable, `alreadyPresent: true` when it was stored already (checked,
   * not written again) or another upload stored it first.
   *
   * A body of up to PACKED_BLOB_MAX_BYTES is kept in memory until it is
   * checked, then written to a pack and answered after its next sync. A larger one goes
   * to a temp file: written with one call when it is under 1 MiB, else as
   * it arrives, ~1 MiB at a time. Making the temp file, writing to the page
   * cache and closing run on this thread (no disk wait, and cheaper than a
   * thread-pool trip); the data sync and large writes go to the pool.
   */
  async ingest(
    body: Readable,
    expected: ExpectedBlob,
    onChunk?: (receivedBytes: number) => void,
  ): Promise<{ alreadyPresent: boolean }> {
    // Stored already: the body is still read and checked (the contract refuses a wrong body), but not written.
    const alreadyPresent = this.#isDurablyStored(expected.sha256);
    const packed = expected.size > 0 && expected.size <= PACKED_BLOB_MAX_BYTES;
    // Only a blob written to a file of its own needs one (a random name per upload costs ~5 µs).
    const tempPath = packed ? '' : join(this.#tmpDir, `${expected.sha256}.${randomUUID()}.part`);
    const hash = createHash('sha256');
    let received = 0;
    let fd: number | null = null;
    let handedOver = false;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    // One write in flight while the next batch arrives.
    let writing: Promise<unknown> = Promise.resolve();
    // A datasync in the background every EARLY_FLUSH_BYTES overlaps the disk with the network.
    let flushing: Promise<unknown> = Promise.resolve();
    let unflushedBytes = 0;
    const flush = async () => {
      if (alreadyPresent) {
        batch = [];
        batchBytes = 0;
        return;
      }
      fd ??= openSync(tempPath, 'wx');
      const file = fd;
      await writing;
      writing = writeAll(file, batch, batchBytes);
      unflushedBytes += batchBytes;
      batch = [];
      batchBytes = 0;
      if (unflushedBytes >= EARLY_FLUSH_BYTES) {
        unflushedBytes = 0;
        await flushing;
        flushing = writing.then(() => fdatasyncAsync(file));
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
        if (batchBytes >= WRITE_BATCH_BYTES && !packed) await flush();
      }
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
      if (alreadyPresent) return { alreadyPresent: true };
      if (packed) {
        handedOver = true;
        const appending = this.#packs.append(expected.sha256, batch, received);
        const packedAlready = await this.#settle(expected.sha256, appending);
        this.#knownAbsent.delete(expected.sha256);
        return { alreadyPresent: packedAlready };
      }
      if (fd === null) {
        fd = openSync(tempPath, 'wx');
        const written = writevSync(fd, batch);
        if (written !== batchBytes) throw new Error(`wrote ${written} of ${batchBytes} bytes`);
      } else {
        if (batchBytes > 0) await flush();
        await writing;
        await flushing;
      }
      await fdatasyncAsync(fd);
      const file = fd;
      fd = null;
      closeSync(file);
      handedOver = true;
      const publishing = this.#rounds.publish({ tempPath, finalPath: this.#pathOf(expected.sha256), ...expected });
      return { alreadyPresent: await this.#settle(expected.sha256, publishing) };
    } finally {
      if (!handedOver) {
        await writing.catch(() => undefined);
        await flushing.catch(() => undefined);
        if (fd !== null) {
          closeQuietly(fd);
          removeQuietly(tempPath);
        }
      }
    }
  }

  /** Waits for a blob being made durable; meanwhile `sizeOf` waits for it too. */
  async #settle(sha256: string, publishing: Promise<boolean>): Promise<boolean> {
    this.#settling.set(sha256, publishing);
    try {
      return await publishing;
    } finally {
      if (this.#settling.get(sha256) === publishing) this.#settling.delete(sha256);
    }
  }

  /**
   * Whether the blob is stored for good: from memory, else one stat on this
   * thread (the missing-blobs call has just looked at this path). One being
   * made durable right now counts as not stored: this upload is written
   * too, and the round that names them keeps one.
   */
  #isDurablyStored(sha256: string): boolean {
    if (this.knownSize(sha256) !== undefined) return true;
    if (this.#settling.has(sha256) || this.#knownAbsent.has(sha256) || this.#everyFileKnown) return false;
    const stats = statSync(this.#pathOf(sha256), { throwIfNoEntry: false });
    if (stats === undefined) {
      this.#rememberAbsent(sha256);
      return false;
    }
    this.#remember(sha256, stats.size);
    return true;
  }

  #remember(sha256: string, size: number): void {
    this.#knownAbsent.delete(sha256);
    if (this.#knownSizes.size >= MAX_KNOWN_BLOBS) {
      this.#knownSizes.clear();
      this.#everyFileKnown = false;
    }
    this.#knownSizes.set(sha256, size);
  }

  #rememberAbsent(sha256: string): void {
    if (this.#knownAbsent.size >= MAX_KNOWN_BLOBS) this.#knownAbsent.clear();
    this.#knownAbsent.add(sha256);
  }
}

/** Writes `buffers` (`bytes` in all) at the file's position. */
function writeAll(fd: number, buffers: Buffer[], bytes: number): Promise<void> {
  return new Promise((resolve, reject) =>
    // libuv itself goes on after a short write, so fewer bytes than asked means something is wrong.
    writev(fd, buffers, (error, written) => {
      if (error) reject(error);
      else if (written !== bytes) reject(new Error(`wrote ${written} of ${bytes} bytes`));
      else resolve();
    }),
  );
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // The error that brought us here is the one to report.
  }
}

/** Removes a temp file; one left behind (it should not be) is swept when the store next opens. */
function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // The error that brought us here is the one to report.
  }
}
