import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeployEngine } from '../../deploy-engine.ts';
import { DeployError, type DeployRun } from '../../deploy-run.ts';
import type { DeployEvent } from '../../../src-shared/upload-model.ts';
import { FAST_RETRY, type TestContextLike, untilLogged } from '../../testing/peer-process.ts';
import { deployFolder } from '../../testing/scratch.ts';
import { jwtNames } from './assets-session.ts';
import { cloudflareTarget, cloudflareTargetFromJob } from './cloudflare-target.ts';
import { startCloudflarePeer, type CloudflarePeer } from './testing/cloudflare-peer-process.ts';

const BUCKET = /^POST \/workers\/assets\/upload$/;

function pages(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`p${i}.html`] = `<p>page ${i}</p>`;
  return files;
}

/**
 * A peer (extra `serve` flags in `args`), a folder of `count` pages and a deploy of it to the Worker 'resumed'
 * that `stop` cancels at the moment it picks (a promise it returns must settle); resolves once it has ended
 * cancelled, with the job's id.
 */
async function cancelledDeploy(
  t: TestContextLike,
  count: number,
  args: string[],
  stop: (event: DeployEvent, run: DeployRun, peer: CloudflarePeer) => void | Promise<void>,
) {
  const peer = await startCloudflarePeer(t, ...args);
  const files = pages(count);
  const { folder, engine, secrets } = deployFolder(t, files);
  const target = cloudflareTarget(peer.account, { scriptName: 'resumed', compatibilityDate: '2025-06-01' });
  const run = engine.deploy({ folder, target, retry: FAST_RETRY, concurrency: 1 });
  let jobId = '';
  const stopping: Array<Promise<void>> = [];
  run.on((event) => {
    if (event.type === 'job') jobId = event.jobId;
    const stopped = stop(event, run, peer);
    if (stopped) stopping.push(stopped);
  });
  await assert.rejects(run.result, (error) => error instanceof DeployError && error.failure.code === 'cancelled');
  await Promise.all(stopping);
  return { peer, files, engine, secrets, jobId };
}

/**
 * Resumes the job from the journal alone (its URL and Worker) and the token, as `pressdrop resume` does;
 * `from` is how many requests the peer had logged before.
 */
async function resume(engine: DeployEngine, peer: CloudflarePeer, jobId: string) {
  const from = peer.requests().length;
  const job = engine.job(jobId)!;
  assert.equal(job.status, 'interrupted');
  const target = cloudflareTargetFromJob({ apiUrl: job.apiUrl, destination: job.destination }, peer.apiToken);
  const run = engine.resume(jobId, target, { retry: FAST_RETRY, concurrency: 1 });
  const sessions: Array<Extract<DeployEvent, { type: 'session' }>> = [];
  run.on((event) => {
    if (event.type === 'session') sessions.push(event);
  });
  return { result: await run.result, sessions, from };
}

async function assertAllLive(peer: CloudflarePeer, files: Record<string, string>): Promise<void> {
  const live = await peer.live('resumed');
  assert.equal(Object.keys(live.manifest).length, Object.keys(files).length);
  for (const path of ['p0.html', `p${Object.keys(files).length - 1}.html`])
    assert.equal(await (await peer.preview('resumed', `/${path}`)).text(), files[path]);
}

test('a deploy cancelled mid-upload resumes in its own session and sends only the buckets not confirmed', async (t) => {
  // The second bucket is never answered: the run stays mid-upload, one bucket confirmed, until it is cancelled
  // (once the held bucket is in the peer's log: one at a time, it went out after the first was confirmed).
  const { peer, files, engine, jobId } = await cancelledDeploy(t, 500, ['--faults', 'stall=2'], (event, run, peer) => {
    if (event.type !== 'phase' || event.phase !== 'upload') return;
    return untilLogged(() => peer.count(BUCKET) === 2, 'the second bucket').finally(() => run.cancel());
  });
  assert.deepEqual(
    peer
      .requests()
      .filter((request) => request.path === '/workers/assets/upload')
      .map((request) => request.status),
    [202, null],
    'one bucket of 5 answered (202: more to come), the next held, when the run was cancelled',
  );

  const { result, sessions, from } = await resume(engine, peer, jobId);

  assert.equal(peer.count(/assets-upload-session$/, from), 0, 'the journaled session is taken up');
  assert.deepEqual(
    sessions.map((session) => session.resumed),
    [true],
  );
  const uploads = peer.count(/^POST \/workers\/assets\/upload$/, from);
  assert.ok(uploads >= 1 && uploads <= 4, `${uploads} buckets sent on resume`);
  assert.ok(result.totals.uploadBytes < result.totals.totalBytes, 'the confirmed buckets are not counted again');
  assert.equal(result.deployVersion.versionNo, 1);
  await assertAllLive(peer, files);
});

test('a deploy stopped before its commit resumes with the journaled completion token: no session, no upload', async (t) => {
  const { peer, files, engine, jobId } = await cancelledDeploy(t, 5, [], (event, run) => {
    if (event.type === 'phase' && event.phase === 'commit') run.cancel();
  });

  const { result, sessions, from } = await resume(engine, peer, jobId);

  assert.equal(peer.count(/assets-upload-session$/, from), 0);
  assert.equal(peer.count(/assets\/upload$/, from), 0);
  assert.equal(peer.count(/^PUT \/workers\/scripts\/resumed$/, from), 1);
  assert.equal(sessions[0]?.resumed, true);
  assert.equal(result.deployVersion.id, (await peer.live('resumed')).version_id);
  await assertAllLive(peer, files);
});

test('a completion token lost with every bucket confirmed is got back from a new session that asks for nothing', async (t) => {
  const { peer, files, engine, secrets, jobId } = await cancelledDeploy(t, 5, [], (event, run) => {
    if (event.type === 'phase' && event.phase === 'commit') run.cancel();
  });
  // As if the run had been killed between the last bucket's answer and keeping its JWT.
  await secrets.delete(jwtNames(jobId).completion);

  const { sessions, from } = await resume(engine, peer, jobId);

  assert.equal(peer.count(/assets-upload-session$/, from), 1);
  assert.equal(peer.count(/assets\/upload$/, from), 0, 'every asset is stored: the session asks for none');
  assert.equal(peer.count(/^PUT /, from), 1);
  assert.equal(sessions[0]?.resumed, false);
  await assertAllLive(peer, files);
  assert.equal(await secrets.get(jwtNames(jobId).completion), null, 'a committed job keeps no JWT');
});

test('a commit whose answer never came is found on resume by its tag, not deployed twice', async (t) => {
  // Half the requests are handled, then their connection is cut; with this seed the fourth, the PUT, is one of them.
  const { peer, engine, jobId } = await cancelledDeploy(
    t,
    5,
    ['--faults', 'drop=0.5', '--faults-seed', '80'],
    (event, run) => {
      // Stopped before the retry, which would have found the version itself.
      if (event.type === 'retry' && event.request.startsWith('PUT ')) run.cancel();
    },
  );
  assert.deepEqual(
    peer.requests().map((request) => `${request.method} ${request.status}`),
    ['GET 200', 'POST 200', 'POST 201', 'PUT null'],
  );
  const landed = await peer.live('resumed');

  const { result, from } = await resume(engine, peer, jobId);

  assert.equal(peer.count(/^PUT /, from), 0, 'the version the lost answer named is found');
  assert.equal(result.deployVersion.id, landed.version_id);
  assert.equal(result.deployVersion.versionNo, 1);
  assert.equal((await peer.live('resumed')).number, 1);
});
