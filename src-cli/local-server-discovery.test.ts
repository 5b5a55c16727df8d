import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeServerRecord } from '../src-server/server-record.ts';
import { makeApiKey, spawnServerProcess, within, type ServerProcess } from '../src-server/testing/test-server.ts';
import { runCli, tempDir, type CliResult } from './testing/deploy-harness.ts';

/** `pressdrop ...args` as a user runs it with no PRESS_CLOUD_* set, looking for the local server's record in `serverData`. */
function pressdrop(t: TestContext, serverData: string, args: string[]): Promise<CliResult> {
  return runCli(t, args, 60_000, { PRESSDROP_SERVER_DATA: serverData });
}

/** A `pressdrop serve` on `dataDir`, stopped after the test. */
async function serve(t: TestContext, dataDir: string, extraArgs: string[] = []): Promise<ServerProcess> {
  const server = await within(spawnServerProcess(dataDir, extraArgs), 20_000, 'pressdrop serve to listen');
  t.after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });
  return server;
}

/** Something else listening on loopback, which counts every request it gets (and would see any key sent to it). */
async function impostor(t: TestContext): Promise<{ url: string; port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url} ${request.headers.authorization ?? '(no key)'}`);
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end('{"items":[],"nextCursor":null,"instanceId":"inst_impostor"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, requests };
}

/** The pid of a process that has exited: a server that was killed. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/** Exactly one line on stderr, matching `pattern`, and a failing exit. */
function assertRefused(ran: CliResult, pattern: RegExp): void {
  assert.equal(ran.code, 1, `stdout: ${ran.stdout}\nstderr: ${ran.stderr}`);
  const lines = ran.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, ran.stderr);
  assert.match(lines[0]!, pattern);
}

test(
  'with no --api, the CLI finds the running local server through its record and its generated key',
  { timeout: 90_000 },
  async (t) => {
    const dir = tempDir(t, 'discovery');
    const serverData = join(dir, 'server');
    const server = await serve(t, serverData);
    const site = join(dir, 'site');
    mkdirSync(site);
    writeFileSync(join(site, 'index.html'), '<h1>found</h1>');

    const deployed = await pressdrop(t, serverData, [
      'deploy',
      site,
      '--create',
      'found',
      '--state-dir',
      join(dir, 'state'),
    ]);
    assert.equal(deployed.code, 0, deployed.stderr);
    const listed = await pressdrop(t, serverData, ['deploys', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(JSON.parse(listed.stdout.trim()).slug, 'found');
    // Its URL given without a key: the key is the record's server's own.
    const byUrl = await pressdrop(t, serverData, ['versions', 'found', '--json', '--api', server.url]);
    assert.equal(byUrl.code, 0, byUrl.stderr);
    assert.equal(JSON.parse(byUrl.stdout.trim()).versionNo, 1);
  },
);

test(
  'no local server running: one line that says how to start one, and no key is sent to whatever listens',
  { timeout: 30_000 },
  async (t) => {
    const dir = tempDir(t, 'discovery');
    const other = await impostor(t);
    writeFileSync(join(dir, 'api-key'), `${makeApiKey()}\n`, { mode: 0o600 });

    assertRefused(
      await pressdrop(t, dir, ['deploys']),
      /No local Press Cloud is running .*Start one with `pressdrop serve`/,
    );
    assertRefused(
      await pressdrop(t, dir, ['deploys', '--api', other.url]),
      /No API key for http:\/\/127\.0\.0\.1:\d+: pass --api-key/,
    );

    // A record left by a server that was killed, pointing at a port someone else took since.
    writeServerRecord(dir, {
      pid: await deadPid(),
      port: other.port,
      url: other.url,
      instanceId: 'inst_gone',
      startedAt: Date.now(),
    });
    assertRefused(await pressdrop(t, dir, ['deploys']), /No local Press Cloud is running/);
    assertRefused(await pressdrop(t, dir, ['deploys', '--api', other.url]), /No API key/);
    assert.deepEqual(other.requests, [], 'the impostor got no request, and so no key');
  },
);

test('a record whose port answers as another server is refused in words', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, 'discovery');
  // A real, running local server of another data folder holds the port the forged record names.
  const elsewhere = await serve(t, join(dir, 'elsewhere'));
  const serverData = join(dir, 'server');
  mkdirSync(serverData, { mode: 0o700 });
  writeFileSync(join(serverData, 'api-key'), `${makeApiKey()}\n`, { mode: 0o600 });
  writeServerRecord(serverData, {
    pid: elsewhere.child.pid!,
    port: Number(new URL(elsewhere.url).port),
    url: elsewhere.url,
    instanceId: 'inst_forged',
    startedAt: Date.now(),
  });
  assertRefused(await pressdrop(t, serverData, ['deploys']), /is not the local Press Cloud that .* records/);
});

test(
  'plain http:// to another machine is refused before anything is sent, unless --insecure-http',
  { timeout: 30_000 },
  async (t) => {
    const dir = tempDir(t, 'discovery');
    assertRefused(
      await pressdrop(t, dir, ['deploys', '--api', 'http://press.example.com', '--api-key', makeApiKey()]),
      /^pressdrop: http:\/\/press\.example\.com sends the API key unencrypted to press\.example\.com.*Use https:\/\/, or pass --insecure-http/,
    );
  },
);
