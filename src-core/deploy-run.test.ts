import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { DeployEngine } from './deploy-engine.ts';
import { buildPlan, firstChangedFile } from './deploy-plan.ts';
import { FileSecretStore } from './file-secret-store.ts';
import { scanFolder } from './scan-folder.ts';
import { pressCloudTarget } from './targets/press-cloud/press-cloud-target.ts';
import { FAST_RETRY, startCloud } from './testing/local-cloud.ts';
import { startPeerProcess } from './testing/peer-process.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-run-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A site folder holding `files`, and an engine with its own state. */
function siteAndEngine(t: TestContext, files: Record<string, string>) {
  const dir = scratch(t);
  const site = join(dir, 'site');
  mkdirSync(site);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(site, name), text);
  const stateDir = join(dir, 'state');
  const engine = new DeployEngine({ stateDir, secrets: new FileSecretStore(join(stateDir, 'secrets.json')) });
  t.after(() => engine.close());
  return { site, engine, stateDir };
}

/** A local cloud, a site folder holding `files`, and an engine with its own state: what each deploy test starts from. */
async function deployFixture(t: TestContext, files: Record<string, string>) {
  const cloud = await startCloud(t);
  return { cloud, ...siteAndEngine(t, files), account: { apiUrl: cloud.url, apiKey: cloud.apiKey } };
}

test('the last look before a commit sees a file touched, rewritten or deleted since the scan, and not a followed symlink', async (t) => {
  const site = join(scratch(t), 'site');
  mkdirSync(site);
  for (const name of ['a.txt', 'b.txt', 'c.txt']) writeFileSync(join(site, name), name);
  symlinkSync('a.txt', join(site, 'link.txt'));
  const plan = buildPlan((await scanFolder(site)).files.map((file) => ({ file, hash: 'x' })));
  assert.equal(await firstChangedFile(plan.files), null, 'nothing changed, the symlink included');
  utimesSync(join(site, 'b.txt'), new Date(), new Date(Date.now() + 5_000));
  assert.equal((await firstChangedFile(plan.files))?.path, 'b.txt');
  rmSync(join(site, 'b.txt'));
  assert.equal((await firstChangedFile(plan.files))?.path, 'b.txt', 'a deleted file counts as changed');
});

test('a file rewritten after its upload, just before the commit, is deployed as it is now', async (t) => {
  const { cloud, site, engine, account } = await deployFixture(t, {
    'index.html': '<h1>hi</h1>',
    'notes.txt': 'first draft',
  });
  const run = engine.deploy({
    folder: site,
    target: pressCloudTarget(account, { createDeploy: { slug: 'late-edit', name: 'Late edit' } }),
    retry: FAST_RETRY,
  });
  let rewrites = 0;
  run.on((event) => {
    // Phase events are emitted synchronously, right before the last look: the write lands exactly in that gap.
    if (event.type === 'phase' && event.phase === 'commit' && rewrites++ === 0)
      writeFileSync(join(site, 'notes.txt'), 'final text, longer');
  });
  const { deployVersion } = await run.result;
  assert.equal(rewrites, 2, 'the first commit attempt was abandoned for a new plan');
  const files = await cloud.client().listVersionFiles(deployVersion.id);
  const notes = files.items.find((file) => file.path === 'notes.txt')!;
  assert.equal(notes.blobHash, sha256('final text, longer'));
  assert.deepEqual(await cloud.blob(notes.blobHash), Buffer.from('final text, longer'));
});

