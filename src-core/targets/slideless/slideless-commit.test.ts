import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slidelessTarget, slidelessTargetFromJob } from './slideless-target.ts';
import { startAnswerDroppingProxy } from './testing/answer-dropping-proxy.ts';
import { FAST_RETRY } from '../../testing/peer-process.ts';
import { deployFolder, writeFiles } from '../../testing/scratch.ts';
import { startSlidelessPeer } from './testing/slideless-peer-process.ts';

const COMMIT = '/commitPresentationVersion';

/** The presentation's current version, as the peer's read-back says. */
async function currentVersion(peer: { get: (path: string) => Promise<{ body: unknown }> }, id: string) {
  return ((await peer.get(`/presentations/${id}`)).body as { data: { currentVersion: number } }).data.currentVersion;
}

test('a commit whose answer is lost is not made twice: a new presentation finds its session used up, an update gets 409, and each reads back its own version', async (t) => {
  const { folder: deck, engine } = deployFolder(t, { 'index.html': '<h1>v1</h1>', 'a.css': 'a {}' }, 'deck');
  const peer = await startSlidelessPeer(t);
  const proxy = await startAnswerDroppingProxy(t, peer.url);
  const account = { apiUrl: proxy.url, apiKey: peer.apiKey };
  let dropped = 0;
  proxy.decide = (request) => (request.url === COMMIT && dropped++ === 0 ? 'drop-answer' : 'pass');

  const first = await engine.deploy({
    folder: deck,
    target: slidelessTarget(account, { newPresentation: true }),
    retry: FAST_RETRY,
  }).result;
  const id = first.deployVersion.deployId;
  assert.equal(first.deployVersion.versionNo, 1);
  assert.equal(peer.count(COMMIT), 2, 'sent again after the lost answer');
  assert.deepEqual(
    peer.requests.filter((request) => request.path === COMMIT).map((request) => request.status),
    [200, 404],
    'the second found the session used up by the first',
  );
  assert.equal(await currentVersion(peer, id), 1, 'one version, not two');
  assert.match(first.previewUrl!, new RegExp(`/p/${id}/\\?token=`), 'the share URL, read back');

  dropped = 0;
  writeFiles(deck, { 'index.html': '<h1>v2</h1>' });
  const second = await engine.deploy({
    folder: deck,
    target: slidelessTarget(account, { presentationId: id }),
    retry: FAST_RETRY,
  }).result;
  assert.equal(second.deployVersion.versionNo, 2);
  assert.deepEqual(
    peer.requests.filter((request) => request.path === COMMIT).map((request) => request.status),
    [200, 404, 200, 409],
    'the update sent again got 409 conflict: its base had moved, to its own version',
  );
  assert.equal(await currentVersion(peer, id), 2);
});

test('a run that ends after sending its commit, answer unknown, is resumed to the version that commit made, without a second commit', async (t) => {
  const { folder: deck, engine } = deployFolder(t, { 'index.html': '<h1>lost</h1>' }, 'deck');
  const peer = await startSlidelessPeer(t);
  const proxy = await startAnswerDroppingProxy(t, peer.url);
  let committed = false;
  // The commit lands and its answer is lost; from then on the service seems down, so the run gives up.
  proxy.decide = (request) => {
    if (committed) return 'unavailable';
    if (request.url === COMMIT) {
      committed = true;
      return 'drop-answer';
    }
    return 'pass';
  };
  const run = engine.deploy({
    folder: deck,
    target: slidelessTarget({ apiUrl: proxy.url, apiKey: peer.apiKey }, { newPresentation: true }, { title: 'Lost' }),
    retry: { ...FAST_RETRY, maxAttempts: 2 },
  });
  const failure = await run.result.then(
    () => assert.fail('the run should not commit'),
    (error: { resumable: boolean }) => error,
  );
  assert.equal(failure.resumable, true);
  assert.equal(peer.count(COMMIT), 1);

  proxy.decide = () => 'pass';
  const [job] = engine.resumableJobs();
  assert.ok(job);
  const resumed = await engine.resume(job.job.id, slidelessTargetFromJob(job.job, peer.apiKey), { retry: FAST_RETRY })
    .result;
  assert.equal(resumed.deployVersion.versionNo, 1);
  assert.equal(resumed.deployVersion.title, 'Lost');
  assert.equal(peer.count(COMMIT), 1, 'the resume read the version back instead of committing again');
  assert.equal(await currentVersion(peer, resumed.deployVersion.deployId), 1);
});
