import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pressCloudTarget } from '../src-core/targets/press-cloud/press-cloud-target.ts';
import { waitFor } from '../src-server/testing/test-server.ts';
import { DeployError } from '../src-core/deploy-error.ts';
import { apiErrors } from '../src-shared/api-errors.ts';
import { appErrors } from '../src-shared/app-errors.ts';
import { AppError } from './app-error.ts';
import { toIpcError } from './ipc-dispatch.ts';
import { BATCH_INTERVAL_MS } from './run-event-batcher.ts';
import { harness, site } from './testing/controller-harness.ts';

test('a deploy through the handlers commits, and its events arrive batched with every file done', async (t) => {
  const { controller, scratch, events, batches, drop } = await harness(t);
  const folder = await drop(site(scratch, 300));
  const startedAt = Date.now();
  const started = await controller.handlers['deploy.start']({
    targetId: 'local',
    folder,
    deploy: { createDeploy: { slug: 'app-site', name: 'App site' } },
  });
  await waitFor(() => events(started.runId).some((e) => e.type === 'committed'), 30_000, 'the committed event');
  const elapsedMs = Date.now() - startedAt;
  const all = events(started.runId);
  const last = new Map<string, string>();
  for (const event of all)
    if (event.type === 'files') for (const update of event.updates) last.set(update.path, update.state);
  assert.equal(last.size, 301);
  assert.ok(
    [...last.values()].every((state) => state === 'done'),
    'every file reached done',
  );
  assert.equal(all.at(-1)!.type, 'committed');
  // Batched by time, whatever the machine's speed: at most one batch per interval (a new scan and the end flush early).
  const fileUpdates = all.reduce((sum, event) => sum + (event.type === 'files' ? event.updates.length : 0), 0);
  const mostBatches = Math.ceil(elapsedMs / BATCH_INTERVAL_MS) + 3;
  assert.ok(batches.length <= mostBatches, `${batches.length} batches in ${elapsedMs} ms: at most ${mostBatches}`);
  assert.ok(batches.length < fileUpdates / 5, `${batches.length} batches for ${fileUpdates} file updates`);

  const deploys = await controller.handlers['deploys.list']({ targetId: 'local', cursor: null });
  assert.deepEqual(
    deploys.items.map((d) => d.slug),
    ['app-site'],
  );
  const versions = await controller.handlers['versions.list']({
    targetId: 'local',
    deployId: deploys.items[0]!.id,
    cursor: null,
  });
  assert.equal(versions.items[0]!.versionNo, 1);
  assert.deepEqual(await controller.handlers['settings.lastDeploy'](null), {
    targetId: 'local',
    deployId: deploys.items[0]!.id,
  });
});

test('a second deploy of the same folder skips every file', async (t) => {
  const { controller, scratch, events, drop } = await harness(t);
  const folder = await drop(site(scratch, 20));
  const first = await controller.handlers['deploy.start']({
    targetId: 'local',
    folder,
    deploy: { createDeploy: { slug: 'again', name: 'Again' } },
  });
  await waitFor(() => events(first.runId).some((e) => e.type === 'committed'), 30_000, 'the first commit');
  const deployId = (await controller.handlers['deploys.list']({ targetId: 'local', cursor: null })).items[0]!.id;
  const second = await controller.handlers['deploy.start']({ targetId: 'local', folder, deploy: { deployId } });
  await waitFor(() => events(second.runId).some((e) => e.type === 'committed'), 30_000, 'the second commit');
  const states = events(second.runId).flatMap((e) => (e.type === 'files' ? e.updates.map((u) => u.state) : []));
  assert.ok(states.includes('skipped') && !states.includes('uploading'), 'nothing was uploaded the second time');
});

