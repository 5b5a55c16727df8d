import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { slidelessErrors as clientTable } from '../../../src-shared/slideless-errors.ts';
import { slidelessErrors } from './slideless-errors.ts';
import { SESSION_TTL_MS } from './slideless-limits.ts';
import { makeDeck, makeKey, manifestOf, type PeerAnswer, sha256, startTestPeer } from './testing/peer-test-kit.ts';

/** Asserts a Slideless error answer: status, code, and the `{success: false, error: {code, message}}` envelope. */
function assertRefused(answer: PeerAnswer, status: number, code: string, message?: RegExp): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.success, false);
  assert.equal(answer.body.error.code, code);
  assert.equal(typeof answer.body.error.message, 'string');
  if (message) assert.match(answer.body.error.message, message);
}

const hashesOf = (count: number) => Array.from({ length: count }, (_, i) => sha256(String(i)));

test('precheck: more than 2000 hashes, a bad hash, a repeated hash, both ids, or no hashes are invalid-argument', async (t) => {
  const slideless = await startTestPeer(t);
  assert.equal((await slideless.post('/precheckAssets', { hashes: hashesOf(2000) })).status, 200, '2000 is the cap');
  assertRefused(await slideless.post('/precheckAssets', { hashes: hashesOf(2001) }), 400, 'invalid-argument', /2000/);
  for (const bad of ['ABC', sha256('x').toUpperCase(), `${sha256('x')}0`, 42]) {
    assertRefused(await slideless.post('/precheckAssets', { hashes: [bad] }), 400, 'invalid-argument', /hashes\.0/);
  }
  assertRefused(await slideless.post('/precheckAssets', { hashes: 'nope' }), 400, 'invalid-argument');
  assertRefused(await slideless.post('/precheckAssets', { hashes: [] }), 400, 'invalid-argument');
  assertRefused(
    await slideless.post('/precheckAssets', { hashes: [sha256('a'), sha256('a')] }),
    400,
    'invalid-argument',
    /twice/,
  );
  const both = await slideless.post('/precheckAssets', { hashes: [sha256('a')], presentationId: 'p', sessionId: 's' });
  assertRefused(both, 400, 'invalid-argument', /mutually exclusive/);
  assertRefused(
    await slideless.post('/precheckAssets', { hashes: [sha256('a')], extra: 1 }),
    400,
    'invalid-argument',
    /extra/,
  );
  const notJson = await fetch(`${slideless.peer.url}/precheckAssets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${slideless.apiKey}`, 'content-type': 'application/json' },
    body: '{"hashes": [',
  });
  assertRefused(
    { status: notJson.status, headers: notJson.headers, body: await notJson.json() },
    400,
    'invalid-argument',
  );
});

test('auth: no key, a key of the wrong shape, and an unknown cko_ key are 401 unauthenticated; cka_ keys are accepted', async (t) => {
  const slideless = await startTestPeer(t);
  const body = { hashes: [sha256('a')] };
  assertRefused(await slideless.post('/precheckAssets', body, false), 401, 'unauthenticated');
  for (const key of ['pcak_abcdefghijklmnop', 'cko_', 'sk_live_123', `${slideless.apiKey} extra`, makeKey()]) {
    assertRefused(await slideless.post('/precheckAssets', body, key), 401, 'unauthenticated');
  }
  assertRefused(await slideless.upload({ sha256: sha256('a') }, undefined, makeKey()), 401, 'unauthenticated');
  assertRefused(await slideless.get('/presentations/anything', makeKey()), 401, 'unauthenticated');
  const admin = await startTestPeer(t, { apiKey: `cka_${randomBytes(12).toString('hex')}` });
  assert.equal((await admin.post('/precheckAssets', body)).status, 200);
});

test('an unknown session is 404, and a session is 404 once its hour is over', async (t) => {
  let now = Date.parse('2026-05-01T10:00:00Z');
  const slideless = await startTestPeer(t, { now: () => now });
  assertRefused(
    await slideless.post('/precheckAssets', { hashes: [sha256('a')], sessionId: 'nope' }),
    404,
    'not-found',
  );
  const { sessionId } = (await slideless.post('/precheckAssets', { hashes: [sha256('a')] })).body.data;
  now += SESSION_TTL_MS - 1;
  assert.equal((await slideless.post('/precheckAssets', { hashes: [sha256('a')], sessionId })).status, 200);
  now += 1;
  assertRefused(
    await slideless.post('/precheckAssets', { hashes: [sha256('a')], sessionId }),
    404,
    'not-found',
    /expired/,
  );
  const put = await slideless.upload(
    { sessionId, sha256: sha256('a'), contentType: 'text/plain' },
    { bytes: Buffer.from('a') },
  );
  assertRefused(put, 404, 'not-found', /expired/);
  const commit = await slideless.post('/commitPresentationVersion', {
    sessionId,
    title: 'Late',
    entryPath: 'index.html',
    files: manifestOf(makeDeck()),
  });
  assertRefused(commit, 404, 'not-found', /expired/);
});

