import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { boundaryOf, MultipartError, readMultipart } from './multipart-stream.ts';

const LIMITS = { maxFieldBytes: 1024, maxHeaderBytes: 8192, maxParts: 16 };

/** The body in pieces of `size` bytes, so delimiters and headers straddle chunk edges. */
async function* inPieces(body: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < body.length; at += size) yield body.subarray(at, at + size);
}

/** Everything the reader reported, in order. */
async function read(body: Buffer, boundary: string, pieceSize: number) {
  const events: string[] = [];
  const files: Buffer[] = [];
  await readMultipart(
    inPieces(body, pieceSize),
    boundary,
    {
      onField: (name, value) => events.push(`field ${name}=${value}`),
      onFileStart: (name, fileName) => {
        events.push(`file ${name} ${fileName}`);
        files.push(Buffer.alloc(0));
      },
      onFileData: (chunk) => {
        files[files.length - 1] = Buffer.concat([files.at(-1)!, chunk]);
      },
      onFileEnd: () => {
        events.push('end');
      },
    },
    LIMITS,
  );
  return { events, files };
}

test('readMultipart reads fields and a file whatever the chunk size, including bytes that look like a delimiter', async () => {
  const boundary = '----formdata-undici-0123';
  // File bytes with CRLF, dashes and most of the delimiter inside.
  const fileBytes = Buffer.concat([
    randomBytes(5000),
    Buffer.from(`\r\n--${boundary.slice(0, -1)}x\r\n--`),
    randomBytes(300),
  ]);
  const body = Buffer.concat([
    Buffer.from(
      `preamble\r\n--${boundary}\r\nContent-Disposition: form-data; name="sha256"\r\n\r\nabc\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a b.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    fileBytes,
    Buffer.from(`\r\n--${boundary}--\r\nepilogue`),
  ]);
  for (const pieceSize of [1, 2, 7, 64, 4096, body.length]) {
    const { events, files } = await read(body, boundary, pieceSize);
    assert.deepEqual(events, ['field sha256=abc', 'file file a b.bin', 'end'], `pieces of ${pieceSize}`);
    assert.deepEqual(files[0], fileBytes, `pieces of ${pieceSize}`);
  }
});

test('readMultipart refuses truncated and malformed bodies, and fields over the limit', async () => {
  const refusals: Array<[string, RegExp]> = [
    ['--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nvalue', /ends before/],
    ['--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--', /no Content-Disposition/],
    ['--b\r\nContent-Disposition: attachment; name="x"\r\n\r\nv\r\n--b--', /form-data/],
    ['--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--', /no field name/],
    ['--bXY', /neither CRLF nor/],
    [`--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n${'v'.repeat(1025)}\r\n--b--`, /longer than 1024/],
  ];
  for (const [text, message] of refusals) {
    await assert.rejects(read(Buffer.from(text), 'b', 3), (error: Error) => {
      assert.ok(error instanceof MultipartError, error.message);
      assert.match(error.message, message);
      return true;
    });
  }
});

test('boundaryOf reads quoted and bare boundaries and refuses other media types', () => {
  assert.equal(boundaryOf('multipart/form-data; boundary=abc'), 'abc');
  assert.equal(boundaryOf('Multipart/Form-Data; charset=utf-8; boundary="a b:c"'), 'a b:c');
  assert.throws(() => boundaryOf('application/json'), /multipart\/form-data/);
  assert.throws(() => boundaryOf('multipart/form-data'), /no boundary/);
  assert.throws(() => boundaryOf(undefined), MultipartError);
});
