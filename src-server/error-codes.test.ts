/**
 * Every error code of the contract, provoked for real over HTTP: the status
 * and the `{"error": code, "message": text}` shape. After every refused blob
 * PUT, nothing is in storage: no blob, no temp file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startTestServer, type TestResponse, type TestServer } from './testing/test-server.ts';
import { copiesOnDisk } from './testing/stored-blobs.ts';

const LIMITS = { maxBlobBytes: 64, maxSessionBytes: 200, maxFilesPerVersion: 4, maxMissingBlobsPerCall: 3 };

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
  deployId: string;
}

let blobSeq = 0;
/** A file with unique content, `size` bytes long when given. */
function blob(path: string, size?: number): Blob {
  const text = `blob ${++blobSeq} of ${path} `;
  const bytes = Buffer.from(size === undefined ? text : text.repeat(Math.ceil(size / text.length)).slice(0, size));
  return { path, bytes, sha256: sha256hex(bytes), size: bytes.length };
}
const descriptor = (b: Blob) => ({ path: b.path, sha256: b.sha256, size: b.size });
const entry = (b: Blob, path = b.path) => ({ path, blobHash: b.sha256, size: b.size });

let slugSeq = 0;
const nextSlug = () => `site-${++slugSeq}`;

function expectError(res: TestResponse, status: number, code: string): void {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(res.body.error, code);
  assert.equal(typeof res.body.message, 'string');
  assert.ok(res.body.message.trim().length > 0, 'message is a non-empty sentence');
}

