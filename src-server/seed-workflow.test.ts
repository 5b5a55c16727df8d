/**
 * Seed 000 walked exactly as it shows it, by a client that knows only the
 * seeds: create session (createDeploy + Idempotency-Key) → missing-blobs →
 * PUT each blob as application/octet-stream → commit with the seed's render
 * block; then a second session of the same files that needs no upload.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTestServer, type TestServer } from './testing/test-server.ts';

function sha256hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `head` + filler + `tail`, exactly `size` bytes of ASCII. */
function exactBytes(head: string, tail: string, filler: string, size: number): Buffer {
  const fill = size - head.length - tail.length;
  return Buffer.from(head + filler.repeat(Math.ceil(fill / filler.length)).slice(0, fill) + tail, 'utf8');
}

// The seed's two files, with the seed's sizes (1024 and 65536 bytes), as real bytes.
const indexHtml = exactBytes(
  '<!doctype html><html><head><title>My Document</title><script src="assets/main.js"></script></head><body><h1>My Document</h1><!--',
  '--></body></html>\n',
  ' pad',
  1024,
);
const mainJs = exactBytes('document.title = "My Document";\n/*', '*/\n', ' js filler', 65536);

const files = [
  { path: 'index.html', sha256: sha256hex(indexHtml), size: 1024, mime: 'text/html' },
  { path: 'assets/main.js', sha256: sha256hex(mainJs), size: 65536, mime: 'application/javascript' },
];
const bytesBySha = new Map([
  [files[0]!.sha256, indexHtml],
  [files[1]!.sha256, mainJs],
]);
const entries = files.map((f) => ({ path: f.path, blobHash: f.sha256, size: f.size, mime: f.mime }));
const render = { route: '/index.html', title: 'My Document', renderTimeoutMs: 30000, metadata: { buildId: 'ci-1234' } };

const sortedKeys = (value: object) => Object.keys(value).sort();

