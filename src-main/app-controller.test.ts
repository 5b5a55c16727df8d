import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeployEngine } from '../src-core/deploy-engine.ts';
import { FileSecretStore } from '../src-core/file-secret-store.ts';
import type { IpcEvents, KeyStorage } from '../src-shared/ipc-contract.ts';
import type { DeployEvent } from '../src-shared/upload-model.ts';
import { startTestServer, waitFor } from '../src-server/testing/test-server.ts';
import { AppController, type KeyVault } from './app-controller.ts';

/** The controller with plain ports: a Map for settings, a Map for keys, a list for what it opened and sent. */
async function harness(t: { after: (fn: () => Promise<void>) => void }, keyStorage: KeyStorage = 'keychain') {
  const scratch = mkdtempSync(join(tmpdir(), 'pressdrop-app-'));
  const server = await startTestServer();
  const engine = new DeployEngine({ stateDir: join(scratch, 'state'), secrets: new FileSecretStore(join(scratch, 'state', 'secrets.json')) });
  const settings = new Map<string, unknown>();
  const keys = new Map<string, string>();
  const vault: KeyVault = { storage: () => keyStorage, get: async (id) => keys.get(id) ?? null, set: async (id, key) => void keys.set(id, key), delete: async (id) => void keys.delete(id) };
  const opened: string[] = [];
  /** What the folder dialog answers next. */
  const dialog = { answer: null as string | null };
  const batches: Array<IpcEvents['run.events']> = [];
  const controller = new AppController({
    appVersion: '0.0.0-test',
    engine,
    localServer: { url: server.url, apiKey: server.apiKey, dataDir: server.dataDir },
    settings: { get: (key) => settings.get(key), set: (key, value) => void settings.set(key, value) },
    keys: vault,
    openExternal: async (url) => void opened.push(url),
    chooseFolder: async () => dialog.answer,
    emit: (name, payload) => {
      if (name === 'run.events') batches.push(payload as IpcEvents['run.events']);
    },
  });
  t.after(async () => {
    await controller.close();
    await engine.close();
    await server.close();
    rmSync(scratch, { recursive: true, force: true });
  });
  /** Hands main a dropped folder as the preload does (the path read from the File), so it may be deployed. */
  const drop = async (path: string): Promise<string> => {
    await controller.handlers['folder.dropped']({ path });
    return path;
  };
  return { controller, engine, server, scratch, keys, opened, batches, dialog, drop, events: (runId: string): DeployEvent[] => batches.filter((b) => b.runId === runId).flatMap((b) => b.events) };
}

function site(scratch: string, files: number): string {
  const folder = join(scratch, 'site');
  mkdirSync(join(folder, 'assets'), { recursive: true });
  writeFileSync(join(folder, 'index.html'), '<h1>Hello</h1>');
  for (let i = 0; i < files; i++) writeFileSync(join(folder, 'assets', `f${i}.txt`), `file ${i}`);
  return folder;
}

test('a deploy through the handlers commits, and its events arrive batched with every file done', async (t) => {
  const { controller, scratch, events, batches, drop } = await harness(t);
  const folder = await drop(site(scratch, 300));
  const started = await controller.handlers['deploy.start']({ targetId: 'local', folder, deploy: { createDeploy: { slug: 'app-site', name: 'App site' } } });
  await waitFor(() => events(started.runId).some((e) => e.type === 'committed'), 30_000, 'the committed event');
  const all = events(started.runId);
  const last = new Map<string, string>();
  for (const event of all) if (event.type === 'files') for (const update of event.updates) last.set(update.path, update.state);
  assert.equal(last.size, 301);
  assert.ok([...last.values()].every((state) => state === 'done'), 'every file reached done');
  assert.equal(all.at(-1)!.type, 'committed');
  assert.ok(batches.length < 40, `${batches.length} batches for 301 files: batched, not one message per change`);

  const deploys = await controller.handlers['deploys.list']({ targetId: 'local', cursor: null });
  assert.deepEqual(deploys.items.map((d) => d.slug), ['app-site']);
  const versions = await controller.handlers['versions.list']({ targetId: 'local', deployId: deploys.items[0]!.id, cursor: null });
  assert.equal(versions.items[0]!.versionNo, 1);
  assert.deepEqual(await controller.handlers['settings.lastDeploy'](null), { targetId: 'local', deployId: deploys.items[0]!.id });
});

test('a second deploy of the same folder skips every file', async (t) => {
  const { controller, scratch, events, drop } = await harness(t);
  const folder = await drop(site(scratch, 20));
  const first = await controller.handlers['deploy.start']({ targetId: 'local', folder, deploy: { createDeploy: { slug: 'again', name: 'Again' } } });
  await waitFor(() => events(first.runId).some((e) => e.type === 'committed'), 30_000, 'the first commit');
  const deployId = (await controller.handlers['deploys.list']({ targetId: 'local', cursor: null })).items[0]!.id;
  const second = await controller.handlers['deploy.start']({ targetId: 'local', folder, deploy: { deployId } });
  await waitFor(() => events(second.runId).some((e) => e.type === 'committed'), 30_000, 'the second commit');
  const states = events(second.runId).flatMap((e) => (e.type === 'files' ? e.updates.map((u) => u.state) : []));
  assert.ok(states.includes('skipped') && !states.includes('uploading'), 'nothing was uploaded the second time');
});

