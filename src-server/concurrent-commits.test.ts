import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import http from 'node:http';
import {
  makeApiKey,
  makeDataDir,
  request,
  spawnServerProcess,
  startTestServer,
  type ServerProcess,
} from './testing/test-server.ts';

// Version numbers of one deploy are 1, 2, 3… with no gap and no repeat, also when sessions commit at the same moment.

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

interface Entry {
  path: string;
  blobHash: string;
  size: number;
}

interface ReadySession {
  id: string;
  uploadToken: string;
  entries: Entry[];
}

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

const ANSWER_TIMEOUT_MS = 5_000;

/** One JSON request over node:http through `agent` (each agent is its own client); fails if no answer comes within 5 s. */
function httpJson(
  agent: http.Agent,
  baseUrl: string,
  apiKey: string,
  method: string,
  path: string,
  json: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const payload = JSON.stringify(json);
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, baseUrl),
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? null : JSON.parse(text) }));
        res.on('error', reject);
      },
    );
    req.setTimeout(ANSWER_TIMEOUT_MS, () =>
      req.destroy(new Error(`${method} ${path}: no answer within ${ANSWER_TIMEOUT_MS} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A deploy plus `count` open sessions on it whose blobs are all uploaded: each has its own index.html and one shared stylesheet. */
async function prepareSessions(
  baseUrl: string,
  apiKey: string,
  slug: string,
  count: number,
): Promise<{ deployId: string; sessions: ReadySession[] }> {
  const created = await request(baseUrl, apiKey, 'POST', '/v1/deploys', { json: { slug, name: slug } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const deployId: string = created.body.deploy.id;
  const shared = `body { color: #123; } /* ${slug} */`;
  const sessions = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const page = `<h1>${slug} session ${i}</h1>`;
      const blobs = new Map([
        [sha256(page), page],
        [sha256(shared), shared],
      ]);
      const entries: Entry[] = [
        { path: 'index.html', blobHash: sha256(page), size: Buffer.byteLength(page) },
        { path: 'style.css', blobHash: sha256(shared), size: Buffer.byteLength(shared) },
      ];
      const files = entries.map((entry) => ({ path: entry.path, sha256: entry.blobHash, size: entry.size }));
      const session = await request(baseUrl, apiKey, 'POST', '/v1/upload-sessions', { json: { deployId, files } });
      assert.equal(session.status, 201, JSON.stringify(session.body));
      const { id } = session.body.uploadSession;
      const { uploadToken } = session.body;
      for (const [hash, content] of blobs) {
        const put = await request(baseUrl, apiKey, 'PUT', `/v1/upload-sessions/${id}/blobs/${hash}`, {
          raw: content,
          uploadToken,
        });
        assert.equal(put.status, 200, `blob PUT of session ${i}: ${JSON.stringify(put.body)}`);
      }
      const missing = await request(baseUrl, apiKey, 'POST', `/v1/upload-sessions/${id}/missing-blobs`, {
        json: { files },
        uploadToken,
      });
      assert.deepEqual(missing.body.missingBlobs, [], `session ${i} still misses blobs`);
      return { id, uploadToken, entries };
    }),
  );
  return { deployId, sessions };
}

/** Every version of the deploy, page by page (small pages, so the cursor is exercised too). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function listVersions(baseUrl: string, apiKey: string, deployId: string): Promise<any[]> {
  const items = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const query: string = cursor === null ? '?limit=20' : `?limit=20&cursor=${encodeURIComponent(cursor)}`;
    const answer = await request(baseUrl, apiKey, 'GET', `/v1/deploys/${deployId}/versions${query}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    items.push(...answer.body.items);
    cursor = answer.body.nextCursor;
    if (cursor === null) return items;
  }
  assert.fail('GET /versions never returned nextCursor: null');
}

const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** 50 sessions committed at once by two clients (25 each); checks the answers, the version list and the deploy. */
async function fiftyConcurrentCommits(baseUrl: string, apiKey: string, slug: string): Promise<void> {
  const count = 50;
  const { deployId, sessions } = await prepareSessions(baseUrl, apiKey, slug, count);
  const clients = [
    new http.Agent({ keepAlive: true, maxSockets: 25 }),
    new http.Agent({ keepAlive: true, maxSockets: 25 }),
  ];
  try {
    const answers = await Promise.all(
      sessions.map((session, i) =>
        httpJson(
          clients[i % 2]!,
          baseUrl,
          apiKey,
          'POST',
          `/v1/upload-sessions/${session.id}/commit`,
          { entries: session.entries },
          { 'x-upload-token': session.uploadToken },
        ),
      ),
    );
    for (const [i, answer] of answers.entries())
      assert.equal(answer.status, 201, `commit ${i}: ${JSON.stringify(answer.body)}`);
    const versions = answers.map((answer) => answer.body.deployVersion);
    assert.deepEqual(
      versions.map((v) => v.versionNo).sort((a, b) => a - b),
      oneTo(count),
      'answered version numbers are not exactly 1..50',
    );
    for (const v of versions) {
      assert.equal(v.displayId, `#${v.versionNo}`);
      assert.equal(v.deployId, deployId);
      assert.equal(v.status, 'ready');
    }
    assert.equal(new Set(versions.map((v) => v.id)).size, count, 'two commits answered the same version id');

    const listed = await listVersions(baseUrl, apiKey, deployId);
    assert.deepEqual(
      listed.map((v) => v.versionNo),
      oneTo(count).reverse(),
      'GET /versions is not 50..1, newest first',
    );
    const answeredById = new Map(versions.map((v) => [v.id, v.versionNo]));
    for (const v of listed)
      assert.equal(answeredById.get(v.id), v.versionNo, `listed version ${v.id} differs from its commit answer`);

    const deploy = await request(baseUrl, apiKey, 'GET', `/v1/deploys/${deployId}`);
    assert.equal(deploy.body.deploy.versionCount, count);
    assert.equal(deploy.body.deploy.latestVersion.versionNo, count);

    // Each session points at the version its own commit answered, holding its own files.
    for (const [i, session] of sessions.entries()) {
      const state = await request(baseUrl, apiKey, 'GET', `/v1/upload-sessions/${session.id}`, {
        uploadToken: session.uploadToken,
      });
      assert.equal(state.body.uploadSession.status, 'committed');
      assert.equal(state.body.uploadSession.deployVersionId, versions[i].id, `session ${i} points at another version`);
    }
    const files = await request(baseUrl, apiKey, 'GET', `/v1/deploy-versions/${versions[7].id}/files`);
    assert.deepEqual(
      files.body.items.map((f: Entry) => f.blobHash),
      sessions[7]!.entries.map((e) => e.blobHash),
    );
  } finally {
    for (const client of clients) client.destroy();
  }
}

