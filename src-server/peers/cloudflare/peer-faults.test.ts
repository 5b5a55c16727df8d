import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { FaultInjector, parseFaultSpec, type FaultDecision } from '../../faults.ts';
import { startTestPeer } from './peer-test-kit.ts';

const FILES = { '/index.html': '<h1>faults</h1>'.repeat(2000), '/a.css': 'a{}' };

/** The first seed whose injector decides `wanted` for requests of these kinds (true: the upload route). */
function seedFor(spec: string, requests: Array<[streamed: boolean, wanted: FaultDecision['kind']]>): number {
  for (let seed = 1; seed < 10_000; seed++) {
    const injector = new FaultInjector(parseFaultSpec(spec), seed);
    if (requests.every(([streamed, wanted]) => injector.decide(streamed).kind === wanted)) return seed;
  }
  throw new Error(`no seed gives ${JSON.stringify(requests)}`);
}

test('503 and 429 faults answer in the envelope before auth, with Retry-After on 429; the preview is spared', async (t) => {
  const unavailable = await startTestPeer({ faults: '503=1' });
  const limited = await startTestPeer({ faults: '429=1,retry-after=7' });
  t.after(async () => {
    await unavailable.close();
    await limited.close();
  });
  const down = await unavailable.call('GET', `${unavailable.account}/workers/subdomain`, { token: null });
  assert.equal(down.status, 503);
  assert.deepEqual(
    down.json.errors.map((e: { code: number }) => e.code),
    [10013],
  );
  assert.equal(down.json.success, false);
  assert.equal((await unavailable.preview('site', '/')).status, 404, 'the preview is not an API route');

  const slow = await limited.openSession('site', FILES);
  assert.equal(slow.status, 429);
  assert.equal(slow.headers.get('retry-after'), '7');
  assert.equal(slow.json.errors[0].code, 971);
  assert.deepEqual(
    limited.peer.requests.map((r) => r.status),
    [429],
  );
});

test('a reset fault cuts an upload part-way and stores nothing of it', async (t) => {
  const peer = await startTestPeer({ faults: 'reset=1' });
  t.after(() => peer.close());
  const opened = await peer.openSession('site', FILES);
  assert.equal(opened.status, 200, 'only the upload route is reset');
  await assert.rejects(peer.upload(opened.json.result.jwt as string, FILES), TypeError);
  const again = await peer.openSession('site', FILES);
  assert.equal(again.json.result.buckets.flat().length, 2, 'nothing was stored');
  assert.deepEqual(
    peer.peer.requests.map((r) => `${r.method} ${r.status}`),
    ['POST 200', 'POST 200'],
    'the reset request was never answered',
  );
});

test('a drop fault does the work, then cuts the connection before the answer', async (t) => {
  const spec = 'drop=0.5';
  // Session answered, upload dropped, next session answered.
  const seed = seedFor(spec, [
    [false, 'none'],
    [true, 'drop'],
    [false, 'none'],
  ]);
  const peer = await startTestPeer({ faults: spec, faultsSeed: seed });
  t.after(() => peer.close());
  const opened = await peer.openSession('site', FILES);
  assert.equal(opened.status, 200);
  await assert.rejects(peer.upload(opened.json.result.jwt as string, FILES), TypeError);
  const again = await peer.openSession('site', FILES);
  assert.deepEqual(again.json.result.buckets, [], 'the dropped upload was stored');
});

test('a latency fault holds each API request that long', async (t) => {
  const peer = await startTestPeer({ faults: 'latency=150' });
  t.after(() => peer.close());
  const started = performance.now();
  const answer = await peer.call('GET', `${peer.account}/workers/subdomain`);
  assert.equal(answer.status, 200);
  assert.ok(performance.now() - started >= 150, `answered after ${performance.now() - started} ms`);
});