test('a dropped file, a missing path and an item with no path are refused in words', async (t) => {
  const { controller, scratch } = await harness(t);
  writeFileSync(join(scratch, 'notes.txt'), 'x');
  assert.match((await controller.handlers['folder.dropped']({ path: join(scratch, 'notes.txt') }) as { message: string }).message, /is a file/);
  assert.match((await controller.handlers['folder.dropped']({ path: join(scratch, 'nope') }) as { message: string }).message, /cannot be opened/);
  await assert.rejects(controller.handlers['folder.dropped']({ path: '' }), { code: 'drop_nothing' });
  await assert.rejects(controller.handlers['deploy.start']({ targetId: 'local', folder: join(scratch, 'notes.txt'), deploy: { deployId: 'dpl_x' } }), { code: 'invalid_folder' });
});

test('only folders main handed out (dropped, chosen in its dialog, offered for resume) are checked or deployed', async (t) => {
  const { controller, scratch, events, dialog, drop } = await harness(t);
  const folder = site(scratch, 2);
  const start = (path: string, slug: string) => controller.handlers['deploy.start']({ targetId: 'local', folder: path, deploy: { createDeploy: { slug, name: slug } } });
  // A page that names a path itself, even a real folder, is refused before anything reads it.
  for (const path of [folder, scratch, '/etc', `${folder}/../site`]) {
    await assert.rejects(controller.handlers['folder.check']({ path }), { code: 'folder_not_granted' }, path);
    await assert.rejects(start(path, 'named'), { code: 'folder_not_granted' }, path);
  }
  assert.deepEqual((await controller.handlers['deploys.list']({ targetId: 'local', cursor: null })).items, [], 'nothing was created');

  dialog.answer = folder;
  assert.equal(await controller.handlers['folder.choose'](null), folder);
  assert.deepEqual(await controller.handlers['folder.check']({ path: folder }), { ok: true, path: folder });
  const chosen = await start(folder, 'chosen');
  await waitFor(() => events(chosen.runId).some((e) => e.type === 'committed'), 30_000, 'the deploy of the chosen folder');

  const other = mkdtempSync(join(scratch, 'dropped-'));
  writeFileSync(join(other, 'index.html'), 'dropped');
  await assert.rejects(start(other, 'early'), { code: 'folder_not_granted' });
  const dropped = await start(await drop(other), 'dropped');
  await waitFor(() => events(dropped.runId).some((e) => e.type === 'committed'), 30_000, 'the deploy of the dropped folder');
});

test('a remote target keeps its key in the vault, never in settings; a wrong key is refused before it is kept', async (t) => {
  const { controller, server, keys } = await harness(t);
  await assert.rejects(controller.handlers['targets.add']({ name: 'Bad', apiUrl: server.url, apiKey: 'pcak_wrongwrongwrongwrong', allowBasicText: false, allowInsecureHttp: false }), { code: 'unauthorized' });
  const target = await controller.handlers['targets.add']({ name: 'Staging', apiUrl: `${server.url}/`, apiKey: server.apiKey, allowBasicText: false, allowInsecureHttp: false });
  const listed = await controller.handlers['targets.list'](null);
  assert.deepEqual(listed.targets.map((t) => t.kind), ['local', 'remote']);
  assert.equal(listed.targets[1]!.apiUrl, server.url, 'trailing slash trimmed');
  assert.ok(!JSON.stringify(listed).includes(server.apiKey), 'the key never reaches the renderer');
  assert.equal(keys.get(target.id), server.apiKey);
  await controller.handlers['targets.remove']({ targetId: target.id });
  assert.equal(keys.has(target.id), false);
});

test('plain http:// to another machine is refused before the key is sent, unless the user allows it on purpose', async (t) => {
  const { controller, keys } = await harness(t);
  const add = (apiUrl: string, allowInsecureHttp: boolean) => controller.handlers['targets.add']({ name: 'Far', apiUrl, apiKey: 'pcak_neverSentAnywhere1', allowBasicText: false, allowInsecureHttp });
  await assert.rejects(add('http://press.example.com', false), (error: { code: string; message: string }) => error.code === 'insecure_http' && /unencrypted to press\.example\.com/.test(error.message));
  // Allowed, the same URL gets as far as asking the server: on an address nobody serves, the refusal is the network's.
  const lan = Object.values(networkInterfaces()).flat().find((address) => address?.family === 'IPv4' && !address.internal)?.address;
  if (lan) await assert.rejects(add(`http://${lan}:9`, true), (error: { code: string }) => error.code !== 'insecure_http');
  assert.equal(keys.size, 0, 'no key was kept');
});