test('upload: bytes that do not hash to the declared sha256 are 400 hash-mismatch, and nothing is stored', async (t) => {
  const slideless = await startTestPeer(t);
  const { sessionId } = (await slideless.post('/precheckAssets', { hashes: [sha256('right')] })).body.data;
  const put = await slideless.upload(
    { sessionId, sha256: sha256('right'), contentType: 'text/plain' },
    { bytes: Buffer.from('wrong') },
  );
  assertRefused(put, 400, 'hash-mismatch', new RegExp(sha256('wrong')));
  assert.deepEqual(put.body.error.details, { declared: sha256('right'), actual: sha256('wrong'), size: 5 });
  const after = await slideless.post('/precheckAssets', { hashes: [sha256('right'), sha256('wrong')], sessionId });
  assert.deepEqual(after.body.data.missing, [sha256('right'), sha256('wrong')]);
});

test('upload: a file over the per-file cap is 413 payload-too-large, whether streamed or announced by Content-Length', async (t) => {
  const slideless = await startTestPeer(t, { limits: { maxFileBytes: 1000 } });
  const { sessionId } = (await slideless.post('/precheckAssets', { hashes: [sha256('a')] })).body.data;
  const exactly = randomBytes(1000);
  const atCap = await slideless.upload(
    { sessionId, sha256: sha256(exactly), contentType: 'application/octet-stream' },
    { bytes: exactly },
  );
  assert.equal(atCap.status, 200, 'the cap itself is allowed');
  const over = randomBytes(1001);
  const streamed = await slideless.upload(
    { sessionId, sha256: sha256(over), contentType: 'application/octet-stream' },
    { bytes: over },
  );
  assertRefused(streamed, 413, 'payload-too-large', /1000/);
  const huge = randomBytes(200 * 1024);
  const announced = await slideless.upload(
    { sessionId, sha256: sha256(huge), contentType: 'application/octet-stream' },
    { bytes: huge },
  );
  assertRefused(announced, 413, 'payload-too-large');
  const after = await slideless.post('/precheckAssets', { hashes: [sha256(over), sha256(huge)], sessionId });
  assert.equal(after.body.data.missing.length, 2, 'nothing over the cap was stored');
});

