import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeployEngine } from '../../deploy-engine.ts';
import type { DeployResult } from '../../deploy-run.ts';
import type { DeployEvent, FileState } from '../../../src-shared/upload-model.ts';
import { cloudflareAssetHash } from '../../hash-worker.ts';
import type { DeployTarget } from '../../ports.ts';
import { FAST_RETRY } from '../../testing/peer-process.ts';
import { deployFolder } from '../../testing/scratch.ts';
import { cloudflareTarget } from './cloudflare-target.ts';
import { startCloudflarePeer, type CloudflarePeer } from './testing/cloudflare-peer-process.ts';

/** A deploy's result, with each file's last state and the session events. */
interface Deployed {
  result: DeployResult;
  states: Map<string, FileState>;
  sessions: Array<Extract<DeployEvent, { type: 'session' }>>;
}

async function deploy(engine: DeployEngine, folder: string, target: DeployTarget): Promise<Deployed> {
  const run = engine.deploy({ folder, target, retry: FAST_RETRY });
  const states = new Map<string, FileState>();
  const sessions: Deployed['sessions'] = [];
  run.on((event) => {
    if (event.type === 'files') for (const update of event.updates) states.set(update.path, update.state);
    if (event.type === 'session') sessions.push(event);
  });
  return { result: await run.result, states, sessions };
}

function targetOf(peer: CloudflarePeer, scriptName: string): DeployTarget {
  return cloudflareTarget(peer.account, { scriptName, compatibilityDate: '2025-06-01' });
}

const SITE = {
  'index.html': '<!doctype html><h1>Hello</h1>',
  'css/site.css': 'h1 { color: teal }',
  'img/logo.png': randomBytes(70_000),
  'docs/guide/intro.html': '<p>intro</p>',
  LICENSE: 'MIT',
};

test('a first deploy stores every asset, deploys the Worker as version 1, and says where it is', async (t) => {
  const peer = await startCloudflarePeer(t);
  const { folder, engine } = deployFolder(t, SITE);

  const { result, states, sessions } = await deploy(engine, folder, targetOf(peer, 'first-site'));

  const live = await peer.live('first-site');
  assert.equal(result.deployVersion.id, live.version_id);
  assert.equal(result.deployVersion.versionNo, 1);
  assert.equal(result.deployVersion.deployId, 'first-site');
  assert.equal(result.deployVersion.displayId, live.version_id.slice(0, 8));
  assert.equal(result.deployVersion.status, 'ready');
  assert.equal(result.slug, null);
  // A Worker this deploy created gets its workers.dev URL, as wrangler gives it by default.
  assert.equal(result.previewUrl, 'https://first-site.pressdrop-peer.workers.dev/');
  assert.equal(sessions.length, 1);
  assert.equal(sessions[0]!.resumed, false);

  for (const [path, content] of Object.entries(SITE)) {
    assert.equal(states.get(path), 'done', path);
    assert.equal(live.manifest[`/${path}`], await cloudflareAssetHash(Buffer.from(content), path), path);
    const served = await peer.preview('first-site', `/${path}`);
    assert.equal(served.status, 200, path);
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), Buffer.from(content), path);
  }
  assert.equal(
    (await peer.preview('first-site', '/index.html')).headers.get('content-type'),
    'text/html; charset=utf-8',
  );
  assert.equal((await peer.preview('first-site', '/img/logo.png')).headers.get('content-type'), 'image/png');
  assert.equal(peer.count(/^POST \/workers\/scripts\/first-site\/assets-upload-session$/), 1);
  assert.equal(peer.count(/^POST \/workers\/assets\/upload$/), 1, 'five small files: one bucket');
  assert.equal(peer.count(/^PUT \/workers\/scripts\/first-site$/), 1);
});

