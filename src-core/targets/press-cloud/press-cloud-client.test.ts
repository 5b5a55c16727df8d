import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FileDescriptor, VersionEntry } from '../../../src-shared/api-types.ts';
import { PressCloudClient, type RetryInfo } from './press-cloud-client.ts';
import { failure } from '../../testing/expect-failure.ts';
import { FAST_RETRY, startCloud, type Cloud } from '../../testing/local-cloud.ts';

/** A small site in a temp folder: its descriptors, entries, and a way to stream each file from disk. */
function makeSite(t: TestContext, contents: Record<string, string | Buffer>) {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-site-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const files: FileDescriptor[] = [];
  const pathOf = new Map<string, string>();
  for (const [path, content] of Object.entries(contents)) {
    const file = join(dir, path.replaceAll('/', '_'));
    writeFileSync(file, content);
    const sha256 = createHash('sha256').update(content).digest('hex');
    files.push({
      path,
      sha256,
      size: Buffer.byteLength(content),
      mime: path.endsWith('.html') ? 'text/html' : 'application/octet-stream',
    });
    pathOf.set(sha256, file);
  }
  const entries: VersionEntry[] = files.map((file) => ({
    path: file.path,
    blobHash: file.sha256,
    size: file.size,
    mime: file.mime!,
  }));
  return {
    files,
    entries,
    open: (sha256: string) => () => createReadStream(pathOf.get(sha256)!),
    file: (sha256: string) => pathOf.get(sha256)!,
  };
}

const slug = () => `site-${randomBytes(4).toString('hex')}`;
const key = () => `key-${randomBytes(8).toString('hex')}`;

/** Runs the four steps for `site` to a new deploy; returns the version, session and what onRetry saw. */
async function deployOnce(
  client: PressCloudClient,
  site: ReturnType<typeof makeSite>,
  onBytes?: (delta: number) => void,
) {
  const created = await client.createUploadSession(
    { createDeploy: { slug: slug(), name: 'Site' }, files: site.files },
    key(),
  );
  const { id } = created.uploadSession;
  const missing = await client.missingBlobs(id, created.uploadToken, site.files);
  for (const sha256 of missing) {
    const size = site.files.find((file) => file.sha256 === sha256)!.size;
    await client.putBlob(
      id,
      created.uploadToken,
      { sha256, size },
      site.open(sha256),
      onBytes ? { onBytesSent: onBytes } : {},
    );
  }
  const version = await client.commit(
    id,
    created.uploadToken,
    { entries: site.entries, render: { title: 'Site' } },
    key(),
  );
  return { version, created, missing };
}

// One server for the tests that need no faults; cleanup is registered at the top level so it runs after them all.
// The lost-answer tests reach it through a TCP proxy on another port, as people behind a proxy do: it is told
// to answer to 127.0.0.1 on any port (else its Host allow-list answers 421 misdirected_request).
let cloud: Cloud;
const cleanups: (() => Promise<void>)[] = [];
before(async () => {
  cloud = await startCloud({ after: (fn) => cleanups.push(fn) }, '--allow-host', '127.0.0.1');
});
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

