import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HashCache } from './hash-cache.ts';
import { BATCH_MAX_FILES, HashPool, hashFolder } from './hash-pool.ts';
import { InlineStatPool } from './stat-pool.ts';
import { LSTAT_SLOTS, LstatKind } from './hash-worker.ts';
import { blake3 } from 'hash-wasm';
import type { HashOutcome } from './hash-pool.ts';
import { scanFolder } from './scan-folder.ts';

const MiB = 1024 * 1024;
const HOUR_AGO_S = Date.now() / 1000 - 3600;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const pool = new HashPool({ threads: 2 });
after(() => pool.destroy());

/** A temp folder with `files` (path → bytes), mtimes an hour ago so the hash cache trusts them; removed after `run`. */
async function withFiles(files: Record<string, Uint8Array>, run: (root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'pressdrop-hash-'));
  try {
    for (const [path, bytes] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), bytes);
      utimesSync(join(root, path), HOUR_AGO_S, HOUR_AGO_S);
    }
    await run(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A HashCache in a temp folder of its own, closed and removed after `run`. */
async function withCache(run: (cache: HashCache) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-hash-cache-'));
  const cache = HashCache.open(join(dir, 'cache.sqlite'));
  try {
    await run(cache);
  } finally {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const hashesOf = (outcomes: HashOutcome[]) =>
  Object.fromEntries(outcomes.map((o) => [o.file.path, 'hash' in o ? o.hash : o.error.code]));

test('hashes equal sha256 of the bytes, at every size around the read chunk, with duplicates and empties', () => {
  const sizes = [0, 1, 4096, MiB - 1, MiB, MiB + 1, 3 * MiB + 5, 9 * MiB];
  const files: Record<string, Uint8Array> = Object.fromEntries(
    sizes.map((size) => [`s/${size}.bin`, randomBytes(size)]),
  );
  files['dup/a.txt'] = Buffer.from('same');
  files['dup/b.txt'] = Buffer.from('same');
  files['empty2'] = new Uint8Array();
  return withFiles(files, async (root) => {
    const scan = await scanFolder(root);
    let bytes = 0;
    const outcomes = await pool.hashFiles(scan.files, { onBytes: (n) => (bytes += n) });
    assert.deepEqual(
      hashesOf(outcomes),
      Object.fromEntries(Object.entries(files).map(([path, content]) => [path, sha256(content)])),
    );
    assert.deepEqual(
      outcomes.map((o) => o.file),
      scan.files,
      'outcomes come back in input order',
    );
    assert.equal(bytes, scan.totalBytes);
  });
});

test('small files are batched (≤ 256 per task); large files go one per task, biggest first', () => {
  const files: Record<string, Uint8Array> = Object.fromEntries(
    Array.from({ length: 600 }, (_, i) => [`small/${i}.txt`, Buffer.from(`file ${i}`)]),
  );
  files['big-1.bin'] = randomBytes(8 * MiB);
  files['big-2.bin'] = randomBytes(12 * MiB);
  return withFiles(files, async (root) => {
    const single = new HashPool({ threads: 1 }); // one thread: tasks run in the order they were planned…
    try {
      const scan = await scanFolder(root);
      // …once it runs: piscina hands out the tasks given while its thread still boots in another order.
      await single.hashFiles(scan.files.filter((file) => file.path === 'big-1.bin'));
      const sentBefore = single.tasksSent;
      const order: string[] = [];
      const outcomes = await single.hashFiles(scan.files, { onHashed: (file) => order.push(file.path) });
      assert.equal(outcomes.length, 602);
      assert.equal(single.tasksSent - sentBefore, 2 + Math.ceil(600 / BATCH_MAX_FILES));
      assert.deepEqual(order.slice(0, 2), ['big-2.bin', 'big-1.bin']);
    } finally {
      await single.destroy();
    }
  });
});

test('one task at a time runs on one thread; more at once start all the threads, even while the one thread is busy', () =>
  withFiles(
    { 'big.bin': randomBytes(12 * MiB), 'mid.bin': randomBytes(9 * MiB), 'small.txt': Buffer.from('small') },
    async (root) => {
      const lazy = new HashPool({ threads: 2 });
      try {
        const scan = await scanFolder(root, { pool: lazy });
        const big = scan.files.find((f) => f.path === 'big.bin')!;
        const [alone] = await lazy.hashFiles([big]);
        assert.equal(alone && 'hash' in alone && alone.hash, sha256(readFileSync(big.absolutePath)));
        assert.equal(lazy.threadCount, 1, 'a scan of one batch and a hash of one task need one thread');
        // The one thread is busy with a task when more are asked for: the full pool takes over, and the task still ends well.
        const running = lazy.hashFiles([big]);
        const [all, again] = await Promise.all([lazy.hashFiles(scan.files), running]);
        assert.deepEqual(
          hashesOf(all),
          Object.fromEntries(scan.files.map((f) => [f.path, sha256(readFileSync(f.absolutePath))])),
        );
        assert.deepEqual(again, [alone]);
        assert.equal(lazy.threadCount, 2, 'the one-thread pool stops once its task is done');
        assert.equal((await lazy.lstatMany([big.absolutePath])).length, LSTAT_SLOTS);
      } finally {
        await lazy.destroy();
      }
    },
  ));

test('idle threads stop; the pool then stats inline and starts threads again for a hash', () =>
  withFiles(
    Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}.txt`, Buffer.from(`file ${i}`)])),
    async (root) => {
      const idle = new HashPool({ threads: 2, idleMs: 0 });
      const untilIdle = async () => {
        for (let i = 0; i < 200 && idle.threadCount > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      };
      try {
        const scan = await scanFolder(root, { pool: idle });
        const first = await idle.hashFiles(scan.files);
        assert.equal(idle.threadCount, 1, '40 files are one task: one thread');
        await untilIdle();
        assert.equal(idle.threadCount, 0, 'the idle thread stopped');
        const paths = scan.files.map((f) => f.absolutePath);
        assert.deepEqual(await idle.lstatMany(paths), await new InlineStatPool().lstatMany(paths));
        assert.equal(idle.threadCount, 0, 'lstats while no thread runs are done inline');
        assert.deepEqual(await idle.hashFiles(scan.files), first);
        assert.equal(idle.threadCount, 1, 'a hash too large to do inline starts a thread again');
      } finally {
        await idle.destroy();
      }
    },
  ));

test("a small folder is stat'ed and hashed on the calling thread, with the same answers, and starts no thread", () =>
  withFiles(
    { 'a.txt': Buffer.from('alpha'), 'b/c.txt': randomBytes(64 * 1024), 'd.bin': randomBytes(MiB / 2) },
    (root) =>
      withCache(async (cache) => {
        const small = new HashPool({ threads: 2 });
        const threaded = new HashPool({ threads: 2, inline: false });
        try {
          const scan = await scanFolder(root, { pool: small });
          assert.deepEqual(scan, await scanFolder(root, { pool: threaded }));
          const inline = await hashFolder(scan, cache, small);
          assert.deepEqual(
            inline.files.map((f) => [f.file.path, f.hash]),
            scan.files.map((f) => [f.path, sha256(readFileSync(f.absolutePath))]),
          );
          assert.deepEqual(await threaded.hashFiles(scan.files), await small.hashFiles(scan.files));
          assert.equal(small.threadCount, 0, 'a small folder starts no thread');
          assert.ok(threaded.threadCount > 0);
        } finally {
          await Promise.all([small.destroy(), threaded.destroy()]);
        }
      }),
  ));

test('work of several tasks done inline (as the CLI allows) is hashed a task at a time, the event loop turning in between', () => {
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < BATCH_MAX_FILES * 3; i++) files[`f/${i}.txt`] = Buffer.from(`file ${i}`);
  return withFiles(files, async (root) => {
    const generous = new HashPool({
      threads: 2,
      inline: { paths: Number.POSITIVE_INFINITY, files: 10_000, bytes: MiB },
    });
    try {
      const scan = await scanFolder(root, { pool: generous });
      let hashed = 0;
      let hashedWhenTimerRan: number | null = null;
      setTimeout(() => (hashedWhenTimerRan = hashed), 0);
      const outcomes = await generous.hashFiles(scan.files, { onHashed: () => hashed++ });
      assert.deepEqual(
        outcomes.map((o) => ('hash' in o ? o.hash : o.error.code)),
        scan.files.map((f) => sha256(readFileSync(f.absolutePath))),
      );
      assert.equal(generous.threadCount, 0, 'no thread started');
      assert.ok(
        hashedWhenTimerRan !== null && hashedWhenTimerRan < scan.files.length,
        `a timer ran before the last task (after ${hashedWhenTimerRan} of ${scan.files.length} files)`,
      );
    } finally {
      await generous.destroy();
    }
  });
});

test('a file deleted after the scan is vanished; one that changed is changed; both in sentences', () =>
  withFiles(
    {
      'gone.txt': Buffer.from('bye'),
      'grown.txt': Buffer.from('12345'),
      'edited.txt': Buffer.from('abcd'),
      'ok.txt': Buffer.from('ok'),
    },
    async (root) => {
      const scan = await scanFolder(root);
      unlinkSync(join(root, 'gone.txt'));
      appendFileSync(join(root, 'grown.txt'), '678');
      writeFileSync(join(root, 'edited.txt'), 'wxyz'); // same size, new mtime
      const outcomes = await pool.hashFiles(scan.files);
      assert.deepEqual(hashesOf(outcomes), {
        'edited.txt': 'changed',
        'gone.txt': 'vanished',
        'grown.txt': 'changed',
        'ok.txt': sha256(Buffer.from('ok')),
      });
      const messages = new Map(
        outcomes.flatMap((o) => ('error' in o ? [[o.file.path, o.error.message] as const] : [])),
      );
      assert.match(messages.get('gone.txt')!, /^"gone\.txt" was deleted after the folder was scanned; deploy again/);
      assert.match(
        messages.get('grown.txt')!,
        /^"grown\.txt" changed size after the folder was scanned \(5 bytes then, 8 now\); wait until it is saved/,
      );
      assert.match(messages.get('edited.txt')!, /^"edited\.txt" was modified after the folder was scanned/);
    },
  ));

test('a file that became a FIFO since the scan is changed, and does not hang the worker', () =>
  withFiles({ pipe: Buffer.from('was a file') }, async (root) => {
    const scan = await scanFolder(root);
    unlinkSync(join(root, 'pipe'));
    execFileSync('mkfifo', [join(root, 'pipe')]);
    const [outcome] = await pool.hashFiles(scan.files);
    assert.ok(outcome && 'error' in outcome);
    assert.equal(outcome.error.code, 'changed');
    assert.match(outcome.error.message, /"pipe" is no longer a regular file/);
  }));

test('an unreadable file is unreadable, in a sentence', (t) =>
  withFiles({ 'locked.txt': Buffer.from('no') }, async (root) => {
    if (process.getuid?.() === 0) return t.skip('running as root: permissions are not enforced');
    chmodSync(join(root, 'locked.txt'), 0o000);
    const scan = await scanFolder(root);
    const [outcome] = await pool.hashFiles(scan.files);
    assert.ok(outcome && 'error' in outcome);
    assert.equal(outcome.error.code, 'unreadable');
    assert.match(outcome.error.message, /"locked\.txt" cannot be read \(permission denied\)/);
  }));

test('abort cancels the queued tasks and rejects with the reason; the pool still works after', () =>
  withFiles(
    Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`f${i}.bin`, randomBytes(8 * MiB)])),
    async (root) => {
      const scan = await scanFolder(root);
      const controller = new AbortController();
      let hashed = 0;
      await assert.rejects(
        pool.hashFiles(scan.files, {
          signal: controller.signal,
          onHashed: () => {
            if (++hashed === 1) controller.abort(new Error('stop'));
          },
        }),
        /stop/,
      );
      assert.ok(hashed < scan.files.length, `${hashed} of ${scan.files.length} hashed`);
      const [first] = await pool.hashFiles(scan.files.slice(0, 1));
      assert.ok(first && 'hash' in first);
      await assert.rejects(pool.hashFiles(scan.files, { signal: controller.signal }), /stop/);
    },
  ));

test('hashFolder: misses are hashed and stored; a second run reads nothing and answers from the cache', () =>
  withFiles({ 'a.txt': Buffer.from('alpha'), 'b/c.txt': Buffer.from('gamma'), 'd.txt': Buffer.from('delta') }, (root) =>
    withCache(async (cache) => {
      const first = await hashFolder(await scanFolder(root), cache, pool);
      assert.equal(first.cacheHits, 0);
      assert.deepEqual(first.problems, []);
      assert.deepEqual(
        first.files.map((f) => [f.file.path, f.hash]),
        [
          ['a.txt', sha256(Buffer.from('alpha'))],
          ['b/c.txt', sha256(Buffer.from('gamma'))],
          ['d.txt', sha256(Buffer.from('delta'))],
        ],
      );
      // Same size, same inode, mtime put back: only a re-read could tell, and a hit is not re-read.
      writeFileSync(join(root, 'a.txt'), 'ALPHA');
      utimesSync(join(root, 'a.txt'), HOUR_AGO_S, HOUR_AGO_S);
      unlinkSync(join(root, 'd.txt'));
      const tasksBefore = pool.tasksSent;
      const seen: string[] = [];
      let bytes = 0;
      const second = await hashFolder(await scanFolder(root), cache, pool, {
        onHashed: (file) => seen.push(file.path),
        onBytes: (n) => (bytes += n),
      });
      assert.equal(second.cacheHits, 2);
      assert.equal(pool.tasksSent, tasksBefore);
      assert.equal(second.files[0]!.hash, sha256(Buffer.from('alpha')));
      assert.deepEqual(seen, ['a.txt', 'b/c.txt']);
      assert.equal(bytes, 10);
    }),
  ));

test('hashFolder reports what it could not hash, and does not cache it', () =>
  withFiles({ 'a.txt': Buffer.from('alpha'), 'b.txt': Buffer.from('beta') }, (root) =>
    withCache(async (cache) => {
      const scan = await scanFolder(root);
      appendFileSync(join(root, 'b.txt'), '!');
      const result = await hashFolder(scan, cache, pool);
      assert.deepEqual(
        result.files.map((f) => f.file.path),
        ['a.txt'],
      );
      assert.deepEqual(
        result.problems.map((p) => [p.file.path, p.error.code]),
        [['b.txt', 'changed']],
      );
      assert.equal(cache.lookup(scan.files.find((f) => f.path === 'b.txt')!), null);
    }),
  ));

test('lstatMany answers the same on the pool, inline, and inline on a "slow" filesystem (async)', () =>
  withFiles({ 'file.txt': Buffer.from('12345'), 'dir/inner.txt': Buffer.from('') }, async (root) => {
    symlinkSync('file.txt', join(root, 'link'));
    execFileSync('mkfifo', [join(root, 'fifo')]);
    const names = ['file.txt', 'dir', 'link', 'fifo', 'missing', 'file.txt/under-a-file'];
    const paths = names.map((name) => join(root, name));
    const threaded = new HashPool({ threads: 1, inline: false });
    const onPool = await threaded.lstatMany(paths).finally(() => threaded.destroy());
    assert.deepEqual(await new InlineStatPool().lstatMany(paths), onPool);
    assert.deepEqual(await new InlineStatPool({ slow: true }).lstatMany(paths), onPool);
    const kinds = names.map((_, i) => onPool[i * LSTAT_SLOTS]);
    assert.deepEqual(kinds, [
      LstatKind.file,
      LstatKind.directory,
      LstatKind.symlink,
      LstatKind.other,
      LstatKind.missing,
      LstatKind.missing,
    ]);
    const stats = lstatSync(paths[0]!, { bigint: true });
    assert.deepEqual(
      [...onPool.subarray(1, LSTAT_SLOTS)],
      [stats.size, stats.mtimeNs, BigInt.asIntN(64, stats.ino), BigInt.asIntN(64, stats.dev)],
    );
  }));

test("Cloudflare's asset hash is BLAKE3 of the base64 content and the extension, cut to 32 hex characters, at every size around the read chunk", async () => {
  // The reference: the whole file in base64, as wrangler hashes it, in one call.
  const reference = async (bytes: Uint8Array, extension: string) =>
    (await blake3(Buffer.from(bytes).toString('base64') + extension)).slice(0, 32);
  const files: Record<string, Uint8Array> = {
    'same.css': Buffer.from('body{}'),
    'same.txt': Buffer.from('body{}'),
    'no-extension': Buffer.from('x'),
    'empty.html': Buffer.alloc(0),
  };
  for (const size of [1, 2, 3, MiB - 1, MiB, MiB + 1, MiB + 2, 9 * MiB + 1]) files[`f${size}.bin`] = randomBytes(size);
  await withFiles(files, (root) =>
    withCache(async (cache) => {
      const hashed = await hashFolder(await scanFolder(root), cache, pool, { kind: 'cloudflare-asset' });
      assert.deepEqual(hashed.problems, []);
      for (const { file, hash } of hashed.files) {
        const extension = file.path.includes('.') ? file.path.slice(file.path.lastIndexOf('.') + 1) : '';
        assert.equal(hash, await reference(files[file.path]!, extension), file.path);
      }
      const byPath = new Map(hashed.files.map((entry) => [entry.file.path, entry.hash]));
      assert.notEqual(
        byPath.get('same.css'),
        byPath.get('same.txt'),
        'the same bytes under two extensions are two assets',
      );
      const again = await hashFolder(await scanFolder(root), cache, pool, { kind: 'cloudflare-asset' });
      assert.equal(again.cacheHits, hashed.files.length, 'the kind is cached too');
      const asSha = await hashFolder(await scanFolder(root), cache, pool, { kind: 'sha256' });
      assert.equal(asSha.cacheHits, 0, 'a cached asset hash does not answer for SHA-256');
      assert.equal(asSha.files.find((f) => f.file.path === 'same.css')!.hash, sha256(files['same.css']!));
    }),
  );
});