/** Raw bytes of a GET, for comparing blob and preview content exactly. */
async function getBytes(
  server: TestServer,
  path: string,
  withAuth: boolean,
): Promise<{ status: number; contentType: string; bytes: Buffer }> {
  const response = await fetch(new URL(path, server.url), {
    headers: withAuth ? { authorization: `Bearer ${server.apiKey}` } : {},
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

describe('seed 000: the four-step upload workflow, as the seed shows it', { timeout: 60_000 }, () => {
  let server: TestServer;
  let sessionId = '';
  let uploadToken = '';
  let deployId = '';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let version1: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let version2: any;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  test('1. creating a session with createDeploy and an Idempotency-Key answers 201 with an open session and a ustk_ token', async () => {
    const res = await server.request('POST', '/v1/upload-sessions', {
      headers: { 'Idempotency-Key': 'upload-2026-04-28-001' },
      json: { createDeploy: { slug: 'my-document', name: 'My Document' }, files },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(sortedKeys(res.body), ['uploadSession', 'uploadToken']);
    const session = res.body.uploadSession;
    assert.deepEqual(sortedKeys(session), [
      'createdAt',
      'expiresAt',
      'id',
      'requestedBytes',
      'requestedFileCount',
      'status',
    ]);
    assert.match(session.id, /^us_/);
    assert.equal(session.status, 'open');
    assert.equal(session.requestedFileCount, 2);
    assert.equal(session.requestedBytes, 66560);
    assert.ok(
      Number.isInteger(session.createdAt) && Math.abs(session.createdAt - Date.now()) < 60_000,
      'createdAt is epoch ms',
    );
    assert.equal(session.expiresAt - session.createdAt, 3_600_000, 'the seed says the TTL is 1 hour');
    assert.match(res.body.uploadToken, /^ustk_/);
    sessionId = session.id;
    uploadToken = res.body.uploadToken;
  });

  test('2. missing-blobs of a brand-new deploy lists every blob as missing', async () => {
    const res = await server.request('POST', `/v1/upload-sessions/${sessionId}/missing-blobs`, {
      uploadToken,
      json: { files },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(sortedKeys(res.body), ['missingBlobs', 'uploadSessionId']);
    assert.equal(res.body.uploadSessionId, sessionId);
    for (const item of res.body.missingBlobs) assert.deepEqual(sortedKeys(item), ['sha256']);
    assert.deepEqual(
      res.body.missingBlobs.map((b: { sha256: string }) => b.sha256).sort(),
      files.map((f) => f.sha256).sort(),
    );
  });

  test('3. each missing blob PUT as application/octet-stream answers 200 with alreadyPresent false', async () => {
    for (const file of files) {
      const res = await server.request('PUT', `/v1/upload-sessions/${sessionId}/blobs/${file.sha256}`, {
        uploadToken,
        headers: { 'content-type': 'application/octet-stream' },
        raw: bytesBySha.get(file.sha256)!,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(sortedKeys(res.body), ['alreadyPresent', 'blob', 'uploadSessionId']);
      assert.equal(res.body.uploadSessionId, sessionId);
      assert.equal(res.body.alreadyPresent, false);
      assert.equal(res.body.blob.sha256, file.sha256);
      assert.equal(res.body.blob.size, file.size);
      assert.equal(typeof res.body.blob.r2Key, 'string');
      assert.ok(res.body.blob.r2Key.length > 0);
      if (res.body.blob.mime !== undefined) assert.equal(res.body.blob.mime, file.mime);
    }
  });

  test("4. commit with the seed's entries and render block answers 201 with deployVersion #1", async () => {
    const res = await server.request('POST', `/v1/upload-sessions/${sessionId}/commit`, {
      uploadToken,
      json: { entries, render },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(sortedKeys(res.body), ['deployVersion']);
    const version = res.body.deployVersion;
    assert.deepEqual(sortedKeys(version), [
      'createdAt',
      'deployId',
      'displayId',
      'id',
      'route',
      'status',
      'title',
      'versionNo',
    ]);
    assert.match(version.id, /^dv_/);
    assert.match(version.deployId, /^dpl_/);
    assert.equal(version.displayId, '#1');
    assert.equal(version.versionNo, 1);
    assert.equal(version.route, '/index.html');
    assert.equal(version.title, 'My Document');
    assert.equal(version.status, 'ready');
    assert.ok(Number.isInteger(version.createdAt));
    version1 = version;
    deployId = version.deployId;
  });

  test('a second session of the same files on the same deploy finds nothing missing and commits #2 without any blob PUT', async () => {
    const created = await server.request('POST', '/v1/upload-sessions', {
      headers: { 'Idempotency-Key': 'upload-2026-04-28-002' },
      json: { deployId, files },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.notEqual(created.body.uploadSession.id, sessionId);
    const id = created.body.uploadSession.id;
    const token = created.body.uploadToken;
    const missing = await server.request('POST', `/v1/upload-sessions/${id}/missing-blobs`, {
      uploadToken: token,
      json: { files },
    });
    assert.equal(missing.status, 200);
    assert.deepEqual(missing.body, { uploadSessionId: id, missingBlobs: [] });
    const commit = await server.request('POST', `/v1/upload-sessions/${id}/commit`, {
      uploadToken: token,
      json: { entries, render },
    });
    assert.equal(commit.status, 201, JSON.stringify(commit.body));
    assert.equal(commit.body.deployVersion.displayId, '#2');
    assert.equal(commit.body.deployVersion.versionNo, 2);
    assert.equal(commit.body.deployVersion.deployId, deployId);
    assert.notEqual(commit.body.deployVersion.id, version1.id);
    version2 = commit.body.deployVersion;
  });

  test('GET /v1/deploys/{id} and GET /v1/deploys show the deploy with versionCount 2 and latestVersion #2', async () => {
    const one = await server.request('GET', `/v1/deploys/${deployId}`);
    assert.equal(one.status, 200);
    const deploy = one.body.deploy;
    assert.deepEqual(sortedKeys(deploy), [
      'createdAt',
      'id',
      'latestVersion',
      'name',
      'slug',
      'updatedAt',
      'versionCount',
    ]);
    assert.equal(deploy.id, deployId);
    assert.equal(deploy.slug, 'my-document');
    assert.equal(deploy.name, 'My Document');
    assert.equal(deploy.versionCount, 2);
    assert.deepEqual(deploy.latestVersion, version2);
    const list = await server.request('GET', '/v1/deploys');
    assert.equal(list.status, 200);
    assert.equal(list.body.nextCursor, null);
    assert.deepEqual(list.body.items, [deploy]);
  });

  test('GET /v1/deploys/{id}/versions lists #2 then #1, each with its totals and aliases', async () => {
    const res = await server.request('GET', `/v1/deploys/${deployId}/versions`);
    assert.equal(res.status, 200);
    const totals = { fileCount: 2, totalBytes: 66560 };
    assert.deepEqual(res.body, {
      items: [
        { ...version2, ...totals, aliases: [] },
        { ...version1, ...totals, aliases: [] },
      ],
      nextCursor: null,
    });
    // The contract's history list needs no request per row: an alias shows on the version it points at.
    for (const name of ['production', 'archive'])
      assert.equal(
        (
          await server.request('PUT', `/v1/deploys/${deployId}/aliases/${name}`, {
            json: { deployVersionId: version1.id },
          })
        ).status,
        200,
      );
    const aliased = await server.request('GET', `/v1/deploys/${deployId}/versions`);
    assert.deepEqual(
      aliased.body.items.map((v: { aliases: string[] }) => v.aliases),
      [[], ['archive', 'production']],
    );
    for (const name of ['production', 'archive'])
      assert.equal((await server.request('DELETE', `/v1/deploys/${deployId}/aliases/${name}`)).status, 204);
  });

  test('GET /v1/deploy-versions/{id} and its files reflect the commit', async () => {
    const detail = await server.request('GET', `/v1/deploy-versions/${version1.id}`);
    assert.equal(detail.status, 200);
    assert.deepEqual(detail.body.deployVersion, { ...version1, fileCount: 2, totalBytes: 66560, render, aliases: [] });
    const listed = await server.request('GET', `/v1/deploy-versions/${version1.id}/files`);
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body,
      { items: [entries[1], entries[0]], nextCursor: null },
      'sorted by path: assets/main.js before index.html',
    );
  });

  test('GET /v1/blobs/{sha256} returns the exact bytes uploaded, and only with the API key', async () => {
    for (const [sha, bytes] of bytesBySha) {
      const res = await getBytes(server, `/v1/blobs/${sha}`, true);
      assert.equal(res.status, 200);
      assert.ok(res.bytes.equals(bytes), `blob ${sha} round-trips`);
    }
    assert.equal((await getBytes(server, `/v1/blobs/${files[0]!.sha256}`, false)).status, 401);
  });

  test("preview serves each version's files by version number, with their MIME types, without auth", async () => {
    const html = await getBytes(server, '/preview/my-document/1/index.html', false);
    assert.equal(html.status, 200);
    assert.match(html.contentType, /^text\/html/);
    assert.ok(html.bytes.equals(indexHtml));
    const js = await getBytes(server, '/preview/my-document/2/assets/main.js', false);
    assert.equal(js.status, 200);
    assert.match(js.contentType, /^(application|text)\/javascript/);
    assert.ok(js.bytes.equals(mainJs));
    assert.equal((await getBytes(server, '/preview/my-document/3/index.html', false)).status, 404);
  });

  test('an alias can be put, listed, repointed, used in preview and deleted', async () => {
    const put = await server.request('PUT', `/v1/deploys/${deployId}/aliases/production`, {
      json: { deployVersionId: version1.id },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(sortedKeys(put.body.alias), ['deployId', 'deployVersionId', 'name', 'updatedAt']);
    assert.equal(put.body.alias.name, 'production');
    assert.equal(put.body.alias.deployId, deployId);
    assert.equal(put.body.alias.deployVersionId, version1.id);
    assert.ok(Number.isInteger(put.body.alias.updatedAt));

    const listed = await server.request('GET', `/v1/deploys/${deployId}/aliases`);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.items, [put.body.alias]);
    assert.deepEqual((await server.request('GET', `/v1/deploy-versions/${version1.id}`)).body.deployVersion.aliases, [
      'production',
    ]);
    const viaAlias = await getBytes(server, '/preview/my-document/production/index.html', false);
    assert.equal(viaAlias.status, 200);
    assert.ok(viaAlias.bytes.equals(indexHtml));

    const repointed = await server.request('PUT', `/v1/deploys/${deployId}/aliases/production`, {
      json: { deployVersionId: version2.id },
    });
    assert.equal(repointed.status, 200);
    assert.equal(repointed.body.alias.deployVersionId, version2.id);
    assert.deepEqual(
      (await server.request('GET', `/v1/deploy-versions/${version1.id}`)).body.deployVersion.aliases,
      [],
    );
    assert.deepEqual((await server.request('GET', `/v1/deploy-versions/${version2.id}`)).body.deployVersion.aliases, [
      'production',
    ]);

    const deleted = await server.request('DELETE', `/v1/deploys/${deployId}/aliases/production`);
    assert.equal(deleted.status, 204);
    assert.deepEqual((await server.request('GET', `/v1/deploys/${deployId}/aliases`)).body.items, []);
    assert.equal((await getBytes(server, '/preview/my-document/production/index.html', false)).status, 404);
  });
});
