import { createHash } from 'node:crypto';
import { createReadStream, fstatSync, statSync } from 'node:fs';
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
