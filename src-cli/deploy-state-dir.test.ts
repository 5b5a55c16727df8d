import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertPrivateStateDir,
  committedVersion,
  deployArgs,
  deployVersions,
  eventsSoFar,
  freezeCli,
  jsonEvents,
  pollUntil,
  runCli,
  startCli,
  startLoggedServer,
  tempDir,
  writeTree,
} from './testing/deploy-harness.ts';

const posixOnly = process.platform === 'win32' ? 'file modes are POSIX' : false;

test(
  'a state folder and files an older PressDrop left readable by others are tightened to 0700 and 0600',
  { skip: posixOnly, timeout: 60_000 },
  async (t) => {
    const server = await startLoggedServer(t);
    const site = tempDir(t, 'site');
    writeTree(site, { 'index.html': '<h1>modes</h1>' });
    const state = join(tempDir(t, 'root'), 'state');
    committedVersion(await runCli(t, deployArgs(server, state, site, '--create', 'modes', '--json')));
    chmodSync(state, 0o755);
    for (const name of readdirSync(state)) chmodSync(join(state, name), 0o644);
    writeFileSync(join(state, 'secrets.json'), '{}', { mode: 0o644 });

    committedVersion(await runCli(t, deployArgs(server, state, site, '--deploy', 'modes', '--json')));
    assertPrivateStateDir(state);
  },
);

test(
  'a state folder other users share (sticky, like /tmp) is refused in one line that says what to use instead',
  { skip: posixOnly, timeout: 60_000 },
  async (t) => {
    const server = await startLoggedServer(t);
    const site = tempDir(t, 'site');
    writeTree(site, { 'index.html': '<h1>shared</h1>' });
    const shared = join(tempDir(t, 'root'), 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const refused = await runCli(t, deployArgs(server, shared, site, '--create', 'shared'));
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      `pressdrop: ${shared} is shared with other users (mode 1777), so PressDrop will not keep upload tokens in it; use a folder of its own, e.g. ${join(shared, 'pressdrop-state')}.\n`,
    );
    assert.equal(statSync(shared).mode & 0o7777, 0o1777, 'left as it was');
    assert.deepEqual(readdirSync(shared), []);
  },
);

test('`resume` with nothing to resume, or of a job that is not there, says exactly that', async (t) => {
  const state = tempDir(t, 'state');
  const result = await runCli(t, [
    'resume',
    '--api',
    'http://127.0.0.1:9',
    '--api-key',
    'pcak_testnothingtoresume0000',
    '--state-dir',
    state,
  ]);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `pressdrop: Nothing to resume: no interrupted deploy is recorded in ${state}.\n`);
  assert.equal(result.stdout, '');
  const unknown = await runCli(t, ['resume', 'job_unknown', '--state-dir', state]);
  assert.equal(unknown.code, 1);
  assert.equal(
    unknown.stderr,
    `pressdrop: No deploy job job_unknown is recorded in ${state}; \`pressdrop resume --list\` shows those there are.\n`,
  );
});

test(
  'a job a live CLI is running is not taken over: `resume <job>` refuses in one line, and the same deploy started meanwhile runs a job of its own',
  { timeout: 60_000 },
  async (t) => {
    const server = await startLoggedServer(t, ['--faults', 'latency=100']);
    const site = tempDir(t, 'site');
    const state = tempDir(t, 'state');
    writeTree(site, { 'index.html': '<h1>twice</h1>', 'a.txt': 'a', 'b.txt': 'b' });
    const existing = await server.request('POST', '/v1/deploys', { json: { slug: 'twice', name: 'Twice' } });
    const args = deployArgs(server, state, site, '--deploy', 'twice', '--json');
    const first = startCli(t, args);
    const job = await pollUntil(
      'the first run to report its job',
      () => eventsSoFar(first).find((event) => event.type === 'job'),
      { cli: first },
    );
    // Frozen, it stays alive with its job active however slowly the others start; it goes on when thawed.
    freezeCli(first);

    const refused = await runCli(t, ['resume', String(job.jobId), '--api-key', server.apiKey, '--state-dir', state]);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      `pressdrop: Deploy job ${String(job.jobId)} is being deployed right now by process ${first.child.pid}; let it finish, or stop it first.\n`,
    );
    const second = await runCli(t, args);
    assert.notEqual(jsonEvents(second.stdout)[0]?.jobId, job.jobId, 'a job of its own');
    first.child.kill('SIGCONT');
    const versions = [committedVersion(second), committedVersion(await first.ended)];
    assert.deepEqual(
      (await deployVersions(server, existing.body.deploy.id)).map((v) => v.id).sort(),
      versions.map((v) => v.id).sort(),
      'two runs, two versions',
    );
  },
);

test(
  'a state folder whose disk refuses writes: the deploy stops in one line that names the state file and what to check, and runs once there is room',
  { skip: posixOnly, timeout: 60_000 },
  async (t) => {
    // Under `ulimit -f` the kernel refuses a write that would make a file larger (EFBIG), as a full disk would.
    const server = await startLoggedServer(t);
    const site = tempDir(t, 'site');
    writeTree(site, Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`page-${i}.html`, `<p>${i}</p>`])));
    const state = join(tempDir(t, 'root'), 'state');
    const args = deployArgs(server, state, site, '--create', 'refused');

    // 8 KiB: not even the journal's schema fits.
    const unopened = await startCli(t, args, {}, { fileSizeLimitKiB: 8 }).ended;
    assert.equal(unopened.code, 1);
    assert.match(
      unopened.stderr,
      new RegExp(
        `^pressdrop: The state file ${join(state, 'journal.sqlite')} cannot be opened: [^\\n]+\\. Check that its disk has free space and that its folder is writable\\.\\n$`,
      ),
    );
    assert.deepEqual(server.log.matching('POST', /^\/v1\/upload-sessions$/), [], 'nothing was sent');

    // 64 KiB: the state files open, and a write during the deploy of 1,000 files is refused.
    const stopped = await startCli(t, [...args, '--json'], {}, { fileSizeLimitKiB: 64 }).ended;
    assert.equal(stopped.code, 1);
    const failure = jsonEvents(stopped.stdout).find((event) => event.type === 'failed')?.failure as
      { code: string; message: string } | undefined;
    assert.equal(failure?.code, 'state_unwritable');
    assert.match(
      failure.message,
      /^PressDrop could not write its state files \(the deploy journal, the hash cache\): [^\n]+\. Check that the disk of its state folder has free space and is writable\.$/,
    );
    assert.doesNotMatch(stopped.stderr, /no transaction is active/);

    const deployed = committedVersion(await runCli(t, [...args, '--json']));
    assert.equal(deployed.versionNo, 1);
  },
);
