import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { within } from '../src-server/testing/test-server.ts';
import {
  committedVersion,
  deployArgs,
  jsonEvents,
  localManifest,
  runCli,
  startCli,
  startLoggedServer,
  storedBlob,
  storedBlobSha256,
  tempDir,
  versionManifest,
  pollUntil,
  writeBigFile,
  writeTree,
  type CliResult,
} from './testing/deploy-harness.ts';

const MiB = 1024 * 1024;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A refusal: a non-zero exit and exactly one line on stderr, which matches `pattern`. */
function assertOneLineRefusal(result: CliResult, pattern: RegExp): void {
  assert.notEqual(result.code, 0, `expected a refusal; stdout: ${result.stdout}`);
  assert.equal(result.signal, null);
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0]!, pattern);
}

test(
  'a deploy commits exactly the folder; deploying it again uploads nothing; one changed file uploads one blob',
  { timeout: 120_000 },
  async (t) => {
    const server = await startLoggedServer(t);
    const site = tempDir(t, 'site');
    const state = tempDir(t, 'state');
    const same = 'the same bytes at three paths\n';
    writeTree(site, {
      'index.html': '<h1>Hello</h1>\n',
      'css/site.css': 'body { margin: 0 }\n',
      'a/b/c/d/e/deep.txt': 'deep\n',
      'empty.txt': '',
      'a/empty-too.txt': '',
      'copies/one.txt': same,
      'copies/nested/two.txt': same,
      'three.txt': same,
      'ünïcødé/日本語のファイル.txt': 'こんにちは\n',
      'emoji-😀/🎉.md': '# party\n',
      // NFD on disk ("e" + combining acute): the version holds it as NFC "café.txt" and "Résumé/".
      'cafe\u0301.txt': 'NFD name\n',
      'Re\u0301sume\u0301/notes.txt': 'NFD folder\n',
    });
    writeBigFile(join(site, 'media/big.bin'), 200 * MiB, 1);
    const local = await localManifest(site);
    assert.ok(local.has('café.txt') && local.has('Résumé/notes.txt'), 'the fixture should hold NFD names');

    // First deploy: every path, size and hash as on disk; each distinct content PUT once.
    let since = server.log.mark();
    const first = committedVersion(await runCli(t, deployArgs(server, state, site, '--create', 'tree', '--json')));
    assert.deepEqual(await versionManifest(server, first.id), local);
    const distinct = new Set([...local.values()].map((file) => file.sha256));
    const firstPuts = server.log.blobPuts(since);
    assert.deepEqual(
      firstPuts.map((put) => put.status),
      firstPuts.map(() => 200),
      server.log.summary(since),
    );
    assert.deepEqual(new Set(firstPuts.map((put) => put.sha256)), distinct);
    assert.equal(firstPuts.length, distinct.size, 'each distinct content should be sent once');
    // The stored bytes, for a few: small ones byte for byte, the big one by hash.
    for (const path of ['index.html', 'café.txt', 'copies/nested/two.txt', 'empty.txt']) {
      const onDisk = readFileSync(join(site, path === 'café.txt' ? 'cafe\u0301.txt' : path));
      assert.deepEqual(await storedBlob(server, local.get(path)!.sha256), onDisk, path);
    }
    assert.equal(
      await storedBlobSha256(server, local.get('media/big.bin')!.sha256),
      local.get('media/big.bin')!.sha256,
    );

    // Second deploy of the same folder, to the deploy by slug: a new version, nothing sent.
    since = server.log.mark();
    const second = committedVersion(await runCli(t, deployArgs(server, state, site, '--deploy', 'tree', '--json')));
    assert.equal(second.versionNo, 2);
    assert.deepEqual(await versionManifest(server, second.id), local);
    assert.deepEqual(server.log.blobPuts(since), [], 'an unchanged folder should upload no blob');

    // One file changed: exactly its new content is sent.
    writeFileSync(join(site, 'css/site.css'), 'body { margin: 1em }\n');
    since = server.log.mark();
    const third = committedVersion(await runCli(t, deployArgs(server, state, site, '--deploy', 'tree', '--json')));
    assert.deepEqual(await versionManifest(server, third.id), await localManifest(site));
    assert.deepEqual(
      server.log.blobPuts(since).map((put) => [put.sha256, put.status]),
      [[sha256('body { margin: 1em }\n'), 200]],
    );
  },
);

test(
  '--json prints one JSON object per line, the last {"type":"committed","deployVersion":{…}}, and exits 0',
  { timeout: 30_000 },
  async (t) => {
    const server = await startLoggedServer(t);
    const site = tempDir(t, 'site');
    writeTree(site, { 'index.html': '<p>json</p>\n', 'a.txt': 'a\n' });
    const result = await runCli(t, deployArgs(server, tempDir(t, 'state'), site, '--create', 'json-lines', '--json'));
    assert.equal(result.code, 0, result.stderr);
    const events = jsonEvents(result.stdout);
    const last = events.at(-1)!;
    assert.equal(last.type, 'committed');
    const version = last.deployVersion as { id: string; versionNo: number; displayId: string };
    assert.match(version.id, /^dv_/);
    assert.equal(version.versionNo, 1);
    assert.equal(events.filter((event) => event.type === 'committed').length, 1);
    assert.deepEqual(
      events.filter((event) => event.type === 'phase').map((event) => event.phase),
      ['scan', 'hash', 'check', 'upload', 'commit'],
    );
    assert.equal(result.stderr, '');
    assert.deepEqual(await versionManifest(server, version.id), await localManifest(site));
  },
);