test('a re-deploy of the same folder uploads nothing; one changed file is the one asset sent', async (t) => {
  const peer = await startCloudflarePeer(t);
  const { folder, engine } = deployFolder(t, SITE);
  const target = targetOf(peer, 'again');
  await deploy(engine, folder, target);

  let from = peer.requests().length;
  const same = await deploy(engine, folder, target);
  assert.equal(peer.count(/assets\/upload/, from), 0, 'nothing uploaded');
  assert.equal(peer.count(/assets-upload-session$/, from), 1);
  assert.equal(peer.count(/^PUT /, from), 1);
  assert.equal(same.result.totals.uploadBytes, 0);
  assert.equal(same.result.deployVersion.versionNo, 2);
  for (const path of Object.keys(SITE)) assert.equal(same.states.get(path), 'skipped', path);
  assert.equal(same.result.previewUrl, 'https://again.pressdrop-peer.workers.dev/');

  from = peer.requests().length;
  writeFileSync(join(folder, 'css/site.css'), 'h1 { color: crimson }');
  const changed = await deploy(engine, folder, target);
  assert.equal(peer.count(/^POST \/workers\/assets\/upload$/, from), 1);
  assert.equal(changed.result.totals.uploadBytes, Buffer.byteLength('h1 { color: crimson }'));
  assert.equal(changed.states.get('css/site.css'), 'done');
  for (const path of Object.keys(SITE).filter((path) => path !== 'css/site.css'))
    assert.equal(changed.states.get(path), 'skipped', path);
  assert.equal(await (await peer.preview('again', '/css/site.css')).text(), 'h1 { color: crimson }');
  assert.equal((await peer.live('again')).number, 3);
});

test('one content under two extensions is two assets, each served with its own type', async (t) => {
  const peer = await startCloudflarePeer(t);
  const content = 'same bytes, two names';
  const { folder, engine } = deployFolder(t, { 'page.html': content, 'page.txt': content, 'copy/page.html': content });

  const { result } = await deploy(engine, folder, targetOf(peer, 'twins'));

  // page.html and copy/page.html are one asset; page.txt is another (the extension is part of the hash).
  assert.equal(result.totals.uploadBytes, 2 * content.length);
  const live = await peer.live('twins');
  assert.equal(live.manifest['/page.html'], live.manifest['/copy/page.html']);
  assert.notEqual(live.manifest['/page.html'], live.manifest['/page.txt']);
  const html = await peer.preview('twins', '/page.html');
  const text = await peer.preview('twins', '/page.txt');
  assert.equal(html.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(text.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(await html.text(), content);
  assert.equal(await text.text(), content);
});

test('many files go up in the service’s buckets, each bucket one request', async (t) => {
  const peer = await startCloudflarePeer(t);
  const files: Record<string, string> = {};
  for (let i = 0; i < 250; i++) files[`pages/p${i}.html`] = `<p>page ${i}</p>`;
  const { folder, engine } = deployFolder(t, files);

  const { result, states } = await deploy(engine, folder, targetOf(peer, 'many'));

  // The peer's buckets hold at most 100 files, as Cloudflare's do.
  assert.equal(peer.count(/^POST \/workers\/assets\/upload$/), 3);
  assert.equal(
    result.totals.sentBytes,
    result.totals.uploadBytes,
    'progress counts file bytes, not base64 on the wire',
  );
  assert.ok([...states.values()].every((state) => state === 'done'));
  assert.equal(Object.keys((await peer.live('many')).manifest).length, 250);
});

test('a file rewritten after it was hashed is never sent: the run hashes the folder again and deploys it as it is', async (t) => {
  const peer = await startCloudflarePeer(t);
  const { folder, engine } = deployFolder(t, SITE);
  const run = engine.deploy({ folder, target: targetOf(peer, 'edited'), retry: FAST_RETRY });
  let sessions = 0;
  run.on((event) => {
    // The session is open for the hashes of the folder as it was: the bytes change before any is read for upload.
    if (event.type === 'session' && sessions++ === 0) writeFileSync(join(folder, 'index.html'), '<h1>Edited</h1>');
  });
  await run.result;
  assert.equal(sessions, 2, 'a new plan, a new session');
  const uploads = peer.requests().filter((request) => request.path === '/workers/assets/upload');
  assert.deepEqual(
    uploads.map((upload) => upload.status),
    [null, 201],
    'the first bucket was cut off before its changed file',
  );
  assert.equal(await (await peer.preview('edited', '/index.html')).text(), '<h1>Edited</h1>');
  assert.equal(
    (await peer.live('edited')).manifest['/index.html'],
    await cloudflareAssetHash(Buffer.from('<h1>Edited</h1>'), 'index.html'),
  );
});