test("an AppError takes a code of main's table or the API's, with the table's message unless it says its own", () => {
  assert.equal(new AppError('run_not_found').message, appErrors.run_not_found.message);
  assert.equal(new AppError('unauthorized').message, apiErrors.unauthorized.message);
  assert.equal(new AppError('alias_moved', 'main moved.').message, 'main moved.');
  // @ts-expect-error: a code in no table is a type error, not words the renderer has not got
  assert.equal(new AppError('no_such_code', 'x').code, 'no_such_code');
  // @ts-expect-error: the engine's codes are not main's to raise
  assert.equal(new AppError('scan_problems', 'x').code, 'scan_problems');
});

test('toIpcError keeps the code of any coded error, known or not, and calls the rest internal_error', () => {
  assert.deepEqual(toIpcError(new AppError('job_not_found')), {
    code: 'job_not_found',
    message: appErrors.job_not_found.message,
  });
  assert.deepEqual(toIpcError(new DeployError({ code: 'empty_folder', message: 'Nothing here.' }, false)), {
    code: 'empty_folder',
    message: 'Nothing here.',
  });
  const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
  assert.deepEqual(toIpcError(denied), { code: 'EACCES', message: 'EACCES: permission denied' });
  assert.deepEqual(toIpcError(new Error('boom')), { code: 'internal_error', message: 'boom' });
  assert.deepEqual(toIpcError('boom'), { code: 'internal_error', message: 'boom' });
});

test('a dropped file, a missing path and an item with no path are refused in words', async (t) => {
  const { controller, scratch } = await harness(t);
  writeFileSync(join(scratch, 'notes.txt'), 'x');
  assert.match(
    ((await controller.handlers['folder.dropped']({ path: join(scratch, 'notes.txt') })) as { message: string })
      .message,
    /is a file/,
  );
  assert.match(
    ((await controller.handlers['folder.dropped']({ path: join(scratch, 'nope') })) as { message: string }).message,
    /cannot be opened/,
  );
  await assert.rejects(controller.handlers['folder.dropped']({ path: '' }), { code: 'drop_nothing' });
  await assert.rejects(
    controller.handlers['deploy.start']({
      targetId: 'local',
      folder: join(scratch, 'notes.txt'),
      deploy: { deployId: 'dpl_x' },
    }),
    { code: 'invalid_folder' },
  );
});

test('only folders main handed out (dropped, chosen in its dialog, offered for resume) are checked or deployed', async (t) => {
  const { controller, scratch, events, dialog, drop } = await harness(t);
  const folder = site(scratch, 2);
  const start = (path: string, slug: string) =>
    controller.handlers['deploy.start']({
      targetId: 'local',
      folder: path,
      deploy: { createDeploy: { slug, name: slug } },
    });
  // A page that names a path itself, even a real folder, is refused before anything reads it.
  for (const path of [folder, scratch, '/etc', `${folder}/../site`]) {
    await assert.rejects(controller.handlers['folder.check']({ path }), { code: 'folder_not_granted' }, path);
    await assert.rejects(start(path, 'named'), { code: 'folder_not_granted' }, path);
  }
  assert.deepEqual(
    (await controller.handlers['deploys.list']({ targetId: 'local', cursor: null })).items,
    [],
    'nothing was created',
  );

  dialog.answer = folder;
  assert.equal(await controller.handlers['folder.choose'](null), folder);
  assert.deepEqual(await controller.handlers['folder.check']({ path: folder }), { ok: true, path: folder });
  const chosen = await start(folder, 'chosen');
  await waitFor(
    () => events(chosen.runId).some((e) => e.type === 'committed'),
    30_000,
    'the deploy of the chosen folder',
  );

  const other = mkdtempSync(join(scratch, 'dropped-'));
  writeFileSync(join(other, 'index.html'), 'dropped');
  await assert.rejects(start(other, 'early'), { code: 'folder_not_granted' });
  const dropped = await start(await drop(other), 'dropped');
  await waitFor(
    () => events(dropped.runId).some((e) => e.type === 'committed'),
    30_000,
    'the deploy of the dropped folder',
  );
});

