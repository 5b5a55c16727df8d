import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { within } from '../src-server/testing/test-server.ts';
import {
  assertNoPutAfterConfirmed,
  committedVersion,
  deployArgs,
  eventsSoFar,
  freezeCli,
  jsonEvents,
  killCli,
  localManifest,
  runCli,
  startCli,
  startLoggedServer,
  tempDir,
  versionManifest,
  pollUntil,
  writeBigFile,
  writeTree,
  type LoggedServer,
} from './testing/deploy-harness.ts';

const MiB = 1024 * 1024;
// Every request held 20-40 ms (no failures): a kill lands mid-upload rather than after the last PUT.
const SLOW = ['--faults', 'latency=20-40'];

/** A folder of `count` distinct 64 KiB files plus a few duplicates and an empty file. */
function manySmallFiles(root: string, count: number): void {
  const files: Record<string, string> = {
    'index.html': '<h1>resume</h1>',
    'empty.txt': '',
    'copy-a.txt': 'same',
    'sub/copy-b.txt': 'same',
  };
  for (let i = 0; i < count; i++)
    files[`part-${String(i).padStart(3, '0')}.txt`] = `${i}\n`
      .repeat((64 * 1024) / `${i}\n`.length + 1)
      .slice(0, 64 * 1024);
  writeTree(root, files);
}

/** The deploy's only version equals the folder, and no blob the server confirmed was sent twice. */
async function assertCommittedOnce(server: LoggedServer, site: string, versionId: string): Promise<void> {
  const local = await localManifest(site);
  assert.deepEqual(await versionManifest(server, versionId), local);
  assertNoPutAfterConfirmed(server.log);
  // A PUT cut by the kill may still have stored its blob (its answer never went out): sent, but not confirmed.
  const sent = new Set(server.log.blobPuts().map((put) => put.sha256));
  assert.deepEqual(sent, new Set([...local.values()].map((file) => file.sha256)), 'every distinct content was sent');
  const commits = server.log.matching('POST', /\/commit$/).filter((commit) => commit.status === 201);
  assert.equal(commits.length, 1, `one commit landed:\n${server.log.summary()}`);
}

/**
 * A `deploy --create <slug> --json` of a folder with a 200 MiB file (content by `seed`) and `indexHtml`,
 * caught once it reports the hash phase, while it is busy hashing (no session created yet).
 */
async function deployCaughtHashing(t: TestContext, slug: string, seed: number, indexHtml: string) {
  const server = await startLoggedServer(t);
  const site = tempDir(t, 'site');
  const state = tempDir(t, 'state');
  writeBigFile(join(site, 'big.bin'), 200 * MiB, seed);
  writeTree(site, { 'index.html': indexHtml });
  const args = deployArgs(server, state, site, '--create', slug, '--json');
  const cli = startCli(t, args);
  await pollUntil(
    'the hash phase to start',
    () => eventsSoFar(cli).some((e) => e.type === 'phase' && e.phase === 'hash'),
    { cli },
  );
  return { server, site, state, args, cli };
}

/** PUTs the server answered 200 so far. */
const confirmedPuts = (server: LoggedServer) => server.log.blobPuts().filter((put) => put.status === 200).length;

test(
  'killed (SIGKILL) while hashing a big file, the same command deploys the folder',
  { timeout: 60_000 },
  async (t) => {
    const { server, site, args, cli } = await deployCaughtHashing(t, 'killed-hashing', 5, '<p>hash</p>');
    await killCli(cli);
    assert.deepEqual(
      server.log.matching('POST', /^\/v1\/upload-sessions$/),
      [],
      'killed while hashing: no session was created yet',
    );

    const version = committedVersion(await runCli(t, args));
    await assertCommittedOnce(server, site, version.id);
  },
);

test(
  'killed (SIGKILL) mid-upload, `pressdrop resume` sends only what the server lacks and commits the folder',
  { timeout: 60_000 },
  async (t) => {
    const server = await startLoggedServer(t, SLOW);
    const site = tempDir(t, 'site');
    const state = tempDir(t, 'state');
    manySmallFiles(site, 40);
    const cli = startCli(t, deployArgs(server, state, site, '--create', 'killed-uploading', '--concurrency', '2'));
    await pollUntil('8 blob PUTs answered 200', () => confirmedPuts(server) >= 8, {
      cli,
      details: () => server.log.summary(),
    });
    await killCli(cli);
    const distinct = new Set([...(await localManifest(site)).values()].map((file) => file.sha256)).size;
    assert.ok(
      confirmedPuts(server) < distinct,
      `the kill should land mid-upload, yet all ${distinct} blobs were confirmed`,
    );

    const resumed = await runCli(t, ['resume', '--api-key', server.apiKey, '--state-dir', state, '--json']);
    await assertCommittedOnce(server, site, committedVersion(resumed).id);
  },
);

