import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseFaultSpec } from '../../faults.ts';
import { makeDeck, makeKey, manifestOf, sha256, startTestPeer } from './testing/peer-test-kit.ts';

const faulty = (spec: string) => ({ faults: parseFaultSpec(spec), faultsSeed: 7 });

test('503=1: every Slideless route answers 503 unavailable in the envelope; the peer-only read-back is not faulted', async (t) => {
  const slideless = await startTestPeer(t, faulty('503=1'));
  for (const path of ['/precheckAssets', '/commitPresentationVersion']) {
    const answer = await slideless.post(path, { hashes: [sha256('a')] });
    assert.equal(answer.status, 503);
    assert.deepEqual(answer.body.success, false);
    assert.equal(answer.body.error.code, 'unavailable');
  }
  const upload = await slideless.upload({ sha256: sha256('a') }, { bytes: Buffer.from('a') });
  assert.equal(upload.status, 503);
  assert.equal((await slideless.get('/presentations/none')).status, 404);
  assert.deepEqual(
    slideless.peer.requests.map((request) => request.status),
    [503, 503, 503, 404],
  );
});

test('429=1: answered 429 resource-exhausted with the Retry-After the spec gives, even without a key', async (t) => {
  const slideless = await startTestPeer(t, faulty('429=1,retry-after=7'));
  const answer = await slideless.post('/precheckAssets', { hashes: [sha256('a')] }, false);
  assert.equal(answer.status, 429);
  assert.equal(answer.headers.get('retry-after'), '7');
  assert.equal(answer.body.error.code, 'resource-exhausted');
});

test('reset=1: an upload has its connection destroyed mid-body and nothing is stored; other routes are untouched', async (t) => {
  const slideless = await startTestPeer(t, faulty('reset=1'));
  const bytes = randomBytes(256 * 1024);
  const pre = await slideless.post('/precheckAssets', { hashes: [sha256(bytes)] });
  assert.equal(pre.status, 200, 'reset applies to the upload route only');
  const { sessionId } = pre.body.data;
  await assert.rejects(
    slideless.upload({ sessionId, sha256: sha256(bytes), contentType: 'application/octet-stream' }, { bytes }),
    TypeError,
  );
  const after = await slideless.post('/precheckAssets', { hashes: [sha256(bytes)], sessionId });
  assert.deepEqual(after.body.data.missing, [sha256(bytes)]);
  assert.deepEqual(
    slideless.peer.requests.map((request) => request.path),
    ['/precheckAssets', '/precheckAssets'],
    'a reset upload got no answer',
  );
});

test('drop=1: the commit happens but its answer is lost; the version is there when read back', async (t) => {
  const apiKey = makeKey();
  const clean = await startTestPeer(t, { apiKey }, { keepData: true });
  const deck = makeDeck('dropped');
  const { presentationId } = (await clean.deploy(deck, { title: 'Dropped' })).body.data;
  await clean.peer.close();

  const dropping = await startTestPeer(t, { apiKey, dataDir: clean.dataDir, ...faulty('drop=1') });
  await assert.rejects(
    fetch(`${dropping.peer.url}/commitPresentationVersion`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        presentationId,
        entryPath: 'index.html',
        files: manifestOf(deck),
        expectedBaseVersion: 1,
      }),
    }),
    TypeError,
  );
  assert.deepEqual(dropping.peer.requests, [{ method: 'POST', path: '/commitPresentationVersion', status: 200 }]);
  assert.equal((await dropping.get(`/presentations/${presentationId}`)).body.data.currentVersion, 2);
});

test('latency=150: a request is held 150 ms before it is handled', async (t) => {
  const slideless = await startTestPeer(t, faulty('latency=150'));
  const started = performance.now();
  const answer = await slideless.post('/precheckAssets', { hashes: [sha256('a')] });
  assert.equal(answer.status, 200);
  assert.ok(performance.now() - started >= 150, `answered after ${performance.now() - started} ms`);
});

test('expire=1: a new session lives expire-after ms instead of an hour', async (t) => {
  const immediate = await startTestPeer(t, faulty('expire=1,expire-after=0'));
  const { sessionId } = (await immediate.post('/precheckAssets', { hashes: [sha256('a')] })).body.data;
  const gone = await immediate.post('/precheckAssets', { hashes: [sha256('a')], sessionId });
  assert.equal(gone.status, 404);
  assert.equal(gone.body.error.code, 'not-found');
  assert.match(gone.body.error.message, /expired/);

  let now = 1_000_000;
  const timed = await startTestPeer(t, { ...faulty('expire=1,expire-after=60000'), now: () => now });
  const session = (await timed.post('/precheckAssets', { hashes: [sha256('a')] })).body.data.sessionId;
  now += 59_999;
  assert.equal((await timed.post('/precheckAssets', { hashes: [sha256('a')], sessionId: session })).status, 200);
  now += 1;
  assert.equal((await timed.post('/precheckAssets', { hashes: [sha256('a')], sessionId: session })).status, 404);
});