test('a remote target keeps its key in the vault, never in settings; a wrong key is refused before it is kept', async (t) => {
  const { controller, server, keys } = await harness(t);
  await assert.rejects(
    controller.handlers['targets.add']({
      kind: 'press-cloud',
      name: 'Bad',
      apiUrl: server.url,
      apiKey: 'pcak_wrongwrongwrongwrong',
      allowBasicText: false,
      allowInsecureHttp: false,
    }),
    { code: 'unauthorized' },
  );
  const target = await controller.handlers['targets.add']({
    kind: 'press-cloud',
    name: 'Staging',
    apiUrl: `${server.url}/`,
    apiKey: server.apiKey,
    allowBasicText: false,
    allowInsecureHttp: false,
  });
  const listed = await controller.handlers['targets.list'](null);
  assert.deepEqual(
    listed.targets.map((t) => [t.kind, t.builtIn]),
    [
      ['press-cloud', true],
      ['press-cloud', false],
    ],
  );
  assert.equal(listed.targets[1]!.apiUrl, server.url, 'trailing slash trimmed');
  assert.ok(!JSON.stringify(listed).includes(server.apiKey), 'the key never reaches the renderer');
  assert.equal(keys.get(target.id), server.apiKey);
  await controller.handlers['targets.remove']({ targetId: target.id });
  assert.equal(keys.has(target.id), false);
});

test('plain http:// to another machine is refused before the key is sent, unless the user allows it on purpose', async (t) => {
  const { controller, keys } = await harness(t);
  const add = (apiUrl: string, allowInsecureHttp: boolean) =>
    controller.handlers['targets.add']({
      kind: 'press-cloud',
      name: 'Far',
      apiUrl,
      apiKey: 'pcak_neverSentAnywhere1',
      allowBasicText: false,
      allowInsecureHttp,
    });
  await assert.rejects(
    add('http://press.example.com', false),
    (error: { code: string; message: string }) =>
      error.code === 'insecure_http' && /unencrypted to press\.example\.com/.test(error.message),
  );
  // Allowed, the same URL gets as far as asking the server: on an address nobody serves, the refusal is the network's.
  const lan = Object.values(networkInterfaces())
    .flat()
    .find((address) => address?.family === 'IPv4' && !address.internal)?.address;
  if (lan)
    await assert.rejects(add(`http://${lan}:9`, true), (error: { code: string }) => error.code !== 'insecure_http');
  assert.equal(keys.size, 0, 'no key was kept');
});

test("with only basic_text key storage, adding a target needs the user's consent", async (t) => {
  const { controller, server } = await harness(t, 'basic_text');
  await assert.rejects(
    controller.handlers['targets.add']({
      kind: 'press-cloud',
      name: 'S',
      apiUrl: server.url,
      apiKey: server.apiKey,
      allowBasicText: false,
      allowInsecureHttp: false,
    }),
    { code: 'key_storage_insecure' },
  );
  const target = await controller.handlers['targets.add']({
    kind: 'press-cloud',
    name: 'S',
    apiUrl: server.url,
    apiKey: server.apiKey,
    allowBasicText: true,
    allowInsecureHttp: false,
  });
  assert.equal(target.kind, 'press-cloud');
});

test("open preview hands the browser the version's preview URL", async (t) => {
  const { controller, server, opened } = await harness(t);
  await controller.handlers['versions.openPreview']({ targetId: 'local', deploySlug: 'my site', versionNo: 3 });
  assert.deepEqual(opened, [`${server.url}/preview/my%20site/3/`]);
});

