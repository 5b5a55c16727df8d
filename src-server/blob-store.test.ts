import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { buffer } from 'node:stream/consumers';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { BlobRefusedError, BlobStore } from './blob-store.ts';
import { blobsOnDisk, copiesOnDisk } from './testing/stored-blobs.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Runs `run` in a temp folder of its own, removed after. */
async function inTempRoot(run: (root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'pressdrop-blobs-'));
  try {
    await run(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function withStore(run: (store: BlobStore, root: string) => Promise<void>): Promise<void> {
  return inTempRoot(async (root) => run(await BlobStore.open(root), root));
}

/** A body delivered in small chunks, as a socket would. */
function chunked(bytes: Uint8Array, chunkSize = 1000): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(Buffer.from(bytes.subarray(i, i + chunkSize)));
  return Readable.from(chunks);
}

/** The SHA-256 names of the blobs on disk under `root`. */
function storedFiles(root: string): string[] {
  return blobsOnDisk(root).map((blob) => blob.sha256);
}

/** Ingests `bytes` as the blob they hash to. */
function put(store: BlobStore, bytes: Uint8Array) {
  return store.ingest(chunked(bytes), { sha256: sha256(bytes), size: bytes.length });
}

test('a large body that hashes to its name is stored whole, as a file in a two-level shard folder', () =>
  withStore(async (store, root) => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const hash = sha256(bytes);
    assert.deepEqual(await store.ingest(chunked(bytes, 65536), { sha256: hash, size: bytes.length }), {
      alreadyPresent: false,
    });
    const [onDisk] = copiesOnDisk(root, hash);
    assert.equal(onDisk?.file, join(root, 'blobs', hash.slice(0, 2), hash.slice(2, 4), hash));
    assert.deepEqual(onDisk.bytes(), bytes);
    assert.equal(await store.sizeOf(hash), bytes.length);
    assert.deepEqual(await buffer(store.read(hash, { start: 5, end: 99 })), bytes.subarray(5, 100));
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  }));

test('small bodies arriving together go into one pack, each readable whole and by range', () =>
  withStore(async (store, root) => {
    const bodies = Array.from({ length: 40 }, (_, i) => randomBytes(1 + i * 997));
    const answers = await Promise.all(bodies.map((bytes) => put(store, bytes)));
    assert.ok(answers.every((answer) => !answer.alreadyPresent));
    const onDisk = new Map(blobsOnDisk(root).map((blob) => [blob.sha256, blob]));
    assert.deepEqual(
      new Set(Array.from(onDisk.values(), (blob) => blob.file)),
      new Set([join(root, 'blobs', 'packs', '000001.pack')]),
    );
    for (const bytes of bodies) {
      assert.deepEqual(onDisk.get(sha256(bytes))?.bytes(), bytes);
      assert.equal(await store.sizeOf(sha256(bytes)), bytes.length);
      assert.deepEqual(await buffer(store.read(sha256(bytes))), bytes);
    }
    const last = bodies.at(-1)!;
    assert.deepEqual(await buffer(store.read(sha256(last), { start: 3, end: 10 })), last.subarray(3, 11));
  }));

test('twin uploads of the same small content in one round store it once: one is told it was already there', () =>
  withStore(async (store, root) => {
    const bytes = randomBytes(3000);
    const answers = await Promise.all([put(store, bytes), put(store, bytes), put(store, bytes)]);
    assert.deepEqual(answers.map((answer) => answer.alreadyPresent).sort(), [false, true, true]);
    assert.deepEqual(storedFiles(root), [sha256(bytes)]);
    assert.equal(readPack(root, 1).length, 40 + 3000);
  }));

/** The bytes of pack number `n` under `root`. */
function readPack(root: string, n: number): Buffer {
  return readFileSync(packPath(root, n));
}

function packPath(root: string, n: number): string {
  return join(root, 'blobs', 'packs', `${String(n).padStart(6, '0')}.pack`);
}

test('reopening cuts a pack where a kill tore its last round, keeps the whole records, and appends after them', () =>
  inTempRoot(async (root) => {
    const first = await BlobStore.open(root);
    const kept = [randomBytes(700), randomBytes(9000)];
    for (const bytes of kept) await put(first, bytes);
    const whole = statSync(packPath(root, 1)).size;
    // What a kill in the middle of a round's write leaves: a header and part of its bytes.
    const torn = randomBytes(5000);
    const header = Buffer.alloc(40);
    header.write('PDB1');
    header.write(sha256(torn), 4, 'hex');
    header.writeUInt32LE(torn.length, 36);
    appendFileSync(packPath(root, 1), Buffer.concat([header, torn.subarray(0, 1234)]));

    const reopened = await BlobStore.open(root);
    assert.equal(statSync(packPath(root, 1)).size, whole, 'the torn record is cut off');
    assert.equal(await reopened.sizeOf(sha256(torn)), null);
    for (const bytes of kept) assert.deepEqual(await buffer(reopened.read(sha256(bytes))), bytes);
    const later = randomBytes(4321);
    await put(reopened, later);
    assert.deepEqual(await buffer(reopened.read(sha256(later))), later);
    const again = await BlobStore.open(root);
    for (const bytes of [...kept, later]) assert.deepEqual(await buffer(again.read(sha256(bytes))), bytes);
  }));

