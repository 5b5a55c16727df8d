import { hash, createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { extname } from 'node:path';
import type { IHasher } from 'hash-wasm';
import type { HashKind } from './ports.ts';

/**
 * The hash pool's worker (piscina task functions, run in worker threads):
 * hashes a batch of files and says, for each, its hash (of the kind the
 * target names content by) or why not; and
 * lstats a batch of paths for the scan. It works synchronously: the thread
 * has nothing else to do, and a sync call skips libuv's 4-thread pool and
 * its cross-thread wake-ups, which cost more than the syscall itself.
 */

/** One file to hash, with what the scan saw (a difference means the file changed since). */
export interface HashTaskFile {
  absolutePath: string;
  size: number;
  mtimeNs: bigint;
  ino: bigint;
}

/** One piscina task: a batch of small files, or one large file. */
export interface HashTask {
  kind: HashKind;
  files: HashTaskFile[];
  /** A BigInt64Array's buffer: bytes read so far are added to element 0, for live progress without messages. */
  progress: SharedArrayBuffer;
}

/** Why a file was not hashed; the pool turns it into a sentence. */
export type HashTaskFailure =
  | { code: 'vanished' }
  | { code: 'unreadable'; cause: string }
  | { code: 'changed'; now: 'size'; size: number }
  | { code: 'changed'; now: 'modified' | 'replaced' | 'not_a_file' };

/** For each file of the task, in order: its hex hash, or the failure. */
export type HashTaskResult = Array<string | HashTaskFailure>;

/** Slots per path in a packed lstat batch: kind, size, mtimeNs, ino, dev (for `error`, size holds the errno). */
export const LSTAT_SLOTS = 5;

/** What a path is, as lstat saw it, in a packed batch. */
export const LstatKind = { missing: 0n, file: 1n, directory: 2n, symlink: 3n, other: 4n, error: 5n } as const;

// One buffer per worker thread, reused for every read: memory stays at
// CHUNK_BYTES per thread whatever the file sizes. Allocated on first use, as
// the main thread imports this module for the lstat helpers.
const CHUNK_BYTES = 1024 * 1024;
let chunk: Buffer | null = null;

// Cloudflare's asset hash is BLAKE3, which node:crypto lacks: hash-wasm's, made once per thread, on first use.
// Imported then too: the module carries every algorithm's WebAssembly, which a SHA-256 deploy's workers (and
// the scan's lstat workers) would otherwise parse at start-up for nothing.
let blake3: IHasher | null = null;
const createBLAKE3 = async () => (await import('hash-wasm')).createBLAKE3();

/** Piscina entry point: hashes a batch of files. */
export async function hashTask(task: HashTask): Promise<HashTaskResult> {
  const progress = new BigInt64Array(task.progress);
  chunk ??= Buffer.allocUnsafeSlow(CHUNK_BYTES);
  if (task.kind === 'sha256') return task.files.map((file) => hashOne(file, chunk!, progress, sha256Digest()));
  blake3 ??= await createBLAKE3();
  return task.files.map((file) => hashOne(file, chunk!, progress, cloudflareAssetDigest(blake3!, file.absolutePath)));
}

/** A digest fed the file's bytes chunk by chunk, and asked for the hash once at the end. */
interface Digest {
  /** The whole file in one chunk (most files): may take a faster path. */
  whole(bytes: Buffer): string;
  update(bytes: Buffer): void;
  end(): string;
}

function sha256Digest(): Digest {
  let digest: ReturnType<typeof createHash> | null = null;
  return {
    // One-shot hash, no Hash object.
    whole: (bytes) => hash('sha256', bytes, 'hex'),
    update: (bytes) => void (digest ??= createHash('sha256')).update(bytes),
    end: () => (digest ?? createHash('sha256')).digest('hex'),
  };
}

/**
 * Cloudflare's asset hash, as wrangler computes it: BLAKE3 of the content
 * in base64 followed by the file's extension (without its dot), hex, cut to
 * 32 characters. Base64 is encoded in runs of whole 3-byte groups, so a big
 * file streams through without its base64 ever held whole.
 */
function cloudflareAssetDigest(hasher: IHasher, path: string): Digest {
  hasher.init();
  let carry = Buffer.alloc(0);
  const end = () => {
    hasher.update(carry.toString('base64'));
    hasher.update(extname(path).slice(1));
    return hasher.digest('hex').slice(0, 32);
  };
  const update = (bytes: Buffer) => {
    const joined = carry.length > 0 ? Buffer.concat([carry, bytes]) : bytes;
    const whole = joined.length - (joined.length % 3);
    hasher.update(joined.subarray(0, whole).toString('base64'));
    // Copied: the chunk buffer is read into again.
    carry = Buffer.from(joined.subarray(whole));
  };
  return {
    whole: (bytes) => {
      update(bytes);
      return end();
    },
    update,
    end,
  };
}

/** Cloudflare's asset hash of bytes held in memory (a test's, or a peer's check of what it was sent). */
export async function cloudflareAssetHash(bytes: Uint8Array, path: string): Promise<string> {
  blake3 ??= await createBLAKE3();
  return cloudflareAssetDigest(blake3, path).whole(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** Cloudflare's asset hash of a content already in base64 (ASCII bytes): what an upload sends, checked as it is sent. */
export async function cloudflareAssetHashOfBase64(base64: Uint8Array, path: string): Promise<string> {
  blake3 ??= await createBLAKE3();
  // No await between init and digest: the one hasher of this thread is never interleaved.
  blake3.init();
  blake3.update(base64);
  blake3.update(extname(path).slice(1));
  return blake3.digest('hex').slice(0, 32);
}

/** Piscina entry point: lstats a batch of NUL-separated paths for the scan, packed LSTAT_SLOTS bigints per path (no object per entry to clone back). */
export function lstatTask(joinedPaths: string): BigInt64Array {
  const paths = joinedPaths.split('\0');
  const out = new BigInt64Array(paths.length * LSTAT_SLOTS);
  for (let i = 0; i < paths.length; i++) lstatInto(out, i, paths[i]!);
  return out;
}

/** lstats one path into slot `i` of a packed batch. */
export function lstatInto(out: BigInt64Array, i: number, path: string): void {
  let stats: BigIntStats | undefined;
  try {
    stats = lstatSync(path, { bigint: true, throwIfNoEntry: false });
  } catch (error) {
    const { code, errno } = error as NodeJS.ErrnoException;
    if (code === 'ENOTDIR') return packLstat(out, i, undefined); // a parent became a file: gone, as ENOENT
    out[i * LSTAT_SLOTS] = LstatKind.error;
    out[i * LSTAT_SLOTS + 1] = BigInt(errno ?? -1);
    return;
  }
  packLstat(out, i, stats);
}

/** Writes lstat's answer (undefined: no such entry) into slot `i` of a packed batch. */
export function packLstat(out: BigInt64Array, i: number, stats: BigIntStats | undefined): void {
  const at = i * LSTAT_SLOTS;
  if (!stats) {
    out[at] = LstatKind.missing;
    return;
  }
  out[at] = stats.isFile()
    ? LstatKind.file
    : stats.isDirectory()
      ? LstatKind.directory
      : stats.isSymbolicLink()
        ? LstatKind.symlink
        : LstatKind.other;
  out[at + 1] = stats.size;
  out[at + 2] = stats.mtimeNs;
  out[at + 3] = stats.ino;
  out[at + 4] = stats.dev;
}

function hashOne(
  file: HashTaskFile,
  buffer: Buffer,
  progress: BigInt64Array,
  digest: Digest,
): string | HashTaskFailure {
  let fd: number;
  try {
    // O_NONBLOCK: should the file have become a FIFO since the scan, open must not wait for a writer.
    fd = openSync(file.absolutePath, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return failureOf(error);
  }
  try {
    const before = fstatSync(fd, { bigint: true });
    const changed = differs(before, file);
    if (changed) return changed;
    // Each read asks for a whole chunk: a file that grew shows as more bytes than its size, and a
    // file read whole in one call needs no extra read to see EOF.
    let total = 0;
    let chunks = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK_BYTES, null);
      if (n === 0) break;
      total += n;
      Atomics.add(progress, 0, BigInt(n));
      if (total > file.size) return { code: 'changed', now: 'size', size: Number(fstatSync(fd).size) };
      // The whole file in one read (most files).
      if (chunks++ === 0 && total === file.size) return check(fd, file, chunks, digest.whole(buffer.subarray(0, n)));
      digest.update(buffer.subarray(0, n));
    }
    if (total !== file.size) return { code: 'changed', now: 'size', size: total };
    return check(fd, file, chunks, digest.end());
  } catch (error) {
    return failureOf(error);
  } finally {
    closeSync(fd);
  }
}

/** A multi-read file is stat'ed again: a same-size rewrite while we read would leave mixed bytes with a plausible size. */
function check(fd: number, file: HashTaskFile, chunks: number, digest: string): string | HashTaskFailure {
  if (chunks <= 1) return digest;
  return differs(fstatSync(fd, { bigint: true }), file) ?? digest;
}

function differs(stats: BigIntStats, file: HashTaskFile): HashTaskFailure | null {
  if (!stats.isFile()) return { code: 'changed', now: 'not_a_file' };
  if (stats.ino !== file.ino) return { code: 'changed', now: 'replaced' };
  if (stats.size !== BigInt(file.size)) return { code: 'changed', now: 'size', size: Number(stats.size) };
  if (stats.mtimeNs !== file.mtimeNs) return { code: 'changed', now: 'modified' };
  return null;
}

function failureOf(error: unknown): HashTaskFailure {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { code: 'vanished' };
  return { code: 'unreadable', cause: code ?? String(error) };
}