test('every method against the real server: deploys, the four upload steps, versions and files', async (t) => {
  const client = cloud.client();
  const limits = await client.limits();
  assert.equal(limits.maxMissingBlobsPerCall, 1_000);
  assert.equal(limits.sessionTtlMs, 3_600_000);

  const deploySlug = slug();
  const deploy = await client.createDeploy(deploySlug, 'Docs', 'create-docs');
  assert.match(deploy.id, /^dpl_/);
  assert.deepEqual(
    await client.createDeploy(deploySlug, 'Docs', 'create-docs'),
    deploy,
    'the same key replays the first answer',
  );
  assert.deepEqual(await client.getDeploy(deploy.id), deploy);
  assert.equal((await client.findDeploy(deploy.id))?.slug, deploySlug);
  assert.equal((await client.findDeploy(deploySlug))?.id, deploy.id);
  assert.equal(await client.findDeploy('dpl_unknown'), null);
  assert.equal(await client.findDeploy('no-such-slug'), null);
  assert.ok((await client.listDeploys()).items.some((item) => item.id === deploy.id));

  const site = makeSite(t, { 'index.html': '<h1>Hello</h1>', 'a/b.css': 'h1{}', 'big.bin': randomBytes(300_000) });
  const created = await client.createUploadSession({ deployId: deploy.id, files: site.files }, 'session-1');
  const { id } = created.uploadSession;
  assert.match(created.uploadToken, /^ustk_/);
  assert.equal(created.uploadSession.requestedFileCount, 3);
  assert.equal((await client.getUploadSession(id, created.uploadToken)).status, 'open');
  const missing = await client.missingBlobs(id, created.uploadToken, site.files);
  assert.deepEqual(new Set(missing), new Set(site.files.map((file) => file.sha256)));

  for (const file of site.files) {
    let bytes = 0;
    const answer = await client.putBlob(id, created.uploadToken, file, site.open(file.sha256), {
      onBytesSent: (delta) => (bytes += delta),
    });
    assert.equal(answer.alreadyPresent, false);
    assert.equal(answer.blob.sha256, file.sha256);
    assert.equal(bytes, file.size);
    assert.deepEqual(await cloud.blob(file.sha256), Buffer.from(await readAll(site.open(file.sha256)())));
  }
  const again = await client.putBlob(id, created.uploadToken, site.files[2]!, site.open(site.files[2]!.sha256));
  assert.equal(again.alreadyPresent, true);
  assert.deepEqual(await client.missingBlobs(id, created.uploadToken, site.files), []);

  const version = await client.commit(
    id,
    created.uploadToken,
    { entries: site.entries, render: { route: '/index.html', title: 'Docs' } },
    'commit-1',
  );
  assert.deepEqual(
    { versionNo: version.versionNo, displayId: version.displayId, deployId: version.deployId, route: version.route },
    { versionNo: 1, displayId: '#1', deployId: deploy.id, route: '/index.html' },
  );
  const session = await client.getUploadSession(id, created.uploadToken);
  assert.deepEqual(
    { status: session.status, deployVersionId: session.deployVersionId },
    { status: 'committed', deployVersionId: version.id },
  );

  assert.deepEqual(
    (await client.listVersions(deploy.id)).items.map((item) => item.id),
    [version.id],
  );
  assert.equal((await client.findVersion(deploy.id, 1))?.id, version.id);
  assert.equal(await client.findVersion(deploy.id, 2), null);
  const detail = await client.getVersion(version.id);
  assert.deepEqual(
    { fileCount: detail.fileCount, totalBytes: detail.totalBytes, title: detail.title },
    { fileCount: 3, totalBytes: 300_000 + 14 + 4, title: 'Docs' },
  );
  const listed = await client.listVersionFiles(version.id);
  assert.deepEqual(
    listed.items.map((item) => item.path),
    ['a/b.css', 'big.bin', 'index.html'],
  );
  assert.equal(listed.nextCursor, null);
});

test('lists page with cursors, and findDeploy walks every page for a slug', async (t) => {
  const own = await startCloud(t);
  const client = own.client();
  const slugs = Array.from({ length: 205 }, (_, i) => `walk-${String(i).padStart(3, '0')}`);
  for (let i = 0; i < slugs.length; i += 20) {
    await Promise.all(slugs.slice(i, i + 20).map((s) => client.createDeploy(s, s, `k-${s}`)));
  }
  const first = await client.listDeploys();
  assert.equal(first.items.length, 50);
  assert.ok(first.nextCursor);
  const second = await client.listDeploys(first.nextCursor);
  assert.equal(second.items.length, 50);
  assert.equal(new Set([...first.items, ...second.items].map((d) => d.id)).size, 100);
  // Newest first: the first deploy created sits on the second page of 200.
  const oldest = await client.findDeploy('walk-000');
  assert.equal(oldest?.slug, 'walk-000');
});

