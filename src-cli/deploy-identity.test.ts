import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertNoPutAfterConfirmed,
  committedVersion,
  deployArgs,
  deployBySlug,
  deployVersions,
  eventsSoFar,
  freezeCli,
  jsonEvents,
  killCli,
  localManifest,
  pollUntil,
  runCli,
  startCli,
  startLoggedServer,
  tempDir,
  versionManifest,
  writeBigFile,
  writeTree,
  type CliProcess,
  type LoggedServer,
} from './testing/deploy-harness.ts';

// Issue 9, defects 1 and 2: a deploy is identified by what the server answered to this job's own
// requests, and a request retried under an Idempotency-Key is the very request first sent.

const MiB = 1024 * 1024;

/** A small site whose every file names `tag`, so no two tests share a blob. */
function smallSite(root: string, tag: string, count = 6): void {
  const files: Record<string, string> = { 'index.html': `<h1>${tag}</h1>` };
  for (let i = 0; i < count; i++) files[`page-${i}.txt`] = `${tag} page ${i}\n`.repeat(50 * (i + 1));
  writeTree(root, files);
}

const sessionCreates = (server: LoggedServer, since = 0) =>
  server.log.matching('POST', /^\/v1\/upload-sessions$/, since);

/**
 * Runs `args` until the server has answered its session request 201, with the CLI frozen before it
 * could read the answer, then kills it: the session exists on the server, the journal never heard of it.
 * Returns false if the freeze came too late (a test process starved of CPU saw the request after the
 * CLI had read its answer): that is not the moment under test.
 */
async function killWithSessionAnswerUnread(server: LoggedServer, cli: CliProcess): Promise<boolean> {
  const since = server.log.mark();
  await pollUntil('the session request to reach the server', () => sessionCreates(server, since).length > 0, {
    cli,
    details: () => server.log.summary(),
  });
  freezeCli(cli);
  await pollUntil(
    'the server to answer the session request 201',
    () => sessionCreates(server, since)[0]!.status === 201,
    { details: () => server.log.summary() },
  );
  const killed = await killCli(cli);
  return !jsonEvents(killed.stdout).some((event) => event.type === 'session');
}

/** Sets up a site, its state and a slug (`tag`, then `tag-2`…), and kills a deploy of it with its session answer unread; a few tries to hit that moment. */
async function siteKilledWithSessionAnswerUnread(
  t: TestContext,
  server: LoggedServer,
  tag: string,
): Promise<{ site: string; state: string; args: string[] }> {
  for (let attempt = 1; ; attempt++) {
    const slug = attempt === 1 ? tag : `${tag}-${attempt}`;
    const site = tempDir(t, 'site');
    const state = tempDir(t, 'state');
    smallSite(site, slug);
    const args = deployArgs(server, state, site, '--create', slug, '--json');
    if (await killWithSessionAnswerUnread(server, startCli(t, args))) return { site, state, args };
    assert.ok(attempt < 3, 'three times the CLI read the session answer before it could be frozen');
    t.diagnostic(`try ${attempt}: the CLI read the session answer before it was frozen; trying again`);
  }
}

/** The deploy's only version is the folder, no blob confirmed was sent again, and the journal offers nothing more. */
async function assertOneVersionOfFolder(
  t: TestContext,
  server: LoggedServer,
  state: string,
  site: string,
  version: { id: string; deployId: string },
): Promise<void> {
  assert.deepEqual(await versionManifest(server, version.id), await localManifest(site));
  assert.deepEqual(
    (await deployVersions(server, version.deployId)).map((v) => v.id),
    [version.id],
    'exactly one version',
  );
  assertNoPutAfterConfirmed(server.log);
  const list = await runCli(t, ['resume', '--list', '--state-dir', state]);
  assert.equal(list.stdout, 'No interrupted deploys.\n', 'the journal offers nothing stale');
}

for (const again of ['deploy', 'resume'] as const) {
  test(
    `killed after the server created the session, before the CLI recorded it: \`${again}\` gets that session back under the same key and commits (issue 9, defect 1)`,
    { timeout: 60_000 },
    async (t) => {
      // Requests are held 300 ms before they are handled: the CLI is frozen while its session request waits.
      const server = await startLoggedServer(t, ['--faults', 'latency=300']);
      const { site, state, args } = await siteKilledWithSessionAnswerUnread(t, server, `lost-session-${again}`);

      const since = server.log.mark();
      const resumed = await runCli(
        t,
        again === 'deploy' ? args : ['resume', '--api-key', server.apiKey, '--state-dir', state, '--json'],
      );
      const version = committedVersion(resumed);
      await assertOneVersionOfFolder(t, server, state, site, version);
      // The same request again: the server replays the session it created (no 409 idempotency_key_conflict), token included.
      assert.deepEqual(
        sessionCreates(server, since).map((r) => r.status),
        [201],
        server.log.summary(since),
      );
      const session = jsonEvents(resumed.stdout).find((event) => event.type === 'session');
      assert.equal(session?.resumed, true, `the session is the killed run's: ${JSON.stringify(session)}`);
      assert.ok(
        server.log.matching('POST', new RegExp(`^/v1/upload-sessions/${String(session.sessionId)}/commit$`), since)
          .length === 1,
        'committed through that session',
      );
    },
  );
}