test('refusals exit non-zero with one clear line on stderr and upload nothing', { timeout: 60_000 }, async (t) => {
  const server = await startLoggedServer(t, ['--max-files', '3']);
  const state = tempDir(t, 'state');
  const nothingSent = (since: number) => {
    assert.deepEqual(server.log.matching('POST', /^\/v1\/upload-sessions$/, since), [], server.log.summary(since));
    assert.deepEqual(server.log.blobPuts(since), []);
  };

  await t.test('an empty folder', async (t) => {
    const site = tempDir(t, 'empty');
    mkdirSync(join(site, 'only-folders/inside'), { recursive: true });
    const since = server.log.mark();
    assertOneLineRefusal(
      await runCli(t, deployArgs(server, state, site, '--create', 'empty')),
      /has no files to deploy/,
    );
    nothingSent(since);
  });

  await t.test("a folder over the server's --max-files", async (t) => {
    const site = tempDir(t, 'many');
    writeTree(site, { 'a.txt': 'a', 'b.txt': 'b', 'c/d.txt': 'd', 'c/e.txt': 'e' });
    const since = server.log.mark();
    assertOneLineRefusal(await runCli(t, deployArgs(server, state, site, '--create', 'many')), /4 files.*at most 3/);
    nothingSent(since);
  });

  await t.test('a folder that does not exist', async (t) => {
    const missing = join(tempDir(t, 'gone'), 'no-such-folder');
    const since = server.log.mark();
    assertOneLineRefusal(
      await runCli(t, deployArgs(server, state, missing, '--create', 'gone')),
      /no-such-folder" does not exist/,
    );
    nothingSent(since);
  });

  await t.test(
    'an unreadable file',
    { skip: process.getuid?.() === 0 ? 'running as root: permissions do not stop root from reading a file' : false },
    async (t) => {
      const site = tempDir(t, 'unreadable');
      writeTree(site, { 'index.html': 'hi', 'secret.txt': 'no' });
      chmodSync(join(site, 'secret.txt'), 0o000);
      const since = server.log.mark();
      assertOneLineRefusal(
        await runCli(t, deployArgs(server, state, site, '--create', 'unreadable')),
        /secret\.txt" cannot be read/,
      );
      nothingSent(since);
    },
  );
});

test(
  'a file deleted after it was hashed: the deploy re-scans and commits the folder as it now is',
  { timeout: 60_000 },
  async (t) => {
    const server = await startLoggedServer(t);
    const site = tempDir(t, 'site');
    writeBigFile(join(site, 'a-big.bin'), 100 * MiB, 2);
    writeTree(site, { 'index.html': '<p>stays</p>', 'z-doomed.txt': 'deleted once hashed\n' });
    const bigSha = (await localManifest(site)).get('a-big.bin')!.sha256;
    // One upload at a time, in path order: a-big.bin first, z-doomed.txt only after it.
    const cli = startCli(
      t,
      deployArgs(server, tempDir(t, 'state'), site, '--create', 'deleted', '--json', '--concurrency', '1'),
    );
    await pollUntil('the PUT of a-big.bin to start', () => server.log.blobPuts().some((put) => put.sha256 === bigSha), {
      cli,
      details: () => server.log.summary(),
    });
    rmSync(join(site, 'z-doomed.txt'));
    const version = committedVersion(await within(cli.ended, 60_000, 'the deploy to end'));
    assert.deepEqual(await versionManifest(server, version.id), await localManifest(site));
    // The run never committed before all its blobs were up.
    const commits = server.log.matching('POST', /\/commit$/);
    assert.deepEqual(
      commits.map((commit) => commit.status),
      [201],
      server.log.summary(),
    );
  },
);

for (const how of ['in place', 'by renaming a new file over it'] as const) {
  test(
    `a big file rewritten (${how}) during its upload: the version holds the new content, or the deploy fails in one line`,
    { timeout: 90_000 },
    async (t) => {
      const server = await startLoggedServer(t);
      const site = tempDir(t, 'site');
      const big = join(site, 'big.bin');
      writeBigFile(big, 200 * MiB, 3);
      writeTree(site, { 'index.html': '<p>rewrite</p>' });
      const oldSha = (await localManifest(site)).get('big.bin')!.sha256;
      // Written before the deploy starts, so the rename lands at once: written after, it could come when the old content is already committed.
      const next = join(tempDir(t, 'next'), 'big.bin');
      if (how === 'by renaming a new file over it') writeBigFile(next, 200 * MiB, 4);
      const cli = startCli(t, deployArgs(server, tempDir(t, 'state'), site, '--create', 'rewritten', '--json'));
      await pollUntil('the PUT of big.bin to start', () => server.log.blobPuts().some((put) => put.sha256 === oldSha), {
        cli,
        details: () => server.log.summary(),
      });
      if (how === 'in place') writeBigFile(big, 200 * MiB, 4);
      else renameSync(next, big);
      const result = await within(cli.ended, 60_000, 'the deploy to end');
      const now = await localManifest(site);
      assert.notEqual(now.get('big.bin')!.sha256, oldSha);
      t.diagnostic(result.code === 0 ? 'committed the new content' : `refused: ${result.stderr.trim()}`);
      if (result.code === 0) {
        const version = committedVersion(result);
        assert.deepEqual(await versionManifest(server, version.id), now);
      } else {
        assertOneLineRefusal(result, /big\.bin/);
        const deploys = await server.request('GET', '/v1/deploys');
        for (const deploy of deploys.body.items) {
          const versions = await server.request('GET', `/v1/deploys/${deploy.id}/versions`);
          assert.deepEqual(versions.body.items, [], 'a failed deploy should commit no version');
        }
      }
    },
  );
}