test('4xx answers map to their contract code and status, are not retryable and are sent once; no secret is in a message', async (t) => {
  const retries: RetryInfo[] = [];
  const client = cloud.client({ onRetry: (info) => retries.push(info) });

  const notFound = await failure(() => client.getDeploy('dpl_nope'));
  assert.deepEqual([notFound.code, notFound.status, notFound.retryable], ['deploy_not_found', 404, false]);
  assert.match(
    notFound.message,
    /GET deploy dpl_nope failed: HTTP 404 deploy_not_found: No deploy has the id "dpl_nope"/,
  );

  const taken = slug();
  await client.createDeploy(taken, 'x', key());
  const conflict = await failure(() => client.createDeploy(taken, 'x', key()));
  assert.deepEqual([conflict.code, conflict.status], ['deploy_slug_conflict', 409]);
  assert.equal((await failure(() => client.createDeploy('Not A Slug', 'x', key()))).code, 'invalid_request');

  const site = makeSite(t, { 'index.html': '<p>hi</p>' });
  const created = await client.createUploadSession(
    { createDeploy: { slug: slug(), name: 'x' }, files: site.files },
    key(),
  );
  const { id } = created.uploadSession;
  const missing = await failure(() => client.commit(id, created.uploadToken, { entries: site.entries }, key()));
  assert.deepEqual(
    [missing.code, missing.status, missing.details.missing],
    ['blobs_missing', 409, [site.files[0]!.sha256]],
  );

  const badToken = 'ustk_notTheRightTokenAtAll';
  const tokenError = await failure(() => client.getUploadSession(id, badToken));
  assert.deepEqual([tokenError.code, tokenError.status], ['upload_token_invalid', 401]);
  const notInSession = await failure(() =>
    client.putBlob(id, created.uploadToken, { sha256: 'a'.repeat(64), size: 1 }, () =>
      Readable.from([Buffer.from('a')]),
    ),
  );
  assert.equal(notInSession.code, 'blob_not_in_session');
  // A wrong length is refused before the body is read (small here: see the test below for large bodies).
  const wrongSize = await failure(() =>
    client.putBlob(id, created.uploadToken, { sha256: site.files[0]!.sha256, size: 50_000 }, () => zeros(50_000)),
  );
  assert.deepEqual([wrongSize.code, wrongSize.status], ['blob_size_mismatch', 400]);

  const wrongKey = `pcak_wrong${randomBytes(12).toString('base64url')}`;
  const stranger = new PressCloudClient(
    { apiUrl: cloud.url, apiKey: wrongKey },
    { onRetry: (info) => retries.push(info) },
  );
  t.after(() => stranger.close());
  const unauthorized = await failure(() => stranger.limits());
  assert.deepEqual([unauthorized.code, unauthorized.status, unauthorized.retryable], ['unauthorized', 401, false]);

  assert.deepEqual(retries, [], 'no 4xx was retried');
  for (const error of [notFound, conflict, missing, tokenError, notInSession, wrongSize, unauthorized]) {
    for (const secret of [cloud.apiKey, wrongKey, created.uploadToken, badToken])
      assert.ok(!error.message.includes(secret), `"${error.message}" leaks a secret`);
  }
});

test(
  'a refusal of a LARGE blob PUT (wrong Content-Length) reaches the client as its 400, not as a broken pipe',
  // The server reads and drops a refused body rather than close over it (RFC 9112 §9.6), so the answer arrives.
  { timeout: 60_000 },
  async (t) => {
    const client = cloud.client({ retry: { maxAttempts: 1 } });
    const site = makeSite(t, { 'one.txt': 'one' });
    const created = await client.createUploadSession(
      { createDeploy: { slug: slug(), name: 'x' }, files: site.files },
      key(),
    );
    // Five tries, since the loss is a race (about 29 in 30 lose it on loopback).
    for (let i = 0; i < 5; i++) {
      const error = await failure(() =>
        client.putBlob(
          created.uploadSession.id,
          created.uploadToken,
          { sha256: site.files[0]!.sha256, size: 8_000_000 },
          () => zeros(8_000_000),
        ),
      );
      assert.equal(error.code, 'blob_size_mismatch', error.message);
    }
  },
);

test("503 on every request: retried maxAttempts - 1 times, then service_unavailable, retryable, with the server's words", async (t) => {
  const faulty = await startCloud(t, '--faults', '503=1');
  const retries: RetryInfo[] = [];
  const client = faulty.client({ retry: { ...FAST_RETRY, maxAttempts: 4 }, onRetry: (info) => retries.push(info) });
  const error = await failure(() => client.limits());
  assert.deepEqual([error.code, error.status, error.retryable], ['service_unavailable', 503, true]);
  assert.match(error.message, /GET limits failed: HTTP 503 service_unavailable: Injected fault/);
  assert.deepEqual(
    retries.map((r) => [r.attempt, r.request, r.error.code]),
    [1, 2, 3].map((n) => [n, 'GET limits', 'service_unavailable']),
  );
});

