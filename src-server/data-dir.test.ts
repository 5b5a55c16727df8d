/**
 * What the server keeps on disk and who may read it: the data folder is
 * its owner's (0700), the database, its WAL, the key, the lock and the
 * server record are 0600; a key is valid only while it is configured; the
 * record says which process serves the folder, and only while it does.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { dataDirLayout, readApiKeyFile } from './data-dir.ts';
import { isProcessAlive, readServerRecord, serverRecordPath } from './server-record.ts';
import { startServer, type RunningServer } from './server.ts';
import { makeApiKey, makeDataDir, request, startTestServer, within } from './testing/test-server.ts';

const mode = (path: string) => statSync(path).mode & 0o777;
const posix = process.platform !== 'win32';

/** A fresh folder that is removed after the test, and servers on it that are closed after the test. */
function folder(t: TestContext) {
  const dataDir = makeDataDir();
  const running = new Set<RunningServer>();
  t.after(async () => {
    for (const server of running) await server.close();
    await import('node:fs').then(({ rmSync }) => rmSync(dataDir, { recursive: true, force: true }));
  });
  return {
    dataDir,
    start: async (options: { apiKey?: string; rotateApiKey?: boolean } = {}) => {
      const server = await startServer({ dataDir, port: 0, ...options });
      running.add(server);
      return {
        server,
        stop: async () => {
          running.delete(server);
          await server.close();
        },
      };
    },
  };
}

const statusWith = async (server: RunningServer, key: string) =>
  (await request(server.url, key, 'GET', '/v1/deploys')).status;

test(
  'a new data folder is 0700 and every secret in it 0600: database, WAL, key, lock, record',
  { skip: !posix && 'POSIX modes only' },
  async (t) => {
    const { dataDir, start } = folder(t);
    const { server } = await start();
    // Writes make SQLite create its -wal and -shm files.
    assert.equal(
      (
        await request(server.url, server.generatedApiKey!.key, 'POST', '/v1/deploys', {
          json: { slug: 'x', name: 'x' },
        })
      ).status,
      201,
    );
    const layout = dataDirLayout(dataDir);
    assert.equal(mode(dataDir), 0o700);
    for (const file of [
      layout.database,
      `${layout.database}-wal`,
      `${layout.database}-shm`,
      layout.apiKeyFile,
      layout.lockFile,
      serverRecordPath(dataDir),
    ]) {
      assert.equal(mode(file), 0o600, file);
    }
  },
);

test(
  'an existing folder and database readable by others are made private at start',
  { skip: !posix && 'POSIX modes only' },
  async (t) => {
    const { dataDir, start } = folder(t);
    const first = await start();
    await first.stop();
    const { database, apiKeyFile } = dataDirLayout(dataDir);
    chmodSync(dataDir, 0o755);
    for (const file of [database, apiKeyFile]) chmodSync(file, 0o644);
    writeFileSync(`${database}-wal`, '');
    chmodSync(`${database}-wal`, 0o666);
    const { server } = await start();
    assert.equal(mode(dataDir), 0o700);
    for (const file of [database, `${database}-wal`]) assert.equal(mode(file), 0o600, file);
    assert.equal(await statusWith(server, server.generatedApiKey!.key), 200);
  },
);

test('a key is valid only while it is configured: passing another revokes it, and the generated key too', async (t) => {
  const { dataDir, start } = folder(t);
  const [a, b, c] = [makeApiKey(), makeApiKey(), makeApiKey()];
  let run = await start({ apiKey: a });
  assert.equal(await statusWith(run.server, a), 200);
  // An idempotent result saved under key a is sealed with a: it goes when a goes.
  assert.equal(
    (
      await request(run.server.url, a, 'POST', '/v1/deploys', {
        headers: { 'idempotency-key': 'k1' },
        json: { slug: 'kept', name: 'x' },
      })
    ).status,
    201,
  );
  await run.stop();

  run = await start({ apiKey: b });
  assert.equal(await statusWith(run.server, a), 401, 'the key of the last start no longer works');
  assert.equal(await statusWith(run.server, b), 200);
  await run.stop();
  const db = new DatabaseSync(dataDirLayout(dataDir).database, { readOnly: true });
  assert.equal(
    (db.prepare('SELECT count(*) AS n FROM idempotency_keys').get() as { n: number }).n,
    0,
    'results sealed for a revoked key are gone',
  );
  assert.equal((db.prepare('SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL').get() as { n: number }).n, 1);
  db.close();

  run = await start();
  const generated = run.server.generatedApiKey!.key;
  assert.equal(await statusWith(run.server, b), 401, 'starting with the generated key revokes --api-key');
  assert.equal(await statusWith(run.server, generated), 200);
  await run.stop();

  run = await start({ apiKey: c });
  assert.equal(await statusWith(run.server, generated), 401, 'starting with --api-key revokes the generated key');
  assert.equal(
    existsSync(dataDirLayout(dataDir).apiKeyFile),
    false,
    'the generated key file, which opens nothing now, is removed',
  );
  await run.stop();

  run = await start({ apiKey: a });
  assert.equal(await statusWith(run.server, a), 200, 'a key configured again is valid again');
  assert.equal(await statusWith(run.server, c), 401);
});

