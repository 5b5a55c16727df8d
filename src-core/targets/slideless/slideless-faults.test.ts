import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { DeployEvent } from '../../../src-shared/upload-model.ts';
import type { DeployEngine } from '../../deploy-engine.ts';
import { FAST_RETRY, type TestContextLike, untilLogged } from '../../testing/peer-process.ts';
import { deployFolder } from '../../testing/scratch.ts';
import { slidelessTarget, slidelessTargetFromJob } from './slideless-target.ts';
import { startSlidelessPeer, type SlidelessPeer } from './testing/slideless-peer-process.ts';

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');
const UPLOAD = '/uploadPresentationAsset';

/** A peer started with `args`, a deck of `count` files of `size` random bytes beside its index.html, and an engine. */
async function setUp(t: TestContextLike, args: string[], count: number, size: number) {
  const peer = await startSlidelessPeer(t, args);
  const files: Record<string, Buffer> = { 'index.html': Buffer.from('<h1>deck</h1>') };
  for (let i = 0; i < count; i++) files[`assets/file-${i}.bin`] = randomBytes(size);
  return { peer, files, ...deployFolder(t, files, 'deck') };
}

/** Checks the peer's latest version holds exactly `files`. */
async function assertCommitted(peer: SlidelessPeer, presentationId: string, files: Record<string, Buffer>) {
  const read = (await peer.get(`/presentations/${presentationId}`)).body as {
    data: { files: Array<{ path: string; sha256: string }> };
  };
  assert.deepEqual(
    read.data.files.map((file) => [file.path, file.sha256]).sort(),
    Object.entries(files)
      .map(([path, bytes]) => [path, sha256(bytes)])
      .sort(),
  );
}

/** Starts a deploy of `folder` as a new presentation against `peer`, collecting the run's events. */
function startNew(engine: DeployEngine, peer: SlidelessPeer, folder: string, concurrency?: number) {
  const events: DeployEvent[] = [];
  const run = engine.deploy({
    folder,
    target: slidelessTarget(peer.account, { newPresentation: true }),
    retry: FAST_RETRY,
    concurrency,
  });
  run.on((event) => events.push(event));
  return { run, events };
}

/** Deploys `folder` as a new presentation against `peer` (4 uploads at a time), with the run's events. */
async function deployNew(engine: DeployEngine, peer: SlidelessPeer, folder: string) {
  const { run, events } = startNew(engine, peer, folder, 4);
  return { result: await run.result, events };
}

test('503s on every route are retried until the version is committed', async (t) => {
  const { peer, files, folder, engine } = await setUp(t, ['--faults', '503=0.4', '--faults-seed', '5'], 8, 2_000);
  const { result, events } = await deployNew(engine, peer, folder);
  assert.ok(peer.requests.some((request) => request.status === 503));
  assert.ok(result.totals.retries > 0);
  assert.ok(events.some((event) => event.type === 'retry' && /unavailable/.test(event.message)));
  await assertCommitted(peer, result.deployVersion.deployId, files);
});

test('429 with Retry-After: the retry waits as long as the service asked', async (t) => {
  const { peer, files, folder, engine } = await setUp(
    t,
    ['--faults', '429=0.3,retry-after=1', '--faults-seed', '3'],
    4,
    1_000,
  );
  const { result, events } = await deployNew(engine, peer, folder);
  const waits = events.filter((event) => event.type === 'retry' && /resource-exhausted/.test(event.message));
  assert.ok(waits.length > 0, 'some request was rate limited');
  for (const wait of waits)
    assert.ok(wait.type === 'retry' && wait.delayMs >= 1_000, 'Retry-After: 1 s, not the 10 ms backoff');
  await assertCommitted(peer, result.deployVersion.deployId, files);
});