test("offline holds deploys to a remote Press Cloud and not to this computer's; the network coming back does not lift the user's pause", async (t) => {
  const { controller, server, scratch, events, drop } = await harness(t);
  const folder = await drop(site(scratch, 10));
  const remote = await controller.handlers['targets.add']({
    kind: 'press-cloud',
    name: 'Remote',
    apiUrl: server.url,
    apiKey: server.apiKey,
    allowBasicText: false,
    allowInsecureHttp: false,
  });
  controller.holdAll('offline');

  const local = await controller.handlers['deploy.start']({
    targetId: 'local',
    folder,
    deploy: { createDeploy: { slug: 'here', name: 'Here' } },
  });
  await waitFor(
    () => events(local.runId).some((e) => e.type === 'committed'),
    30_000,
    'the local deploy, which needs no network',
  );
  assert.ok(!events(local.runId).some((e) => e.type === 'paused'));

  const away = await controller.handlers['deploy.start']({
    targetId: remote.id,
    folder,
    deploy: { createDeploy: { slug: 'there', name: 'There' } },
  });
  const pauses = () =>
    events(away.runId).flatMap((e) =>
      e.type === 'paused' ? [e.reasons.join('+')] : e.type === 'resumed' ? ['resumed'] : [],
    );
  await waitFor(() => pauses().length === 1, 10_000, 'the offline hold on the new run');
  await controller.handlers['deploy.pause']({ runId: away.runId });
  controller.releaseAll('offline');
  await waitFor(() => pauses().length === 3, 10_000, 'the pause events');
  assert.deepEqual(pauses(), ['offline', 'offline+user', 'user']);

  await controller.handlers['deploy.resume']({ runId: away.runId });
  await waitFor(
    () => events(away.runId).some((e) => e.type === 'committed'),
    30_000,
    'the remote deploy after the user resumed',
  );
  assert.deepEqual(pauses(), ['offline', 'offline+user', 'user', 'resumed']);
});

test("an interrupted deploy is offered for resume under its deploy's name, and resuming it commits", async (t) => {
  const { controller, engine, server, scratch, events } = await harness(t);
  // Deployed by another window of the engine (the CLI, say): this window never handed the folder out.
  const folder = site(scratch, 3);
  const account = { apiUrl: server.url, apiKey: server.apiKey };
  const created = pressCloudTarget(account, { createDeploy: { slug: 'team-docs', name: 'Team docs' } });
  await engine.deploy({ folder, target: created }).result;
  await assert.rejects(controller.handlers['folder.check']({ path: folder }), { code: 'folder_not_granted' });
  const deploy = (await controller.handlers['deploys.list']({ targetId: 'local', cursor: null })).items[0]!;

  // A second version, stopped the moment its uploads are queued: journaled, interrupted, nothing committed.
  writeFileSync(join(folder, 'index.html'), '<h1>Changed</h1>');
  const run = engine.deploy({ folder, target: pressCloudTarget(account, { deployId: deploy.id }) });
  run.on((event) => {
    if (event.type === 'phase' && event.phase === 'upload') run.cancel();
  });
  await assert.rejects(run.result, (error: { failure?: { code: string } }) => error.failure?.code === 'cancelled');

  const [offered] = await controller.handlers['jobs.resumable'](null);
  assert.deepEqual(
    { ...offered!.deploy, status: offered!.status, targetId: offered!.targetId },
    { id: deploy.id, slug: 'team-docs', name: 'Team docs', status: 'interrupted', targetId: 'local' },
  );
  // Offered, so the window may check and deploy that folder again.
  assert.deepEqual(await controller.handlers['folder.check']({ path: offered!.folder }), { ok: true, path: folder });
  const resumed = await controller.handlers['jobs.resume']({ jobId: offered!.jobId });
  await waitFor(() => events(resumed.runId).some((e) => e.type === 'committed'), 30_000, 'the resumed commit');
  assert.deepEqual(await controller.handlers['jobs.resumable'](null), []);
});

/** A folder of `files` (path → content) under the scratch folder. */
function folderOf(scratch: string, name: string, files: Record<string, string>): string {
  const folder = join(scratch, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), content);
  }
  return folder;
}

