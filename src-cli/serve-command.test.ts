import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readServerRecord } from '../src-server/server-record.ts';
import { rawRequest } from '../src-server/testing/raw-http.ts';
import {
  CLI_ENTRY,
  makeApiKey,
  makeDataDir,
  request,
  spawnServerProcess,
  type ServerProcess,
  within,
} from '../src-server/testing/test-server.ts';
import { tempDir } from './testing/deploy-harness.ts';

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
  // A guard against a CLI that starts serving instead of refusing, not a time limit: a loaded machine starting
  // several Node processes at once can take well over 10 s.
  return within(ended, 40_000, `pressdrop ${args.join(' ')} to exit`).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message} (it did not refuse its flags; stdout: ${stdout})`);
  });
}

test(
  '--port 0 prints one "listening on http://127.0.0.1:<port>" line, and that port answers',
  { timeout: 20_000 },
  async (t) => {
    const apiKey = makeApiKey();
    const server = await serve(t, ['--api-key', apiKey]);
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.includes('listening on'));
    assert.equal(lines.length, 1, server.output());
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(lines[0]!)?.[1]);
    assert.ok(port > 0 && port < 65536, lines[0]);
    assert.notEqual(port, 5480, '--port 0 should take a free port, not the default');
    const limits = await request(`http://127.0.0.1:${port}`, apiKey, 'GET', '/v1/limits');
    assert.equal(limits.status, 200);
    assert.doesNotMatch(server.output(), /WARNING/, 'no --faults, yet a warning');
  },
);

test('each limit flag shows up in GET /v1/limits', { timeout: 20_000 }, async (t) => {
  const apiKey = makeApiKey();
  const server = await serve(t, [
    '--api-key',
    apiKey,
    '--session-ttl-ms',
    '123456',
    '--max-blob-bytes',
    '2048',
    '--max-session-bytes',
    '8192',
    '--max-files',
    '7',
    '--max-missing-per-call',
    '3',
  ]);
  const limits = await request(server.url, apiKey, 'GET', '/v1/limits');
  assert.deepEqual(limits.body, {
    sessionTtlMs: 123456,
    maxBlobBytes: 2048,
    maxSessionBytes: 8192,
    maxFilesPerVersion: 7,
    maxMissingBlobsPerCall: 3,
  });
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

test(
  'a bad flag value exits non-zero with one clear line on stderr and starts nothing',
  { timeout: 90_000 },
  async (t) => {
    const parent = tempDir(t, 'cli');
    const cases: Array<[flags: string[], named: RegExp]> = [
      [['--port', 'abc'], /--port.*abc/],
      [['--max-files', '0'], /--max-files/],
      [['--api-key', 'nope'], /--api-key/],
      [['--faults', 'bogus=1'], /--faults.*bogus/],
    ];
    await assertServeRefuses(parent, cases);
  },
);

test('--faults prints a WARNING line and the faults are on', { timeout: 20_000 }, async (t) => {
  const apiKey = makeApiKey();
  const server = await serve(t, ['--api-key', apiKey, '--faults', '503=1', '--faults-seed', '9']);
  const warnings = server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('WARNING'));
  assert.equal(warnings.length, 1, server.output());
  assert.match(warnings[0]!, /fault injection is ON \(503=1, seed 9\)/);
  const answer = await request(server.url, apiKey, 'GET', '/v1/limits');
  assert.equal(answer.status, 503);
  assert.equal(answer.body.error, 'service_unavailable');
});

/** `pressdrop serve --port 0 --data <dataDir> ...args`, stopped after the test; the folder is the caller's. */
async function serveIn(t: TestContext, dataDir: string, args: string[]): Promise<ServerProcess> {
  const proc = await within(spawnServerProcess(dataDir, args), 15_000, `pressdrop serve ${args.join(' ')} to listen`);
  t.after(() => stop(proc));
  return proc;
}

async function stop(proc: ServerProcess): Promise<void> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) {
    proc.child.kill('SIGTERM');
    await within(proc.exited, 10_000, 'the server to stop on SIGTERM').catch(() => proc.child.kill('SIGKILL'));
  }
  await proc.exited;
}

const keysIn = (text: string) => text.match(/pcak_[A-Za-z0-9_-]+/g) ?? [];