test(
  'killed with the session answer unread, and that session near its end: the next run starts a new one under a new key (issue 9, defect 1)',
  { timeout: 60_000 },
  async (t) => {
    // Sessions live 30 s: a session got back by a replay has less than the minute a resumed run wants left.
    const server = await startLoggedServer(t, ['--faults', 'latency=300', '--session-ttl-ms', '30000']);
    const { site, state, args } = await siteKilledWithSessionAnswerUnread(t, server, 'short-session');

    const since = server.log.mark();
    const version = committedVersion(await runCli(t, args));
    await assertOneVersionOfFolder(t, server, state, site, version);
    // The replay (the old session, too close to its end), then a new request under a new key.
    assert.deepEqual(
      sessionCreates(server, since).map((r) => r.status),
      [201, 201],
      server.log.summary(since),
    );
  },
);

test(
  '--create of a slug someone else holds is refused every time, never adds a version, and leaves nothing to resume (issue 9, defect 2)',
  { timeout: 60_000 },
  async (t) => {
    const server = await startLoggedServer(t);
    const site = tempDir(t, 'site');
    const state = tempDir(t, 'state');
    smallSite(site, 'taken');
    const theirs = await server.request('POST', '/v1/deploys', { json: { slug: 'taken', name: 'Not mine' } });
    assert.equal(theirs.status, 201);

    for (const run of ['first', 'second'] as const) {
      const refused = await runCli(t, deployArgs(server, state, site, '--create', 'taken'));
      assert.equal(refused.code, 1, `${run} run: ${refused.stderr}${refused.stdout}`);
      assert.match(
        refused.stderr,
        /^pressdrop: .*deploy_slug_conflict.*use --deploy <slug> instead of --create\.\n$/,
        `${run} run`,
      );
    }
    const resume = await runCli(t, ['resume', '--api-key', server.apiKey, '--state-dir', state]);
    assert.equal(resume.code, 1);
    assert.match(resume.stderr, /Nothing to resume/);
    assert.equal((await runCli(t, ['resume', '--list', '--state-dir', state])).stdout, 'No interrupted deploys.\n');
    assert.deepEqual(await deployVersions(server, theirs.body.deploy.id), [], 'their deploy gained no version');
  },
);

test(
  'a create job interrupted before its deploy existed does not take over the deploy someone else then made with that slug (issue 9, defect 2)',
  { timeout: 60_000 },
  async (t) => {
    const server = await startLoggedServer(t);
    const site = tempDir(t, 'site');
    const state = tempDir(t, 'state');
    smallSite(site, 'contested');
    writeBigFile(join(site, 'big.bin'), 100 * MiB, 21);
    const cli = startCli(t, deployArgs(server, state, site, '--create', 'contested', '--json'));
    await pollUntil('the hash phase', () => eventsSoFar(cli).some((e) => e.type === 'phase' && e.phase === 'hash'), {
      cli,
    });
    await killCli(cli);
    const theirs = await server.request('POST', '/v1/deploys', { json: { slug: 'contested', name: 'Not mine' } });
    assert.equal(theirs.status, 201);

    const resumed = await runCli(t, ['resume', '--api-key', server.apiKey, '--state-dir', state]);
    assert.equal(resumed.code, 1, resumed.stdout);
    assert.match(resumed.stderr, /deploy_slug_conflict/);
    assert.deepEqual(await deployVersions(server, theirs.body.deploy.id), [], 'their deploy gained no version');
    assert.equal(
      (await runCli(t, ['resume', '--list', '--state-dir', state])).stdout,
      'No interrupted deploys.\n',
      'a refused create job is finished',
    );
  },
);

test(
  'a folder deleted mid-upload: the error says the deploy it created exists with no version, and the same command later deploys into it',
  { timeout: 60_000 },
  async (t) => {
    const server = await startLoggedServer(t, ['--faults', 'latency=150']);
    const root = tempDir(t, 'root');
    const site = join(root, 'site');
    const state = tempDir(t, 'state');
    mkdirSync(site);
    smallSite(site, 'vanishing', 12);
    const args = deployArgs(server, state, site, '--create', 'vanishing', '--concurrency', '1');
    const cli = startCli(t, args);
    await pollUntil('a blob PUT answered 200', () => server.log.blobPuts().some((put) => put.status === 200), {
      cli,
      details: () => server.log.summary(),
    });
    rmSync(site, { recursive: true, force: true });
    const failed = await cli.ended;
    assert.equal(failed.code, 1, failed.stderr);
    const deploy = await deployBySlug(server, 'vanishing');
    assert.ok(deploy, 'the deploy was created');
    assert.equal(deploy.versionCount, 0);
    const lines = failed.stderr.split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1, failed.stderr);
    assert.ok(
      lines[0]!.includes(`"vanishing" (${deploy.id}) was created`) && lines[0]!.includes('no version'),
      `the error names the empty deploy: ${lines[0]}`,
    );

    mkdirSync(site);
    smallSite(site, 'vanishing', 12);
    const again = await runCli(t, [...args, '--json']);
    const version = committedVersion(again);
    assert.equal(version.deployId, deploy.id, 'into the deploy it created');
    assert.equal(version.versionNo, 1);
    assert.deepEqual(await versionManifest(server, version.id), await localManifest(site));
  },
);