test('a re-deploy with nothing to upload looks at its files once more when it was held before the commit: an edit made while it waited is deployed', async (t) => {
  const { cloud, site, engine, account } = await deployFixture(t, {
    'index.html': '<h1>hi</h1>',
    'notes.txt': 'first draft',
  });
  const first = await engine.deploy({
    folder: site,
    target: pressCloudTarget(account, { createDeploy: { slug: 'held-edit', name: 'Held edit' } }),
    retry: FAST_RETRY,
  }).result;
  // The first commit proved every blob stored: the re-deploy asks about none, and its last look starts
  // while its session opens. A hold at the commit, with an edit during it, must not let that look stand.
  const run = engine.deploy({
    folder: site,
    target: pressCloudTarget(account, { deployId: first.deployVersion.deployId }),
    retry: FAST_RETRY,
  });
  const phases: string[] = [];
  run.on((event) => {
    if (event.type !== 'phase') return;
    phases.push(event.phase);
    if (event.phase === 'commit' && phases.filter((phase) => phase === 'commit').length === 1) {
      run.pause('user');
      // On the next turn, after the early look's own (it was queued first): that look saw the old file.
      setImmediate(() => {
        writeFileSync(join(site, 'notes.txt'), 'edited while the deploy waited');
        run.resume('user');
      });
    }
  });
  const { deployVersion } = await run.result;
  assert.equal(phases.filter((phase) => phase === 'commit').length, 2, 'the held commit was abandoned for a new plan');
  assert.equal(deployVersion.versionNo, 2);
  const files = await cloud.client().listVersionFiles(deployVersion.id);
  assert.equal(
    files.items.find((file) => file.path === 'notes.txt')!.blobHash,
    sha256('edited while the deploy waited'),
  );
});

test('a held run hashes but sends nothing; the system lifts only its own hold, and the run goes on when the user resumes', async (t) => {
  const { cloud, site, engine, account } = await deployFixture(
    t,
    Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`page-${i}.html`, `<p>${i}</p>`])),
  );
  const run = engine.deploy({
    folder: site,
    target: pressCloudTarget(account, { createDeploy: { slug: 'held', name: 'Held' } }),
    retry: FAST_RETRY,
  });
  const seen: string[] = [];
  let released = false;
  run.on((event) => {
    if (event.type === 'paused') seen.push(`paused:${event.reasons.join('+')}`);
    if (event.type === 'resumed') seen.push('resumed');
    if (event.type === 'phase') seen.push(event.phase);
    if (
      event.type === 'progress' &&
      !released &&
      event.totals.fileCount === 5 &&
      event.totals.hashedBytes === event.totals.totalBytes
    ) {
      // Everything is hashed, and the run waits. The network comes back: the user's hold stays.
      released = true;
      run.resume('offline');
      run.resume('sleep');
      seen.push('network back');
      setImmediate(() => run.resume('user'));
    }
  });
  run.pause('offline');
  run.pause('user');
  run.pause('user');
  const { deployVersion } = await run.result;
  assert.deepEqual(seen, [
    'paused:offline',
    'paused:offline+user',
    'scan',
    'hash',
    'paused:user',
    'network back',
    'resumed',
    'check',
    'upload',
    'commit',
  ]);
  assert.equal((await cloud.client().listVersionFiles(deployVersion.id)).items.length, 5);
});

test("a committed run names its deploy's slug and preview, whether it created the deploy or was given its id", async (t) => {
  const { cloud, site, engine, account } = await deployFixture(t, { 'index.html': '<h1>named</h1>' });
  const created = await engine.deploy({
    folder: site,
    target: pressCloudTarget(account, { createDeploy: { slug: 'named', name: 'Named' } }),
    retry: FAST_RETRY,
  }).result;
  assert.deepEqual([created.slug, created.previewUrl], ['named', `${cloud.url}/preview/named/1/`]);
  writeFileSync(join(site, 'index.html'), '<h1>named again</h1>');
  const byId = await engine.deploy({
    folder: site,
    target: pressCloudTarget(account, { deployId: created.deployVersion.deployId }),
    retry: FAST_RETRY,
  }).result;
  assert.deepEqual([byId.slug, byId.previewUrl], ['named', `${cloud.url}/preview/named/2/`]);
});

