import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeployEvent } from '../../../src-shared/upload-model.ts';
import { cloudflareAssetHash } from '../../hash-worker.ts';
import { FAST_RETRY } from '../../testing/peer-process.ts';
import { deployFolder } from '../../testing/scratch.ts';
import { cloudflareTarget } from './cloudflare-target.ts';
import { startCloudflarePeer, type CloudflarePeer } from './testing/cloudflare-peer-process.ts';

function pages(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`pages/p${i}.html`] = `<p>page ${i} ${'·'.repeat(i % 50)}</p>`;
  return files;
}

/** Every file is in the live version with its own hash, and a few read back byte for byte. */
async function assertLive(peer: CloudflarePeer, script: string, files: Record<string, string>): Promise<void> {
  const live = await peer.live(script);
  assert.equal(Object.keys(live.manifest).length, Object.keys(files).length);
  for (const [path, content] of Object.entries(files))
    assert.equal(live.manifest[`/${path}`], await cloudflareAssetHash(Buffer.from(content), path), path);
  for (const path of Object.keys(files).filter((_, i) => i % 37 === 0))
    assert.equal(await (await peer.preview(script, `/${path}`)).text(), files[path], path);
}

test('503s, 429s with Retry-After, resets mid-body and dropped answers end in one committed version', async (t) => {
  const peer = await startCloudflarePeer(
    t,
    '--faults',
    '503=0.2,429=0.2,retry-after=1,reset=0.25,drop=0.1',
    '--faults-seed',
    '2',
  );
  const files = pages(320);
  const { folder, engine } = deployFolder(t, files);
  const target = cloudflareTarget(peer.account, { scriptName: 'faulty' });

  const run = engine.deploy({ folder, target, retry: { ...FAST_RETRY, maxAttempts: 12 } });
  const retries: Array<Extract<DeployEvent, { type: 'retry' }>> = [];
  run.on((event) => {
    if (event.type === 'retry') retries.push(event);
  });
  const { deployVersion, totals } = await run.result;

  assert.ok(retries.length > 0, 'the faults were met');
  const statuses = new Set(peer.requests().map((request) => request.status));
  assert.ok(statuses.has(503) && statuses.has(429), `503 and 429 were answered: ${[...statuses].join(', ')}`);
  const waited = retries.filter((retry) => /rate|429/i.test(retry.message));
  assert.ok(
    waited.every((retry) => retry.delayMs >= 1000),
    'a 429 is retried no sooner than its Retry-After',
  );
  assert.equal(totals.sentBytes, totals.uploadBytes);
  await assertLive(peer, 'faulty', files);
  // With this seed a PUT's answer is dropped after the peer deployed it: the retry finds it by its tag.
  const puts = peer.requests().filter((request) => request.method === 'PUT');
  assert.ok(
    puts.some((put) => put.status === null),
    'a PUT went unanswered',
  );
  const live = await peer.live('faulty');
  assert.equal(deployVersion.id, live.version_id);
  assert.equal(live.number, 1, 'deployed once');
  assert.equal(deployVersion.versionNo, 1);
});

test('an upload session that expires mid-upload is replaced by one asking only for what is still missing', async (t) => {
  // Every session's JWT lives 1 s; each request waits 400 ms in the peer; one upload at a time: the five
  // buckets take at least 2 s however fast the client is, so some upload meets an expired JWT.
  const peer = await startCloudflarePeer(t, '--faults', 'expire=1,expire-after=1000,latency=400');
  const files = pages(500);
  const { folder, engine } = deployFolder(t, files);
  const target = cloudflareTarget(peer.account, { scriptName: 'expiring' });

  const run = engine.deploy({ folder, target, retry: FAST_RETRY, concurrency: 1 });
  const sessions: Array<Extract<DeployEvent, { type: 'session' }>> = [];
  run.on((event) => {
    if (event.type === 'session') sessions.push(event);
  });
  await run.result;

  const uploads = peer.requests().filter((request) => request.path === '/workers/assets/upload');
  assert.ok(
    uploads.some((upload) => upload.status === 401),
    'an upload met its expired JWT',
  );
  assert.ok(sessions.length >= 2, `a new session after the expiry (${sessions.length})`);
  // No asset went up twice: the accepted uploads carried each of the 5 buckets' worth exactly once.
  const accepted = uploads.filter((upload) => upload.status === 201 || upload.status === 202).length;
  assert.ok(accepted >= 5 && accepted <= 5 + sessions.length, `${accepted} accepted uploads`);
  await assertLive(peer, 'expiring', files);
});
