import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { within } from '../src-server/testing/test-server.ts';
import { committedVersion, deployArgs, localManifest, runCli, startCli, startLoggedServer, tempDir, versionManifest, writeTree } from './testing/deploy-harness.ts';

const posixOnly = process.platform === 'win32' ? 'file modes are POSIX' : false;

/** Every entry of the state folder is its owner's only: the folder 0700, each file 0600 (or tighter). */
function assertPrivate(state: string): void {
  assert.equal(statSync(state).mode & 0o777, 0o700, 'the state folder is 0700');
  const files = readdirSync(state);
  for (const name of ['journal.sqlite', 'hash-cache.sqlite', 'secrets.json']) assert.ok(files.includes(name), `${name} is there: ${files.join(', ')}`);
  for (const name of files) assert.equal(statSync(join(state, name)).mode & 0o077, 0, `${name} is 0${(statSync(join(state, name)).mode & 0o777).toString(8)}`);
}

test('twenty CLIs started at once on a new state folder all deploy, lose no token update and leave nothing to resume (issue 9, defect 3)', { timeout: 120_000 }, async (t) => {
  const server = await startLoggedServer(t);
  const root = tempDir(t, 'twenty');
  const state = join(root, 'state'); // not there yet: the twenty create it
  const sites = Array.from({ length: 20 }, (_, i) => {
    const site = join(root, `site-${i}`);
    writeTree(site, { 'index.html': `<h1>site ${i}</h1>`, [`page-${i}.txt`]: `page ${i}\n`.repeat(100 * (i + 1)) });
    return site;
  });
  const clis = sites.map((site, i) => startCli(t, deployArgs(server, state, site, '--create', `twenty-${i}`, '--json')));
  const results = await within(Promise.all(clis.map((cli) => cli.ended)), 100_000, 'twenty deploys to end');

  const failed = results.map((result, i) => ({ i, result })).filter(({ result }) => result.code !== 0);
  assert.deepEqual(failed.map(({ i, result }) => `#${i}: ${result.code} ${result.stderr.trim()}`), [], 'every CLI deployed');
  for (const [i, result] of results.entries()) assert.deepEqual(await versionManifest(server, committedVersion(result).id), await localManifest(sites[i]!));
  assert.equal((await runCli(t, ['resume', '--list', '--state-dir', state])).stdout, 'No interrupted deploys.\n');
  // Each run stored its session's token and deleted it at its commit: a lost update would leave one behind (or lose one).
  assert.deepEqual(JSON.parse(readFileSync(join(state, 'secrets.json'), 'utf8')), {}, 'no token left behind');
  if (!posixOnly) assertPrivate(state);
});

test('a state folder and files an older PressDrop left readable by others are tightened to 0700 and 0600', { skip: posixOnly, timeout: 60_000 }, async (t) => {
  const server = await startLoggedServer(t);
  const site = tempDir(t, 'site');
  writeTree(site, { 'index.html': '<h1>modes</h1>' });
  const state = join(tempDir(t, 'root'), 'state');
  committedVersion(await runCli(t, deployArgs(server, state, site, '--create', 'modes', '--json')));
  chmodSync(state, 0o755);
  for (const name of readdirSync(state)) chmodSync(join(state, name), 0o644);
  writeFileSync(join(state, 'secrets.json'), '{}', { mode: 0o644 });

  committedVersion(await runCli(t, deployArgs(server, state, site, '--deploy', 'modes', '--json')));
  assertPrivate(state);
});

test('a state folder other users share (sticky, like /tmp) is refused in one line that says what to use instead', { skip: posixOnly, timeout: 60_000 }, async (t) => {
  const server = await startLoggedServer(t);
  const site = tempDir(t, 'site');
  writeTree(site, { 'index.html': '<h1>shared</h1>' });
  const shared = join(tempDir(t, 'root'), 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  const refused = await runCli(t, deployArgs(server, shared, site, '--create', 'shared'));
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, `pressdrop: ${shared} is shared with other users (mode 1777), so PressDrop will not keep upload tokens in it; use a folder of its own, e.g. ${join(shared, 'pressdrop-state')}.\n`);
  assert.equal(statSync(shared).mode & 0o7777, 0o1777, 'left as it was');
  assert.deepEqual(readdirSync(shared), []);
});

test('`resume` with nothing to resume says exactly that', async (t) => {
  const state = tempDir(t, 'state');
  const result = await runCli(t, ['resume', '--api', 'http://127.0.0.1:9', '--api-key', 'pcak_testnothingtoresume0000', '--state-dir', state]);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `pressdrop: Nothing to resume: no interrupted deploy is recorded in ${state}.\n`);
  assert.equal(result.stdout, '');
});
