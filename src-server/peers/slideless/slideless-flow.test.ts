import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { makeDeck, makeKey, manifestOf, sha256, startTestPeer } from './testing/peer-test-kit.ts';

test('first upload: precheck opens a session, upload stores each blob, commit makes version 1, and the bytes read back', async (t) => {
  const slideless = await startTestPeer(t);
  const deck = makeDeck('first');
  const hashes = deck.map((file) => sha256(file.bytes));

  const pre = await slideless.post('/precheckAssets', { hashes });
  assert.equal(pre.status, 200);
  assert.equal(pre.body.success, true);
  assert.deepEqual(pre.body.data.missing, hashes, 'a new presentation has nothing yet');
  assert.match(pre.body.data.sessionId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(pre.body.data.presentationId, /^[0-9a-f-]{36}$/);
  const { sessionId, presentationId } = pre.body.data;

  for (const file of deck) {
    const put = await slideless.upload(
      { sessionId, sha256: sha256(file.bytes), contentType: file.contentType },
      { bytes: file.bytes },
    );
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body, { success: true, data: { sha256: sha256(file.bytes), size: file.bytes.length } });
  }
  const again = await slideless.upload(
    { sessionId, sha256: hashes[0]!, contentType: deck[0]!.contentType },
    { bytes: deck[0]!.bytes },
  );
  assert.deepEqual(again.body.data, { sha256: hashes[0], size: 0 }, 'size 0: the blob was already present');

  const rechecked = await slideless.post('/precheckAssets', { hashes, sessionId });
  assert.deepEqual(rechecked.body.data, { missing: [], sessionId, presentationId }, 'the session continues');

  const commit = await slideless.post('/commitPresentationVersion', {
    sessionId,
    title: 'Q3 deck',
    entryPath: 'index.html',
    files: manifestOf(deck),
  });
  assert.equal(commit.status, 200, JSON.stringify(commit.body));
  assert.equal(commit.body.data.presentationId, presentationId, 'the commit uses the reserved id');
  assert.equal(commit.body.data.version, 1);
  assert.equal(commit.body.data.role, 'owner');
  assert.match(commit.body.data.tokenId, /^[0-9a-f-]{36}$/);
  assert.match(commit.body.data.token, /^[A-Za-z0-9_-]{64}$/);
  assert.equal(commit.body.data.shareUrl, `${slideless.peer.url}/p/${presentationId}/?token=${commit.body.data.token}`);

  const read = await slideless.get(`/presentations/${presentationId}`);
  assert.equal(read.status, 200);
  assert.equal(read.body.data.currentVersion, 1);
  assert.equal(read.body.data.title, 'Q3 deck');
  assert.equal(read.body.data.entryPath, 'index.html');
  assert.deepEqual(read.body.data.files, manifestOf(deck));

  const entry = await fetch(commit.body.data.shareUrl);
  assert.equal(entry.status, 200);
  assert.equal(entry.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(await entry.text(), '<h1>first</h1>');
  const image = await fetch(
    `${slideless.peer.url}/p/${presentationId}/images/hero.bin?token=${commit.body.data.token}`,
  );
  assert.equal(image.headers.get('content-type'), 'application/octet-stream');
  assert.equal(image.headers.get('etag'), `"${hashes[2]}"`);
  assert.deepEqual(Buffer.from(await image.arrayBuffer()), deck[2]!.bytes);
  const wrongToken = await fetch(`${slideless.peer.url}/p/${presentationId}/index.html?token=nope`);
  assert.equal(wrongToken.status, 404);

  const reused = await slideless.post('/precheckAssets', { hashes, sessionId });
  assert.equal(reused.status, 404, 'a committed session is over');
  assert.equal(reused.body.error.code, 'not-found');
});

test('update: precheck with presentationId dedups against the presentation, and only the changed file uploads', async (t) => {
  const slideless = await startTestPeer(t);
  const deck = makeDeck('v1');
  const first = await slideless.deploy(deck, { title: 'Deck' });
  const { presentationId, token } = first.body.data;

  const same = await slideless.post('/precheckAssets', {
    hashes: deck.map((file) => sha256(file.bytes)),
    presentationId,
  });
  assert.deepEqual(
    same.body,
    { success: true, data: { missing: [] } },
    'no sessionId or presentationId in an update answer',
  );

  const changed = [{ ...deck[0]!, bytes: Buffer.from('<h1>v2</h1>') }, deck[1]!, deck[2]!];
  const pre = await slideless.post('/precheckAssets', {
    hashes: changed.map((file) => sha256(file.bytes)),
    presentationId,
  });
  assert.deepEqual(pre.body.data.missing, [sha256('<h1>v2</h1>')]);

  slideless.peer.requests.length = 0;
  const second = await slideless.deploy(changed, { presentationId, expectedBaseVersion: 1 });
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.deepEqual(Object.keys(second.body.data).sort(), ['presentationId', 'role', 'shareUrl', 'version']);
  assert.equal(second.body.data.version, 2);
  assert.deepEqual(
    slideless.peer.requests.map((request) => `${request.method} ${request.path} ${request.status}`),
    ['POST /precheckAssets 200', 'POST /uploadPresentationAsset 200', 'POST /commitPresentationVersion 200'],
  );
  const entry = await fetch(`${slideless.peer.url}/p/${presentationId}/?token=${token}`);
  assert.equal(await entry.text(), '<h1>v2</h1>', 'the share URL follows the latest version');
  const kept = await slideless.get(`/presentations/${presentationId}`);
  assert.equal(kept.body.data.title, 'Deck', 'an update without a title keeps it');
});

test('blobs belong to a presentation: bytes another deck uploaded still count as missing for a new one', async (t) => {
  const slideless = await startTestPeer(t);
  const deck = makeDeck('shared');
  await slideless.deploy(deck, { title: 'One' });
  const pre = await slideless.post('/precheckAssets', { hashes: deck.map((file) => sha256(file.bytes)) });
  assert.equal(pre.body.data.missing.length, 3);
});

test('a presentation another key owns: 403 permission-denied on precheck, upload and commit', async (t) => {
  const otherKey = makeKey();
  const slideless = await startTestPeer(t, { otherApiKeys: [otherKey] });
  const deck = makeDeck('theirs');
  const theirs = await slideless.deploy(deck, { title: 'Theirs' });
  const { presentationId } = theirs.body.data;

  const pre = await slideless.post('/precheckAssets', { hashes: [sha256('x')], presentationId }, otherKey);
  assert.equal(pre.status, 403);
  assert.equal(pre.body.error.code, 'permission-denied');
  const put = await slideless.upload(
    { presentationId, sha256: sha256('x'), contentType: 'text/plain' },
    { bytes: Buffer.from('x') },
    otherKey,
  );
  assert.equal(put.status, 403);
  const commit = await slideless.post(
    '/commitPresentationVersion',
    { presentationId, entryPath: 'index.html', files: manifestOf(deck) },
    otherKey,
  );
  assert.equal(commit.status, 403);
  assert.equal((await slideless.get(`/presentations/${presentationId}`, otherKey)).status, 403);
  const unknown = await slideless.post('/precheckAssets', { hashes: [sha256('x')], presentationId: 'no-such-deck' });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'not-found');
});