test('a record whose bytes do not hash to its name is dropped at open, with everything after it', () =>
  inTempRoot(async (root) => {
    const first = await BlobStore.open(root);
    const [a, b, c] = [randomBytes(1000), randomBytes(2000), randomBytes(3000)];
    for (const bytes of [a, b, c]) await put(first, bytes);
    // Flip a byte inside b's data: b and c were never answered as far as a reopened store can tell.
    const pack = readPack(root, 1);
    const inB = 40 + 1000 + 40 + 5;
    pack.writeUInt8(pack.readUInt8(inB) ^ 0xff, inB);
    writeFileSync(packPath(root, 1), pack);
    const reopened = await BlobStore.open(root);
    assert.equal(await reopened.sizeOf(sha256(a)), 1000);
    assert.equal(await reopened.sizeOf(sha256(b)), null);
    assert.equal(await reopened.sizeOf(sha256(c)), null);
    assert.equal(statSync(packPath(root, 1)).size, 40 + 1000);
  }));

test('a full pack is sealed with an index; reopening reads the index, and rereads the pack if the index is not whole', () =>
  inTempRoot(async (root) => {
    const first = await BlobStore.open(root);
    // 70 blobs of 500 KiB, arriving together: past the 32 MiB a pack takes, so one round spans two packs.
    const bodies = Array.from({ length: 70 }, () => randomBytes(500 * 1024));
    await Promise.all(bodies.map((bytes) => put(first, bytes)));
    // The full pack is sealed once its last records are durable, after they are answered: close waits for it.
    await first.close();
    const packs = readdirSync(join(root, 'blobs', 'packs')).sort();
    assert.deepEqual(packs, ['000001.idx', '000001.pack', '000002.pack']);
    const check = async (store: BlobStore) => {
      for (const bytes of bodies) assert.deepEqual(await buffer(store.read(sha256(bytes))), bytes);
    };
    await check(await BlobStore.open(root));
    // An index cut short (it never is: it is synced before it is renamed in) is not trusted.
    const index = join(root, 'blobs', 'packs', '000001.idx');
    truncateSync(index, statSync(index).size - 1);
    await check(await BlobStore.open(root));
    assert.equal(statSync(index).size % 40, 32, 'the pack was sealed again with a whole index');
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

test('opening the store sweeps temp files a killed process left behind, and keeps stored blobs', () =>
  inTempRoot(async (root) => {
    const first = await BlobStore.open(root);
    const bytes = randomBytes(1000);
    await first.ingest(chunked(bytes), { sha256: sha256(bytes), size: bytes.length });
    mkdirSync(join(root, 'tmp'), { recursive: true });
    writeFileSync(join(root, 'tmp', 'abc.part'), 'half a blob');
    const reopened = await BlobStore.open(root);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    assert.equal(await reopened.sizeOf(sha256(bytes)), 1000);
  }));

test('a body for stored content is still checked: wrong bytes are refused, and the stored blob stays as it was', () =>
  withStore(async (store, root) => {
    const bytes = randomBytes(4096);
    const expected = { sha256: sha256(bytes), size: bytes.length };
    await store.ingest(chunked(bytes), expected);
    await assert.rejects(store.ingest(chunked(randomBytes(4096)), expected), { reason: 'hash_mismatch' });
    assert.deepEqual(
      copiesOnDisk(root, expected.sha256).map((blob) => blob.bytes()),
      [bytes],
    );
  }));

test('a store made before packs, with small blobs as files of their own, still finds and serves them', () =>
  inTempRoot(async (root) => {
    const old = randomBytes(2000);
    const hash = sha256(old);
    mkdirSync(join(root, 'blobs', hash.slice(0, 2), hash.slice(2, 4)), { recursive: true });
    writeFileSync(join(root, 'blobs', hash.slice(0, 2), hash.slice(2, 4), hash), old);
    const store = await BlobStore.open(root);
    assert.equal(await store.sizeOf(hash), 2000);
    assert.deepEqual(await buffer(store.read(hash)), old);
    assert.deepEqual(await put(store, old), { alreadyPresent: true });
    assert.equal(copiesOnDisk(root, hash).length, 1);
  }));
