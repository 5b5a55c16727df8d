import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FaultInjector, parseFaultSpec, type FaultDecision } from './faults.ts';
import { makeApiKey, makeDataDir, startTestServer, type TestServer, waitFor, within } from './testing/test-server.ts';
import { copiesOnDisk } from './testing/stored-blobs.ts';

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

// ---- parseFaultSpec ----

test('parseFaultSpec reads every fault, and an empty spec is all off', () => {
  assert.deepEqual(
    parseFaultSpec(
      '503=0.1,429=0.05,retry-after=2,reset=0.05,drop=0.02,latency=5-50,expire=0.1,expire-after=200,stall=3',
    ),
    {
      unavailableRate: 0.1,
      rateLimitedRate: 0.05,
      retryAfterSeconds: 2,
      resetRate: 0.05,
      dropRate: 0.02,
      latencyMs: [5, 50],
      expireRate: 0.1,
      expireAfterMs: 200,
      stallAt: 3,
    },
  );
  assert.deepEqual(parseFaultSpec(''), {
    unavailableRate: 0,
    rateLimitedRate: 0,
    retryAfterSeconds: 1,
    resetRate: 0,
    dropRate: 0,
    latencyMs: [0, 0],
    expireRate: 0,
    expireAfterMs: 1000,
    stallAt: 0,
  });
  assert.deepEqual(parseFaultSpec('latency=30').latencyMs, [30, 30]);
  assert.deepEqual(parseFaultSpec('latency=50-5').latencyMs, [5, 50], 'a reversed range is put in order');
  assert.equal(parseFaultSpec(' 503=1 , drop=0 ').unavailableRate, 1, 'spaces around pairs are allowed');
  assert.equal(parseFaultSpec('reset=0').resetRate, 0);
});

test('parseFaultSpec refuses each bad spec with an error naming the bad part', () => {
  const bad: Array<[spec: string, named: string]> = [
    ['bogus=1', 'bogus'],
    ['503=2', '503'],
    ['503=-0.1', '503'],
    ['503=abc', '503'],
    ['503=', '503'],
    ['429=1.5', '429'],
    ['503', '503'],
    ['reset=1=2', 'reset=1=2'],
    ['latency=5-', 'latency'],
    ['latency=fast', 'latency'],
    ['retry-after=-1', 'retry-after'],
    ['retry-after=1.5', 'retry-after'],
    ['expire-after=soon', 'expire-after'],
    ['drop=0.1,expire=7', 'expire'],
    ['stall=0.5', 'stall'],
    ['stall=-1', 'stall'],
  ];
  for (const [spec, named] of bad) {
    assert.throws(
      () => parseFaultSpec(spec),
      (error: Error) => {
        assert.ok(error.message.startsWith('--faults:'), `${spec}: ${error.message}`);
        assert.ok(
          error.message.includes(`"${named}"`),
          `the error for "${spec}" does not name "${named}": ${error.message}`,
        );
        return true;
      },
      `"${spec}" was accepted`,
    );
  }
});

// ---- FaultInjector ----

function draw(injector: FaultInjector, count: number): Array<FaultDecision | number | boolean> {
  return Array.from({ length: count }, (_, i) =>
    i % 3 === 0 ? injector.latencyMs() : i % 3 === 1 ? injector.decide(i % 2 === 0) : injector.expiresEarly(),
  );
}

test('FaultInjector: the same seed gives the same decisions, another seed others', () => {
  const spec = parseFaultSpec('503=0.2,429=0.2,reset=0.3,drop=0.2,latency=0-100,expire=0.5');
  const first = draw(new FaultInjector(spec, 42), 3000);
  assert.deepEqual(draw(new FaultInjector(spec, 42), 3000), first);
  assert.notDeepEqual(draw(new FaultInjector(spec, 43), 3000), first);
  const kinds = new Set(first.map((d) => (typeof d === 'object' ? d.kind : typeof d)));
  assert.deepEqual([...kinds].sort(), ['boolean', 'drop', 'none', 'number', 'rate_limited', 'reset', 'unavailable']);
});

