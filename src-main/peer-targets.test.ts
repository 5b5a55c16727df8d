import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cloudflareTarget } from '../src-core/targets/cloudflare/cloudflare-target.ts';
import { slidelessTarget } from '../src-core/targets/slideless/slideless-target.ts';
import { waitFor } from '../src-server/testing/test-server.ts';
import type { AddTargetPayload, Target } from '../src-shared/ipc-contract.ts';
import { dispatchRequest } from './ipc-dispatch.ts';
import { harness, site, startPeers } from './testing/controller-harness.ts';

const CONSENT = { allowBasicText: false, allowInsecureHttp: false };

type Harness = Awaited<ReturnType<typeof harness>>;
type Peers = Awaited<ReturnType<typeof startPeers>>;

function slidelessPayload(peers: Peers, apiKey = peers.slideless.apiKey): AddTargetPayload {
  return { kind: 'slideless', name: 'Decks', apiUrl: peers.slideless.url, apiKey, ...CONSENT };
}

function cloudflarePayload(peers: Peers, overrides: { apiKey?: string; accountId?: string } = {}): AddTargetPayload {
  return {
    kind: 'cloudflare',
    name: 'Workers',
    apiUrl: peers.cloudflare.url,
    apiKey: overrides.apiKey ?? peers.cloudflare.apiKey,
    accountId: overrides.accountId ?? peers.cloudflare.accountId,
    ...CONSENT,
  };
}

/** Deploys a dropped folder to `target` as `deploy` chooses, and waits for its committed event. */
async function deployTo(
  app: Harness,
  target: Target,
  folder: string,
  deploy: Parameters<Harness['controller']['handlers']['deploy.start']>[0]['deploy'],
) {
  const started = await app.controller.handlers['deploy.start']({
    targetId: target.id,
    folder: await app.drop(folder),
    deploy,
  });
  await waitFor(
    () => app.events(started.runId).some((e) => e.type === 'committed' || e.type === 'failed'),
    30_000,
    'the end of the run',
  );
  const end = app.events(started.runId).find((e) => e.type === 'committed' || e.type === 'failed')!;
  assert.equal(end.type, 'committed', JSON.stringify(end));
  return { ...started, committed: end };
}

test('a Slideless target: a wrong key is refused in words before anything is kept; the right one is kept in the vault, never shown', async (t) => {
  const app = await harness(t);
  const peers = await startPeers(t, app.scratch);
  await assert.rejects(app.controller.handlers['targets.add'](slidelessPayload(peers, 'cko_notTheRightKey')), {
    code: 'unauthenticated',
  });
  assert.equal(app.keys.size, 0);
  const target = await app.controller.handlers['targets.add'](slidelessPayload(peers));
  assert.deepEqual(
    { kind: target.kind, builtIn: target.builtIn, capabilities: target.capabilities, accountId: target.accountId },
    {
      kind: 'slideless',
      builtIn: false,
      capabilities: { versions: false, aliases: false, render: false },
      accountId: null,
    },
  );
  assert.equal(app.keys.get(target.id), peers.slideless.apiKey);
  const listed = await app.controller.handlers['targets.list'](null);
  assert.deepEqual(
    listed.targets.map((t) => t.kind),
    ['press-cloud', 'slideless'],
  );
  assert.ok(!JSON.stringify(listed).includes(peers.slideless.apiKey), 'the key never reaches the renderer');
  // The check created nothing on the service: it asked with a session that does not exist.
  assert.ok(peers.slideless.requests.every((r) => r.path === '/precheckAssets'));
});

test('a Cloudflare target: a wrong token or account is refused in words; the right pair is kept (the token in the vault, the account in settings)', async (t) => {
  const app = await harness(t);
  const peers = await startPeers(t, app.scratch);
  await assert.rejects(
    app.controller.handlers['targets.add'](cloudflarePayload(peers, { apiKey: 'not-the-token-at-all' })),
    {
      code: 'cloudflare_unauthorized',
    },
  );
  await assert.rejects(
    app.controller.handlers['targets.add'](cloudflarePayload(peers, { accountId: 'f'.repeat(32) })),
    (error: { code: string }) => error.code.startsWith('cloudflare_'),
  );
  assert.equal(app.keys.size, 0);
  const target = await app.controller.handlers['targets.add'](cloudflarePayload(peers));
  assert.equal(target.kind, 'cloudflare');
  assert.equal(target.accountId, peers.cloudflare.accountId);
  assert.equal(app.keys.get(target.id), peers.cloudflare.apiKey);
  assert.ok(!JSON.stringify(await app.controller.handlers['targets.list'](null)).includes(peers.cloudflare.apiKey));
  // Nothing was deployed by the check.
  assert.ok(
    peers.cloudflare.requests.every((r) => r.method === 'GET'),
    JSON.stringify(peers.cloudflare.requests),
  );
});