test('press.json: shown for a granted folder, carried by the deploy (render config, aliases pointed after the commit), and a bad one refuses the deploy before anything is sent', async (t) => {
  const { controller, scratch, deployed, drop, aliasEvents, server } = await harness(t);
  const config = {
    render: { route: '/report.html', title: 'Quarterly report', renderTimeoutMs: 20_000 },
    aliases: ['production', 'latest'],
  };
  const folder = folderOf(scratch, 'report', {
    'index.html': '<h1>Home</h1>',
    'report.html': '<h1>Report</h1>',
    'press.json': JSON.stringify(config),
  });
  await assert.rejects(
    controller.handlers['folder.config']({ path: folder }),
    { code: 'folder_not_granted' },
    'only a folder main handed out',
  );
  await drop(folder);
  assert.deepEqual(await controller.handlers['folder.config']({ path: folder }), { ok: true, config });

  const first = await deployed(folder, { createDeploy: { slug: 'report', name: 'Report' } });
  assert.deepEqual(first.pressConfig, config);
  const detail = await controller.handlers['versions.get']({ targetId: 'local', versionId: first.version.id });
  assert.deepEqual(detail.render, config.render);
  assert.equal(detail.route, '/report.html');
  await waitFor(() => aliasEvents.some((e) => e.runId === first.runId), 10_000, 'the aliases pointed after the commit');
  assert.deepEqual(
    aliasEvents.find((e) => e.runId === first.runId),
    { runId: first.runId, versionId: first.version.id, pointed: ['production', 'latest'], error: null },
  );
  const files = await controller.handlers['versions.files']({
    targetId: 'local',
    versionId: first.version.id,
    cursor: null,
  });
  assert.deepEqual(
    files.items.map((f) => f.path),
    ['index.html', 'report.html'],
    'press.json itself is not deployed',
  );
  const aliases = await controller.handlers['aliases.list']({ targetId: 'local', deployId: first.version.deployId });
  assert.deepEqual(aliases.map((a) => [a.name, a.versionNo]).sort(), [
    ['latest', 1],
    ['production', 1],
  ]);

  // A folder with no press.json has none, and its deploy points nothing.
  const plain = await drop(folderOf(scratch, 'plain', { 'index.html': 'plain' }));
  assert.deepEqual(await controller.handlers['folder.config']({ path: plain }), { ok: true, config: null });

  // A typo in press.json: the chooser shows it in words, and the deploy is refused before a request goes out.
  writeFileSync(join(folder, 'press.json'), JSON.stringify({ render: { tilte: 'Typo' } }));
  const shown = await controller.handlers['folder.config']({ path: folder });
  assert.equal(shown.ok, false);
  assert.equal(!shown.ok && shown.error.code, 'press_config_invalid');
  assert.match(!shown.ok ? shown.error.message : '', /press\.json: render has a field it does not know, "tilte"/);
  const before = (await server.request('GET', '/v1/deploys')).body.items.length;
  await assert.rejects(
    controller.handlers['deploy.start']({
      targetId: 'local',
      folder,
      deploy: { createDeploy: { slug: 'typo', name: 'Typo' } },
    }),
    (error: { code: string; message: string }) =>
      error.code === 'press_config_invalid' && /"tilte"/.test(error.message),
  );
  assert.equal((await server.request('GET', '/v1/deploys')).body.items.length, before, 'nothing was created');
});

