import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFaultSpec } from '../src-server/faults.ts';
import { startCloudflarePeer } from '../src-server/peers/cloudflare/cloudflare-peer.ts';
import type { PeerRequest, RunningPeer } from '../src-server/peers/peer-options.ts';
import { startSlidelessPeer } from '../src-server/peers/slideless/slideless-peer.ts';
import {
  committedVersion,
  eventsSoFar,
  jsonEvents,
  killCli,
  pollUntil,
  runCli,
  startCli,
  tempDir,
  writeTree,
} from './testing/deploy-harness.ts';

/** A peer service as these tests drive it: the CLI flags that point a deploy at it, and how to read a version back. */
interface Peer {
  peer: RunningPeer;
  flags: string[];
  /** Requests that carried content. */
  uploads(since?: number): PeerRequest[];
  /** The bytes the committed version serves at `path` (its preview URL, from the committed event). */
  read(previewUrl: string, path: string): Promise<Buffer>;
}

const SLIDELESS_KEY = `cko_test${'s'.repeat(24)}`;
const CLOUDFLARE_TOKEN = 'cf-token-'.padEnd(40, 't');

async function startPeer(t: TestContext, kind: 'slideless' | 'cloudflare', faults?: string): Promise<Peer> {
  const dataDir = tempDir(t, `${kind}-peer`);
  const options = {
    dataDir,
    port: 0,
    apiKey: kind === 'slideless' ? SLIDELESS_KEY : CLOUDFLARE_TOKEN,
    ...(faults !== undefined && { faults: parseFaultSpec(faults), faultsSeed: 7 }),
  };
  const uploadPath = kind === 'slideless' ? /\/uploadPresentationAsset$/ : /\/workers\/assets\/upload$/;
  if (kind === 'slideless') {
    const peer = await startSlidelessPeer(options);
    t.after(() => peer.close());
    return {
      peer,
      flags: ['--target', 'slideless', '--api', peer.url, '--api-key', SLIDELESS_KEY],
      uploads: (since = 0) => peer.requests.slice(since).filter((r) => r.method === 'POST' && uploadPath.test(r.path)),
      // The share URL is `<peer>/p/<id>/?token=…`: the file is under the same folder, with the same token.
      async read(previewUrl, path) {
        const url = new URL(previewUrl);
        url.pathname += path;
        const response = await fetch(url);
        assert.equal(response.status, 200, `${url.pathname}: ${response.status}`);
        return Buffer.from(await response.arrayBuffer());
      },
    };
  }
  const peer = await startCloudflarePeer(options);
  t.after(() => peer.close());
  return {
    peer,
    flags: [
      '--target',
      'cloudflare',
      '--api',
      peer.url,
      '--api-key',
      CLOUDFLARE_TOKEN,
      '--account',
      peer.accountId,
      '--script',
      'team-site',
    ],
    uploads: (since = 0) => peer.requests.slice(since).filter((r) => r.method === 'POST' && uploadPath.test(r.path)),
    async read(_previewUrl, path) {
      const response = await fetch(new URL(`/preview/team-site/${path}`, peer.url));
      assert.equal(response.status, 200, `${path}: ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    },
  };
}

function site(t: TestContext, files: number): string {
  const root = tempDir(t, 'site');
  const tree: Record<string, string> = { 'index.html': '<h1>Team site</h1>\n' };
  for (let i = 0; i < files; i++) tree[`assets/f${i}.txt`] = `file ${i}\n`.repeat(20 + i);
  writeTree(root, tree);
  return root;
}

function previewOf(result: { stdout: string }): string {
  const { previewUrl } = jsonEvents(result.stdout).at(-1)!;
  return typeof previewUrl === 'string' ? previewUrl : '';
}

for (const kind of ['slideless', 'cloudflare'] as const) {
  test(`--target ${kind}: a first deploy sends every file, the same folder again sends nothing, one change sends one file`, async (t) => {
    const peer = await startPeer(t, kind);
    const root = site(t, 12);
    const state = tempDir(t, 'state');
    const deploy = () => runCli(t, ['deploy', root, ...peer.flags, '--state-dir', state, '--json']);

    const first = await deploy();
    committedVersion(first);
    assert.ok(peer.uploads().length > 0, 'the first deploy uploaded');
    for (const path of ['index.html', 'assets/f0.txt', 'assets/f11.txt'])
      assert.deepEqual(await peer.read(previewOf(first), path), readFileSync(join(root, path)), path);
    if (kind === 'slideless') {
      const remembered = JSON.parse(readFileSync(join(root, 'slideless.json'), 'utf8')) as { presentationId: string };
      assert.equal(
        remembered.presentationId,
        committedVersion(first).deployId,
        'slideless.json names the presentation',
      );
    }

    const before = peer.peer.requests.length;
    const again = await deploy();
    assert.equal(jsonEvents(again.stdout).at(-1)!.type, 'committed');
    assert.deepEqual(peer.uploads(before), [], 'nothing was sent again');
    if (kind === 'slideless')
      assert.equal(committedVersion(again).deployId, committedVersion(first).deployId, 'an update of the same deck');

    writeFileSync(join(root, 'assets/f3.txt'), 'changed\n');
    const since = peer.peer.requests.length;
    const changed = await deploy();
    assert.equal(peer.uploads(since).length, 1, 'one request carried the one changed file');
    assert.deepEqual(await peer.read(previewOf(changed), 'assets/f3.txt'), Buffer.from('changed\n'));
  });

  test(`--target ${kind}: killed (SIGKILL) mid-upload, \`pressdrop resume\` sends only what is missing and commits`, async (t) => {
    // Each request held 150 ms, one upload at a time: the kill lands with part of the folder sent.
    const peer = await startPeer(t, kind, 'latency=150');
    const root = site(t, 30);
    const state = tempDir(t, 'state');
    const args = ['deploy', root, ...peer.flags, '--state-dir', state, '--json', '--concurrency', '1'];
    // Cloudflare sends buckets; with 31 small files the peer makes one bucket, so the kill comes after the session.
    const cli = startCli(t, args);
    await pollUntil(
      kind === 'slideless' ? 'five uploads answered' : 'the upload session',
      () =>
        kind === 'slideless'
          ? peer.uploads().filter((r) => r.status === 200).length >= 5
          : eventsSoFar(cli).some((event) => event.type === 'phase' && event.phase === 'upload'),
      { cli },
    );
    await killCli(cli);
    const sentBefore = peer.uploads().filter((r) => r.status < 300).length;
    if (kind === 'slideless')
      assert.ok(sentBefore < 31, `the kill should land mid-upload, yet ${sentBefore} were sent`);

    const since = peer.peer.requests.length;
    const key = kind === 'slideless' ? SLIDELESS_KEY : CLOUDFLARE_TOKEN;
    const resumed = await runCli(t, ['resume', '--api-key', key, '--state-dir', state, '--json']);
    const version = committedVersion(resumed);
    assert.ok(jsonEvents(resumed.stdout).some((event) => event.type === 'job' && event.resumed === true));
    if (kind === 'slideless')
      assert.ok(
        peer.uploads(since).length <= 31 - sentBefore,
        `${peer.uploads(since).length} uploads after ${sentBefore} confirmed, of 31 files`,
      );
    else assert.ok(peer.uploads(since).length <= 1, 'the bucket left is sent once');
    for (const path of ['index.html', 'assets/f29.txt'])
      assert.deepEqual(await peer.read(previewOf(resumed), path), readFileSync(join(root, path)), path);
    const list = await runCli(t, ['resume', '--list', '--state-dir', state]);
    assert.match(list.stdout, /No interrupted deploys/, `${version.id} left nothing to resume`);
  });
}

test("Press Cloud's own flags are refused with another target, in words, before anything is read", async (t) => {
  const root = site(t, 1);
  const state = tempDir(t, 'state');
  const refused = await runCli(t, [
    'deploy',
    root,
    '--target',
    'slideless',
    '--create',
    'x',
    '--alias',
    'live',
    '--state-dir',
    state,
  ]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /--create, --alias are Press Cloud's; --target slideless does not take them\./);
  const unknown = await runCli(t, ['deploy', root, '--target', 'netlify', '--state-dir', state]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /--target.*expected one of press, slideless, cloudflare/);
});

test('a Cloudflare base URL without /client/v4 is refused before the scan, in words that say so', async (t) => {
  const peer = await startPeer(t, 'cloudflare');
  const root = site(t, 1);
  const flags = peer.flags.map((flag) => (flag === peer.peer.url ? peer.peer.url.replace(/\/client\/v4$/, '') : flag));
  const refused = await runCli(t, ['deploy', root, ...flags, '--state-dir', tempDir(t, 'state')]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Check the API base URL: it ends in \/client\/v4/);
  assert.deepEqual(peer.uploads(), [], 'nothing was sent');
});

test('each peer target says which key or account it lacks, and where to give it', async (t) => {
  const root = site(t, 1);
  const state = tempDir(t, 'state');
  const bare = { SLIDELESS_API_KEY: '', CLOUDFLARE_API_TOKEN: '', CLOUDFLARE_ACCOUNT_ID: '' };
  const slideless = await runCli(t, ['deploy', root, '--target', 'slideless', '--state-dir', state], 30_000, bare);
  assert.match(slideless.stderr, /No Slideless API key: pass --api-key cko_… or set SLIDELESS_API_KEY\./);
  const noToken = await runCli(t, ['deploy', root, '--target', 'cloudflare', '--state-dir', state], 30_000, bare);
  assert.match(noToken.stderr, /No Cloudflare API token: pass --api-key <token> or set CLOUDFLARE_API_TOKEN/);
  const noAccount = await runCli(t, ['deploy', root, '--target', 'cloudflare', '--state-dir', state], 30_000, {
    ...bare,
    CLOUDFLARE_API_TOKEN: 'x',
  });
  assert.match(noAccount.stderr, /Which Cloudflare account\? Pass --account <id> or set CLOUDFLARE_ACCOUNT_ID/);

  const targets = await runCli(t, ['targets', '--json'], 30_000, {
    ...bare,
    SLIDELESS_API_KEY: SLIDELESS_KEY,
    SLIDELESS_API_BASE_URL: 'http://127.0.0.1:1',
  });
  const byTarget = new Map(
    targets.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { target: string; apiUrl: string; key: string | null; missing: string | null })
      .map((report) => [report.target, report]),
  );
  assert.deepEqual([...byTarget.keys()], ['press', 'slideless', 'cloudflare']);
  assert.deepEqual(
    [byTarget.get('slideless')!.apiUrl, byTarget.get('slideless')!.key],
    ['http://127.0.0.1:1', 'SLIDELESS_API_KEY'],
  );
  assert.doesNotMatch(targets.stdout, new RegExp(SLIDELESS_KEY), 'a key is never printed');
  assert.match(byTarget.get('cloudflare')!.missing!, /Set CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID/);
});