test('targets saved by the previous version (Press Cloud only, no kind) still load as Press Cloud', async (t) => {
  const app = await harness(t);
  app.settings.set('targets', [
    { id: 'target-old', name: 'Old cloud', apiUrl: app.server.url, kind: 'remote' },
    { id: 'target-older', name: 'Older cloud', apiUrl: app.server.url },
    { name: 'broken, no id' },
  ]);
  app.settings.set('selectedTargetId', 'target-old');
  app.keys.set('target-old', app.server.apiKey);
  const listed = await app.controller.handlers['targets.list'](null);
  assert.deepEqual(
    listed.targets.map((t) => [t.id, t.kind, t.capabilities.versions]),
    [
      ['local', 'press-cloud', true],
      ['target-old', 'press-cloud', true],
      ['target-older', 'press-cloud', true],
    ],
  );
  assert.equal(listed.selectedId, 'target-old');
  assert.deepEqual((await app.controller.handlers['deploys.list']({ targetId: 'target-old', cursor: null })).items, []);
});

test('deploy to the Slideless peer: a new presentation titled after the folder, then an update of the one slideless.json names; History says where to look', async (t) => {
  const app = await harness(t);
  const peers = await startPeers(t, app.scratch);
  const target = await app.controller.handlers['targets.add'](slidelessPayload(peers));
  const folder = site(app.scratch, 5);
  await app.drop(folder);
  assert.deepEqual(await app.controller.handlers['folder.destination']({ path: folder, targetId: target.id }), {
    kind: 'slideless',
    presentationId: null,
    problem: null,
  });
  const first = await deployTo(app, target, folder, { presentation: { title: null } });
  assert.equal(first.committed.deployVersion.versionNo, 1);
  const last = new Map<string, string>();
  for (const e of app.events(first.runId)) if (e.type === 'files') for (const u of e.updates) last.set(u.path, u.state);
  assert.equal(last.size, 6);
  assert.ok(
    [...last.values()].every((state) => state === 'done'),
    'every file reached done',
  );
  const remembered = JSON.parse(readFileSync(join(folder, 'slideless.json'), 'utf8')) as { presentationId: string };
  assert.deepEqual(await app.controller.handlers['folder.destination']({ path: folder, targetId: target.id }), {
    kind: 'slideless',
    presentationId: remembered.presentationId,
    problem: null,
  });

  writeFileSync(join(folder, 'index.html'), '<h1>Changed</h1>');
  const second = await deployTo(app, target, folder, { presentation: { title: null } });
  assert.equal(second.committed.deployVersion.versionNo, 2);
  assert.equal(second.committed.deployVersion.deployId, remembered.presentationId);

  const listed = (await app.controller.handlers['targets.list'](null)).targets.find((t) => t.id === target.id)!;
  assert.equal(listed.lastCommitted?.versionNo, 2);
  assert.equal(listed.lastCommitted?.name, 'site');
  assert.equal(listed.lastCommitted?.url, second.committed.previewUrl);
  if (listed.lastCommitted?.url) {
    await app.controller.handlers['targets.openCommitted']({ targetId: target.id });
    assert.deepEqual(app.opened, [listed.lastCommitted.url]);
  }
  await assert.rejects(app.controller.handlers['deploys.list']({ targetId: target.id, cursor: null }), {
    code: 'target_unsupported',
  });
  // A Press Cloud choice is not a Slideless one.
  await assert.rejects(
    app.controller.handlers['deploy.start']({ targetId: target.id, folder, deploy: { deployId: 'x' } }),
    { code: 'invalid_payload' },
  );
});

test('deploy to the Cloudflare peer: the Worker named in the chooser gets the folder as its assets; a no-op deploy sends nothing', async (t) => {
  const app = await harness(t);
  const peers = await startPeers(t, app.scratch);
  const target = await app.controller.handlers['targets.add'](cloudflarePayload(peers));
  const folder = site(app.scratch, 5);
  writeFileSync(join(folder, 'wrangler.json'), JSON.stringify({ name: 'team-site', compatibility_date: '2025-06-01' }));
  await app.drop(folder);
  assert.deepEqual(await app.controller.handlers['folder.destination']({ path: folder, targetId: target.id }), {
    kind: 'cloudflare',
    scriptName: 'team-site',
    problem: null,
  });
  const first = await deployTo(app, target, folder, { worker: { scriptName: 'team-site' } });
  assert.equal(first.committed.deployVersion.deployId, 'team-site');
  assert.equal(first.committed.deployVersion.versionNo, 1);
  const listed = (await app.controller.handlers['targets.list'](null)).targets.find((t) => t.id === target.id)!;
  assert.equal(listed.lastCommitted?.name, 'team-site');
  assert.equal(listed.lastCommitted?.url, first.committed.previewUrl);

  peers.cloudflare.requests.length = 0;
  await deployTo(app, target, folder, { worker: { scriptName: 'team-site' } });
  assert.deepEqual(
    peers.cloudflare.requests.filter((r) => r.path.endsWith('/workers/assets/upload')),
    [],
    'nothing was uploaded the second time',
  );
  // What the window may send is checked before the handler runs: a name Cloudflare would refuse is refused here.
  assert.deepEqual(
    await dispatchRequest(app.controller.handlers, 'deploy.start', {
      targetId: target.id,
      folder,
      deploy: { worker: { scriptName: 'Not A Name' } },
    }),
    {
      ok: false,
      error: { code: 'invalid_payload', message: 'deploy.start: deploy.worker.scriptName is not a Worker name' },
    },
  );
});

