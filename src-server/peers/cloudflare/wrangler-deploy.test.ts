import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startTestPeer, type TestPeer } from './peer-test-kit.ts';

const WRANGLER = fileURLToPath(new URL('../../../node_modules/.bin/wrangler', import.meta.url));
const WORKER = 'pressdrop-wrangler-judge';

/** What one `wrangler deploy` did. */
interface WranglerRun {
  code: number;
  output: string;
  ms: number;
}

/**
 * Runs the real `wrangler deploy` in `project` against the peer, on this
 * Node (24; the bin's shebang would pick the system's), with everything it
 * writes (config, logs, caches, update-check state) inside `home`, and
 * telemetry, error reports and the banner's update check off.
 */
function wranglerDeploy(peer: TestPeer, project: string, home: string): Promise<WranglerRun> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local/share'),
    TMPDIR: join(home, 'tmp'),
    NODE_COMPILE_CACHE: join(home, 'node-compile-cache'),
    CI: '1',
    NO_COLOR: '1',
    CLOUDFLARE_API_BASE_URL: peer.peer.url,
    CLOUDFLARE_API_TOKEN: peer.apiKey,
    CLOUDFLARE_ACCOUNT_ID: peer.peer.accountId,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
    WRANGLER_HIDE_BANNER: 'true',
  };
  const started = performance.now();
  return new Promise((resolve) => {
    // Async: the peer runs in this process, so the test must not block its event loop.
    execFile(
      process.execPath,
      [WRANGLER, 'deploy'],
      { cwd: project, env, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}`, ms: Math.round(performance.now() - started) });
      },
    );
  });
}

/** What the peer answered, as `METHOD /path-under-the-account STATUS` lines. */
function callsOf(peer: TestPeer): string[] {
  const account = `/client/v4/accounts/${peer.peer.accountId}`;
  return peer.peer.requests.map((r) => `${r.method} ${r.path.replace(account, '')} ${r.status}`);
}

/** Writes `files` (path under public/ → content) into the project. */
function writeAssets(project: string, files: Record<string, Buffer | string>): void {
  for (const [path, content] of Object.entries(files)) {
    const file = join(project, 'public', path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

test(
  'the real `wrangler deploy` of an assets-only Worker completes against the peer',
  { timeout: 300_000 },
  async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'pressdrop-wrangler-'));
    const home = join(root, 'home');
    const project = join(root, 'project');
    mkdirSync(join(home, 'tmp'), { recursive: true });
    mkdirSync(project);
    // Small buckets, so wrangler uploads several, three at a time, and meets 202s before the 201.
    const peer = await startTestPeer({ limits: { maxBucketFiles: 2 } });
    t.after(async () => {
      await peer.close();
      rmSync(root, { recursive: true, force: true });
    });

    writeFileSync(
      join(project, 'wrangler.json'),
      JSON.stringify({ name: WORKER, compatibility_date: '2025-01-01', assets: { directory: './public' } }),
    );
    const files: Record<string, Buffer | string> = {
      'index.html': '<!doctype html><h1>PressDrop</h1>',
      'about/index.html': '<!doctype html><h1>About</h1>',
      'css/site.css': 'body { font-family: serif }',
      'img/photo.jpg': randomBytes(300 * 1024),
      'data.json': '{"ok":true}',
      'hello world.txt': 'a name with a space',
      LICENSE: 'no extension',
      // Near the 25 MiB limit's order of size: 11 MiB of base64 in one part (a grouped regex overflowed on it).
      'video/clip.bin': randomBytes(8 * 1024 * 1024),
    };
    writeAssets(project, files);

    const first = await wranglerDeploy(peer, project, home);
    assert.equal(first.code, 0, first.output);
    const calls = callsOf(peer);
    const uploads = calls.filter((call) => call.startsWith('POST /workers/assets/upload'));
    assert.deepEqual(
      uploads.map((call) => call.slice(-3)).sort(),
      ['201', '202', '202', '202'],
      `eight files in buckets of two: ${calls.join('\n')}`,
    );
    assert.ok(calls.includes(`PUT /workers/scripts/${WORKER} 200`), calls.join('\n'));
    t.diagnostic(`first deploy: ${first.ms} ms; wrangler called:\n${calls.join('\n')}`);

    for (const [path, content] of Object.entries(files)) {
      const served = await peer.preview(WORKER, `/${encodeURI(path)}`);
      assert.equal(served.status, 200, path);
      assert.deepEqual(
        Buffer.from(await served.arrayBuffer()),
        Buffer.from(content),
        `${path} read back through the peer`,
      );
    }
    assert.equal(await (await peer.preview(WORKER, '/about/')).text(), files['about/index.html']);

    // The same folder again: every asset is stored, so nothing is uploaded.
    peer.peer.requests.length = 0;
    const second = await wranglerDeploy(peer, project, home);
    assert.equal(second.code, 0, second.output);
    assert.match(second.output, /No updated asset files to upload/);
    const again = callsOf(peer);
    assert.ok(!again.some((call) => call.includes('/workers/assets/upload')), again.join('\n'));
    assert.ok(again.includes(`POST /workers/scripts/${WORKER}/versions 200`), 'an existing Worker gets a new version');
    t.diagnostic(`second deploy: ${second.ms} ms; wrangler called:\n${again.join('\n')}`);

    // One file changed: only it is uploaded, and the new version is live.
    writeAssets(project, { 'css/site.css': 'body { font-family: sans-serif }' });
    peer.peer.requests.length = 0;
    const third = await wranglerDeploy(peer, project, home);
    assert.equal(third.code, 0, third.output);
    const uploaded = peer.peer.requests.filter((r) => r.path.endsWith('/workers/assets/upload'));
    assert.deepEqual(
      uploaded.map((r) => r.status),
      [201],
    );
    assert.equal(await (await peer.preview(WORKER, '/css/site.css')).text(), 'body { font-family: sans-serif }');
    assert.equal(
      await (await peer.preview(WORKER, '/index.html')).text(),
      readFileSync(join(project, 'public/index.html'), 'utf8'),
    );
    t.diagnostic(`third deploy: ${third.ms} ms`);
  },
);