test('upload: missing or doubled fields, unknown fields, two files, no file, or a body that is not multipart are invalid-argument', async (t) => {
  const slideless = await startTestPeer(t);
  const { sessionId, presentationId } = (await slideless.post('/precheckAssets', { hashes: [sha256('a')] })).body.data;
  const file = { bytes: Buffer.from('a') };
  const good = { sessionId, sha256: sha256('a'), contentType: 'text/plain' };
  const refusals: Array<[Record<string, string>, typeof file | undefined, RegExp]> = [
    [{ sha256: sha256('a'), contentType: 'text/plain' }, file, /exactly one of presentationId and sessionId/],
    [{ ...good, presentationId }, file, /exactly one/],
    [{ sessionId, contentType: 'text/plain' }, file, /sha256/],
    [{ ...good, sha256: 'A'.repeat(64) }, file, /sha256/],
    [{ sessionId, sha256: sha256('a') }, file, /contentType/],
    [{ ...good, contentType: 'not a type' }, file, /contentType/],
    [{ ...good, colour: 'blue' }, file, /colour/],
    [good, undefined, /no file part/],
  ];
  for (const [fields, withFile, message] of refusals) {
    assertRefused(await slideless.upload(fields, withFile), 400, 'invalid-argument', message);
  }
  const form = new FormData();
  for (const [name, value] of Object.entries(good)) form.append(name, value);
  form.append('file', new Blob(['a']), 'a.txt');
  form.append('again', new Blob(['a']), 'b.txt');
  const twoFiles = await fetch(`${slideless.peer.url}/uploadPresentationAsset`, {
    method: 'POST',
    headers: { authorization: `Bearer ${slideless.apiKey}` },
    body: form,
  });
  assert.equal(twoFiles.status, 400);
  const json = await fetch(`${slideless.peer.url}/uploadPresentationAsset`, {
    method: 'POST',
    headers: { authorization: `Bearer ${slideless.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(good),
  });
  assert.equal(json.status, 400);
  assert.match(((await json.json()) as { error: { message: string } }).error.message, /multipart/);
  const truncated = await fetch(`${slideless.peer.url}/uploadPresentationAsset`, {
    method: 'POST',
    headers: { authorization: `Bearer ${slideless.apiKey}`, 'content-type': 'multipart/form-data; boundary=xyz' },
    body: '--xyz\r\nContent-Disposition: form-data; name="sha256"\r\n\r\nabc',
  });
  assert.equal(truncated.status, 400);
  assert.match(((await truncated.json()) as { error: { message: string } }).error.message, /ends before/);
});

test('commit: a hash never uploaded is 400 blobs-missing listing it, and no version is written', async (t) => {
  const slideless = await startTestPeer(t);
  const deck = makeDeck('partial');
  const { sessionId } = (await slideless.post('/precheckAssets', { hashes: manifestOf(deck).map((f) => f.sha256) }))
    .body.data;
  const [first] = deck;
  await slideless.upload(
    { sessionId, sha256: sha256(first!.bytes), contentType: first!.contentType },
    { bytes: first!.bytes },
  );
  const commit = await slideless.post('/commitPresentationVersion', {
    sessionId,
    title: 'Partial',
    entryPath: 'index.html',
    files: manifestOf(deck),
  });
  assertRefused(commit, 400, 'blobs-missing');
  assert.deepEqual(commit.body.error.details.missing, [sha256(deck[1]!.bytes), sha256(deck[2]!.bytes)]);
  const still = await slideless.post('/precheckAssets', { hashes: [sha256(first!.bytes)], sessionId });
  assert.equal(still.status, 200, 'the session is still open: nothing was committed');
});

test('commit: path rules, entryPath, title, ids and sizes are checked before anything is written', async (t) => {
  const slideless = await startTestPeer(t);
  const deck = makeDeck('rules');
  const { presentationId } = (await slideless.deploy(deck, { title: 'Rules' })).body.data;
  const files = manifestOf(deck);
  const commit = (body: Record<string, unknown>) =>
    slideless.post('/commitPresentationVersion', { presentationId, entryPath: 'index.html', files, ...body });
  const withPath = (path: string) => ({ files: [...files, { ...files[1]!, path }] });
  const refusals: Array<[Record<string, unknown>, RegExp]> = [
    [withPath('../up.css'), /"\.\." segment/],
    [withPath('/abs.css'), /starts with a slash/],
    [withPath('dir/'), /ends with a slash/],
    [withPath('a\\b.css'), /backslash/],
    [withPath('a\0b.css'), /null byte/],
    [withPath(`${'a'.repeat(509)}.css`), /512/],
    [withPath('a//b.css'), /empty segment/],
    [withPath('./a.css'), /"\." segment/],
    [withPath('styles.css'), /listed twice/],
    [{ entryPath: 'missing.html' }, /not one of files/],
    [{ entryPath: 'styles.css' }, /not an HTML file/],
    [{ title: 'x'.repeat(256) }, /255/],
    [{ expectedBaseVersion: 0 }, /expectedBaseVersion/],
    [{ files: [] }, /at least one file/],
    [{ files: [{ ...files[0]!, size: files[0]!.size + 1 }, ...files.slice(1)] }, /size/],
    [{ sessionId: 'also' }, /exactly one/],
  ];
  for (const [body, message] of refusals) {
    assertRefused(await commit(body), 400, 'invalid-argument', message);
  }
  const noTitle = await slideless.post('/commitPresentationVersion', {
    sessionId: (await slideless.post('/precheckAssets', { hashes: [files[0]!.sha256] })).body.data.sessionId,
    entryPath: 'index.html',
    files,
  });
  assertRefused(noTitle, 400, 'invalid-argument', /title/);
  assert.equal((await slideless.get(`/presentations/${presentationId}`)).body.data.currentVersion, 1);
});

test('commit: plan caps answer 400 too-many-files and 413 payload-too-large (per file, HTML, total)', async (t) => {
  const slideless = await startTestPeer(t, {
    limits: { maxFiles: 3, maxFileBytes: 5000, maxHtmlBytes: 20, maxTotalBytes: 9000 },
  });
  const deck = makeDeck('caps');
  const session = async () => (await slideless.post('/precheckAssets', { hashes: [sha256('x')] })).body.data.sessionId;
  const commit = async (files: unknown[]) =>
    slideless.post('/commitPresentationVersion', {
      sessionId: await session(),
      title: 'Caps',
      entryPath: 'index.html',
      files,
    });
  const files = manifestOf(deck);
  const extra = { path: 'more.css', sha256: sha256('m'), size: 1, contentType: 'text/css' };
  assertRefused(await commit([...files, extra]), 400, 'too-many-files');
  assertRefused(
    await commit([{ ...files[0]!, size: 21 }, ...files.slice(1)]),
    413,
    'payload-too-large',
    /index\.html.*20/,
  );
  assertRefused(
    await commit([files[0]!, files[1]!, { ...files[2]!, size: 5001 }]),
    413,
    'payload-too-large',
    /hero.*5000/,
  );
  const total = [files[0]!, { ...files[1]!, size: 5000 }, { ...files[2]!, size: 4500 }];
  assertRefused(await commit(total), 413, 'payload-too-large', /9000/);
});

test('wrong method is 405 and an unknown endpoint 404, in the Slideless envelope', async (t) => {
  const slideless = await startTestPeer(t);
  assertRefused(await slideless.get('/precheckAssets'), 405, 'method-not-allowed');
  assertRefused(await slideless.get('/commitPresentationVersion'), 405, 'method-not-allowed');
  assertRefused(await slideless.post('/uploadSharedPresentation', {}), 404, 'not-found');
});

test("the peer answers each code of PressDrop's Slideless error table with the same status", () => {
  for (const [code, { status }] of Object.entries(clientTable)) {
    assert.equal(slidelessErrors[code as keyof typeof slidelessErrors]?.status, status, code);
  }
});
