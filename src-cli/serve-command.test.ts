import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_ENTRY, makeApiKey, makeDataDir, request, spawnServerProcess, type ServerProcess, within } from '../src-server/testing/test-server.ts';


/** `pressdrop serve --port 0 --data <fresh dir> ...args`, stopped (SIGTERM, then SIGKILL) and its data removed after the test. */
async function serve(t: TestContext, args: string[]): Promise<ServerProcess & { dataDir: string }> {
  const dataDir = makeDataDir();
  const proc = await within(spawnServerProcess(dataDir, args), 15_000, `pressdrop serve ${args.join(' ')} to listen`);
  t.after(async () => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGTERM');
      await within(proc.exited, 10_000, 'the server to stop on SIGTERM').catch(() => proc.child.kill('SIGKILL'));
    }
    await proc.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { ...proc, dataDir };
}

/** Runs `pressdrop ...args` to its end: exit code (or signal), stdout, stderr. */
function runCli(args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const ended = new Promise<{ code: number | string; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code: code ?? signal ?? -1, stdout, stderr })),
  );
  return within(ended, 10_000, `pressdrop ${args.join(' ')} to exit`).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message} (it did not refuse its flags; stdout: ${stdout})`);
  });
}

test('--port 0 prints one "listening on http://127.0.0.1:<port>" line, and that port answers', { timeout: 20_000 }, async (t) => {
  const apiKey = makeApiKey();
  const server = await serve(t, ['--api-key', apiKey]);
  const lines = server.output().split('\n').filter((line) => line.includes('listening on'));
  assert.equal(lines.length, 1, server.output());
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(lines[0]!)?.[1]);
  assert.ok(port > 0 && port < 65536, lines[0]);
  assert.notEqual(port, 5480, '--port 0 should take a free port, not the default');
  const limits = await request(`http://127.0.0.1:${port}`, apiKey, 'GET', '/v1/limits');
  assert.equal(limits.status, 200);
  assert.doesNotMatch(server.output(), /WARNING/, 'no --faults, yet a warning');
});

test('each limit flag shows up in GET /v1/limits', { timeout: 20_000 }, async (t) => {
  const apiKey = makeApiKey();
  const server = await serve(t, [
    '--api-key', apiKey,
    '--session-ttl-ms', '123456',
    '--max-blob-bytes', '2048',
    '--max-session-bytes', '8192',
    '--max-files', '7',
    '--max-missing-per-call', '3',
  ]);
  const limits = await request(server.url, apiKey, 'GET', '/v1/limits');
  assert.deepEqual(limits.body, { sessionTtlMs: 123456, maxBlobBytes: 2048, maxSessionBytes: 8192, maxFilesPerVersion: 7, maxMissingBlobsPerCall: 3 });
});

test('--api-key pcak_… is accepted and another key is refused with 401', { timeout: 20_000 }, async (t) => {
  const apiKey = makeApiKey();
  const server = await serve(t, ['--api-key', apiKey]);
  assert.equal((await request(server.url, apiKey, 'GET', '/v1/deploys')).status, 200);
  const other = await request(server.url, makeApiKey(), 'GET', '/v1/deploys');
  assert.equal(other.status, 401);
  assert.equal(other.body.error, 'unauthorized');
  assert.equal((await request(server.url, apiKey, 'GET', '/v1/deploys', { auth: false })).status, 401);
  assert.equal(existsSync(join(server.dataDir, 'api-key')), false, 'with --api-key no key should be generated');
  assert.doesNotMatch(server.output(), /pcak_/, 'the server printed an API key');
});

test('a bad flag value exits non-zero with one clear line on stderr and starts nothing', { timeout: 30_000 }, async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'pressdrop-cli-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const cases: Array<[flags: string[], named: RegExp]> = [
    [['--port', 'abc'], /--port.*abc/],
    [['--max-files', '0'], /--max-files/],
    [['--api-key', 'nope'], /--api-key/],
    [['--faults', 'bogus=1'], /--faults.*bogus/],
  ];
  await Promise.all(
    cases.map(async ([flags, named], i) => {
      const dataDir = join(parent, `data-${i}`);
      const { code, stdout, stderr } = await runCli(['serve', '--port', '0', '--data', dataDir, ...flags]);
      const what = `serve ${flags.join(' ')}`;
      assert.notEqual(code, 0, `${what} exited 0`);
      const problems = stderr.split('\n').filter((line) => line.trim() !== '');
      assert.equal(problems.length, 1, `${what}: stderr is not one line:\n${stderr}`);
      assert.match(problems[0]!, named, `${what}: the line does not name the flag`);
      assert.doesNotMatch(stderr, /^\s+at /m, `${what}: a stack trace on stderr`);
      assert.doesNotMatch(stdout, /listening on/, `${what}: it started listening`);
      assert.equal(existsSync(dataDir), false, `${what}: it created its data folder`);
    }),
  );
});

test('--faults prints a WARNING line and the faults are on', { timeout: 20_000 }, async (t) => {
  const apiKey = makeApiKey();
  const server = await serve(t, ['--api-key', apiKey, '--faults', '503=1', '--faults-seed', '9']);
  const warnings = server.output().split('\n').filter((line) => line.startsWith('WARNING'));
  assert.equal(warnings.length, 1, server.output());
  assert.match(warnings[0]!, /fault injection is ON \(503=1, seed 9\)/);
  const answer = await request(server.url, apiKey, 'GET', '/v1/limits');
  assert.equal(answer.status, 503);
  assert.equal(answer.body.error, 'service_unavailable');
});
