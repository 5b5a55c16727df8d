import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { HashCache, RACY_WINDOW_MS } from './hash-cache.ts';
import { scanFolder } from './scan-folder.ts';
import type { ScannedFile } from './scan-folder.ts';
import { atOnce } from './testing/at-once.ts';

const HOUR_AGO_S = Date.now() / 1000 - 3600;
const FAKE_SHA = (n: number) => n.toString(16).padStart(64, '0');

async function withFolder(run: (dir: string, cacheFile: string) => Promise<void>): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'pressdrop-cache-'));
  try {
    mkdirSync(join(base, 'site'));
    await run(join(base, 'site'), join(base, 'state', 'hash-cache.sqlite'));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/** Writes files with an mtime an hour ago (old enough for the racy-git rule) and scans the folder. */
async function writeOld(dir: string, files: Record<string, string>): Promise<ScannedFile[]> {
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), content);
    utimesSync(join(dir, name), HOUR_AGO_S, HOUR_AGO_S);
  }
  return (await scanFolder(dir)).files;
}

async function rescan(dir: string, path: string): Promise<ScannedFile> {
  return (await scanFolder(dir)).files.find((f) => f.path === path)!;
}

test('a stored hash is found again after a re-scan, and after reopening the file', () =>
  withFolder(async (dir, cacheFile) => {
    const [a, b] = await writeOld(dir, { 'a.txt': 'alpha', 'b.txt': 'beta' });
    let cache = HashCache.open(cacheFile);
    assert.equal(cache.lookup(a!), null);
    cache.store(
      [
        { file: a!, hash: FAKE_SHA(1) },
        { file: b!, hash: FAKE_SHA(2) },
      ],
      Date.now(),
    );
    assert.equal(cache.lookup(await rescan(dir, 'a.txt')), FAKE_SHA(1));
    cache.close();
    cache = HashCache.open(cacheFile);
    assert.equal(cache.lookup(await rescan(dir, 'b.txt')), FAKE_SHA(2));
    cache.close();
  }));

test('a touch, a rewrite, a same-size rewrite with a new mtime, or a replacement (new inode) is a miss', () =>
  withFolder(async (dir, cacheFile) => {
    const files = await writeOld(dir, {
      'touched.txt': 'same',
      'longer.txt': 'short',
      'samesize.txt': 'abcd',
      'replaced.txt': 'old!',
    });
    const cache = HashCache.open(cacheFile);
    cache.store(
      files.map((file, i) => ({ file, hash: FAKE_SHA(i) })),
      Date.now(),
    );
    const later = HOUR_AGO_S + 60;
    utimesSync(join(dir, 'touched.txt'), later, later);
    writeFileSync(join(dir, 'longer.txt'), 'much longer');
    utimesSync(join(dir, 'longer.txt'), HOUR_AGO_S, HOUR_AGO_S); // even with the old mtime back: the size differs
    writeFileSync(join(dir, 'samesize.txt'), 'wxyz');
    utimesSync(join(dir, 'samesize.txt'), later, later);
    writeFileSync(join(dir, 'replacement.tmp'), 'new!');
    utimesSync(join(dir, 'replacement.tmp'), HOUR_AGO_S, HOUR_AGO_S); // same size and mtime, another inode
    renameSync(join(dir, 'replacement.tmp'), join(dir, 'replaced.txt'));
    for (const name of ['touched.txt', 'longer.txt', 'samesize.txt', 'replaced.txt']) {
      assert.equal(cache.lookup(await rescan(dir, name)), null, name);
    }
    cache.close();
  }));

test('racy entries (mtime less than 2 s before the hash started) are not trusted', () =>
  withFolder(async (dir, cacheFile) => {
    writeFileSync(join(dir, 'fresh.txt'), 'just written');
    const [file] = (await scanFolder(dir)).files;
    const mtimeMs = Number(file!.mtimeNs / 1_000_000n);
    const cache = HashCache.open(cacheFile);
    cache.store([{ file: file!, hash: FAKE_SHA(7) }], mtimeMs + 10); // hashed in the same tick as the write
    assert.equal(cache.lookup(file!), null);
    cache.store([{ file: file!, hash: FAKE_SHA(7) }], mtimeMs + RACY_WINDOW_MS - 1);
    assert.equal(cache.lookup(file!), null);
    cache.store([{ file: file!, hash: FAKE_SHA(7) }], mtimeMs + RACY_WINDOW_MS + 1); // hashed well after the last write
    assert.equal(cache.lookup(file!), FAKE_SHA(7));
    cache.close();
  }));

test('lookupMany answers as lookup does, for many files at once', () =>
  withFolder(async (dir, cacheFile) => {
    const files = await writeOld(dir, Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`f${i}.txt`, `${i}`])));
    const cache = HashCache.open(cacheFile);
    cache.store(
      files.filter((_, i) => i % 3 !== 0).map((file, i) => ({ file, hash: FAKE_SHA(i) })),
      Date.now(),
    );
    const many = cache.lookupMany(files);
    assert.deepEqual(
      many,
      files.map((file) => cache.lookup(file)),
    );
    assert.equal(many.filter((sha) => sha !== null).length, 100);
    cache.close();
  }));

test('inode and device numbers over 2^63 round-trip', () =>
  withFolder(async (dir, cacheFile) => {
    const cache = HashCache.open(cacheFile);
    const file: ScannedFile = {
      path: 'x',
      absolutePath: join(dir, 'x'),
      size: 1,
      mtimeNs: 1_000_000_000n,
      ino: 2n ** 64n - 5n,
      dev: 2n ** 63n + 1n,
    };
    cache.store([{ file, hash: FAKE_SHA(9) }], Date.now());
    assert.equal(cache.lookup(file), FAKE_SHA(9));
    assert.equal(cache.lookup({ ...file, ino: 2n ** 64n - 4n }), null);
    cache.close();
  }));

