import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import mime from 'mime';
import { cloudflareAssetHashOfBase64 } from '../../hash-worker.ts';
import type { PlannedBlob } from '../../ports.ts';
import { FileChangedError } from '../../verified-file-body.ts';
import type { StreamedBody } from './cloudflare-client.ts';

/** Bytes of the base64 text of `size` bytes. */
function base64Length(size: number): number {
  return Math.ceil(size / 3) * 4;
}

/**
 * The Content-Type an asset is served with, as wrangler sends it: the
 * path's media type, text with charset=utf-8, and `application/null`
 * (Cloudflare's convention for "send none") when the path has no type.
 */
export function assetContentType(path: string): string {
  const type = mime.getType(path);
  if (type === null) return 'application/null';
  return type.startsWith('text/') && !type.includes('charset') ? `${type}; charset=utf-8` : type;
}

/** Files up to this size are read with synchronous calls: for a small file, libuv's thread pool costs far more than the read. */
const SYNC_READ_MAX = 512 * 1024;

/** A file's bytes, one byte past its hashed size (to see growth), with the identity of what was opened. */
async function readWithIdentity(
  absolutePath: string,
  size: number,
): Promise<{ bytes: Buffer; ino: bigint; dev: bigint }> {
  if (size <= SYNC_READ_MAX) {
    const fd = openSync(absolutePath, 'r');
    try {
      const { ino, dev } = fstatSync(fd, { bigint: true });
      const buffer = Buffer.allocUnsafe(size + 1);
      let read = 0;
      for (let n = -1; n !== 0 && read < buffer.length; read += n)
        n = readSync(fd, buffer, read, buffer.length - read, read);
      return { bytes: buffer.subarray(0, read), ino, dev };
    } finally {
      closeSync(fd);
    }
  }
  const handle = await open(absolutePath, 'r');
  try {
    const { ino, dev } = await handle.stat({ bigint: true });
    return { bytes: await handle.readFile(), ino, dev };
  } finally {
    await handle.close();
  }
}

/**
 * A file's content as base64 (ASCII bytes, encoded once: what is hashed to
 * check it is what is sent), once it is checked to be what was hashed:
 * same size, same asset hash, and still the file at its path (an editor's
 * save by rename leaves the one we read intact). Else FileChangedError,
 * before a byte of it is sent.
 */
export async function readVerifiedAsset(blob: PlannedBlob): Promise<Buffer> {
  const file = blob.source;
  let opened: { bytes: Buffer; ino: bigint; dev: bigint };
  try {
    opened = await readWithIdentity(file.absolutePath, file.size);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new FileChangedError(file.path, 'it was deleted');
    throw error;
  }
  const { bytes } = opened;
  if (bytes.length > file.size)
    throw new FileChangedError(file.path, `it is now larger than the ${file.size} bytes hashed`);
  if (bytes.length < file.size)
    throw new FileChangedError(file.path, `it is now ${bytes.length} bytes, not the ${file.size} hashed`);
  const base64 = Buffer.from(bytes.toString('base64'), 'latin1');
  if ((await cloudflareAssetHashOfBase64(base64, file.path)) !== blob.hash)
    throw new FileChangedError(file.path, 'its content differs from what was hashed');
  const now = statSync(file.absolutePath, { bigint: true, throwIfNoEntry: false });
  if (!now) throw new FileChangedError(file.path, 'it was deleted');
  if (now.ino !== opened.ino || now.dev !== opened.dev)
    throw new FileChangedError(file.path, 'it was replaced by another file');
  return base64;
}

/** A bucket's upload body, and how its wire bytes count as file bytes. */
export interface BucketBody extends StreamedBody {
  /** Turns the wire's running deltas (multipart, base64) into the files' (what progress shows). */
  fileProgress(onFileBytes: (delta: number) => void): (wireDelta: number) => void;
}

/**
 * One bucket as multipart/form-data, as wrangler builds it: a part per
 * asset, named and filed by its hash, holding its base64 content with the
 * asset's Content-Type. Its size is known up front; each file is read and
 * checked only as its turn comes, so one file at a time is in memory.
 */
export function bucketBody(blobs: readonly PlannedBlob[]): BucketBody {
  const boundary = `pressdrop-${randomBytes(12).toString('hex')}`;
  const headers = blobs.map((blob) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${blob.hash}"; filename="${blob.hash}"\r\n` +
        `Content-Type: ${assetContentType(blob.source.path)}\r\n\r\n`,
    ),
  );
  const end = Buffer.from(`--${boundary}--\r\n`);
  const crlf = Buffer.from('\r\n');
  const size =
    headers.reduce((sum, header, i) => sum + header.length + base64Length(blobs[i]!.size) + crlf.length, 0) +
    end.length;
  const fileBytes = blobs.reduce((sum, blob) => sum + blob.size, 0);

  async function* parts(): AsyncGenerator<Buffer> {
    for (const [i, blob] of blobs.entries()) {
      yield headers[i]!;
      const base64 = await readVerifiedAsset(blob);
      // In slices, so the socket's back-pressure (and the progress it drives) moves through a large file.
      for (let at = 0; at < base64.length; at += 256 * 1024) yield base64.subarray(at, at + 256 * 1024);
      yield crlf;
    }
    yield end;
  }

  return {
    size,
    contentType: `multipart/form-data; boundary=${boundary}`,
    open: () => Readable.from(parts(), { objectMode: false }),
    fileProgress(onFileBytes) {
      let wire = 0;
      const scaled = (bytes: number) => (size === 0 ? 0 : Math.floor((bytes * fileBytes) / size));
      return (wireDelta) => {
        const before = scaled(wire);
        wire += wireDelta;
        const delta = scaled(wire) - before;
        if (delta !== 0) onFileBytes(delta);
      };
    },
  };
}
