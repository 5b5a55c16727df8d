import { createHash, hash as digestOf } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { Transform, type Readable } from 'node:stream';

/** The file's bytes are no longer the ones that were hashed: re-scan and re-plan, never commit a wrong hash. */
export class FileChangedError extends Error {
  readonly path: string;
  /** `detail` says what changed during the upload; a change seen elsewhere (while hashing) brings its whole `message`. */
  constructor(path: string, detail: string, message = `${path} changed while it was uploaded (${detail}).`) {
    super(message);
    this.path = path;
  }
}

/**
 * A file's bytes for an upload, re-hashed as they stream: if the file grew,
 * shrank, changed, was deleted or was replaced since it was hashed, the
 * stream fails with FileChangedError before its last byte is sent, so the
 * server never gets a complete body with the wrong content.
 */
export function openVerifiedFileBody(file: {
  path: string;
  absolutePath: string;
  /** Its SHA-256, hex (the targets that stream files raw name content by SHA-256). */
  hash: string;
  size: number;
}): Readable {
  const hash = createHash('sha256');
  let seen = 0;
  let held: Buffer | null = null;
  let opened: { ino: bigint; dev: bigint } | null = null;
  const verify = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > file.size)
        return done(new FileChangedError(file.path, `it is now larger than the ${file.size} bytes hashed`));
      hash.update(chunk);
      // Hold each chunk back by one, so the last one goes out only once the hash is known to match.
      const previous = held;
      held = chunk;
      done(null, previous ?? undefined);
    },
    flush(done) {
      if (seen < file.size)
        return done(new FileChangedError(file.path, `it is now ${seen} bytes, not the ${file.size} hashed`));
      if (hash.digest('hex') !== file.hash)
        return done(new FileChangedError(file.path, 'its content differs from what was hashed'));
      // A save by rename (most editors do) leaves the file we read intact and puts other bytes at
      // its path: the hash matches, yet the folder no longer holds what we sent.
      const now = statSync(file.absolutePath, { bigint: true, throwIfNoEntry: false });
      if (!now) return done(new FileChangedError(file.path, 'it was deleted'));
      if (opened && (now.ino !== opened.ino || now.dev !== opened.dev))
        return done(new FileChangedError(file.path, 'it was replaced by another file'));
      done(null, held ?? undefined);
    },
  });
  // Reads sized to the file (most are small), and one byte past its hashed end, so a file that grew is seen.
  const source = createReadStream(file.absolutePath, {
    highWaterMark: Math.min(256 * 1024, file.size + 1),
    start: 0,
    end: file.size,
  });
  source.once('open', (fd: number) => {
    const { ino, dev } = fstatSync(fd, { bigint: true });
    opened = { ino, dev };
  });
  source.on('error', (error: NodeJS.ErrnoException) => {
    // Gone since it was hashed: a change like any other, so the run re-plans with the folder as it is now.
    verify.destroy(error.code === 'ENOENT' ? new FileChangedError(file.path, 'it was deleted') : error);
  });
  return source.pipe(verify);
}

/**
 * Files up to this size are read whole, synchronously, and sent as one
 * buffer: most of a site's files are a few KiB, and for them a stream, its
 * Transform and four thread-pool hops cost more than the bytes. They were
 * read by the hash workers moments before, so the read comes from the page
 * cache and takes microseconds.
 */
export const WHOLE_READ_MAX_BYTES = 64 * 1024;

/**
 * A file's bytes for an upload, checked against its hash before any byte is
 * sent: a small file as a Buffer (read whole), a larger one as a stream
 * (openVerifiedFileBody). A small file whose size or content changed since
 * it was hashed throws FileChangedError. One replaced by rename with the
 * same bytes is caught by the run's last look before the commit, as a save
 * during a large file's stream can be.
 */
export function verifiedFileBody(file: {
  path: string;
  absolutePath: string;
  hash: string;
  size: number;
}): Readable | Buffer {
  if (file.size > WHOLE_READ_MAX_BYTES) return openVerifiedFileBody(file);
  let fd: number;
  try {
    fd = openSync(file.absolutePath, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new FileChangedError(file.path, 'it was deleted');
    throw error;
  }
  // One byte past the hashed size, so a file that grew is seen.
  const buffer = Buffer.allocUnsafe(file.size + 1);
  let length = 0;
  try {
    while (length < buffer.length) {
      const asked = buffer.length - length;
      const read = readSync(fd, buffer, length, asked, length);
      length += read;
      // A regular file reads short only at its end: once the hashed size is in, no second read to see 0
      // (20,000 syscalls in a 20,000-file deploy). The bytes are checked against the hash below either way.
      if (read === 0 || (read < asked && length >= file.size)) break;
    }
  } finally {
    closeSync(fd);
  }
  if (length > file.size) throw new FileChangedError(file.path, `it is now larger than the ${file.size} bytes hashed`);
  if (length < file.size)
    throw new FileChangedError(file.path, `it is now ${length} bytes, not the ${file.size} hashed`);
  const body = buffer.subarray(0, file.size);
  // The one-shot digest: no Hash object per small file.
  if (digestOf('sha256', body, 'hex') !== file.hash)
    throw new FileChangedError(file.path, 'its content differs from what was hashed');
  return body;
}