test('the schema is versioned with user_version; a newer file is refused in words', () =>
  withFolder(async (_dir, cacheFile) => {
    HashCache.open(cacheFile).close();
    const db = new DatabaseSync(cacheFile);
    assert.deepEqual({ ...db.prepare('PRAGMA user_version').get() }, { user_version: 3 });
    assert.deepEqual({ ...db.prepare('PRAGMA journal_mode').get() }, { journal_mode: 'wal' });
    db.exec('PRAGMA user_version = 99');
    db.close();
    assert.throws(() => HashCache.open(cacheFile), /written by a newer PressDrop \(schema 99/);
  }));

test('twenty openers at once on a fresh state folder each get a working cache (issue 9, defect 3)', () =>
  withFolder(async (_dir, cacheFile) => {
    const outcomes = await atOnce(20, 'cache', () => [join(cacheFile, '..')]);
    assert.deepEqual(
      outcomes.filter((outcome) => !outcome.ok),
      [],
      'no opener failed',
    );
  }));

test('hashes are kept per kind: a SHA-256 does not answer for a Cloudflare asset hash, and each kind is found again', () =>
  withFolder(async (dir, cacheFile) => {
    const [a] = await writeOld(dir, { 'a.txt': 'alpha' });
    const cache = HashCache.open(cacheFile);
    cache.store([{ file: a!, hash: FAKE_SHA(1) }], Date.now(), 'sha256');
    assert.equal(cache.lookup(a!, 'cloudflare-asset'), null, 'another kind is a miss');
    cache.store([{ file: a!, hash: 'c'.repeat(32) }], Date.now(), 'cloudflare-asset');
    assert.equal(cache.lookup(a!, 'sha256'), FAKE_SHA(1), 'storing one kind keeps the other');
    assert.deepEqual(cache.lookupMany([a!], 'cloudflare-asset'), ['c'.repeat(32)]);
    cache.close();
  }));

test('a cache an older PressDrop wrote (schema 1) upgrades in place, its hashes kept as SHA-256', () =>
  withFolder(async (dir, cacheFile) => {
    const [a] = await writeOld(dir, { 'a.txt': 'alpha' });
    HashCache.open(cacheFile).close();
    const db = new DatabaseSync(cacheFile);
    db.exec(`DROP TABLE file_hashes;
      DROP TABLE stored_blobs;
      CREATE TABLE file_hashes (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ino INTEGER NOT NULL,
        dev INTEGER NOT NULL, sha256 TEXT NOT NULL, hashed_at_ms INTEGER NOT NULL) WITHOUT ROWID;
      PRAGMA user_version = 1;`);
    db.prepare('INSERT INTO file_hashes VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      a!.absolutePath,
      a!.size,
      a!.mtimeNs,
      BigInt.asIntN(64, a!.ino),
      BigInt.asIntN(64, a!.dev),
      FAKE_SHA(7),
      Date.now(),
    );
    db.close();
    const cache = HashCache.open(cacheFile);
    assert.equal(cache.lookup(a!, 'sha256'), FAKE_SHA(7));
    assert.equal(cache.lookup(a!, 'cloudflare-asset'), null);
    cache.close();
  }));

test('blobs remembered as stored are kept per scope, across opens, and forgotten all at once', () =>
  withFolder(async (_dir, cacheFile) => {
    const cache = HashCache.open(cacheFile);
    assert.equal(cache.storedBlobs('http://a').size, 0);
    cache.rememberStored('http://a', [FAKE_SHA(1), FAKE_SHA(2)]);
    cache.rememberStored('http://a', [FAKE_SHA(2), FAKE_SHA(3)]);
    cache.rememberStored('http://b', [FAKE_SHA(9)]);
    cache.close();
    const reopened = HashCache.open(cacheFile);
    assert.deepEqual([...reopened.storedBlobs('http://a')].sort(), [FAKE_SHA(1), FAKE_SHA(2), FAKE_SHA(3)]);
    reopened.forgetStored('http://a');
    assert.equal(reopened.storedBlobs('http://a').size, 0);
    assert.deepEqual([...reopened.storedBlobs('http://b')], [FAKE_SHA(9)], 'another scope is kept');
    // A row per commit that proved new blobs; many commits later they are merged, and none is lost.
    for (let i = 100; i < 150; i++) reopened.rememberStored('http://a', [FAKE_SHA(i)]);
    assert.equal(reopened.storedBlobs('http://a').size, 50);
    reopened.close();
    const db = new DatabaseSync(cacheFile);
    const { rows } = db.prepare("SELECT count(*) AS rows FROM stored_blobs WHERE scope = 'http://a'").get() as {
      rows: number;
    };
    db.close();
    assert.ok(rows <= 32, `${rows} rows`);
  }));

test('stored blobs are trusted for 30 days, and dropped at the next write after that', () =>
  withFolder(async (_dir, cacheFile) => {
    const cache = HashCache.open(cacheFile);
    const day = 24 * 3600 * 1000;
    cache.rememberStored('http://old', [FAKE_SHA(1)], Date.now() - 31 * day);
    cache.rememberStored('http://recent', [FAKE_SHA(2)], Date.now() - 29 * day);
    assert.equal(cache.storedBlobs('http://old').size, 0, 'too old to be trusted, though still there');
    assert.equal(cache.storedBlobs('http://old', Date.now() - 2 * day).size, 1);
    cache.rememberStored('http://other', [FAKE_SHA(3)]);
    assert.equal(cache.storedBlobs('http://old', Date.now() - 2 * day).size, 0, 'dropped at the next write');
    assert.equal(cache.storedBlobs('http://recent').size, 1);
    cache.close();
  }));
