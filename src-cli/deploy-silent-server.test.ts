import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { jsonEvents, runCli, tempDir, writeTree } from './testing/deploy-harness.ts';

/** A TCP server that accepts every connection, reads what comes, and never answers: a hung Press Cloud. */
async function silentServer(t: TestContext): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.resume();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const RETRY_LINE =
  /^GET limits: no bytes moved for 1000 ms, so the request was abandoned \(the network or the server stalled\)\. Retrying in \d+\.\d s \(attempt \d of 8\)\.$/;
const GAVE_UP =
  /^pressdrop: GET limits: no bytes moved for 1000 ms, so the request was abandoned \(the network or the server stalled\)\. Gave up: no answer from the server for 3\.0 s\. \(`pressdrop resume` continues it\)$/;

for (const mode of ['plain', '--json'] as const) {
  test(
    `a server that never answers: each retry is a line on stderr as it happens, and --give-up-after ends the run, resumable (${mode})`,
    { timeout: 60_000 },
    async (t) => {
      const api = await silentServer(t);
      const site = tempDir(t, 'site');
      const state = tempDir(t, 'state');
      writeTree(site, { 'index.html': '<h1>anyone there?</h1>' });
      const started = performance.now();
      const args = [
        'deploy',
        site,
        '--create',
        'silent',
        '--api',
        api,
        '--api-key',
        'pcak_testsilentserver000000',
        '--state-dir',
        state,
        '--give-up-after',
        '3s',
      ];
      const result = await runCli(t, mode === 'plain' ? args : [...args, '--json']);
      const seconds = (performance.now() - started) / 1000;

      assert.equal(result.code, 1, result.stdout);
      // Three tries of at most a third of the deadline each: the stall timeout bows to --give-up-after.
      assert.ok(seconds < 10, `it gave up after ${seconds.toFixed(1)} s, not after 8 tries of 30 s`);
      const lines = result.stderr.split('\n').filter((line) => line !== '');
      const retries = lines.slice(0, -1);
      assert.ok(retries.length >= 1, `a line per retry:\n${result.stderr}`);
      for (const line of retries) assert.match(line, RETRY_LINE);
      assert.match(lines.at(-1)!, GAVE_UP);
      if (mode === '--json') {
        const events = jsonEvents(result.stdout);
        assert.deepEqual(
          events.filter((event) => event.type === 'retry').map((event) => event.message),
          retries,
          'a retry event per line, saying the same',
        );
        assert.equal(events.at(-1)?.type, 'failed');
        assert.equal(events.at(-1)?.resumable, true);
      } else {
        assert.equal(result.stdout, '');
      }
      const list = await runCli(t, ['resume', '--list', '--state-dir', state]);
      assert.match(list.stdout, /^job_\S+ {2}interrupted /, 'the job waits to be resumed');
    },
  );
}