test('aliases: point a new one, move it back to an older version (a roll back), refuse a move when it moved since the user looked, remove it', async (t) => {
  const { controller, scratch, deployed } = await harness(t);
  const folder = folderOf(scratch, 'site', { 'index.html': 'one' });
  const one = await deployed(folder, { createDeploy: { slug: 'aliased', name: 'Aliased' } });
  const deployId = one.version.deployId;
  writeFileSync(join(folder, 'index.html'), 'two');
  const two = await deployed(folder, { deployId });
  const set = (name: string, versionId: string, expectedVersionId: string | null) =>
    controller.handlers['aliases.set']({ targetId: 'local', deployId, name, versionId, expectedVersionId });

  const promoted = await set('production', two.version.id, null);
  assert.deepEqual({ name: promoted.name, versionNo: promoted.versionNo }, { name: 'production', versionNo: 2 });
  // The window saw "no production yet"; someone made one meanwhile: nothing changes.
  await assert.rejects(
    set('production', one.version.id, null),
    (error: { code: string; message: string }) =>
      error.code === 'alias_moved' && /production now points to #2/.test(error.message),
  );
  const rolledBack = await set('production', one.version.id, two.version.id);
  assert.equal(rolledBack.versionNo, 1);
  const list = await controller.handlers['versions.list']({ targetId: 'local', deployId, cursor: null });
  assert.deepEqual(
    list.items.map((v) => [v.versionNo, v.aliases]),
    [
      [2, []],
      [1, ['production']],
    ],
    'the list shows where it points now',
  );

  await assert.rejects(
    controller.handlers['aliases.remove']({
      targetId: 'local',
      deployId,
      name: 'production',
      expectedVersionId: two.version.id,
    }),
    { code: 'alias_moved' },
  );
  await controller.handlers['aliases.remove']({
    targetId: 'local',
    deployId,
    name: 'production',
    expectedVersionId: one.version.id,
  });
  assert.deepEqual(await controller.handlers['aliases.list']({ targetId: 'local', deployId }), []);
});

test('render a version: its states arrive as events until it succeeds; listed with its PDF; saved where the save dialog says (nothing when cancelled); opened in the viewer', async (t) => {
  const { controller, scratch, deployed, renders, dialog, openedPaths, server } = await harness(t);
  const folder = folderOf(scratch, 'doc', {
    'index.html': '<!doctype html><title>Doc</title><h1>Printed</h1>',
    'press.json': JSON.stringify({ render: { title: 'The Doc' } }),
  });
  const { version } = await deployed(folder, { createDeploy: { slug: 'the-doc', name: 'The Doc' } });

  const job = await controller.handlers['renders.start']({ targetId: 'local', versionId: version.id });
  assert.equal(job.status, 'queued');
  assert.equal(job.pdf, null);
  const progress = () => renders.filter((r) => r.job.id === job.id).map((r) => r.job);
  await waitFor(() => progress().some((j) => j.status === 'succeeded'), 60_000, 'the job to succeed');
  const done = progress().at(-1)!;
  assert.equal(done.status, 'succeeded');
  assert.ok(done.pdf && done.pdf.pageCount >= 1 && done.pdf.size > 0, 'the PDF facts come with it');
  assert.ok(renders.every((r) => r.targetId === 'local'));
  // Another job, so the list's order shows: newest first.
  const second = await controller.handlers['renders.start']({ targetId: 'local', versionId: version.id });
  const listed = await controller.handlers['renders.list']({ targetId: 'local', versionId: version.id, cursor: null });
  assert.deepEqual(
    listed.items.map((j) => j.id),
    [second.id, job.id],
  );
  assert.deepEqual(listed.items[1]!.pdf, done.pdf);
  await waitFor(
    () => renders.some((r) => r.job.id === second.id && r.job.status === 'succeeded'),
    60_000,
    'the second job',
  );

  const bytes = Buffer.from(
    await (
      await fetch(`${server.url}/v1/pdfs/${done.pdf.id}/content`, {
        headers: { authorization: `Bearer ${server.apiKey}` },
      })
    ).arrayBuffer(),
  );
  // Cancelled: nothing written, nothing answered.
  dialog.pdfAnswer = null;
  assert.equal(await controller.handlers['pdf.save']({ targetId: 'local', pdfId: done.pdf.id }), null);
  assert.deepEqual(dialog.pdfOffered, ['the-doc-1.pdf'], 'the dialog is offered <slug>-<versionNo>.pdf');
  assert.deepEqual(
    readdirSync(scratch).filter((name) => name.endsWith('.pdf') || name.endsWith('.part')),
    [],
  );
  // Answered: the PDF's bytes at that path.
  dialog.pdfAnswer = join(scratch, 'chosen.pdf');
  assert.deepEqual(await controller.handlers['pdf.save']({ targetId: 'local', pdfId: done.pdf.id }), {
    path: dialog.pdfAnswer,
    bytes: bytes.length,
  });
  assert.deepEqual(readFileSync(dialog.pdfAnswer), bytes);
  dialog.pdfAnswer = scratch;
  await assert.rejects(
    controller.handlers['pdf.save']({ targetId: 'local', pdfId: done.pdf.id }),
    { code: 'save_path_invalid' },
    'a folder is not a file',
  );

  await controller.handlers['pdf.open']({ targetId: 'local', pdfId: done.pdf.id });
  assert.equal(openedPaths.length, 1);
  assert.equal(basename(openedPaths[0]!), 'the-doc-1.pdf');
  assert.ok(openedPaths[0]!.startsWith(join(scratch, 'opened-pdfs')), "in main's own folder");
  const opened = readFileSync(openedPaths[0]!);
  assert.equal(opened.subarray(0, 5).toString(), '%PDF-');
  assert.equal(createHash('sha256').update(opened).digest('hex'), done.pdf.sha256);
  assert.equal(statSync(dirname(openedPaths[0]!)).mode & 0o777, 0o700);
  await assert.rejects(controller.handlers['pdf.open']({ targetId: 'local', pdfId: 'pdf_doesNotExist' }), {
    code: 'pdf_not_found',
  });
});