test(
  'the generated key is printed once with how to rotate it; --rotate-key prints a new one and the old one stops working',
  { timeout: 60_000 },
  async (t) => {
    const dataDir = makeDataDir();
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await serveIn(t, dataDir, []);
    const [key] = keysIn(first.output());
    assert.ok(key, first.output());
    assert.match(first.output(), /Created an API key for this server \(shown once/);
    assert.match(first.output(), /pressdrop serve --rotate-key/);
    await stop(first);

    const again = await serveIn(t, dataDir, []);
    assert.deepEqual(keysIn(again.output()), [], 'a kept key is not printed again');
    assert.match(
      again.output(),
      /API key: the one kept in .*api-key\nTo replace it with a new key \(the old one then stops working\): pressdrop serve --rotate-key/,
    );
    assert.equal((await request(again.url, key, 'GET', '/v1/deploys')).status, 200);
    await stop(again);

    const rotated = await serveIn(t, dataDir, ['--rotate-key']);
    const [fresh] = keysIn(rotated.output());
    assert.ok(fresh && fresh !== key, rotated.output());
    assert.match(rotated.output(), /Made a new API key for this server; the old one no longer works/);
    assert.equal((await request(rotated.url, key, 'GET', '/v1/deploys')).status, 401);
    assert.equal((await request(rotated.url, fresh, 'GET', '/v1/deploys')).status, 200);
  },
);

test(
  '--api-key-file takes the key from a 0600 file, keeps it off the command line, and revokes the generated key',
  { timeout: 30_000, skip: process.platform === 'win32' && 'POSIX modes only' },
  async (t) => {
    const dataDir = makeDataDir();
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const generated = await serveIn(t, dataDir, []);
    const [oldKey] = keysIn(generated.output());
    await stop(generated);
    const keyFile = join(dataDir, '..', `${dataDir.split('/').pop()}-key`);
    t.after(() => rmSync(keyFile, { force: true }));
    const apiKey = makeApiKey();
    writeFileSync(keyFile, `${apiKey}\n`, { mode: 0o600 });
    const server = await serveIn(t, dataDir, ['--api-key-file', keyFile]);
    assert.ok(!server.child.spawnargs.some((arg) => arg.includes(apiKey)), 'the key is not in the process arguments');
    assert.deepEqual(keysIn(server.output()), []);
    assert.equal((await request(server.url, apiKey, 'GET', '/v1/deploys')).status, 200);
    assert.equal((await request(server.url, oldKey!, 'GET', '/v1/deploys')).status, 401);
    assert.equal(existsSync(join(dataDir, 'api-key')), false);
  },
);

test(
  'an --api-key-file others can read, an --allow-host that is no host name, or two key flags: one line on stderr, nothing started',
  { timeout: 90_000 },
  async (t) => {
    const parent = tempDir(t, 'cli');
    const loose = join(parent, 'loose-key');
    writeFileSync(loose, `${makeApiKey()}\n`, { mode: 0o644 });
    chmodSync(loose, 0o644);
    const cases: Array<[flags: string[], named: RegExp]> = [
      [['--allow-host', 'bad host!'], /--allow-host "bad host!"/],
      [['--allow-host', 'http://x.example'], /--allow-host/],
      [['--api-key', makeApiKey(), '--rotate-key'], /only one of --api-key, --api-key-file and --rotate-key/],
      [['--api-key-file', join(parent, 'absent')], /--api-key-file .*ENOENT/],
    ];
    if (process.platform !== 'win32')
      cases.push([
        ['--api-key-file', loose],
        /--api-key-file .*other users can read or change it \(mode 0644\); run chmod 600/,
      ]);
    await assertServeRefuses(parent, cases);
  },
);

test(
  '--allow-host adds names (a bare name with any port, name:port exactly); other Hosts get 421',
  { timeout: 20_000 },
  async (t) => {
    const apiKey = makeApiKey();
    const server = await serve(t, [
      '--api-key',
      apiKey,
      '--allow-host',
      'pressdrop.test',
      '--allow-host',
      'Proxy.Test:8443',
    ]);
    assert.match(server.output(), /Also answering requests addressed to pressdrop\.test \(--allow-host\)/);
    const port = Number(new URL(server.url).port);
    const answers: Record<string, number> = {};
    for (const host of [
      'pressdrop.test',
      `pressdrop.test:${port}`,
      'pressdrop.test:443',
      'proxy.test:8443',
      'proxy.test:9999',
      'proxy.test',
      'other.test',
      `other.test:${port}`,
      `127.0.0.1:${port}`,
    ]) {
      answers[host] = (
        await rawRequest(port, {
          method: 'GET',
          target: '/v1/limits',
          host,
          headers: [['Authorization', `Bearer ${apiKey}`]],
        })
      ).status;
    }
    assert.deepEqual(answers, {
      'pressdrop.test': 200,
      [`pressdrop.test:${port}`]: 200,
      'pressdrop.test:443': 200,
      'proxy.test:8443': 200,
      'proxy.test:9999': 421,
      'proxy.test': 421,
      'other.test': 421,
      [`other.test:${port}`]: 421,
      [`127.0.0.1:${port}`]: 200,
    });
  },
);

test(
  'the server keeps a 0600 record of its pid and port in a 0700 folder while it runs, and removes it when stopped',
  { timeout: 20_000 },
  async (t) => {
    const apiKey = makeApiKey();
    const server = await serve(t, ['--api-key', apiKey]);
    const record = readServerRecord(server.dataDir);
    assert.ok(record, 'server.json is written once it listens');
    assert.equal(record.pid, server.child.pid);
    assert.equal(record.url, server.url);
    const instance = await request(server.url, apiKey, 'GET', '/v1/local/instance');
    assert.deepEqual(instance.body, { instanceId: record.instanceId, pid: server.child.pid });
    if (process.platform !== 'win32') {
      assert.equal(statSync(server.dataDir).mode & 0o777, 0o700);
      for (const name of ['server.json', 'server.lock', 'press-cloud.sqlite'])
        assert.equal(statSync(join(server.dataDir, name)).mode & 0o777, 0o600, name);
    }
    server.child.kill('SIGTERM');
    await within(server.exited, 10_000, 'the server to stop');
    assert.equal(readServerRecord(server.dataDir), null, 'the record is removed at stop');
  },
);

/** Each `pressdrop serve <flags>` exits non-zero with one line on stderr naming the problem, no stack, and starts nothing. */
async function assertServeRefuses(parent: string, cases: Array<[flags: string[], named: RegExp]>): Promise<void> {
  await Promise.all(
    cases.map(async ([flags, named], i) => {
      const dataDir = join(parent, `data-${i}`);
      const { code, stdout, stderr } = await runCli(['serve', '--port', '0', '--data', dataDir, ...flags]);
      const what = `serve ${flags.join(' ')}`;
      assert.notEqual(code, 0, `${what} exited 0`);
      const problems = stderr.split('\n').filter((line) => line.trim() !== '');
      assert.equal(problems.length, 1, `${what}: stderr is not one line:\n${stderr}`);
      assert.match(problems[0]!, named, `${what}: ${problems[0]}`);
      assert.doesNotMatch(stderr, /^\s+at /m, `${what}: a stack trace on stderr`);
      assert.doesNotMatch(stdout, /listening on/, `${what}: it started listening`);
      assert.equal(existsSync(dataDir), false, `${what}: it created its data folder`);
    }),
  );
}

test('--as slideless and --as cloudflare run a strict local peer of that service, on the key given, and nothing else', async (t) => {
  const slidelessKey = `cko_test${'k'.repeat(20)}`;
  const slideless = await serve(t, ['--as', 'slideless', '--api-key', slidelessKey]);
  assert.match(slideless.output(), /Local Slideless peer listening on http:\/\/127\.0\.0\.1:\d+\n/);
  const precheck = { hashes: ['a'.repeat(64)] };
  const asked = await request(slideless.url, slidelessKey, 'POST', '/precheckAssets', { json: precheck });
  assert.equal(asked.status, 200, JSON.stringify(asked.body));
  assert.deepEqual(asked.body.data.missing, ['a'.repeat(64)]);
  const wrongKey = await request(slideless.url, `cko_test${'x'.repeat(20)}`, 'POST', '/precheckAssets', {
    json: precheck,
  });
  assert.equal(wrongKey.status, 401);

  const token = 'c'.repeat(40);
  const cloudflare = await serve(t, ['--as', 'cloudflare', '--api-key', token]);
  const account = /Account id: ([0-9a-f]{32})/.exec(cloudflare.output())?.[1];
  assert.ok(account, cloudflare.output());
  const apiBase = /listening on (http:\/\/\S+)/.exec(cloudflare.output())?.[1] ?? '';
  assert.match(apiBase, /^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/, 'the URL to give as CLOUDFLARE_API_BASE_URL');
  const session = await request(
    cloudflare.url,
    token,
    'POST',
    `/client/v4/accounts/${account}/workers/scripts/site/assets-upload-session`,
    { json: { manifest: { '/index.html': { hash: 'b'.repeat(32), size: 3 } } } },
  );
  assert.equal(session.status, 200, JSON.stringify(session.body));
  assert.deepEqual(session.body.result.buckets, [['b'.repeat(32)]]);
});

test('--as with a service serve does not know is refused in words', async () => {
  const { code, stderr } = await runCli(['serve', '--as', 'netlify', '--port', '0', '--data', makeDataDir()]);
  assert.notEqual(code, 0);
  assert.match(stderr, /--as.*expected one of press, slideless, cloudflare/);
});

test('pressdrop --version prints the package version and exits 0', async () => {
  const { code, stdout } = await runCli(['--version']);
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(code, 0);
  assert.equal(stdout.trim(), manifest.version);
});