test('FaultInjector: rate 0 never fires, rate 1 always does', () => {
  const off = new FaultInjector(parseFaultSpec(''), 7);
  for (let i = 0; i < 1000; i++) {
    assert.deepEqual(off.decide(i % 2 === 0), { kind: 'none' });
    assert.equal(off.expiresEarly(), false);
    assert.equal(off.latencyMs(), 0);
  }
  const always = (spec: string) => new FaultInjector(parseFaultSpec(spec), 7);
  const unavailable = always('503=1');
  const limited = always('429=1,retry-after=9');
  const reset = always('reset=1');
  const drop = always('drop=1');
  const expire = always('expire=1');
  const latency = always('latency=5-50');
  for (let i = 0; i < 1000; i++) {
    assert.deepEqual(unavailable.decide(true), { kind: 'unavailable' });
    assert.deepEqual(limited.decide(false), { kind: 'rate_limited', retryAfterSeconds: 9 });
    const cut = reset.decide(true);
    assert.equal(cut.kind, 'reset');
    assert.ok(cut.kind === 'reset' && cut.afterFraction >= 0 && cut.afterFraction < 1);
    assert.deepEqual(reset.decide(false), { kind: 'none' }, 'reset applies to blob PUTs only');
    assert.deepEqual(drop.decide(i % 2 === 0), { kind: 'drop' });
    assert.equal(expire.expiresEarly(), true);
    const ms = latency.latencyMs();
    assert.ok(Number.isInteger(ms) && ms >= 5 && ms <= 50, `latency ${ms} outside 5-50`);
  }
});

test('FaultInjector: stall=n holds the n-th blob PUT only; other requests do not count toward it', () => {
  const injector = new FaultInjector(parseFaultSpec('stall=3'), 7);
  const seen = [true, false, true, false, true, true, true].map((isBlobPut) => [
    injector.decide(isBlobPut).kind,
    injector.stalledUploads,
  ]);
  assert.deepEqual(seen, [
    ['none', 0],
    ['none', 0],
    ['none', 0],
    ['none', 0],
    ['stall', 1],
    ['none', 1],
    ['none', 1],
  ]);
});

// ---- over HTTP ----

