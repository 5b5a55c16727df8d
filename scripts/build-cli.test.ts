import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeApiKey, makeDataDir, request, spawnServerProcess } from '../src-server/testing/test-server.ts';
import type { CliBuildInfo } from '../src-cli/bundle-launcher.ts';
import mime from 'mime';
import { buildCli, mimeModuleSource } from './build-cli.ts';

// The bundle is what `npx pressdrop` runs (package.json's "bin"); every other test runs the sources
// (src-cli/bin.js). This one builds a bundle of the sources as they are now, in a folder of its own,
// and runs it as a user would, against a real `pressdrop serve`.

const root = join(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(launcher: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const child = spawn(process.execPath, [launcher, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

test('the bundled CLI prints its version, deploys a folder to a real local Press Cloud, and refuses to run once stale', async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'pressdrop-cli-bundle-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const launcher = await buildCli(join(scratch, 'cli'));
  const env = { ...process.env, NODE_COMPILE_CACHE: join(scratch, 'compile-cache') };

  const printed = await run(launcher, ['--version'], env);
  assert.equal(printed.code, 0, printed.stderr);
  assert.equal(printed.stdout.trim(), version);

  const apiKey = makeApiKey();
  const dataDir = makeDataDir();
  const server = await spawnServerProcess(dataDir, ['--api-key', apiKey]);
  t.after(async () => {
    server.child.kill();
    await server.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });
  const created = await request(server.url, apiKey, 'POST', '/v1/deploys', {
    json: { slug: 'bundled', name: 'Bundled' },
    headers: { 'idempotency-key': `bundle-test-${randomBytes(4).toString('hex')}` },
  });
  assert.equal(created.status, 201);

  // One small page, hashed on the calling thread, and 3 MiB more, hashed on a worker thread: the bundle's
  // hash-worker.js, started through piscina's worker.js beside it.
  const site = join(scratch, 'site');
  mkdirSync(join(site, 'media'), { recursive: true });
  writeFileSync(join(site, 'index.html'), '<h1>bundled</h1>');
  const big = randomBytes(3 * 1024 * 1024);
  writeFileSync(join(site, 'media', 'big.bin'), big);
  const deployArgs = ['deploy', site, '--deploy', 'bundled', '--api', server.url, '--api-key', apiKey];
  const stateDir = join(scratch, 'state');
  const first = await run(launcher, [...deployArgs, '--state-dir', stateDir, '--json'], env);
  assert.equal(first.code, 0, first.stderr);
  const committed = first.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; previewUrl?: string; totals?: { uploadBytes: number } })
    .find((event) => event.type === 'committed');
  assert.ok(committed?.previewUrl, first.stdout);
  assert.equal(committed.totals?.uploadBytes, big.length + '<h1>bundled</h1>'.length);
  const page = await fetch(new URL('index.html', committed.previewUrl));
  assert.equal(await page.text(), '<h1>bundled</h1>');
  const media = await fetch(new URL('media/big.bin', committed.previewUrl));
  assert.ok(Buffer.from(await media.arrayBuffer()).equals(big));

  // The same folder again, from a fresh state folder (so every file is hashed again): nothing is sent.
  const again = await run(launcher, [...deployArgs, '--state-dir', join(scratch, 'state-2')], env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Deployed version #2 .*\n.*uploaded 0 B/);

  // A source changed since the build: the bundle says so instead of running old code.
  const buildJson = join(scratch, 'cli', 'build.json');
  const info = JSON.parse(readFileSync(buildJson, 'utf8')) as CliBuildInfo;
  info.inputs[0]![2] -= 1000;
  writeFileSync(buildJson, JSON.stringify(info));
  const stale = await run(launcher, ['--version'], env);
  assert.equal(stale.code, 1);
  assert.equal(stale.stdout, '');
  assert.match(stale.stderr, /older than its sources .*npm run build:cli/);
});

test("the bundle's mime answers as the package does, for every type and extension", async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'pressdrop-cli-mime-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const file = join(scratch, 'mime.mjs');
  writeFileSync(file, await mimeModuleSource());
  const bundled = ((await import(file)) as { default: typeof mime }).default;
  const dist = join(root, 'node_modules/mime/dist/types');
  const lists = await Promise.all(
    ['standard.js', 'other.js'].map(
      async (name) => ((await import(join(dist, name))) as { default: Record<string, string[]> }).default,
    ),
  );
  const types = lists.flatMap((list) => Object.keys(list));
  const extensions = lists.flatMap((list) => Object.values(list).flat());
  assert.ok(types.length > 1000);
  for (const type of [...types, ...types.map((type) => `${type.toUpperCase()}; charset=utf-8`), 'x/none', ';', '']) {
    assert.equal(bundled.getExtension(type), mime.getExtension(type), type);
    assert.deepEqual(bundled.getAllExtensions(type), mime.getAllExtensions(type), type);
  }
  for (const extension of extensions.map((extension) => extension.replace(/^\*/, ''))) {
    for (const path of [
      extension,
      `.${extension}`,
      `a/b.${extension.toUpperCase()}`,
      `c\\d.e.${extension}`,
      `${extension}/f`,
    ])
      assert.equal(bundled.getType(path), mime.getType(path), path);
  }
  for (const path of ['', 'README', 'a/README', 'a/.html', 'a.', 'a/b.unknownext'])
    assert.equal(bundled.getType(path), mime.getType(path), path);
});