test('uploads reset mid-body are sent again, whole, and the version holds the right bytes', async (t) => {
  const { peer, files, folder, engine } = await setUp(t, ['--faults', 'reset=0.5', '--faults-seed', '9'], 6, 300_000);
  const { result } = await deployNew(engine, peer, folder);
  assert.ok(peer.count(UPLOAD) > 7, 'some uploads were cut and sent again');
  assert.equal(
    peer.requests.filter((request) => request.path === UPLOAD && request.status === 200).length,
    7,
    'each blob stored once',
  );
  assert.equal(result.totals.sentBytes, result.totals.uploadBytes, 'progress counts file bytes, once each');
  await assertCommitted(peer, result.deployVersion.deployId, files);
});

test('a session that expires is replaced: the run re-plans with a new session (and a new reserved id) and commits', async (t) => {
  // Seed 9 draws the first session to expire after 50 ms and the second to live its hour.
  const { peer, files, folder, engine } = await setUp(
    t,
    ['--faults', 'expire=0.5,expire-after=50', '--faults-seed', '9'],
    3,
    1_000,
  );
  const { run, events } = startNew(engine, peer, folder);
  run.on((event) => {
    // Held past the first session's 50 ms, so it has expired when the uploads go out.
    if (event.type === 'session' && events.filter((seen) => seen.type === 'session').length === 1) {
      run.pause();
      setTimeout(() => run.resume(), 200);
    }
  });
  const result = await run.result;
  const sessions = events.filter((event) => event.type === 'session');
  assert.equal(sessions.length, 2, 'a second session after the first expired');
  assert.ok(sessions.every((event) => event.type === 'session' && !event.resumed));
  assert.ok(
    peer.requests.some((request) => request.path === UPLOAD && request.status === 404),
    'the expired session answered 404',
  );
  await assertCommitted(peer, result.deployVersion.deployId, files);
});

test('a run cancelled mid-upload and resumed reuses its session and sends only what is missing', async (t) => {
  // The second upload is never answered: the run stays mid-upload until it is cancelled.
  const { peer, files, folder, engine } = await setUp(t, ['--faults', 'stall=2'], 8, 200_000);
  const { run, events } = startNew(engine, peer, folder, 2);
  // Cancelled once an upload is confirmed and the second is in the peer's log (held, whichever it is).
  const confirmed = () =>
    events.some((event) => event.type === 'files' && event.updates.some((u) => u.state === 'done'));
  await untilLogged(() => confirmed() && peer.count(UPLOAD) >= 2, 'a confirmed upload and the held one').finally(() =>
    run.cancel(),
  );
  await assert.rejects(run.result, (error: { failure: { code: string } }) => error.failure.code === 'cancelled');
  const firstSession = events.find((event) => event.type === 'session');
  assert.ok(firstSession?.type === 'session');
  // What the session holds now, asked of the peer directly: the resumed run must send the rest, and only that.
  const hashes = Object.values(files).map((bytes) => sha256(bytes));
  const check = await fetch(`${peer.url}/precheckAssets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${peer.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ hashes, sessionId: firstSession.sessionId }),
  });
  const { missing } = ((await check.json()) as { data: { missing: string[] } }).data;
  assert.ok(missing.length >= 1 && missing.length < 9, `${9 - missing.length} blobs stored before the cancel`);

  const [job] = engine.resumableJobs();
  assert.ok(job);
  const resumedEvents: DeployEvent[] = [];
  await peer.logCaughtUp();
  const uploadsBefore = peer.count(UPLOAD);
  const resumed = engine.resume(job.job.id, slidelessTargetFromJob(job.job, peer.apiKey), { retry: FAST_RETRY });
  resumed.on((event) => resumedEvents.push(event));
  const result = await resumed.result;
  const again = resumedEvents.find((event) => event.type === 'session');
  assert.ok(
    again?.type === 'session' && again.resumed && again.sessionId === firstSession.sessionId,
    'the same session',
  );
  assert.equal(peer.count(UPLOAD) - uploadsBefore, missing.length, 'the resumed run sent only what was missing');
  assert.ok(result.totals.skippedBytes > 0);
  await assertCommitted(peer, result.deployVersion.deployId, files);
});