/** One data dir and key shared by servers started one after another (with or without faults) in a test. */
function servers(t: TestContext) {
  const dataDir = makeDataDir();
  const apiKey = makeApiKey();
  let current: TestServer | null = null;
  t.after(async () => {
    await current?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir,
    start: async (faults?: string, seed = 1): Promise<TestServer> => {
      await current?.close({ keepData: true });
      current = await startTestServer({
        dataDir,
        apiKey,
        ...(faults === undefined ? {} : { faults: parseFaultSpec(faults), faultsSeed: seed }),
      });
      return current;
    },
  };
}

interface Prepared {
  sessionId: string;
  uploadToken: string;
  sha: string;
  body: Buffer;
  entries: Array<{ path: string; blobHash: string; size: number }>;
}

/** A session on a new deploy registering one file of `size` random bytes (not uploaded). */
async function createSession(server: TestServer, slug: string, size: number): Promise<Prepared> {
  const body = randomBytes(size);
  const sha = sha256(body);
  const created = await server.request('POST', '/v1/upload-sessions', {
    json: { createDeploy: { slug, name: slug }, files: [{ path: 'index.html', sha256: sha, size }] },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return {
    sessionId: created.body.uploadSession.id,
    uploadToken: created.body.uploadToken,
    sha,
    body,
    entries: [{ path: 'index.html', blobHash: sha, size }],
  };
}

/** A raw node:http request: resolves "status N" on an answer or "error CODE" when the connection dies first. */
function rawRequest(
  server: TestServer,
  method: string,
  path: string,
  headers: Record<string, string | number>,
  body: Buffer,
  chunkBytes = body.length,
): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request(new URL(path, server.url), {
      method,
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-length': body.length, ...headers },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(`status ${res.statusCode}`);
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? error.message}`));
    let offset = 0;
    const writeMore = () => {
      while (offset < body.length) {
        const chunk = body.subarray(offset, offset + chunkBytes);
        offset += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', writeMore);
      }
      req.end();
    };
    writeMore();
  });
}

/** PUTs the session's blob in 64 KiB writes, as a client streams it: rawRequest's outcome, within 10 s. */
function putBlob(server: TestServer, session: Prepared, what: string): Promise<string> {
  const headers = { 'x-upload-token': session.uploadToken, 'content-type': 'application/octet-stream' };
  const path = `/v1/upload-sessions/${session.sessionId}/blobs/${session.sha}`;
  return within(rawRequest(server, 'PUT', path, headers, session.body, 64 * 1024), 10_000, what);
}

test(
  '503=1: every /v1 request gets 503 service_unavailable in contract shape; preview is unaffected',
  { timeout: 20_000 },
  async (t) => {
    const { start } = servers(t);
    const clean = await start();
    const site = await createSession(clean, 'site', 64);
    await clean.request('PUT', `/v1/upload-sessions/${site.sessionId}/blobs/${site.sha}`, {
      raw: site.body,
      uploadToken: site.uploadToken,
    });
    const commit = await within(
      clean.request('POST', `/v1/upload-sessions/${site.sessionId}/commit`, {
        json: { entries: site.entries },
        uploadToken: site.uploadToken,
      }),
      5_000,
      'commit',
    );
    assert.equal(commit.status, 201, JSON.stringify(commit.body));

    const faulty = await start('503=1');
    const attempts: Array<[string, string, Parameters<TestServer['request']>[2]]> = [
      ['GET', '/v1/limits', {}],
      ['GET', '/v1/deploys', {}],
      ['GET', '/v1/deploys', { auth: false }],
      ['POST', '/v1/deploys', { json: { slug: 'new', name: 'New' } }],
      ['GET', `/v1/upload-sessions/${site.sessionId}`, { uploadToken: site.uploadToken }],
      ['GET', `/v1/blobs/${site.sha}`, {}],
      ['GET', '/v1/no-such-endpoint', {}],
    ];
    for (const [method, path, init] of attempts) {
      const answer = await faulty.request(method, path, init);
      assert.equal(answer.status, 503, `${method} ${path}`);
      assert.equal(answer.body.error, 'service_unavailable', `${method} ${path}`);
      assert.equal(typeof answer.body.message, 'string');
    }
    const preview = await fetch(new URL('/preview/site/1/', faulty.url));
    assert.equal(preview.status, 200);
    assert.deepEqual(Buffer.from(await preview.arrayBuffer()), site.body);
  },
);

test('429=1,retry-after=2: 429 rate_limited with Retry-After: 2', async (t) => {
  const server = await servers(t).start('429=1,retry-after=2');
  for (const path of ['/v1/limits', '/v1/deploys']) {
    const answer = await server.request('GET', path);
    assert.equal(answer.status, 429);
    assert.equal(answer.headers.get('retry-after'), '2');
    assert.equal(answer.body.error, 'rate_limited');
    assert.equal(typeof answer.body.message, 'string');
  }
});

/** PUTs a `size`-byte blob under reset=1 (seed 2 cuts the first PUT about a third in) and checks nothing is stored. */
async function resetPut(t: TestContext, size: number): Promise<void> {
  const { start, dataDir } = servers(t);
  const server = await start('reset=1', 2);
  const session = await createSession(server, 'cut', size);
  const outcome = await putBlob(server, session, 'the cut PUT');
  assert.match(outcome, /^error /, 'the cut PUT got an answer instead of a dead connection');
  const tmpDir = join(dataDir, 'tmp');
  await waitFor(() => readdirSync(tmpDir).length === 0, 5_000, 'tmp/ to be empty after the cut PUT');
  const blob = await server.request('GET', `/v1/blobs/${session.sha}`);
  assert.equal(blob.status, 404, 'a blob whose PUT was cut is stored');
  assert.deepEqual(copiesOnDisk(dataDir, session.sha), []);
}

test(
  'reset=1: a 4 MiB blob PUT has its connection destroyed mid-body, and nothing is stored',
  { timeout: 20_000 },
  (t) => resetPut(t, 4 * 1024 * 1024),
);

test(
  'reset=1: a small blob PUT (one packet) also gets a dead connection and nothing stored',
  { timeout: 20_000 },
  (t) => resetPut(t, 2048),
);

test(
  'drop=1 on commit: the client gets no answer, yet the commit happened (seen after restart without faults)',
  { timeout: 20_000 },
  async (t) => {
    const { start } = servers(t);
    const clean = await start();
    const session = await createSession(clean, 'dropped', 100);
    const put = await clean.request('PUT', `/v1/upload-sessions/${session.sessionId}/blobs/${session.sha}`, {
      raw: session.body,
      uploadToken: session.uploadToken,
    });
    assert.equal(put.status, 200);

    const dropping = await start('drop=1');
    const body = Buffer.from(JSON.stringify({ entries: session.entries }));
    const headers = { 'x-upload-token': session.uploadToken, 'content-type': 'application/json' };
    const outcome = await within(
      rawRequest(dropping, 'POST', `/v1/upload-sessions/${session.sessionId}/commit`, headers, body),
      10_000,
      'the dropped commit',
    );
    assert.match(outcome, /^error /, 'the dropped commit got an answer');

    const after = await start();
    const state = await after.request('GET', `/v1/upload-sessions/${session.sessionId}`, {
      uploadToken: session.uploadToken,
    });
    assert.equal(state.body.uploadSession.status, 'committed');
    assert.match(state.body.uploadSession.deployVersionId, /^dv_/);
    const version = await after.request('GET', `/v1/deploy-versions/${state.body.uploadSession.deployVersionId}`);
    assert.equal(version.body.deployVersion.versionNo, 1);
  },
);

test(
  'expire=1,expire-after=200: the session expires 200 ms after creation, then missing-blobs answers 410',
  { timeout: 20_000 },
  async (t) => {
    const server = await servers(t).start('expire=1,expire-after=200');
    const session = await createSession(server, 'short', 10);
    const state = await server.request('GET', `/v1/upload-sessions/${session.sessionId}`, {
      uploadToken: session.uploadToken,
    });
    const { createdAt, expiresAt } = state.body.uploadSession;
    assert.equal(expiresAt - createdAt, 200);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now() + 5)));
    const expired = await server.request('GET', `/v1/upload-sessions/${session.sessionId}`, {
      uploadToken: session.uploadToken,
    });
    assert.equal(expired.body.uploadSession.status, 'expired');
    const put = await server.request('PUT', `/v1/upload-sessions/${session.sessionId}/blobs/${session.sha}`, {
      raw: session.body,
      uploadToken: session.uploadToken,
    });
    assert.equal(put.status, 410);
    assert.equal(put.body.error, 'upload_session_expired');
    const missing = await within(
      server.request('POST', `/v1/upload-sessions/${session.sessionId}/missing-blobs`, {
        json: { files: [{ path: 'index.html', sha256: session.sha, size: 10 }] },
        uploadToken: session.uploadToken,
      }),
      5_000,
      'missing-blobs on the expired session',
    );
    assert.equal(missing.status, 410);
    assert.equal(missing.body.error, 'upload_session_expired');
  },
);

test('stall=1: the first blob PUT is never answered, the server answers the rest, and the same PUT sent again is stored', async (t) => {
  const { start, dataDir } = servers(t);
  const server = await start('stall=1');
  const session = await createSession(server, 'quiet', 2048);
  const path = `/v1/upload-sessions/${session.sessionId}/blobs/${session.sha}`;
  const held = http.request(new URL(path, server.url), {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${server.apiKey}`,
      'x-upload-token': session.uploadToken,
      'content-type': 'application/octet-stream',
    },
  });
  const outcome = new Promise<string>((resolve) => {
    held.on('response', (res) => resolve(`status ${res.statusCode}`));
    held.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? error.message}`));
  });
  held.end(session.body);
  await assert.rejects(within(outcome, 500, 'the held PUT'), /the held PUT/, 'the held PUT was answered');
  assert.equal((await server.request('GET', '/v1/limits')).status, 200, 'the server answers other requests meanwhile');
  held.destroy(); // the client gives up
  const again = await server.request('PUT', path, { raw: session.body, uploadToken: session.uploadToken });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  const commit = await server.request('POST', `/v1/upload-sessions/${session.sessionId}/commit`, {
    json: { entries: session.entries },
    uploadToken: session.uploadToken,
  });
  assert.equal(commit.status, 201, JSON.stringify(commit.body));
  assert.deepEqual(readdirSync(join(dataDir, 'tmp')), [], 'the held PUT left nothing half-written');
});

test('latency=150: a request takes at least ~150 ms', async (t) => {
  const server = await servers(t).start('latency=150');
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const answer = await server.request('GET', '/v1/limits');
    const elapsed = performance.now() - started;
    assert.equal(answer.status, 200);
    assert.ok(elapsed >= 140, `request ${i} took ${elapsed.toFixed(1)} ms`);
  }
});

test(
  'faults are off by default: answers come, blobs are stored whole, sessions live for the TTL',
  { timeout: 20_000 },
  async (t) => {
    const { start, dataDir } = servers(t);
    const server = await start();
    for (let i = 0; i < 30; i++) {
      const answer = await server.request('GET', '/v1/limits');
      assert.equal(answer.status, 200, `request ${i}: ${JSON.stringify(answer.body)}`);
    }
    const session = await createSession(server, 'calm', 4 * 1024 * 1024);
    const state = await server.request('GET', `/v1/upload-sessions/${session.sessionId}`, {
      uploadToken: session.uploadToken,
    });
    assert.equal(
      state.body.uploadSession.expiresAt - state.body.uploadSession.createdAt,
      server.server.limits.sessionTtlMs,
    );
    const outcome = await putBlob(server, session, 'the PUT');
    assert.equal(outcome, 'status 200');
    assert.deepEqual(readdirSync(join(dataDir, 'tmp')), []);
    const blob = await fetch(new URL(`/v1/blobs/${session.sha}`, server.url), {
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    assert.equal(sha256(Buffer.from(await blob.arrayBuffer())), session.sha);
  },
);