test('with only basic_text key storage, adding a target needs the user\'s consent', async (t) => {
  const { controller, server } = await harness(t, 'basic_text');
  await assert.rejects(controller.handlers['targets.add']({ name: 'S', apiUrl: server.url, apiKey: server.apiKey, allowBasicText: false, allowInsecureHttp: false }), { code: 'key_storage_insecure' });
  const target = await controller.handlers['targets.add']({ name: 'S', apiUrl: server.url, apiKey: server.apiKey, allowBasicText: true, allowInsecureHttp: false });
  assert.equal(target.kind, 'remote');
});

test('open preview hands the browser the version\'s preview URL', async (t) => {
  const { controller, server, opened } = await harness(t);
  await controller.handlers['versions.openPreview']({ targetId: 'local', deploySlug: 'my site', versionNo: 3 });
  assert.deepEqual(opened, [`${server.url}/preview/my%20site/3/`]);
});

test('offline holds deploys to a remote Press Cloud and not to this computer\'s; the network coming back does not lift the user\'s pause', async (t) => {
  const { controller, server, scratch, events, drop } = await harness(t);
  const folder = await drop(site(scratch, 10));
  const remote = await controller.handlers['targets.add']({ name: 'Remote', apiUrl: server.url, apiKey: server.apiKey, allowBasicText: false, allowInsecureHttp: false });
  controller.holdAll('offline');

  const local = await controller.handlers['deploy.start']({ targetId: 'local', folder, deploy: { createDeploy: { slug: 'here', name: 'Here' } } });
  await waitFor(() => events(local.runId).some((e) => e.type === 'committed'), 30_000, 'the local deploy, which needs no network');
  assert.ok(!events(local.runId).some((e) => e.type === 'paused'));

  const away = await controller.handlers['deploy.start']({ targetId: remote.id, folder, deploy: { createDeploy: { slug: 'there', name: 'There' } } });
  const pauses = () => events(away.runId).flatMap((e) => (e.type === 'paused' ? [e.reasons.join('+')] : e.type === 'resumed' ? ['resumed'] : []));
  await waitFor(() => pauses().length === 1, 10_000, 'the offline hold on the new run');
  await controller.handlers['deploy.pause']({ runId: away.runId });
  controller.releaseAll('offline');
  await waitFor(() => pauses().length === 3, 10_000, 'the pause events');
  assert.deepEqual(pauses(), ['offline', 'offline+user', 'user']);

  await controller.handlers['deploy.resume']({ runId: away.runId });
  await waitFor(() => events(away.runId).some((e) => e.type === 'committed'), 30_000, 'the remote deploy after the user resumed');
  assert.deepEqual(pauses(), ['offline', 'offline+user', 'user', 'resumed']);
});

test('an interrupted deploy is offered for resume under its deploy\'s name, and resuming it commits', async (t) => {
  const { controller, engine, server, scratch, events } = await harness(t);
  // Deployed by another window of the engine (the CLI, say): this window never handed the folder out.
  const folder = site(scratch, 3);
  const target = { apiUrl: server.url, apiKey: server.apiKey };
  await engine.deploy({ folder, target, deploy: { createDeploy: { slug: 'team-docs', name: 'Team docs' } } }).result;
  await assert.rejects(controller.handlers['folder.check']({ path: folder }), { code: 'folder_not_granted' });
  const deploy = (await controller.handlers['deploys.list']({ targetId: 'local', cursor: null })).items[0]!;

  // A second version, stopped the moment its uploads are queued: journaled, interrupted, nothing committed.
  writeFileSync(join(folder, 'index.html'), '<h1>Changed</h1>');
  const run = engine.deploy({ folder, target, deploy: { deployId: deploy.id } });
  run.on((event) => {
    if (event.type === 'phase' && event.phase === 'upload') run.cancel();
  });
  await assert.rejects(run.result, (error: { failure?: { code: string } }) => error.failure?.code === 'cancelled');

  const [offered] = await controller.handlers['jobs.resumable'](null);
  assert.deepEqual({ ...offered!.deploy, status: offered!.status, targetId: offered!.targetId }, { id: deploy.id, slug: 'team-docs', name: 'Team docs', status: 'interrupted', targetId: 'local' });
  // Offered, so the window may check and deploy that folder again.
  assert.deepEqual(await controller.handlers['folder.check']({ path: offered!.folder }), { ok: true, path: folder });
  const resumed = await controller.handlers['jobs.resume']({ jobId: offered!.jobId });
  await waitFor(() => events(resumed.runId).some((e) => e.type === 'committed'), 30_000, 'the resumed commit');
  assert.deepEqual(await controller.handlers['jobs.resumable'](null), []);
});
