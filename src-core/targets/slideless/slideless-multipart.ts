import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

/** One streamed multipart/form-data body: its exact length, its Content-Type, and a way to open it (once per attempt). */
export interface MultipartBody {
  size: number;
  contentType: string;
  open: () => Readable;
  /** File bytes among the first `bodyBytes` of the body: what a progress bar counts (the framing is not the file). */
  fileBytesWithin: (bodyBytes: number) => number;
}

/**
 * A multipart/form-data body (RFC 7578): the text `fields` first, then one
 * file part of exactly `fileSize` bytes from `openFile`, streamed, never
 * buffered. Fields come first so a server can check the target (session or
 * presentation) before the file's bytes arrive. Field values must be
 * single-line (ids, hashes, media types): they are written as they are.
 */
export function multipartBody(
  fields: ReadonlyArray<readonly [name: string, value: string]>,
  file: { name: string; fileName: string; size: number; open: () => Readable },
): MultipartBody {
  const boundary = `pressdrop-${randomBytes(16).toString('hex')}`;
  for (const [name, value] of fields) {
    if (/[\r\n"]/.test(name) || /[\r\n]/.test(value)) throw new Error(`multipart field ${name} is not one line`);
  }
  const head = Buffer.from(
    fields
      .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.fileName}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    size: head.length + file.size + tail.length,
    contentType: `multipart/form-data; boundary=${boundary}`,
    open: () =>
      Readable.from(
        (async function* () {
          yield head;
          // A file that changed mid-read fails this stream, and so the request, before its last byte.
          for await (const chunk of file.open()) yield chunk as Buffer;
          yield tail;
        })(),
        { objectMode: false },
      ),
    fileBytesWithin: (bodyBytes) => Math.min(file.size, Math.max(0, bodyBytes - head.length)),
  };
}
