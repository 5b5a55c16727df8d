import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { BlobRefusedError, BlobStore } from './blob-store.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function withStore(run: (store: BlobStore, root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'pressdrop-blobs-'));
  try {
    await run(await BlobStore.open(root), root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A body delivered in small chunks, as a socket would. */
function chunked(bytes: Uint8Array, chunkSize = 1000): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(Buffer.from(bytes.subarray(i, i + chunkSize)));
  return Readable.from(chunks);
}

function storedFiles(root: string): string[] {
  return readdirSync(join(root, 'blobs'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);
}

test('a body that hashes to its name is stored whole, in a two-level shard folder', () =>
  withStore(async (store, root) => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const hash = sha256(bytes);
    assert.deepEqual(await store.ingest(chunked(bytes, 65536), { sha256: hash, size: bytes.length }), {
      alreadyPresent: false,
    });
    assert.equal(store.pathOf(hash), join(root, 'blobs', hash.slice(0, 2), hash.slice(2, 4), hash));
    assert.deepEqual(readFileSync(store.pathOf(hash)), bytes);
    assert.equal(await store.sizeOf(hash), bytes.length);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  }));

test('an empty blob is a blob', () =>
  withStore(async (store) => {
    const hash = sha256(new Uint8Array());
    await store.ingest(Readable.from([]), { sha256: hash, size: 0 });
    assert.equal(await store.sizeOf(hash), 0);
  }));

test('a second ingest of stored content reports alreadyPresent and stores nothing twice', () =>
  withStore(async (store, root) => {
    const bytes = randomBytes(5000);
    const expected = { sha256: sha256(bytes), size: bytes.length };
    await store.ingest(chunked(bytes), expected);
    assert.deepEqual(await store.ingest(chunked(bytes), expected), { alreadyPresent: true });
    assert.deepEqual(storedFiles(root), [expected.sha256]);
  }));

test('wrong bytes of the right length are refused as hash_mismatch and leave nothing', () =>
  withStore(async (store, root) => {
    const bytes = randomBytes(4096);
    const expected = { sha256: sha256(randomBytes(4096)), size: 4096 };
    await assert.rejects(
      store.ingest(chunked(bytes), expected),
      (error: unknown) => error instanceof BlobRefusedError && error.reason === 'hash_mismatch',
    );
    assert.deepEqual(storedFiles(root), []);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  }));

test('a short body and a long body are refused as size_mismatch; the long one as soon as it runs over', () =>
  withStore(async (store, root) => {
    const bytes = randomBytes(10_000);
    const expected = { sha256: sha256(bytes), size: bytes.length };
    await assert.rejects(store.ingest(chunked(bytes.subarray(0, 9_999)), expected), { reason: 'size_mismatch' });
    const longer = Buffer.concat([bytes, randomBytes(50_000)]);
    await assert.rejects(store.ingest(chunked(longer), expected), (error: unknown) => {
      assert.ok(error instanceof BlobRefusedError);
      assert.equal(error.reason, 'size_mismatch');
      assert.ok(error.receivedBytes <= expected.size + 1000, `stopped reading at ${error.receivedBytes} bytes`);
      return true;
    });
    assert.deepEqual(storedFiles(root), []);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  }));

test('a body cut off mid-stream leaves nothing, not even a temp file', () =>
  withStore(async (store, root) => {
    const bytes = randomBytes(200_000);
    const body = new PassThrough();
    // Like an http.IncomingMessage, which emits 'error' only to listeners, so a late reset is never uncaught.
    body.on('error', () => undefined);
    const ingesting = store.ingest(body, { sha256: sha256(bytes), size: bytes.length });
    body.write(bytes.subarray(0, 50_000));
    body.destroy(new Error('connection reset'));
    await assert.rejects(ingesting, /connection reset/);
    assert.deepEqual(storedFiles(root), []);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  }));

test('opening the store sweeps temp files a killed process left behind, and keeps stored blobs', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pressdrop-blobs-'));
  try {
    const first = await BlobStore.open(root);
    const bytes = randomBytes(1000);
    await first.ingest(chunked(bytes), { sha256: sha256(bytes), size: bytes.length });
    mkdirSync(join(root, 'tmp'), { recursive: true });
    writeFileSync(join(root, 'tmp', 'abc.part'), 'half a blob');
    const reopened = await BlobStore.open(root);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    assert.equal(await reopened.sizeOf(sha256(bytes)), 1000);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a body for stored content is still checked: wrong bytes are refused, and the stored blob stays as it was', () =>
  withStore(async (store) => {
    const bytes = randomBytes(4096);
    const expected = { sha256: sha256(bytes), size: bytes.length };
    await store.ingest(chunked(bytes), expected);
    await assert.rejects(store.ingest(chunked(randomBytes(4096)), expected), { reason: 'hash_mismatch' });
    assert.deepEqual(readFileSync(store.pathOf(expected.sha256)), bytes);
  }));