for (const when of ['before the server handled it', 'after it landed, its answer unread'] as const) {
  test(
    `killed (SIGKILL) right after the commit was sent, ${when}: the same command ends with one version`,
    { timeout: 60_000 },
    async (t) => {
      // Every request is held 600 ms before it is handled: the CLI is frozen the moment its commit is seen (well
      // within that, even on a loaded machine), so it is killed before the commit lands, or after, its answer unread.
      const server = await startLoggedServer(t, ['--faults', 'latency=600']);
      const site = tempDir(t, 'site');
      const state = tempDir(t, 'state');
      manySmallFiles(site, 3);
      const args = deployArgs(server, state, site, '--create', 'killed-committing', '--json');
      const cli = startCli(t, args);
      const commits = () => server.log.matching('POST', /\/commit$/);
      await pollUntil('the commit request', () => commits().length > 0, { cli, details: () => server.log.summary() });
      // Frozen while its commit is held, the CLI cannot read the answer the server then sends.
      freezeCli(cli);
      if (when === 'after it landed, its answer unread') {
        await pollUntil('the commit to be answered 201', () => commits()[0]!.status === 201, {
          details: () => server.log.summary(),
        });
      }
      await killCli(cli);
      const landed = commits()[0]!.status === 201;
      assert.equal(landed, when !== 'before the server handled it', `the commit ${when}:\n${server.log.summary()}`);

      const since = server.log.mark();
      const version = committedVersion(await runCli(t, args));
      await assertCommittedOnce(server, site, version.id);
      assert.deepEqual(server.log.blobPuts(since), [], 'every blob was up before the commit');
      // A landed commit is found through its session, not sent again.
      assert.equal(server.log.matching('POST', /\/commit$/, since).length, landed ? 0 : 1, server.log.summary(since));
      const versions = await server.request('GET', `/v1/deploys/${version.deployId}/versions`);
      assert.deepEqual(
        versions.body.items.map((v: { id: string }) => v.id),
        [version.id],
        'one version, not two',
      );
    },
  );
}

test(
  'Ctrl-C (SIGINT) exits 130 and says how to resume; `resume --list` shows the job; `resume` commits',
  { timeout: 60_000 },
  async (t) => {
    const server = await startLoggedServer(t, SLOW);
    const site = tempDir(t, 'site');
    const state = tempDir(t, 'state');
    manySmallFiles(site, 40);
    const cli = startCli(t, deployArgs(server, state, site, '--create', 'interrupted', '--concurrency', '2'));
    await pollUntil('5 blob PUTs answered 200', () => confirmedPuts(server) >= 5, {
      cli,
      details: () => server.log.summary(),
    });
    cli.child.kill('SIGINT');
    const interrupted = await within(cli.ended, 10_000, 'the CLI to stop on SIGINT');
    assert.equal(interrupted.code, 130, `exit code; stderr: ${interrupted.stderr}`);
    assert.match(interrupted.stderr, /pressdrop resume/);
    assert.equal(interrupted.stdout, '');

    const list = await runCli(t, ['resume', '--list', '--state-dir', state]);
    assert.equal(list.code, 0, list.stderr);
    const jobs = list.stdout.split('\n').filter((line) => line.startsWith('job_'));
    assert.equal(jobs.length, 1, list.stdout);
    assert.match(jobs[0]!, /interrupted/);
    assert.ok(jobs[0]!.includes(site), `the job names its folder: ${jobs[0]}`);
    const jobId = jobs[0]!.split(' ')[0]!;

    const resumed = await runCli(t, ['resume', jobId, '--api-key', server.apiKey, '--state-dir', state]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const versionId = /\((dv_[^)]+)\)/.exec(resumed.stdout)?.[1];
    assert.ok(versionId, `the summary names the version: ${resumed.stdout}`);
    await assertCommittedOnce(server, site, versionId);
    const after = await runCli(t, ['resume', '--list', '--state-dir', state]);
    assert.match(after.stdout, /No interrupted deploys/);
  },
);

test(
  'Ctrl-C while hashing: exit 130, told how to continue; the job, journaled from the start, is offered and `resume` deploys',
  { timeout: 60_000 },
  async (t) => {
    const { server, site, state, cli } = await deployCaughtHashing(t, 'interrupted-hashing', 6, '<p>ctrl-c</p>');
    cli.child.kill('SIGINT');
    const interrupted = await within(cli.ended, 10_000, 'the CLI to stop on SIGINT');
    assert.equal(interrupted.code, 130, interrupted.stderr);
    assert.deepEqual(
      server.log.matching('POST', /^\/v1\/upload-sessions$/),
      [],
      'interrupted while hashing: no session yet',
    );
    assert.equal(
      interrupted.stderr,
      'Interrupted. Run the same command again, or `pressdrop resume`, to continue where it stopped.\n',
    );
    const events = jsonEvents(interrupted.stdout);
    assert.deepEqual(
      events[0],
      { type: 'job', jobId: events[0]!.jobId, resumed: false },
      'the job is the first thing a run reports',
    );
    assert.deepEqual(events.at(-1), {
      type: 'failed',
      failure: {
        code: 'cancelled',
        message: 'The deploy was cancelled; run it again (or `pressdrop resume`) to continue.',
      },
      resumable: true,
    });
    assert.match(
      (await runCli(t, ['resume', '--list', '--state-dir', state])).stdout,
      new RegExp(`^${String(events[0]?.jobId)}  interrupted `),
    );

    const version = committedVersion(
      await runCli(t, ['resume', '--api-key', server.apiKey, '--state-dir', state, '--json']),
    );
    await assertCommittedOnce(server, site, version.id);
    assert.match((await runCli(t, ['resume', '--list', '--state-dir', state])).stdout, /No interrupted deploys/);
  },
);