test('blobs a commit proved stored are not asked about again: a re-deploy asks only about the changed file', async (t) => {
  const apiKey = `pcak_test${'k'.repeat(24)}`;
  // Its request log counts the checks.
  const cloud = await startPeerProcess(t, { apiKey });
  const { site, engine } = siteAndEngine(
    t,
    Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`page-${i}.html`, `<p>${i}</p>`])),
  );
  const checks = () => cloud.requests.filter((request) => request.path.endsWith('/missing-blobs')).length;
  const deploy = (deployId?: string) =>
    engine.deploy({
      folder: site,
      target: pressCloudTarget(
        { apiUrl: cloud.url, apiKey },
        deployId ? { deployId } : { createDeploy: { slug: 'known', name: 'Known' } },
      ),
      retry: FAST_RETRY,
    }).result;

  const first = await deploy();
  assert.equal(checks(), 1, 'the first deploy asks about its five blobs');
  const unchanged = await deploy(first.deployVersion.deployId);
  assert.equal(checks(), 1, 'nothing new: no check at all');
  assert.equal(unchanged.totals.skippedBytes, unchanged.totals.totalBytes, 'every file shown as already on the server');
  writeFileSync(join(site, 'page-3.html'), '<p>three, rewritten</p>');
  const edited = await deploy(first.deployVersion.deployId);
  assert.equal(checks(), 2, 'one check, for the changed file');
  assert.equal(edited.totals.uploadBytes, Buffer.byteLength('<p>three, rewritten</p>'));
  assert.equal(edited.deployVersion.versionNo, 3);
});

test('a server that lost blobs a commit had proved stored: the commit says so, and the run asks again and uploads them', async (t) => {
  const apiKey = `pcak_test${'r'.repeat(24)}`;
  // Its own process, to be stopped and replaced at the same URL.
  const before = await startPeerProcess(t, { apiKey });
  const { site, engine } = siteAndEngine(t, { 'index.html': '<h1>kept</h1>', 'notes.txt': 'notes' });
  const target = pressCloudTarget({ apiUrl: before.url, apiKey }, { createDeploy: { slug: 'reset', name: 'Reset' } });
  await engine.deploy({ folder: site, target, retry: FAST_RETRY }).result;
  // The same URL now serves an empty store: a server whose data folder was wiped.
  await before.stop();
  const after = await startPeerProcess(t, { apiKey, args: ['--port', new URL(before.url).port] });
  assert.equal(after.url, before.url);
  const run = engine.deploy({ folder: site, target, retry: FAST_RETRY });
  const phases: string[] = [];
  run.on((event) => void (event.type === 'phase' && phases.push(event.phase)));
  const { deployVersion } = await run.result;
  assert.deepEqual(
    after.requests.filter((request) => /\/(commit|missing-blobs)$/.test(request.path)).map((r) => r.status),
    [409, 200, 201],
    'a commit refused (blobs_missing), then a check, then the commit',
  );
  assert.equal(phases.filter((phase) => phase === 'scan').length, 2, 'planned again after the refusal');
  assert.equal(deployVersion.versionNo, 1);
  const blob = await fetch(`${after.url}/v1/blobs/${sha256('<h1>kept</h1>')}`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  assert.equal(await blob.text(), '<h1>kept</h1>');
});

test('a hash cache that cannot remember stored blobs fails no deploy: the commit stands, and the next run asks the server again', async (t) => {
  const apiKey = `pcak_test${'f'.repeat(24)}`;
  const cloud = await startPeerProcess(t, { apiKey });
  const { site, engine, stateDir } = siteAndEngine(t, { 'index.html': '<h1>hi</h1>', 'notes.txt': 'notes' });
  // The fault is in the cache file itself: every write of the memory fails, as on a full disk.
  const db = new DatabaseSync(join(stateDir, 'hash-cache.sqlite'));
  db.exec("CREATE TRIGGER refuse BEFORE INSERT ON stored_blobs BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  db.close();
  const checks = () => cloud.requests.filter((request) => request.path.endsWith('/missing-blobs')).length;
  const account = { apiUrl: cloud.url, apiKey };
  const first = await engine.deploy({
    folder: site,
    target: pressCloudTarget(account, { createDeploy: { slug: 'forgetful', name: 'Forgetful' } }),
    retry: FAST_RETRY,
  }).result;
  assert.equal(first.deployVersion.versionNo, 1);
  const second = await engine.deploy({
    folder: site,
    target: pressCloudTarget(account, { deployId: first.deployVersion.deployId }),
    retry: FAST_RETRY,
  }).result;
  assert.equal(second.deployVersion.versionNo, 2);
  assert.equal(checks(), 2, 'nothing was remembered, so the second deploy asked too');
});