test('rotation makes a new generated key, shown as made now, and the old one stops working', async (t) => {
  const { dataDir, start } = folder(t);
  let run = await start();
  const old = run.server.generatedApiKey!;
  assert.equal(old.createdNow, true);
  await run.stop();
  run = await start();
  assert.deepEqual(
    run.server.generatedApiKey,
    { key: old.key, createdNow: false },
    'without rotation the kept key is used',
  );
  await run.stop();

  run = await start({ rotateApiKey: true });
  const fresh = run.server.generatedApiKey!;
  assert.equal(fresh.createdNow, true);
  assert.notEqual(fresh.key, old.key);
  assert.equal(readFileSync(dataDirLayout(dataDir).apiKeyFile, 'utf8').trim(), fresh.key);
  assert.equal(await statusWith(run.server, old.key), 401);
  assert.equal(await statusWith(run.server, fresh.key), 200);
  await assert.rejects(
    startServer({ dataDir: makeDataDir(), apiKey: makeApiKey(), rotateApiKey: true }),
    /--rotate-key.*--api-key/,
  );
});

test(
  '--api-key-file: read when only its owner can read it, refused otherwise, with what to do',
  { skip: !posix && 'POSIX modes only' },
  (t) => {
    const dir = makeDataDir();
    t.after(() => import('node:fs').then(({ rmSync }) => rmSync(dir, { recursive: true, force: true })));
    const file = join(dir, 'key');
    const key = makeApiKey();
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    assert.equal(readApiKeyFile(file), key);
    chmodSync(file, 0o400);
    assert.equal(readApiKeyFile(file), key);
    for (const wide of [0o644, 0o640, 0o604, 0o620, 0o660]) {
      chmodSync(file, wide);
      assert.throws(
        () => readApiKeyFile(file),
        new RegExp(`mode 0${wide.toString(8)}.*chmod 600`),
        `mode ${wide.toString(8)}`,
      );
    }
    chmodSync(file, 0o600);
    for (const content of ['', 'pcak_short', `${key}\n${key}\n`, `Bearer ${key}`]) {
      writeFileSync(file, content);
      assert.throws(() => readApiKeyFile(file), /must hold one key/, JSON.stringify(content));
    }
    assert.throws(() => readApiKeyFile(join(dir, 'absent')), /cannot read it \(ENOENT\)/);
    mkdirSync(join(dir, 'folder'));
    assert.throws(() => readApiKeyFile(join(dir, 'folder')), /cannot read it/);
  },
);

test('the record names this process and instance while it serves, GET /v1/local/instance agrees, and it goes at close', async (t) => {
  const { dataDir, start } = folder(t);
  const run = await start();
  const record = readServerRecord(dataDir);
  assert.ok(record);
  assert.deepEqual(
    { pid: record.pid, port: record.port, url: record.url, instanceId: record.instanceId },
    { pid: process.pid, port: run.server.port, url: run.server.url, instanceId: run.server.instanceId },
  );
  assert.match(record.instanceId, /^inst_[A-Za-z0-9_-]{20}$/);
  const key = run.server.generatedApiKey!.key;
  const instance = await request(run.server.url, key, 'GET', '/v1/local/instance');
  assert.deepEqual([instance.status, instance.body], [200, { instanceId: record.instanceId, pid: process.pid }]);
  assert.equal(
    (await request(run.server.url, key, 'GET', '/v1/local/instance', { auth: false })).status,
    401,
    'the instance is told only to the key holder',
  );
  await run.stop();
  assert.equal(readServerRecord(dataDir), null);
  const next = await start();
  assert.notEqual(next.server.instanceId, record.instanceId, 'each start is a new instance');
});

test('a lock left by a dead process (or naming pid 0 or -1) is taken over; a live holder refuses the start', async (t) => {
  const { dataDir, start } = folder(t);
  mkdirSync(dataDir, { recursive: true });
  const { lockFile } = dataDirLayout(dataDir);
  const dead = spawn(process.execPath, ['-e', '']);
  const deadPid = dead.pid!;
  await within(new Promise((resolve) => dead.once('exit', resolve)), 10_000, 'a short-lived process to exit');
  for (const holder of [String(deadPid), '0', '-1', 'garbage']) {
    writeFileSync(lockFile, holder);
    const run = await start();
    await run.stop();
  }
  const alive = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  t.after(() => alive.kill());
  writeFileSync(lockFile, String(alive.pid));
  await assert.rejects(start(), new RegExp(`Another server \\(pid ${alive.pid}\\)`));
});

test('isProcessAlive and readServerRecord do not take a process group for a process', (t) => {
  for (const pid of [0, -1, -process.pid, Number.NaN, 1.5]) assert.equal(isProcessAlive(pid), false, String(pid));
  assert.equal(isProcessAlive(process.pid), true);
  const dir = makeDataDir();
  t.after(() => import('node:fs').then(({ rmSync }) => rmSync(dir, { recursive: true, force: true })));
  for (const record of [{ pid: 0 }, { pid: -1 }, { pid: 1, port: 0 }, { pid: 1, port: 70000 }]) {
    writeFileSync(
      serverRecordPath(dir),
      JSON.stringify(
        Object.assign({ pid: 1, port: 80, url: 'http://127.0.0.1', instanceId: 'inst_x', startedAt: 1 }, record),
      ),
    );
    assert.equal(readServerRecord(dir), null, JSON.stringify(record));
  }
});

test('startTestServer still works on a folder a previous server used with another key (the test helper passes its key)', async (t) => {
  const dataDir = makeDataDir();
  const first = await startTestServer({ dataDir });
  await first.close({ keepData: true });
  const second = await startTestServer({ dataDir });
  t.after(() => second.close());
  assert.equal((await second.request('GET', '/v1/limits')).status, 200);
  assert.equal((await request(second.url, first.apiKey, 'GET', '/v1/limits')).status, 401);
});