test('with 503=0.3, 429=0.2 and Retry-After 0 injected (seeded), every call still succeeds', async (t) => {
  const faulty = await startCloud(t, '--faults', '503=0.3,429=0.2,retry-after=0', '--faults-seed', '7');
  const retries: RetryInfo[] = [];
  const client = faulty.client({ retry: { ...FAST_RETRY, maxAttempts: 10 }, onRetry: (info) => retries.push(info) });
  const site = makeSite(t, { 'index.html': '<h1>1</h1>', 'app.js': 'go()', 'data.bin': randomBytes(100_000) });
  await client.limits();
  const deploy = await client.createDeploy(slug(), 'x', key());
  await client.getDeploy(deploy.id);
  await client.listDeploys();
  const created = await client.createUploadSession({ deployId: deploy.id, files: site.files }, key());
  const { id } = created.uploadSession;
  for (const sha256 of await client.missingBlobs(id, created.uploadToken, site.files)) {
    await client.putBlob(
      id,
      created.uploadToken,
      site.files.find((f) => f.sha256 === sha256)!,
      site.open(sha256),
    );
  }
  await client.getUploadSession(id, created.uploadToken);
  const version = await client.commit(id, created.uploadToken, { entries: site.entries }, key());
  assert.deepEqual(
    (await client.listVersions(deploy.id)).items.map((v) => v.versionNo),
    [1],
  );
  assert.equal((await client.getVersion(version.id)).fileCount, 3);
  assert.equal((await client.listVersionFiles(version.id)).items.length, 3);
  const codes = new Set(retries.map((r) => r.error.code));
  assert.ok(
    codes.has('service_unavailable') && codes.has('rate_limited'),
    `both faults were met and retried: ${[...codes].join(', ')}`,
  );
});

