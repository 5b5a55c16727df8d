/**
 * Behaviour the contract promises beyond single answers: idempotent replays
 * (also across a restart), cursor pagination, session states, content-
 * addressed storage without duplicates, per-deploy version numbers, and
 * secrets kept out of the database file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeApiKey, makeDataDir, startTestServer, type TestResponse, type TestServer } from './testing/test-server.ts';
import { copiesOnDisk } from './testing/stored-blobs.ts';

const sha256hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface Blob {
  path: string;
  bytes: Buffer;
  sha256: string;
  size: number;
}
interface Session {
  id: string;
  token: string;
}

let blobSeq = 0;
function blob(path: string, text = `content ${++blobSeq} of ${path}`): Blob {
  const bytes = Buffer.from(text);
  return { path, bytes, sha256: sha256hex(bytes), size: bytes.length };
}
const descriptor = (b: Blob, path = b.path) => ({ path, sha256: b.sha256, size: b.size });
const entry = (b: Blob, path = b.path) => ({ path, blobHash: b.sha256, size: b.size });

let slugSeq = 0;
const nextSlug = () => `deploy-${++slugSeq}`;

async function createDeploy(server: TestServer): Promise<string> {
  const res = await server.request('POST', '/v1/deploys', { json: { slug: nextSlug(), name: 'Behaviour' } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.deploy.id;
}

async function openSession(
  server: TestServer,
  deployId: string,
  files: object[],
  headers: Record<string, string> = {},
): Promise<Session> {
  const res = await server.request('POST', '/v1/upload-sessions', { headers, json: { deployId, files } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id: res.body.uploadSession.id, token: res.body.uploadToken };
}

function put(server: TestServer, s: Session, b: Blob): Promise<TestResponse> {
  return server.request('PUT', `/v1/upload-sessions/${s.id}/blobs/${b.sha256}`, { uploadToken: s.token, raw: b.bytes });
}

function commit(
  server: TestServer,
  s: Session,
  entries: object[],
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  return server.request('POST', `/v1/upload-sessions/${s.id}/commit`, {
    uploadToken: s.token,
    headers,
    json: { entries },
  });
}

/** Uploads what is missing and commits `blobs` as the deploy's next version; returns the deployVersion. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function deployVersion(server: TestServer, deployId: string, blobs: Blob[]): Promise<any> {
  const s = await openSession(
    server,
    deployId,
    blobs.map((b) => descriptor(b)),
  );
  const missing = await server.request('POST', `/v1/upload-sessions/${s.id}/missing-blobs`, {
    uploadToken: s.token,
    json: { files: blobs.map((b) => descriptor(b)) },
  });
  for (const { sha256 } of missing.body.missingBlobs)
    assert.equal(
      (
        await put(
          server,
          s,
          blobs.find((b) => b.sha256 === sha256)!,
        )
      ).status,
      200,
    );
  const res = await commit(
    server,
    s,
    blobs.map((b) => entry(b)),
  );
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.deployVersion;
}

/** Follows nextCursor with `?limit=` until it is null; returns every item in order. */
async function walk(server: TestServer, path: string, limit: number): Promise<unknown[]> {
  const items: unknown[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const query: string = `?limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const res = await server.request('GET', `${path}${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.items.length <= limit);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (cursor === null) return items;
    assert.equal(typeof cursor, 'string');
    assert.equal(res.body.items.length, limit, 'only the last page may be short');
  }
  throw new Error('pagination never ended');
}

const ids = (items: unknown[]) => items.map((item) => (item as { id: string }).id);

