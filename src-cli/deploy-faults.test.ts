import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  committedVersion,
  deployArgs,
  jsonEvents,
  localManifest,
  runCli,
  startLoggedServer,
  tempDir,
  versionManifest,
  writeBigFile,
  writeTree,
} from './testing/deploy-harness.ts';

// The README's faults, all at once; a session that expires early does so after 1.5 s.
const FAULTS = '503=0.1,429=0.1,retry-after=0,reset=0.1,drop=0.05,latency=0-20,expire=0.3,expire-after=1500';

/** A modest folder: nested, empty files, duplicates, Unicode and NFD names, one 3 MiB file. */
function modestTree(root: string): void {
  const files: Record<string, string> = {
    'index.html': '<h1>faults</h1>',
    'empty.txt': '',
    'a/b/empty.txt': '',
    'dup/one.txt': 'twice',
    'dup/two.txt': 'twice',
    'ünï/日本.txt': 'utf-8',
    'cafe\u0301.txt': 'NFD on disk',
  };
  for (let i = 0; i < 20; i++) files[`pages/page-${i}.html`] = `<p>page ${i}</p>\n`.repeat(200 * (i + 1));
  writeTree(root, files);
  writeBigFile(join(root, 'media/clip.bin'), 3 * 1024 * 1024, 9);
}

for (const seed of [1, 2]) {
  test(
    `with every fault injected (seed ${seed}), deploys still commit exactly the folder`,
    { timeout: 60_000 },
    async (t) => {
      const server = await startLoggedServer(t, ['--faults', FAULTS, '--faults-seed', String(seed)]);
      const site = tempDir(t, 'site');
      const state = tempDir(t, 'state');
      modestTree(site);

      const first = await runCli(t, deployArgs(server, state, site, '--create', `faults-${seed}`, '--json'));
      assert.deepEqual(await versionManifest(server, committedVersion(first).id), await localManifest(site));

      writeFileSync(join(site, 'pages/page-3.html'), '<p>changed</p>');
      writeFileSync(join(site, 'new.txt'), 'added');
      const second = await runCli(t, deployArgs(server, state, site, '--deploy', `faults-${seed}`, '--json'));
      assert.deepEqual(await versionManifest(server, committedVersion(second).id), await localManifest(site));

      // The faults did happen, and the CLI retried through them.
      const statuses = server.log.all().map((request) => request.status);
      assert.ok(
        statuses.includes(503) && statuses.includes(429),
        `no injected 503 and 429 seen:\n${server.log.summary()}`,
      );
      const retries = [first, second]
        .flatMap((run) => jsonEvents(run.stdout))
        .filter((event) => event.type === 'retry');
      assert.ok(retries.length > 0, 'the CLI reported no retry');
      t.diagnostic(
        `${server.log.all().length} requests, ${retries.length} retries, ${server.log.matching('POST', /^\/v1\/upload-sessions$/).length} sessions`,
      );
    },
  );
}