test('with reset=0.5 every blob is still stored whole: each retry re-opens the file, and progress rewinds', async (t) => {
  const faulty = await startCloud(t, '--faults', 'reset=0.5', '--faults-seed', '3');
  const retries: RetryInfo[] = [];
  const client = faulty.client({ onRetry: (info) => retries.push(info) });
  const contents = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}.bin`, randomBytes(400_000 + i)]));
  const site = makeSite(t, contents);
  const created = await client.createUploadSession(
    { createDeploy: { slug: slug(), name: 'x' }, files: site.files },
    key(),
  );
  for (const file of site.files) {
    let opens = 0;
    let net = 0;
    let forward = 0;
    const open = site.open(file.sha256);
    await client.putBlob(created.uploadSession.id, created.uploadToken, file, () => (opens++, open()), {
      onBytesSent: (delta) => ((net += delta), (forward += Math.max(0, delta))),
    });
    assert.ok(forward >= file.size, 'bytes sent over all attempts');
    assert.equal(net, file.size, 'failed attempts are taken back');
    assert.equal(opens, 1 + retries.filter((r) => r.request === `PUT blob ${file.sha256.slice(0, 12)}…`).length);
    assert.deepEqual(await faulty.blob(file.sha256), contents[file.path]);
  }
  assert.ok(
    retries.length > 0 && retries.every((r) => r.error.code === 'network_error'),
    'resets happened and were retried',
  );
});

/**
 * A TCP proxy between client and server that can lose one request or one
 * answer: the network faults a commit must survive, made to order. It sees
 * where each request starts because the client sends one at a time per
 * connection; `decide` may await (e.g. let another client act first).
 */
async function startProxy(
  t: TestContext,
  target: string,
  decide: (request: string) => Promise<'forward' | 'lose-request' | 'lose-answer'>,
) {
  const { hostname, port } = new URL(target);
  const log: string[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = connect(Number(port), hostname);
    let loseAnswer = false;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => (client.destroy(), upstream.destroy()));
    }
    client.on('data', (chunk: Buffer) => {
      client.pause();
      void (async () => {
        const start = /^([A-Z]+) (\S+) HTTP\/1\.1\r\n/.exec(chunk.toString('latin1', 0, 1024));
        if (start) {
          const decision = await decide(`${start[1]} ${start[2]}`);
          log.push(`${start[1]} ${start[2]} ${decision}`);
          if (decision === 'lose-request') return client.destroy();
          loseAnswer = decision === 'lose-answer';
        }
        upstream.write(chunk);
        client.resume();
      })();
    });
    upstream.on('data', (chunk: Buffer) => (loseAnswer ? client.destroy() : client.write(chunk)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log };
}

test('a commit whose answer is lost is recovered from the session, not committed twice (a TCP proxy drops the answer)', async (t) => {
  let commits = 0;
  const proxy = await startProxy(t, cloud.url, async (request) =>
    request.endsWith('/commit') && ++commits === 1 ? 'lose-answer' : 'forward',
  );
  const retries: RetryInfo[] = [];
  const client = cloud.client({ onRetry: (info) => retries.push(info) }, proxy.url);
  const site = makeSite(t, { 'index.html': '<h1>lost</h1>' });
  const { version, created } = await deployOnce(client, site);

  const { id } = created.uploadSession;
  assert.deepEqual(proxy.log.slice(-3), [
    `POST /v1/upload-sessions/${id}/commit lose-answer`,
    `GET /v1/upload-sessions/${id} forward`,
    `GET /v1/deploy-versions/${version.id} forward`,
  ]);
  assert.equal(commits, 1, 'the commit was sent once');
  assert.deepEqual(
    retries.map((r) => [r.request, r.error.code]),
    [[`POST commit of session ${id}`, 'network_error']],
  );
  assert.deepEqual([version.versionNo, version.displayId, version.status], [1, '#1', 'ready']);
  assert.equal(Object.hasOwn(version, 'fileCount'), false, 'a DeployVersion, as commit answers it');
  assert.equal((await cloud.client().getDeploy(version.deployId)).versionCount, 1);
});

test('a 409 upload_session_committed on a retried commit resolves to the version that committed the session', async (t) => {
  const direct = cloud.client();
  let raceCommit = async () => {};
  let commits = 0;
  const proxy = await startProxy(t, cloud.url, async (request) => {
    if (!request.endsWith('/commit')) return 'forward';
    if (++commits === 1) return 'lose-request';
    // Between our retry's session check ("open") and its commit, another client commits the session.
    await raceCommit();
    return 'forward';
  });
  const retries: RetryInfo[] = [];
  const client = cloud.client({ onRetry: (info) => retries.push(info) }, proxy.url);
  const site = makeSite(t, { 'index.html': '<h1>raced</h1>' });
  const created = await client.createUploadSession(
    { createDeploy: { slug: slug(), name: 'x' }, files: site.files },
    key(),
  );
  const { id } = created.uploadSession;
  await client.putBlob(id, created.uploadToken, site.files[0]!, site.open(site.files[0]!.sha256));
  raceCommit = async () =>
    void (await direct.commit(id, created.uploadToken, { entries: site.entries, render: { title: 'Other' } }, key()));
  const version = await client.commit(
    id,
    created.uploadToken,
    { entries: site.entries, render: { title: 'Mine' } },
    key(),
  );
  assert.deepEqual([version.title, version.versionNo], ['Other', 1]);
  assert.deepEqual(proxy.log.slice(-5), [
    `POST /v1/upload-sessions/${id}/commit lose-request`,
    `GET /v1/upload-sessions/${id} forward`,
    `POST /v1/upload-sessions/${id}/commit forward`,
    `GET /v1/upload-sessions/${id} forward`,
    `GET /v1/deploy-versions/${version.id} forward`,
  ]);
  assert.equal(retries.length, 1);
});

/** `size` zero bytes, made lazily: the stall test must not hold 64 MB in memory. */
function zeros(size: number): Readable {
  const chunk = Buffer.alloc(64 * 1024);
  return Readable.from(
    (function* () {
      for (let left = size; left > 0; left -= chunk.length)
        yield left >= chunk.length ? chunk : chunk.subarray(0, left);
    })(),
  );
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