describe('contract behaviour of the local Press Cloud', { timeout: 60_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  test('the same Idempotency-Key and body replay the same status and body, uploadToken included, and create nothing more', async () => {
    const slug = nextSlug();
    const files = [descriptor(blob('index.html'))];
    const init = {
      headers: { 'Idempotency-Key': `create-${slug}` },
      json: { createDeploy: { slug, name: 'Idem' }, files },
    };
    const first = await server.request('POST', '/v1/upload-sessions', init);
    const second = await server.request('POST', '/v1/upload-sessions', init);
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.deepEqual(second.body, first.body);
    const all = (await server.request('GET', '/v1/deploys?limit=200')).body.items;
    assert.equal(all.filter((d: { slug: string }) => d.slug === slug).length, 1, 'one deploy');

    const deployKey = { headers: { 'Idempotency-Key': `deploy-${slug}` }, json: { slug: `${slug}-x`, name: 'Idem' } };
    const d1 = await server.request('POST', '/v1/deploys', deployKey);
    const d2 = await server.request('POST', '/v1/deploys', deployKey);
    assert.equal(d1.status, 201);
    assert.deepEqual([d2.status, d2.body], [201, d1.body]);

    const deployId = d1.body.deploy.id;
    const b = blob('index.html');
    const s = await openSession(server, deployId, [descriptor(b)]);
    assert.equal((await put(server, s, b)).status, 200);
    const c1 = await commit(server, s, [entry(b)], { 'Idempotency-Key': `commit-${slug}` });
    const c2 = await commit(server, s, [entry(b)], { 'Idempotency-Key': `commit-${slug}` });
    assert.equal(c1.status, 201);
    assert.deepEqual([c2.status, c2.body], [201, c1.body]);
    const deploy = (await server.request('GET', `/v1/deploys/${deployId}`)).body.deploy;
    assert.equal(deploy.versionCount, 1, 'one version');
    assert.equal((await server.request('GET', `/v1/deploys/${deployId}/versions`)).body.items.length, 1);
  });

  test('a key whose request failed can be used again once the state is fixed: commit → 409 blobs_missing, upload, same key → 201', async () => {
    const deployId = await createDeploy(server);
    const b = blob('index.html');
    const s = await openSession(server, deployId, [descriptor(b)]);
    const key = { 'Idempotency-Key': `retry-${deployId}` };
    const failed = await commit(server, s, [entry(b)], key);
    assert.equal(failed.status, 409);
    assert.equal(failed.body.error, 'blobs_missing');
    assert.equal((await put(server, s, b)).status, 200);
    const done = await commit(server, s, [entry(b)], key);
    assert.equal(done.status, 201, JSON.stringify(done.body));
    assert.equal(done.body.deployVersion.versionNo, 1);
    assert.deepEqual(await commit(server, s, [entry(b)], key).then((r) => [r.status, r.body]), [201, done.body]);
  });

  test('concurrent twins with one Idempotency-Key get one answer and create once', async () => {
    const slug = nextSlug();
    const init = { headers: { 'Idempotency-Key': `twin-${slug}` }, json: { slug, name: 'Twins' } };
    const [a, b] = await Promise.all([
      server.request('POST', '/v1/deploys', init),
      server.request('POST', '/v1/deploys', init),
    ]);
    assert.deepEqual([a.status, b.status], [201, 201]);
    assert.deepEqual(b.body, a.body);
    const blobOne = blob('index.html');
    const s = await openSession(server, a.body.deploy.id, [descriptor(blobOne)]);
    assert.equal((await put(server, s, blobOne)).status, 200);
    const key = { 'Idempotency-Key': `twin-commit-${slug}` };
    const commits = await Promise.all([
      commit(server, s, [entry(blobOne)], key),
      commit(server, s, [entry(blobOne)], key),
    ]);
    assert.deepEqual(
      commits.map((c) => c.status),
      [201, 201],
    );
    assert.deepEqual(commits[1].body, commits[0].body);
    assert.equal((await server.request('GET', `/v1/deploys/${a.body.deploy.id}`)).body.deploy.versionCount, 1);
  });

  test('GET /v1/limits names the five limits, and a commit without render gets route /index.html', async () => {
    const limits = await server.request('GET', '/v1/limits');
    assert.equal(limits.status, 200);
    assert.deepEqual(Object.keys(limits.body).sort(), [
      'maxBlobBytes',
      'maxFilesPerVersion',
      'maxMissingBlobsPerCall',
      'maxSessionBytes',
      'sessionTtlMs',
    ]);
    assert.equal(limits.body.sessionTtlMs, 3_600_000, 'the seed TTL is 1 hour');
    const version = await deployVersion(server, await createDeploy(server), [blob('index.html'), blob('style.css')]);
    assert.equal(version.route, '/index.html');
  });

  test('GET of a session says open with deployVersionId null, then committed with the version id', async () => {
    const deployId = await createDeploy(server);
    const b = blob('index.html');
    const s = await openSession(server, deployId, [descriptor(b)]);
    const open = await server.request('GET', `/v1/upload-sessions/${s.id}`, { uploadToken: s.token });
    assert.equal(open.status, 200);
    assert.equal(open.body.uploadSession.id, s.id);
    assert.equal(open.body.uploadSession.status, 'open');
    assert.equal(open.body.uploadSession.deployVersionId, null);
    assert.equal(open.body.uploadSession.requestedFileCount, 1);
    assert.equal(open.body.uploadSession.requestedBytes, b.size);
    assert.equal((await put(server, s, b)).status, 200);
    const committed = await commit(server, s, [entry(b)]);
    const after = await server.request('GET', `/v1/upload-sessions/${s.id}`, { uploadToken: s.token });
    assert.equal(after.body.uploadSession.status, 'committed');
    assert.equal(after.body.uploadSession.deployVersionId, committed.body.deployVersion.id);
  });

  test('a blob another session stored is alreadyPresent for the next session, and is stored once', async () => {
    const b = blob('shared.js');
    const first = await openSession(server, await createDeploy(server), [descriptor(b)]);
    const second = await openSession(server, await createDeploy(server), [descriptor(b, 'other/name.js')]);
    const stored = await put(server, first, b);
    assert.deepEqual([stored.status, stored.body.alreadyPresent], [200, false]);
    const again = await put(server, second, b);
    assert.equal(again.status, 200);
    assert.equal(again.body.uploadSessionId, second.id);
    assert.equal(again.body.alreadyPresent, true);
    assert.equal(again.body.blob.sha256, b.sha256);
    assert.equal(again.body.blob.size, b.size);
    const missing = await server.request('POST', `/v1/upload-sessions/${second.id}/missing-blobs`, {
      uploadToken: second.token,
      json: { files: [descriptor(b)] },
    });
    assert.deepEqual(missing.body.missingBlobs, []);
    assert.equal(copiesOnDisk(server.dataDir, b.sha256).length, 1, 'exactly one copy of the blob under blobs/');
  });

  test('two sessions PUTting the same blob at once still store it once, whole', async () => {
    const b = blob('race.bin', 'race '.repeat(50_000));
    const sessions = await Promise.all(
      [0, 1, 2].map(async () => openSession(server, await createDeploy(server), [descriptor(b)])),
    );
    const answers = await Promise.all(sessions.map((s) => put(server, s, b)));
    for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.ok(
      answers.some((a) => a.body.alreadyPresent === false),
      'one of them stored it',
    );
    assert.equal(copiesOnDisk(server.dataDir, b.sha256).length, 1);
    assert.deepEqual(readdirSync(join(server.dataDir, 'tmp')), []);
    const raw = await fetch(new URL(`/v1/blobs/${b.sha256}`, server.url), {
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    assert.equal(sha256hex(Buffer.from(await raw.arrayBuffer())), b.sha256);
  });

  test('version numbers count per deploy, independently of other deploys, and latestVersion/versionCount follow them', async () => {
    const x = await createDeploy(server);
    const y = await createDeploy(server);
    const fresh = (await server.request('GET', `/v1/deploys/${x}`)).body.deploy;
    assert.deepEqual([fresh.versionCount, fresh.latestVersion], [0, null]);
    const order = [x, y, x, x, y];
    const numbers: number[] = [];
    for (const deployId of order) {
      const version = await deployVersion(server, deployId, [blob('index.html', 'same bytes every time')]);
      numbers.push(version.versionNo);
      assert.equal(version.displayId, `#${version.versionNo}`);
      const deploy = (await server.request('GET', `/v1/deploys/${deployId}`)).body.deploy;
      assert.equal(deploy.versionCount, version.versionNo);
      assert.deepEqual(deploy.latestVersion, version);
    }
    assert.deepEqual(numbers, [1, 1, 2, 3, 2]);
  });

  test('files of a version are listed in code-point order of their paths, Unicode included, across pages', async () => {
    const paths = [
      'z.txt',
      'z/a.txt',
      'a.txt',
      'B.txt',
      'é.txt',
      'ﬀ.txt',
      '😀.txt',
      'a/b.txt',
      '~.txt',
      'Z.txt',
      'ä/x.txt',
      '\u{FF5E}.txt',
      'a-b.txt',
    ];
    const b = blob('shared.txt');
    const deployId = await createDeploy(server);
    const s = await openSession(
      server,
      deployId,
      paths.map((p) => descriptor(b, p)),
    );
    assert.equal((await put(server, s, b)).status, 200);
    const committed = await commit(
      server,
      s,
      paths.map((p) => entry(b, p)),
    );
    assert.equal(committed.status, 201, JSON.stringify(committed.body));
    const codePoints = (text: string) => Array.from(text, (c) => c.codePointAt(0)!);
    const byCodePoint = (a: string, c: string) => {
      const [x, y] = [codePoints(a), codePoints(c)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    };
    const expected = [...paths].sort(byCodePoint);
    assert.ok(expected.indexOf('\u{FF5E}.txt') < expected.indexOf('😀.txt'), 'code-point order, not UTF-16 order');
    const walked = (await walk(server, `/v1/deploy-versions/${committed.body.deployVersion.id}/files`, 2)) as Array<{
      path: string;
    }>;
    assert.deepEqual(
      walked.map((f) => f.path),
      expected,
    );
    const onePage = await server.request('GET', `/v1/deploy-versions/${committed.body.deployVersion.id}/files`);
    assert.deepEqual(
      onePage.body.items.map((f: { path: string }) => f.path),
      expected,
    );
    assert.equal(onePage.body.nextCursor, null);
  });

  test("walking a deploy's versions with ?limit=2 gives newest first, no gaps, no repeats", async () => {
    const deployId = await createDeploy(server);
    for (let i = 0; i < 5; i++) await deployVersion(server, deployId, [blob('index.html', `v${i}`)]);
    const walked = (await walk(server, `/v1/deploys/${deployId}/versions`, 2)) as Array<{ versionNo: number }>;
    assert.deepEqual(
      walked.map((v) => v.versionNo),
      [5, 4, 3, 2, 1],
    );
  });

  test('neither upload tokens nor the API key appear in plaintext in the SQLite files, while running or after close', async (t) => {
    const dataDir = makeDataDir();
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const own = await startTestServer({ dataDir });
    const tokens: string[] = [];
    const sqliteBytes = () =>
      Buffer.concat(
        readdirSync(dataDir)
          .filter((f) => f.startsWith('press-cloud.sqlite'))
          .map((f) => readFileSync(join(dataDir, f))),
      );
    const assertNoSecrets = (bytes: Buffer) => {
      assert.ok(bytes.length > 0);
      for (const secret of [
        own.apiKey,
        own.apiKey.slice('pcak_'.length),
        ...tokens,
        ...tokens.map((tk) => tk.slice('ustk_'.length)),
      ]) {
        assert.equal(bytes.includes(secret), false, `${secret.slice(0, 9)}… is not stored in plaintext`);
      }
    };
    try {
      for (let i = 0; i < 3; i++) {
        // With an Idempotency-Key the answer (token included) is kept for replays: it must be kept sealed.
        const res = await own.request('POST', '/v1/upload-sessions', {
          headers: { 'Idempotency-Key': `secret-${i}` },
          json: { createDeploy: { slug: `secret-${i}`, name: 'x' }, files: [descriptor(blob('index.html'))] },
        });
        assert.equal(res.status, 201);
        tokens.push(res.body.uploadToken);
      }
      assert.ok(readdirSync(dataDir).includes('press-cloud.sqlite-wal'), 'the WAL is there to be read while running');
      assertNoSecrets(sqliteBytes());
    } finally {
      await own.close({ keepData: true });
    }
    assertNoSecrets(sqliteBytes());
  });

  test("a blob PUT answers the MIME type of the content's first file by path, else the type its extension names", async () => {
    const copy = blob('b/copy.txt', 'one content, three names');
    const style = blob('style.css');
    const files = [
      { ...descriptor(copy), mime: 'text/plain' },
      { ...descriptor(copy, 'c.bin'), mime: 'application/octet-stream' },
      { ...descriptor(copy, 'a/page.html'), mime: 'text/html' },
      descriptor(style),
    ];
    const s = await openSession(server, await createDeploy(server), files);
    const mimes = [];
    for (const b of [copy, style]) mimes.push((await put(server, s, b)).body.blob.mime);
    assert.deepEqual(mimes, ['text/html', 'text/css']);
  });
});

describe('idempotent replays across a restart on the same data folder', { timeout: 60_000 }, () => {
  const dataDir = makeDataDir();
  const apiKey = makeApiKey();
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('session creation and commit replay the original answers after the server restarts', async () => {
    const b = blob('index.html');
    const createInit = {
      headers: { 'Idempotency-Key': 'restart-create' },
      json: { createDeploy: { slug: 'restart', name: 'Restart' }, files: [descriptor(b)] },
    };
    const first = await startTestServer({ dataDir, apiKey });
    let created: TestResponse;
    let committed: TestResponse;
    try {
      created = await first.request('POST', '/v1/upload-sessions', createInit);
      assert.equal(created.status, 201);
      const s = { id: created.body.uploadSession.id, token: created.body.uploadToken };
      assert.equal((await put(first, s, b)).status, 200);
      committed = await commit(first, s, [entry(b)], { 'Idempotency-Key': 'restart-commit' });
      assert.equal(committed.status, 201);
    } finally {
      await first.close({ keepData: true });
    }
    const second = await startTestServer({ dataDir, apiKey });
    try {
      const again = await second.request('POST', '/v1/upload-sessions', createInit);
      assert.deepEqual([again.status, again.body], [201, created.body]);
      const s = { id: created.body.uploadSession.id, token: created.body.uploadToken };
      const recommitted = await commit(second, s, [entry(b)], { 'Idempotency-Key': 'restart-commit' });
      assert.deepEqual([recommitted.status, recommitted.body], [201, committed.body]);
      const deploy = (await second.request('GET', `/v1/deploys/${committed.body.deployVersion.deployId}`)).body.deploy;
      assert.equal(deploy.versionCount, 1);
      assert.equal((await second.request('GET', '/v1/deploys')).body.items.length, 1);
    } finally {
      await second.close({ keepData: true });
    }
  });
});

describe('a commit after a restart, of blobs the server knows only from the disk', { timeout: 60_000 }, () => {
  const dataDir = makeDataDir();
  const apiKey = makeApiKey();
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('their sizes are checked as those of blobs it remembers: 409 blobs_missing, 400 blob_size_mismatch, then 201', async () => {
    // Over the packed-blob limit: a blob file of its own, which a restarted store knows only by asking the disk.
    const large = blob('large.bin', 'L'.repeat(600 * 1024));
    const small = blob('small.html');
    const absent = blob('absent.html');
    let deployId: string;
    const first = await startTestServer({ dataDir, apiKey });
    try {
      deployId = await createDeploy(first);
      const s = await openSession(first, deployId, [descriptor(large), descriptor(small)]);
      for (const b of [large, small]) assert.equal((await put(first, s, b)).status, 200);
    } finally {
      await first.close({ keepData: true });
    }
    const second = await startTestServer({ dataDir, apiKey });
    try {
      const s = await openSession(second, deployId, [descriptor(small), descriptor(large), descriptor(absent)]);
      const missing = await commit(second, s, [entry(small), { ...entry(large), size: 1 }, entry(absent)]);
      assert.deepEqual(
        [missing.status, missing.body.error, missing.body.missing],
        [409, 'blobs_missing', [absent.sha256]],
      );
      const wrongSize = await commit(second, s, [entry(small), { ...entry(large), size: 1 }]);
      assert.deepEqual([wrongSize.status, wrongSize.body.error], [400, 'blob_size_mismatch']);
      assert.match(
        wrongSize.body.message,
        new RegExp(`"large.bin" says 1 bytes; blob ${large.sha256} is ${large.size}`),
      );
      const wrongFirst = await commit(second, s, [
        { ...entry(small), size: 1 },
        { ...entry(large), size: 1 },
      ]);
      assert.match(wrongFirst.body.message, /^"small.html" says 1 bytes/);
      assert.equal((await commit(second, s, [entry(small), entry(large)])).status, 201);
    } finally {
      await second.close({ keepData: true });
    }
  });
});

describe('cursor pagination of deploys', { timeout: 60_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    for (let i = 0; i < 53; i++) {
      assert.equal(
        (await server.request('POST', '/v1/deploys', { json: { slug: `page-${i}`, name: `Page ${i}` } })).status,
        201,
      );
    }
  });
  after(async () => {
    await server.close();
  });

  test('limit defaults to 50 and takes any of 1..200', async () => {
    const byDefault = await server.request('GET', '/v1/deploys');
    assert.equal(byDefault.body.items.length, 50);
    assert.equal(typeof byDefault.body.nextCursor, 'string');
    assert.equal((await server.request('GET', '/v1/deploys?limit=1')).body.items.length, 1);
    const all = await server.request('GET', '/v1/deploys?limit=200');
    assert.equal(all.body.items.length, 53);
    assert.equal(all.body.nextCursor, null);
    assert.deepEqual(
      all.body.items.map((d: { slug: string }) => d.slug),
      Array.from({ length: 53 }, (_, i) => `page-${52 - i}`),
      'newest first',
    );
  });

  test('walking with ?limit=2 visits every deploy once, in order, and ends with nextCursor null', async () => {
    const all = ids((await server.request('GET', '/v1/deploys?limit=200')).body.items);
    const walked = ids(await walk(server, '/v1/deploys', 2));
    assert.deepEqual(walked, all);
    assert.equal(new Set(walked).size, walked.length);
  });

  test("the next page continues right after the previous page's last item when deploys are added in between", async () => {
    const before = ids((await server.request('GET', '/v1/deploys?limit=200')).body.items);
    const page1 = await server.request('GET', '/v1/deploys?limit=2');
    assert.deepEqual(ids(page1.body.items), before.slice(0, 2));
    for (let i = 0; i < 3; i++) await createDeploy(server);
    const page2 = await server.request(
      'GET',
      `/v1/deploys?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`,
    );
    assert.equal(page2.status, 200);
    assert.deepEqual(ids(page2.body.items), before.slice(2, 4));
    const rest: unknown[] = [];
    let cursor: string | null = page2.body.nextCursor;
    while (cursor !== null) {
      const page = await server.request('GET', `/v1/deploys?limit=50&cursor=${encodeURIComponent(cursor)}`);
      rest.push(...page.body.items);
      cursor = page.body.nextCursor;
    }
    assert.deepEqual([...ids(page1.body.items), ...ids(page2.body.items), ...ids(rest)], before, 'no gap, no repeat');
  });
});