async function openSession(server: TestServer, blobs: Blob[], deployId?: string): Promise<Session> {
  const target = deployId ? { deployId } : { createDeploy: { slug: nextSlug(), name: 'Error test' } };
  const res = await server.request('POST', '/v1/upload-sessions', {
    json: { ...target, files: blobs.map(descriptor) },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const session = await server.request('GET', `/v1/upload-sessions/${res.body.uploadSession.id}`, {
    uploadToken: res.body.uploadToken,
  });
  const deploy = deployId ?? (await server.request('GET', '/v1/deploys?limit=1')).body.items[0].id;
  assert.equal(session.status, 200);
  return { id: res.body.uploadSession.id, token: res.body.uploadToken, deployId: deploy };
}

function put(server: TestServer, s: Session, sha: string, body: Uint8Array, token = s.token): Promise<TestResponse> {
  return server.request('PUT', `/v1/upload-sessions/${s.id}/blobs/${sha}`, { uploadToken: token, raw: body });
}

function missingBlobs(server: TestServer, s: Session, files: unknown): Promise<TestResponse> {
  return server.request('POST', `/v1/upload-sessions/${s.id}/missing-blobs`, { uploadToken: s.token, json: { files } });
}

function commit(server: TestServer, s: Session, json: unknown, token = s.token): Promise<TestResponse> {
  return server.request('POST', `/v1/upload-sessions/${s.id}/commit`, { uploadToken: token, json });
}

/** A session whose blobs are uploaded and committed as version #N. */
async function deployVersion(
  server: TestServer,
  blobs: Blob[],
  deployId?: string,
): Promise<{ session: Session; versionId: string }> {
  const session = await openSession(server, blobs, deployId);
  for (const b of blobs) assert.equal((await put(server, session, b.sha256, b.bytes)).status, 200);
  const res = await commit(server, session, { entries: blobs.map((b) => entry(b)) });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { session, versionId: res.body.deployVersion.id };
}

/** No blob answer, no temp file, no copy of `sha` under blobs/. */
async function assertNothingStored(server: TestServer, sha: string): Promise<void> {
  expectError(await server.request('GET', `/v1/blobs/${sha}`), 404, 'blob_not_found');
  assert.deepEqual(readdirSync(join(server.dataDir, 'tmp')), [], 'tmp/ is empty');
  assert.deepEqual(copiesOnDisk(server.dataDir, sha), [], `no copy of ${sha} under blobs/`);
}

async function expectRefusedPut(
  server: TestServer,
  res: TestResponse,
  status: number,
  code: string,
  sha: string,
): Promise<void> {
  expectError(res, status, code);
  await assertNothingStored(server, sha);
}

/** A blob PUT with a streamed body and no Content-Length (chunked transfer), over node:http. */
function putChunked(server: TestServer, s: Session, sha: string, chunks: Buffer[]): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(`/v1/upload-sessions/${s.id}/blobs/${sha}`, server.url),
      {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${server.apiKey}`,
          'x-upload-token': s.token,
          'content-type': 'application/octet-stream',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: new Headers(res.headers as Record<string, string>),
            body: text ? JSON.parse(text) : text,
          }),
        );
      },
    );
    req.on('error', (error) => reject(new Error(`chunked PUT got no answer: ${error.message}`)));
    assert.equal(req.getHeader('content-length'), undefined);
    Readable.from(chunks).pipe(req);
  });
}

describe('error codes of the Press Cloud contract', { timeout: 60_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ limits: LIMITS });
  });
  after(async () => {
    await server.close();
  });

  test('401 unauthorized: a missing, wrong or malformed API key', async () => {
    expectError(await server.request('GET', '/v1/deploys', { auth: false }), 401, 'unauthorized');
    expectError(
      await server.request('GET', '/v1/deploys', { auth: 'pcak_notTheKeyOfThisServer123' }),
      401,
      'unauthorized',
    );
    for (const header of [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      `Bearer ${server.apiKey.slice(5)}`,
      `Token ${server.apiKey}`,
      `Bearer ${server.apiKey} extra`,
      'Bearer pcak_bad key',
    ]) {
      expectError(
        await server.request('GET', '/v1/deploys', { auth: false, headers: { authorization: header } }),
        401,
        'unauthorized',
      );
    }
    const b = blob('index.html');
    expectError(
      await server.request('POST', '/v1/upload-sessions', {
        auth: false,
        json: { createDeploy: { slug: 'unauth', name: 'x' }, files: [descriptor(b)] },
      }),
      401,
      'unauthorized',
    );
    const list = await server.request('GET', '/v1/deploys?limit=200');
    assert.ok(
      !list.body.items.some((d: { slug: string }) => d.slug === 'unauth'),
      'an unauthorized create created nothing',
    );
  });

  test('401 upload_token_invalid: a missing or wrong token, or the token of another session', async () => {
    const b = blob('index.html');
    const s = await openSession(server, [b]);
    const other = await openSession(server, [blob('index.html')]);
    for (const token of [undefined, 'ustk_wrongwrongwrongwrongwrongwrong', other.token]) {
      const init = token === undefined ? {} : { uploadToken: token };
      expectError(await server.request('GET', `/v1/upload-sessions/${s.id}`, init), 401, 'upload_token_invalid');
      expectError(
        await server.request('POST', `/v1/upload-sessions/${s.id}/missing-blobs`, {
          ...init,
          json: { files: [descriptor(b)] },
        }),
        401,
        'upload_token_invalid',
      );
      await expectRefusedPut(
        server,
        await server.request('PUT', `/v1/upload-sessions/${s.id}/blobs/${b.sha256}`, { ...init, raw: b.bytes }),
        401,
        'upload_token_invalid',
        b.sha256,
      );
      expectError(
        await server.request('POST', `/v1/upload-sessions/${s.id}/commit`, { ...init, json: { entries: [entry(b)] } }),
        401,
        'upload_token_invalid',
      );
    }
  });

  test('400 invalid_request: malformed JSON, wrong types, missing fields, deployId and createDeploy both or neither', async () => {
    const f = descriptor(blob('index.html'));
    const bad: unknown[] = [
      {},
      [],
      'files',
      { createDeploy: { slug: nextSlug(), name: 'x' } },
      { createDeploy: { slug: nextSlug(), name: 'x' }, files: 'x' },
      { createDeploy: { slug: nextSlug(), name: 'x' }, files: [] },
      { createDeploy: { slug: nextSlug(), name: 'x' }, files: [{ ...f, size: '12' }] },
      { createDeploy: { slug: nextSlug(), name: 'x' }, files: [{ ...f, size: -1 }] },
      { createDeploy: { slug: nextSlug(), name: 'x' }, files: [{ ...f, size: 1.5 }] },
      { createDeploy: { slug: nextSlug(), name: 'x' }, files: [{ path: 'a', size: 1 }] },
      { createDeploy: { slug: nextSlug(), name: 'x' }, files: [{ ...f, sha256: 'abc' }] },
      { createDeploy: { slug: nextSlug(), name: 'x' }, files: [{ ...f, sha256: 'z'.repeat(64) }] },
      { createDeploy: { slug: nextSlug() }, files: [f] },
      { createDeploy: 'x', files: [f] },
      { deployId: 5, files: [f] },
      { deployId: 'dpl_x', createDeploy: { slug: nextSlug(), name: 'x' }, files: [f] },
      { files: [f] },
    ];
    for (const json of bad)
      expectError(await server.request('POST', '/v1/upload-sessions', { json }), 400, 'invalid_request');
    for (const raw of ['{"files": [', 'not json', '']) {
      expectError(
        await server.request('POST', '/v1/upload-sessions', { raw, headers: { 'content-type': 'application/json' } }),
        400,
        'invalid_request',
      );
      expectError(
        await server.request('POST', '/v1/deploys', { raw, headers: { 'content-type': 'application/json' } }),
        400,
        'invalid_request',
      );
    }
    const b = blob('index.html');
    const s = await openSession(server, [b]);
    for (const json of [
      {},
      { entries: 'x' },
      { entries: [] },
      { entries: [{ path: 'index.html', size: b.size }] },
      { entries: [{ ...entry(b), blobHash: 'zz' }] },
      { entries: [{ ...entry(b), size: '1' }] },
      { entries: [entry(b)], render: 'x' },
    ]) {
      expectError(await commit(server, s, json), 400, 'invalid_request');
    }
    expectError(await missingBlobs(server, s, 'x'), 400, 'invalid_request');
  });

  test('400 invalid_request: a deploy slug outside ^[a-z0-9][a-z0-9-]{0,62}$, at POST /v1/deploys and in createDeploy', async () => {
    for (const slug of ['', 'My-Doc', '-doc', 'my_doc', 'doc.v2', 'a b', 'a'.repeat(64), 'é']) {
      expectError(await server.request('POST', '/v1/deploys', { json: { slug, name: 'x' } }), 400, 'invalid_request');
      expectError(
        await server.request('POST', '/v1/upload-sessions', {
          json: { createDeploy: { slug, name: 'x' }, files: [descriptor(blob('a'))] },
        }),
        400,
        'invalid_request',
      );
    }
    assert.equal(
      (await server.request('POST', '/v1/deploys', { json: { slug: 'a'.repeat(63), name: 'x' } })).status,
      201,
      'a 63-character slug is fine',
    );
  });

  test('400 invalid_request: a bad sha256 in a URL', async () => {
    const b = blob('index.html');
    const s = await openSession(server, [b]);
    for (const sha of ['xyz', b.sha256.slice(1), `${b.sha256}0`, 'g'.repeat(64)]) {
      expectError(await put(server, s, sha, b.bytes), 400, 'invalid_request');
      expectError(await server.request('GET', `/v1/blobs/${sha}`), 400, 'invalid_request');
    }
    await assertNothingStored(server, b.sha256);
  });

  test('400 invalid_request: a bad cursor or limit on every list', async () => {
    const { session, versionId } = await deployVersion(server, [blob('index.html')]);
    const versionsCursor = Buffer.from(JSON.stringify({ l: `versions:${session.deployId}`, a: 1 })).toString(
      'base64url',
    );
    const lists = ['/v1/deploys', `/v1/deploys/${session.deployId}/versions`, `/v1/deploy-versions/${versionId}/files`];
    for (const list of lists) {
      for (const query of [
        'cursor=garbage!!',
        'cursor=eyJub3QiOiJhIGN1cnNvciJ9',
        'limit=0',
        'limit=201',
        'limit=-1',
        'limit=abc',
        'limit=1.5',
      ]) {
        expectError(await server.request('GET', `${list}?${query}`), 400, 'invalid_request');
      }
    }
    expectError(await server.request('GET', `/v1/deploys?cursor=${versionsCursor}`), 400, 'invalid_request');
  });

  test('400 invalid_request: a JSON body over the body limit', async () => {
    const slug = nextSlug();
    const huge = {
      createDeploy: { slug, name: 'x' },
      files: [descriptor(blob('a'))],
      padding: 'x'.repeat(2 * 1024 * 1024),
    };
    expectError(await server.request('POST', '/v1/upload-sessions', { json: huge }), 400, 'invalid_request');
    const list = await server.request('GET', '/v1/deploys?limit=200');
    assert.ok(!list.body.items.some((d: { slug: string }) => d.slug === slug), 'nothing was created');
  });

  const badPaths = [
    '',
    '/index.html',
    '../x',
    'a/../b',
    '..',
    '.',
    './a',
    'a/./b',
    'a\\b',
    'a\0b',
    'a//b',
    'a/',
    'a/b/',
  ];

  test('400 invalid_path at session creation: empty, absolute, .., ., backslash, NUL, empty segment, trailing slash, duplicate', async () => {
    for (const path of badPaths) {
      const res = await server.request('POST', '/v1/upload-sessions', {
        json: {
          createDeploy: { slug: nextSlug(), name: 'x' },
          files: [descriptor(blob('ok.html')), { ...descriptor(blob('x')), path }],
        },
      });
      expectError(res, 400, 'invalid_path');
    }
    const a = blob('same.html');
    const b = blob('same.html');
    expectError(
      await server.request('POST', '/v1/upload-sessions', {
        json: { createDeploy: { slug: nextSlug(), name: 'x' }, files: [descriptor(a), descriptor(b)] },
      }),
      400,
      'invalid_path',
    );
  });

  test('400 invalid_path at commit, for the same paths and for a repeated path', async () => {
    const b = blob('index.html');
    const s = await openSession(server, [b]);
    assert.equal((await put(server, s, b.sha256, b.bytes)).status, 200);
    for (const path of badPaths)
      expectError(await commit(server, s, { entries: [entry(b), entry(b, path)] }), 400, 'invalid_path');
    expectError(
      await commit(server, s, { entries: [entry(b, 'dup.html'), entry(b, 'dup.html')] }),
      400,
      'invalid_path',
    );
    assert.equal(
      (await commit(server, s, { entries: [entry(b)] })).status,
      201,
      'the refused commits left the session open',
    );
  });

  test('404 deploy_not_found for an unknown deploy id', async () => {
    expectError(await server.request('GET', '/v1/deploys/dpl_doesNotExist'), 404, 'deploy_not_found');
    expectError(await server.request('GET', '/v1/deploys/dpl_doesNotExist/versions'), 404, 'deploy_not_found');
    expectError(await server.request('GET', '/v1/deploys/dpl_doesNotExist/aliases'), 404, 'deploy_not_found');
    expectError(
      await server.request('PUT', '/v1/deploys/dpl_doesNotExist/aliases/live', { json: { deployVersionId: 'dv_x' } }),
      404,
      'deploy_not_found',
    );
    expectError(
      await server.request('POST', '/v1/upload-sessions', {
        json: { deployId: 'dpl_doesNotExist', files: [descriptor(blob('a'))] },
      }),
      404,
      'deploy_not_found',
    );
  });

  test('409 deploy_slug_conflict at POST /v1/deploys and at createDeploy', async () => {
    const slug = nextSlug();
    assert.equal((await server.request('POST', '/v1/deploys', { json: { slug, name: 'First' } })).status, 201);
    expectError(
      await server.request('POST', '/v1/deploys', { json: { slug, name: 'Second' } }),
      409,
      'deploy_slug_conflict',
    );
    expectError(
      await server.request('POST', '/v1/upload-sessions', {
        json: { createDeploy: { slug, name: 'Third' }, files: [descriptor(blob('a'))] },
      }),
      409,
      'deploy_slug_conflict',
    );
    const list = await server.request('GET', '/v1/deploys?limit=200');
    assert.equal(list.body.items.filter((d: { slug: string }) => d.slug === slug).length, 1);
  });

  test('400 upload_session_too_large over the session bytes and over the file count', async () => {
    const bytes = [60, 60, 60, 60].map((n, i) => descriptor(blob(`f${i}.txt`, n)));
    expectError(
      await server.request('POST', '/v1/upload-sessions', {
        json: { createDeploy: { slug: nextSlug(), name: 'x' }, files: bytes },
      }),
      400,
      'upload_session_too_large',
    );
    const count = [0, 1, 2, 3, 4].map((i) => descriptor(blob(`f${i}.txt`, 1)));
    expectError(
      await server.request('POST', '/v1/upload-sessions', {
        json: { createDeploy: { slug: nextSlug(), name: 'x' }, files: count },
      }),
      400,
      'upload_session_too_large',
    );
  });

  test('400 upload_blob_too_large for a file over maxBlobBytes, at creation and at PUT', async () => {
    const big = blob('big.bin', 65);
    expectError(
      await server.request('POST', '/v1/upload-sessions', {
        json: { createDeploy: { slug: nextSlug(), name: 'x' }, files: [descriptor(big)] },
      }),
      400,
      'upload_blob_too_large',
    );
    const fits = blob('fits.bin', 64);
    const s = await openSession(server, [fits]);
    await expectRefusedPut(
      server,
      await put(server, s, fits.sha256, Buffer.concat([fits.bytes, Buffer.from('!')])),
      400,
      'upload_blob_too_large',
      fits.sha256,
    );
  });

  test('400 too_many_files when missing-blobs asks about more than maxMissingBlobsPerCall', async () => {
    const blobs = [0, 1, 2, 3].map((i) => blob(`f${i}.txt`));
    const s = await openSession(server, blobs);
    expectError(await missingBlobs(server, s, blobs.map(descriptor)), 400, 'too_many_files');
    assert.equal((await missingBlobs(server, s, blobs.slice(0, 3).map(descriptor))).status, 200);
  });

  test('409 blob_not_in_session for a sha256 the session did not register', async () => {
    const b = blob('index.html');
    const stranger = blob('other.html');
    const s = await openSession(server, [b]);
    await expectRefusedPut(
      server,
      await put(server, s, stranger.sha256, stranger.bytes),
      409,
      'blob_not_in_session',
      stranger.sha256,
    );
  });

  test('400 blob_hash_mismatch for the right length and wrong bytes', async () => {
    const b = blob('index.html');
    const s = await openSession(server, [b]);
    const wrong = Buffer.from(b.bytes.toString().toUpperCase());
    assert.equal(wrong.length, b.size);
    await expectRefusedPut(server, await put(server, s, b.sha256, wrong), 400, 'blob_hash_mismatch', b.sha256);
  });

  test('400 blob_size_mismatch for a shorter or longer body with Content-Length', async () => {
    const b = blob('index.html');
    const s = await openSession(server, [b]);
    await expectRefusedPut(
      server,
      await put(server, s, b.sha256, b.bytes.subarray(0, b.size - 1)),
      400,
      'blob_size_mismatch',
      b.sha256,
    );
    await expectRefusedPut(
      server,
      await put(server, s, b.sha256, Buffer.concat([b.bytes, Buffer.from('x')])),
      400,
      'blob_size_mismatch',
      b.sha256,
    );
    assert.equal((await put(server, s, b.sha256, b.bytes)).status, 200, 'the right body is still taken');
  });

  test('400 blob_size_mismatch for a shorter chunked body (no Content-Length)', async () => {
    const b = blob('index.html');
    const s = await openSession(server, [b]);
    await expectRefusedPut(
      server,
      await putChunked(server, s, b.sha256, [b.bytes.subarray(0, 5), b.bytes.subarray(5, b.size - 2)]),
      400,
      'blob_size_mismatch',
      b.sha256,
    );
  });

  test('400 blob_size_mismatch for a longer chunked body (no Content-Length)', async () => {
    const b = blob('index.html');
    const s = await openSession(server, [b]);
    await expectRefusedPut(
      server,
      await putChunked(server, s, b.sha256, [b.bytes.subarray(0, 5), b.bytes.subarray(5), Buffer.from('extra bytes')]),
      400,
      'blob_size_mismatch',
      b.sha256,
    );
  });

  test('409 upload_session_committed for missing-blobs, PUT and commit after the commit', async () => {
    const a = blob('index.html');
    const late = blob('late.html');
    const s = await openSession(server, [a, late]);
    assert.equal((await put(server, s, a.sha256, a.bytes)).status, 200);
    assert.equal((await commit(server, s, { entries: [entry(a)] })).status, 201);
    expectError(await missingBlobs(server, s, [descriptor(late)]), 409, 'upload_session_committed');
    await expectRefusedPut(
      server,
      await put(server, s, late.sha256, late.bytes),
      409,
      'upload_session_committed',
      late.sha256,
    );
    expectError(await commit(server, s, { entries: [entry(a)] }), 409, 'upload_session_committed');
  });

  test('400 deploy_commit_policy_limit_exceeded over the file count and over the bytes of a version', async () => {
    const small = blob('small.txt', 10);
    const s1 = await openSession(server, [small]);
    assert.equal((await put(server, s1, small.sha256, small.bytes)).status, 200);
    const fiveEntries = [0, 1, 2, 3, 4].map((i) => entry(small, `copy-${i}.txt`));
    expectError(await commit(server, s1, { entries: fiveEntries }), 400, 'deploy_commit_policy_limit_exceeded');
    const big = blob('big.txt', 60);
    const s2 = await openSession(server, [big]);
    assert.equal((await put(server, s2, big.sha256, big.bytes)).status, 200);
    const fourBig = [0, 1, 2, 3].map((i) => entry(big, `copy-${i}.txt`));
    expectError(await commit(server, s2, { entries: fourBig }), 400, 'deploy_commit_policy_limit_exceeded');
  });

  test('409 blobs_missing lists exactly the sha256s that are not stored', async () => {
    const [a, b, c] = [blob('a.html'), blob('b.html'), blob('c.html')] as [Blob, Blob, Blob];
    const s = await openSession(server, [a, b, c]);
    assert.equal((await put(server, s, a.sha256, a.bytes)).status, 200);
    const res = await commit(server, s, { entries: [entry(a), entry(b), entry(c), entry(c, 'c-again.html')] });
    expectError(res, 409, 'blobs_missing');
    assert.deepEqual([...res.body.missing].sort(), [b.sha256, c.sha256].sort());
  });

  test('400 render_route_not_found when render.route names no entry', async () => {
    const b = blob('index.html');
    const s = await openSession(server, [b]);
    assert.equal((await put(server, s, b.sha256, b.bytes)).status, 200);
    expectError(
      await commit(server, s, { entries: [entry(b)], render: { route: '/missing.html' } }),
      400,
      'render_route_not_found',
    );
  });

  test('501 not_implemented for POST /v1/render-jobs on a server with no browser to print with, saying what to install', async () => {
    const printless = await startTestServer({ printer: null });
    try {
      const { versionId } = await deployVersion(printless, [blob('index.html')]);
      const answer = await printless.request('POST', '/v1/render-jobs', { json: { deployVersionId: versionId } });
      expectError(answer, 501, 'not_implemented');
      assert.match(answer.body.message, /apt-get install chromium.*PRESSDROP_CHROMIUM/);
      // The body is still checked first: a malformed request learns what is wrong with it.
      expectError(
        await printless.request('POST', '/v1/render-jobs', { json: { deployVersionId: 7 } }),
        400,
        'invalid_request',
      );
    } finally {
      await printless.close();
    }
  });

  test('404 deploy_version_not_found, alias_not_found, blob_not_found, upload_session_not_found, not_found', async () => {
    const { session, versionId } = await deployVersion(server, [blob('index.html')]);
    const { versionId: foreignVersion } = await deployVersion(server, [blob('index.html')]);
    expectError(await server.request('GET', '/v1/deploy-versions/dv_doesNotExist'), 404, 'deploy_version_not_found');
    expectError(
      await server.request('GET', '/v1/deploy-versions/dv_doesNotExist/files'),
      404,
      'deploy_version_not_found',
    );
    expectError(
      await server.request('PUT', `/v1/deploys/${session.deployId}/aliases/live`, {
        json: { deployVersionId: 'dv_doesNotExist' },
      }),
      404,
      'deploy_version_not_found',
    );
    expectError(
      await server.request('PUT', `/v1/deploys/${session.deployId}/aliases/live`, {
        json: { deployVersionId: foreignVersion },
      }),
      404,
      'deploy_version_not_found',
    );
    assert.equal(
      (
        await server.request('PUT', `/v1/deploys/${session.deployId}/aliases/live`, {
          json: { deployVersionId: versionId },
        })
      ).status,
      200,
    );
    expectError(
      await server.request('DELETE', `/v1/deploys/${session.deployId}/aliases/staging`),
      404,
      'alias_not_found',
    );
    expectError(
      await server.request('GET', `/v1/blobs/${sha256hex(Buffer.from('never uploaded'))}`),
      404,
      'blob_not_found',
    );
    const ghost = blob('ghost.html');
    expectError(
      await server.request('GET', '/v1/upload-sessions/us_doesNotExist', { uploadToken: session.token }),
      404,
      'upload_session_not_found',
    );
    expectError(
      await server.request('POST', '/v1/upload-sessions/us_doesNotExist/missing-blobs', {
        uploadToken: session.token,
        json: { files: [] },
      }),
      404,
      'upload_session_not_found',
    );
    await expectRefusedPut(
      server,
      await server.request('PUT', `/v1/upload-sessions/us_doesNotExist/blobs/${ghost.sha256}`, {
        uploadToken: session.token,
        raw: ghost.bytes,
      }),
      404,
      'upload_session_not_found',
      ghost.sha256,
    );
    expectError(
      await server.request('POST', '/v1/upload-sessions/us_doesNotExist/commit', {
        uploadToken: session.token,
        json: { entries: [entry(ghost)] },
      }),
      404,
      'upload_session_not_found',
    );
    for (const [method, path] of [
      ['GET', '/v1/nothing-here'],
      ['DELETE', '/v1/deploys'],
      ['GET', '/v2/deploys'],
      ['POST', '/v1/deploys/x/y/z'],
    ] as const) {
      expectError(await server.request(method, path), 404, 'not_found');
    }
  });

  test('409 idempotency_key_conflict for the same key with another body', async () => {
    const key = `conflict-${nextSlug()}`;
    assert.equal(
      (
        await server.request('POST', '/v1/deploys', {
          headers: { 'Idempotency-Key': key },
          json: { slug: nextSlug(), name: 'A' },
        })
      ).status,
      201,
    );
    expectError(
      await server.request('POST', '/v1/deploys', {
        headers: { 'Idempotency-Key': key },
        json: { slug: nextSlug(), name: 'B' },
      }),
      409,
      'idempotency_key_conflict',
    );
    const f = descriptor(blob('index.html'));
    const first = await server.request('POST', '/v1/upload-sessions', {
      headers: { 'Idempotency-Key': `${key}-s` },
      json: { createDeploy: { slug: nextSlug(), name: 'A' }, files: [f] },
    });
    assert.equal(first.status, 201);
    expectError(
      await server.request('POST', '/v1/upload-sessions', {
        headers: { 'Idempotency-Key': `${key}-s` },
        json: { createDeploy: { slug: nextSlug(), name: 'A' }, files: [f] },
      }),
      409,
      'idempotency_key_conflict',
    );
  });
});

describe('410 upload_session_expired once the session TTL has passed', { timeout: 60_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ limits: { sessionTtlMs: 300 } });
  });
  after(async () => {
    await server.close();
  });

  test('missing-blobs, PUT and commit answer 410 and GET says "expired"', async () => {
    const b = blob('index.html');
    const created = await server.request('POST', '/v1/upload-sessions', {
      json: { createDeploy: { slug: 'expiring', name: 'x' }, files: [descriptor(b)] },
    });
    assert.equal(created.status, 201);
    const s: Session = { id: created.body.uploadSession.id, token: created.body.uploadToken, deployId: '' };
    const { expiresAt } = created.body.uploadSession;
    assert.equal(expiresAt - created.body.uploadSession.createdAt, 300);
    while (Date.now() <= expiresAt)
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, expiresAt - Date.now() + 1)));
    expectError(await missingBlobs(server, s, [descriptor(b)]), 410, 'upload_session_expired');
    await expectRefusedPut(server, await put(server, s, b.sha256, b.bytes), 410, 'upload_session_expired', b.sha256);
    expectError(await commit(server, s, { entries: [entry(b)] }), 410, 'upload_session_expired');
    const got = await server.request('GET', `/v1/upload-sessions/${s.id}`, { uploadToken: s.token });
    assert.equal(got.status, 200);
    assert.equal(got.body.uploadSession.status, 'expired');
    assert.equal(got.body.uploadSession.deployVersionId, null);
  });
});