test('expectedBaseVersion behind the server: 409 conflict with serverVersion, and nothing is written', async (t) => {
  const slideless = await startTestPeer(t);
  const deck = makeDeck('base');
  const { presentationId } = (await slideless.deploy(deck, { title: 'Base' })).body.data;
  assert.equal((await slideless.deploy(deck, { presentationId, expectedBaseVersion: 1 })).body.data.version, 2);

  const stale = await slideless.deploy(deck, { presentationId, expectedBaseVersion: 1 });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.success, false);
  assert.equal(stale.body.error.code, 'conflict');
  assert.equal(stale.body.error.details.serverVersion, 2);
  assert.match(stale.body.error.message, /version 2.*expected 1/);
  assert.equal((await slideless.get(`/presentations/${presentationId}`)).body.data.currentVersion, 2);

  const forced = await slideless.deploy(deck, { presentationId });
  assert.equal(forced.body.data.version, 3, 'without expectedBaseVersion the commit goes through');
});

test('a 2 MB file streams through the multipart upload and reads back byte for byte', async (t) => {
  const slideless = await startTestPeer(t);
  const big = randomBytes(2 * 1024 * 1024);
  const deck = [makeDeck('big')[0]!, { path: 'video/clip.mp4', bytes: big, contentType: 'video/mp4' }];
  const commit = await slideless.deploy(deck, { title: 'Big' });
  assert.equal(commit.status, 200, JSON.stringify(commit.body));
  const { presentationId, token } = commit.body.data;
  const clip = await fetch(`${slideless.peer.url}/p/${presentationId}/video/clip.mp4?token=${token}`);
  assert.equal(clip.headers.get('content-type'), 'video/mp4');
  assert.equal(sha256(Buffer.from(await clip.arrayBuffer())), sha256(big));
});

test('upload fields are order-independent: the file part may come before sha256 and the session', async (t) => {
  const slideless = await startTestPeer(t);
  const pre = await slideless.post('/precheckAssets', { hashes: [sha256('late fields')] });
  const boundary = 'b0und4ry';
  const body = Buffer.from(
    [
      `--${boundary}`,
      'Content-Disposition: form-data; name="anything"; filename="a.txt"',
      'Content-Type: text/plain',
      '',
      'late fields',
      `--${boundary}`,
      'Content-Disposition: form-data; name="sha256"',
      '',
      sha256('late fields'),
      `--${boundary}`,
      'Content-Disposition: form-data; name="contentType"',
      '',
      'text/plain',
      `--${boundary}`,
      'Content-Disposition: form-data; name="sessionId"',
      '',
      pre.body.data.sessionId,
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
  const response = await fetch(`${slideless.peer.url}/uploadPresentationAsset`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${slideless.apiKey}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
    },
    body,
  });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { success: true, data: { sha256: sha256('late fields'), size: 11 } });
});