for (const kind of ['slideless', 'cloudflare'] as const) {
  test(`a ${kind} deploy interrupted mid-upload is offered for resume with its target, and resuming it sends only what is missing`, async (t) => {
    const app = await harness(t);
    // The second upload is never answered: the run is mid-upload, one upload confirmed, until it is cancelled.
    const peers = await startPeers(t, app.scratch, { faults: 'stall=2' });
    const target = await app.controller.handlers['targets.add'](
      kind === 'slideless' ? slidelessPayload(peers) : cloudflarePayload(peers),
    );
    // Deployed by another window of the engine (the CLI, say), cancelled while its second upload is held.
    const folder = site(app.scratch, 40);
    const deployTarget =
      kind === 'slideless'
        ? slidelessTarget(
            { apiUrl: peers.slideless.url, apiKey: peers.slideless.apiKey },
            { newPresentation: true },
            { title: 'Deck' },
          )
        : cloudflareTarget(
            { apiUrl: peers.cloudflare.url, apiToken: peers.cloudflare.apiKey, accountId: peers.cloudflare.accountId },
            { scriptName: 'resumed-site' },
          );
    const run = app.engine.deploy({ folder, target: deployTarget, concurrency: 1 });
    // One upload at a time: the second goes out once the first is answered and confirmed.
    await waitFor(() => peers[kind].stalledUploads() === 1, 10_000, 'the second upload, held');
    run.cancel();
    await assert.rejects(run.result, (error: { failure?: { code: string } }) => error.failure?.code === 'cancelled');

    const [offered] = await app.controller.handlers['jobs.resumable'](null);
    assert.equal(offered?.targetId, target.id);
    assert.equal(offered?.targetKind, kind);
    assert.equal(offered?.deploy.name, kind === 'slideless' ? 'Deck' : 'resumed-site');
    assert.ok(offered.storedBytes > 0 && offered.storedBytes < offered.totalBytes, JSON.stringify(offered));
    const resumed = await app.controller.handlers['jobs.resume']({ jobId: offered.jobId });
    await waitFor(() => app.events(resumed.runId).some((e) => e.type === 'committed'), 30_000, 'the resumed commit');
    const events = app.events(resumed.runId);
    assert.ok(events.some((e) => e.type === 'job' && e.resumed));
    const skipped = events.flatMap((e) => (e.type === 'files' ? e.updates.filter((u) => u.state === 'skipped') : []));
    assert.ok(skipped.length > 0, 'what the first run stored is not sent again');
    assert.deepEqual(await app.controller.handlers['jobs.resumable'](null), []);
  });
}

test('a job started in the window resumes on the target it was started on, even when another target shares its URL', async (t) => {
  const app = await harness(t);
  const peers = await startPeers(t, app.scratch);
  await app.controller.handlers['targets.add']({ ...slidelessPayload(peers), name: 'First' });
  const second = await app.controller.handlers['targets.add']({ ...slidelessPayload(peers), name: 'Second' });
  const folder = await app.drop(site(app.scratch, 10));
  app.controller.holdAll('offline');
  const started = await app.controller.handlers['deploy.start']({
    targetId: second.id,
    folder,
    deploy: { presentation: { title: null } },
  });
  await waitFor(() => app.events(started.runId).some((e) => e.type === 'paused'), 10_000, 'the offline hold');
  await app.controller.handlers['deploy.cancel']({ runId: started.runId });
  await waitFor(() => app.events(started.runId).some((e) => e.type === 'failed'), 10_000, 'the cancel');
  app.controller.releaseAll('offline');
  const [offered] = await app.controller.handlers['jobs.resumable'](null);
  assert.equal(offered?.targetId, second.id);
  assert.equal(offered?.deploy.name, 'site');
  const resumed = await app.controller.handlers['jobs.resume']({ jobId: offered.jobId });
  await waitFor(() => app.events(resumed.runId).some((e) => e.type === 'committed'), 30_000, 'the resumed commit');
});