test('a page that throws: each failed attempt arrives as retry_scheduled with when it retries and why, then failed with the reason', async (t) => {
  const { controller, scratch, deployed, renders } = await harness(t, 'keychain', {
    render: { retryDelaysMs: [100, 100] },
  });
  const folder = folderOf(scratch, 'broken', {
    'index.html': '<!doctype html><title>t</title><script>throw new Error("chart data missing")</script>',
  });
  const { version } = await deployed(folder, { createDeploy: { slug: 'broken', name: 'Broken' } });
  const job = await controller.handlers['renders.start']({ targetId: 'local', versionId: version.id });
  await waitFor(() => renders.some((r) => r.job.id === job.id && r.job.status === 'failed'), 60_000, 'the job to fail');
  const seen = renders.filter((r) => r.job.id === job.id).map((r) => r.job);
  const failed = seen.at(-1)!;
  assert.equal(failed.attempts, 3);
  assert.equal(failed.error?.code, 'render_page_error');
  assert.match(failed.error?.message ?? '', /chart data missing/);
  const retry = seen.find((j) => j.status === 'retry_scheduled');
  // Polled twice a second, a 100 ms backoff may pass unseen; when it is seen, it says when and why.
  if (retry) assert.ok(retry.nextAttemptAt !== null && retry.error?.code === 'render_page_error');
  assert.equal(seen.filter((j) => j.status === 'failed').length, 1, 'the end is told once');
});

test('compare two versions: exactly what was added, removed and changed', async (t) => {
  const { controller, scratch, deployed } = await harness(t);
  const folder = folderOf(scratch, 'site', { 'index.html': 'home', 'a.txt': 'a', 'b.txt': 'b', 'keep/c.txt': 'c' });
  const one = await deployed(folder, { createDeploy: { slug: 'diffed', name: 'Diffed' } });
  rmSync(join(folder, 'a.txt'));
  writeFileSync(join(folder, 'b.txt'), 'b, longer now');
  writeFileSync(join(folder, 'new.txt'), 'new!');
  const two = await deployed(folder, { deployId: one.version.deployId });
  assert.deepEqual(
    await controller.handlers['versions.compare']({
      targetId: 'local',
      fromVersionId: one.version.id,
      toVersionId: two.version.id,
    }),
    {
      added: [{ path: 'new.txt', size: 4 }],
      removed: [{ path: 'a.txt', size: 1 }],
      changed: [{ path: 'b.txt', sizeBefore: 1, sizeAfter: 13 }],
      unchangedCount: 2,
    },
  );
});
