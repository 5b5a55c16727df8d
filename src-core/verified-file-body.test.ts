import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileChangedError,
  openVerifiedFileBody,
  verifiedFileBody,
  WHOLE_READ_MAX_BYTES,
} from './verified-file-body.ts';

async function collect(body: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function fixture(t: { after: (fn: () => void) => void }, bytes: Buffer) {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-body-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const absolutePath = join(dir, 'f.bin');
  writeFileSync(absolutePath, bytes);
  return { path: 'f.bin', absolutePath, size: bytes.length, hash: createHash('sha256').update(bytes).digest('hex') };
}

test('an unchanged file streams whole', async (t) => {
  const bytes = Buffer.alloc(1_000_000, 7);
  assert.deepEqual(await collect(openVerifiedFileBody(fixture(t, bytes))), bytes);
});

test('a file rewritten with other bytes of the same size fails before its last chunk is sent', async (t) => {
  const file = fixture(t, Buffer.alloc(1_000_000, 7));
  writeFileSync(file.absolutePath, Buffer.alloc(1_000_000, 8));
  const sent: Buffer[] = [];
  await assert.rejects(
    async () => {
      for await (const chunk of openVerifiedFileBody(file)) sent.push(chunk as Buffer);
    },
    (error: unknown) =>
      error instanceof FileChangedError && error.path === 'f.bin' && /content differs/.test(error.message),
  );
  assert.ok(Buffer.concat(sent).length < 1_000_000, 'the whole body went out');
});

test('a file that grew or shrank fails and says which', async (t) => {
  const grown = fixture(t, Buffer.alloc(1000, 1));
  appendFileSync(grown.absolutePath, 'more');
  await assert.rejects(collect(openVerifiedFileBody(grown)), /larger than the 1000 bytes/);
  const shrunk = fixture(t, Buffer.alloc(1000, 1));
  writeFileSync(shrunk.absolutePath, 'less');
  await assert.rejects(collect(openVerifiedFileBody(shrunk)), /now 4 bytes/);
});

test('a deleted file is a change too, so the run re-plans without it', async (t) => {
  const file = fixture(t, Buffer.from('x'));
  rmSync(file.absolutePath);
  await assert.rejects(
    collect(openVerifiedFileBody(file)),
    (error: unknown) => error instanceof FileChangedError && /deleted/.test(error.message),
  );
});

test('a file replaced by a rename while it streams fails, though the bytes read match their hash', async (t) => {
  const file = fixture(t, Buffer.alloc(1_000_000, 7));
  let replaced = false;
  await assert.rejects(
    async () => {
      for await (const _chunk of openVerifiedFileBody(file)) {
        if (replaced) continue;
        // As an editor saves: a new file renamed over the path, the one being read left intact.
        writeFileSync(`${file.absolutePath}.new`, 'new content');
        renameSync(`${file.absolutePath}.new`, file.absolutePath);
        replaced = true;
      }
    },
    (error: unknown) => error instanceof FileChangedError && /replaced by another file/.test(error.message),
  );
  assert.ok(replaced, 'the body should have streamed a chunk before the end');
});

test('a small file is read whole and checked before a byte is sent; a large one streams', async (t) => {
  const small = Buffer.alloc(WHOLE_READ_MAX_BYTES, 3);
  assert.deepEqual(verifiedFileBody(fixture(t, small)), small, 'the whole file, as one buffer');
  const large = fixture(t, Buffer.alloc(WHOLE_READ_MAX_BYTES + 1, 4));
  const body = verifiedFileBody(large);
  assert.ok(!Buffer.isBuffer(body), 'one byte more than the limit is streamed');
  assert.equal((await collect(body)).length, WHOLE_READ_MAX_BYTES + 1);
});

test('a small file that changed, grew, shrank or went since it was hashed is refused, naming what happened', (t) => {
  const rewritten = fixture(t, Buffer.alloc(100, 1));
  writeFileSync(rewritten.absolutePath, Buffer.alloc(100, 2));
  assert.throws(
    () => verifiedFileBody(rewritten),
    (error: unknown) => error instanceof FileChangedError && /content differs/.test(error.message),
  );
  const grown = fixture(t, Buffer.alloc(100, 1));
  appendFileSync(grown.absolutePath, 'more');
  assert.throws(() => verifiedFileBody(grown), /larger than the 100 bytes/);
  const shrunk = fixture(t, Buffer.alloc(100, 1));
  writeFileSync(shrunk.absolutePath, 'less');
  assert.throws(() => verifiedFileBody(shrunk), /now 4 bytes, not the 100/);
  const deleted = fixture(t, Buffer.from('x'));
  rmSync(deleted.absolutePath);
  assert.throws(
    () => verifiedFileBody(deleted),
    (error: unknown) => error instanceof FileChangedError && /deleted/.test(error.message),
  );
});