test(
  '50 commits fired at once on one deploy (in-process server) get versions 1..50, no gap, no repeat',
  { timeout: 20_000 },
  async (t) => {
    const server = await startTestServer();
    t.after(() => server.close());
    await fiftyConcurrentCommits(server.url, server.apiKey, 'fifty');
  },
);

test(
  '50 commits from two concurrent clients against a separate `pressdrop serve` process get versions 1..50',
  { timeout: 20_000 },
  async (t) => {
    const dataDir = makeDataDir();
    const apiKey = makeApiKey();
    let proc: ServerProcess | null = null;
    t.after(async () => {
      if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
        proc.child.kill('SIGKILL');
        await proc.exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    });
    proc = await spawnServerProcess(dataDir, ['--api-key', apiKey]);
    await fiftyConcurrentCommits(proc.url, apiKey, 'fifty-proc');
  },
);

/** Commits each of `count` fresh sessions twice at once (`headersOf` gives both twins' extra headers); checks 1..count after. */
async function twinCommits(
  t: { after(fn: () => unknown): void },
  slug: string,
  headersOf: (sessionId: string) => Record<string, string>,
): Promise<Array<[Answer, Answer]>> {
  const server = await startTestServer();
  t.after(() => server.close());
  const count = 10;
  const { deployId, sessions } = await prepareSessions(server.url, server.apiKey, slug, count);
  const client = new http.Agent({ keepAlive: true });
  t.after(() => client.destroy());
  const commit = (session: ReadySession) =>
    httpJson(
      client,
      server.url,
      server.apiKey,
      'POST',
      `/v1/upload-sessions/${session.id}/commit`,
      { entries: session.entries },
      { 'x-upload-token': session.uploadToken, ...headersOf(session.id) },
    );
  const pairs = await Promise.all(sessions.map((session) => Promise.all([commit(session), commit(session)])));

  const listed = await listVersions(server.url, server.apiKey, deployId);
  assert.deepEqual(
    listed.map((v) => v.versionNo),
    oneTo(count).reverse(),
    'twin commits made other versions than 1..10',
  );
  const deploy = await server.request('GET', `/v1/deploys/${deployId}`);
  assert.equal(deploy.body.deploy.versionCount, count);
  const winners = pairs.map(([a, b]) => (a.status === 201 ? a : b).body?.deployVersion?.versionNo);
  assert.deepEqual(
    winners.sort((x, y) => x - y),
    oneTo(count),
    'answered version numbers are not exactly 1..10',
  );
  return pairs;
}

test(
  'a session committed twice at once lands once: one 201, one 409 upload_session_committed',
  { timeout: 20_000 },
  async (t) => {
    const pairs = await twinCommits(t, 'twins', () => ({}));
    for (const [i, [a, b]] of pairs.entries()) {
      assert.deepEqual([a.status, b.status].sort(), [201, 409], `session ${i}: ${JSON.stringify([a.body, b.body])}`);
      assert.equal((a.status === 409 ? a : b).body.error, 'upload_session_committed');
    }
  },
);

test(
  'twin commits with one Idempotency-Key both get the original answer and make one version',
  { timeout: 20_000 },
  async (t) => {
    const pairs = await twinCommits(t, 'keyed-twins', (sessionId) => ({ 'idempotency-key': `twin-${sessionId}` }));
    for (const [i, [a, b]] of pairs.entries()) {
      assert.deepEqual([a.status, b.status], [201, 201], `session ${i}: ${JSON.stringify([a.body, b.body])}`);
      assert.deepEqual(a.body, b.body, `session ${i}: the replay differs from the original answer`);
    }
  },
);
