import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { CLI_ENTRY, makeApiKey, request, serverProcesses, waitFor, within } from './testing/test-server.ts';
import { blobsOnDisk, copiesOnDisk } from './testing/stored-blobs.ts';

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');
const MiB = 1024 * 1024;

/** A blob's bytes over GET /v1/blobs/{sha}, or the status when it is not 200. */
async function getBlob(baseUrl: string, apiKey: string, sha: string): Promise<{ status: number; bytes: Buffer }> {
  const response = await fetch(new URL(`/v1/blobs/${sha}`, baseUrl), {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
}

test(
  'SIGKILL in the middle of a blob PUT: after restart the cut blob is absent, tmp/ is empty, and the upload can be redone',
  { timeout: 60_000 },
  async (t) => {
    const { dataDir, serve } = serverProcesses(t);
    const apiKey = makeApiKey();
    let server = await serve(['--api-key', apiKey]);

    const big = randomBytes(64 * MiB);
    const bigSha = sha256(big);
    const done = randomBytes(MiB + 123);
    const doneSha = sha256(done);
    const files = [
      { path: 'big.bin', sha256: bigSha, size: big.length },
      { path: 'done.bin', sha256: doneSha, size: done.length },
    ];
    const created = await request(server.url, apiKey, 'POST', '/v1/upload-sessions', {
      json: { createDeploy: { slug: 'crash', name: 'Crash' }, files },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const sessionId: string = created.body.uploadSession.id;
    const { uploadToken } = created.body;

    const whole = await request(server.url, apiKey, 'PUT', `/v1/upload-sessions/${sessionId}/blobs/${doneSha}`, {
      raw: done,
      uploadToken,
    });
    assert.equal(whole.status, 200, JSON.stringify(whole.body));

    // Start the 64 MiB PUT but send only its first MiB, then kill the server once bytes have reached a temp file.
    const clientOutcome = new Promise<string>((resolve) => {
      const req = http.request(new URL(`/v1/upload-sessions/${sessionId}/blobs/${bigSha}`, server.url), {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'x-upload-token': uploadToken,
          'content-type': 'application/octet-stream',
          'content-length': big.length,
        },
      });
      req.on('response', (res) => resolve(`a response (${res.statusCode})`));
      req.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? error.message}`));
      req.write(big.subarray(0, MiB));
    });
    const tmpDir = join(dataDir, 'tmp');
    const partFiles = () => readdirSync(tmpDir).filter((name) => name.endsWith('.part'));
    await waitFor(
      () => partFiles().some((name) => statSync(join(tmpDir, name)).size > 0),
      10_000,
      'a .part file with bytes in tmp/',
    );
    server.child.kill('SIGKILL');
    assert.equal(await within(server.exited, 10_000, 'the killed server to exit'), 'SIGKILL');
    assert.match(
      await within(clientOutcome, 10_000, 'the client to see the connection end'),
      /^error /,
      'the cut PUT must not get an answer',
    );
    assert.ok(
      partFiles().length > 0,
      'the killed server should leave its .part file behind (else this test proves nothing)',
    );

    server = await serve(['--api-key', apiKey]);
    assert.deepEqual(readdirSync(tmpDir), [], 'tmp/ is not empty after restart');
    assert.deepEqual(copiesOnDisk(dataDir, bigSha), [], 'a copy of the cut blob is under blobs/');
    const absent = await request(server.url, apiKey, 'GET', `/v1/blobs/${bigSha}`);
    assert.equal(absent.status, 404);
    assert.equal(absent.body.error, 'blob_not_found');

    // The PUT that completed before the kill is whole, on disk and over HTTP.
    const [onDisk] = copiesOnDisk(dataDir, doneSha);
    assert.ok(onDisk, 'the completed blob is not under blobs/');
    assert.equal(sha256(onDisk.bytes()), doneSha, 'the completed blob on disk does not hash to its sha256');
    const fetched = await getBlob(server.url, apiKey, doneSha);
    assert.equal(fetched.status, 200);
    assert.equal(sha256(fetched.bytes), doneSha);

    // The metadata opens: the deploy is listed, the session is alive and knows what it still needs.
    const deploys = await request(server.url, apiKey, 'GET', '/v1/deploys');
    assert.deepEqual(
      deploys.body.items.map((d: { slug: string }) => d.slug),
      ['crash'],
    );
    const state = await request(server.url, apiKey, 'GET', `/v1/upload-sessions/${sessionId}`, { uploadToken });
    assert.equal(state.status, 200, JSON.stringify(state.body));
    assert.equal(state.body.uploadSession.status, 'open');
    assert.equal(state.body.uploadSession.deployVersionId, null);
    const missing = await within(
      request(server.url, apiKey, 'POST', `/v1/upload-sessions/${sessionId}/missing-blobs`, {
        json: { files },
        uploadToken,
      }),
      5_000,
      'missing-blobs',
    );
    assert.deepEqual(missing.body.missingBlobs, [{ sha256: bigSha }]);

    // Upload it again, whole this time, and commit.
    const again = await request(server.url, apiKey, 'PUT', `/v1/upload-sessions/${sessionId}/blobs/${bigSha}`, {
      raw: big,
      uploadToken,
    });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.alreadyPresent, false);
    const entries = files.map((file) => ({ path: file.path, blobHash: file.sha256, size: file.size }));
    const commit = await within(
      request(server.url, apiKey, 'POST', `/v1/upload-sessions/${sessionId}/commit`, {
        json: { entries },
        uploadToken,
      }),
      10_000,
      'commit',
    );
    assert.equal(commit.status, 201, JSON.stringify(commit.body));
    assert.equal(commit.body.deployVersion.versionNo, 1);
    const stored = await getBlob(server.url, apiKey, bigSha);
    assert.equal(sha256(stored.bytes), bigSha, 'the re-uploaded blob is not whole');
  },
);

/** How a PUT ended: answered 200, answered otherwise, or cut (the server died). */
type PutEnd = 'acknowledged' | 'refused' | 'cut';

/** PUTs one blob on `agent`'s connections; never rejects. */
function putBlob(
  agent: http.Agent,
  baseUrl: string,
  apiKey: string,
  session: { id: string; uploadToken: string },
  blob: { sha256: string; bytes: Buffer },
): Promise<PutEnd> {
  return new Promise((resolve) => {
    const req = http.request(new URL(`/v1/upload-sessions/${session.id}/blobs/${blob.sha256}`, baseUrl), {
      method: 'PUT',
      agent,
      headers: {
        authorization: `Bearer ${apiKey}`,
        'x-upload-token': session.uploadToken,
        'content-type': 'application/octet-stream',
        'content-length': blob.bytes.length,
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? 'acknowledged' : 'refused'));
      res.on('error', () => resolve('cut'));
    });
    req.on('error', () => resolve('cut'));
    req.end(blob.bytes);
  });
}

test(
  'SIGKILL while many blob PUTs are in flight, twice: every blob answered 200 is in the store after restart, whole and readable, and no half-written file is visible',
  { timeout: 180_000 },
  async (t) => {
    const { dataDir, serve } = serverProcesses(t);
    const apiKey = makeApiKey();
    // Small blobs are appended to a pack in shared rounds; the large ones are written to files as they arrive.
    const blobs = [
      ...Array.from({ length: 600 }, (_, i) => randomBytes(1 + ((i * 977) % 8192))),
      ...Array.from({ length: 4 }, (_, i) => randomBytes(2 * MiB + i * 4099)),
    ].map((bytes, i) => ({ path: `f${i}.bin`, sha256: sha256(bytes), size: bytes.length, bytes }));
    const files = blobs.map(({ path, sha256: sha, size }) => ({ path, sha256: sha, size }));
    let server = await serve(['--api-key', apiKey]);
    const created = await request(server.url, apiKey, 'POST', '/v1/upload-sessions', {
      json: { createDeploy: { slug: 'killed-mid-stream', name: 'Killed' }, files },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const session = { id: created.body.uploadSession.id as string, uploadToken: created.body.uploadToken as string };
    const acknowledged = new Set<string>();

    /** PUTs every blob not yet acknowledged, 24 at a time; SIGKILLs the server once `killAfter` more are acknowledged. */
    const upload = async (killAfter: number | null) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 24 });
      const queue = blobs.filter((blob) => !acknowledged.has(blob.sha256));
      const ends: PutEnd[] = [];
      let inFlightAtKill = -1;
      let inFlight = 0;
      let newlyAcknowledged = 0;
      await Promise.all(
        Array.from({ length: 24 }, async () => {
          for (let blob = queue.shift(); blob !== undefined && inFlightAtKill < 0; blob = queue.shift()) {
            inFlight++;
            const end = await putBlob(agent, server.url, apiKey, session, blob);
            inFlight--;
            ends.push(end);
            if (end !== 'acknowledged') continue;
            acknowledged.add(blob.sha256);
            if (++newlyAcknowledged === killAfter) {
              inFlightAtKill = inFlight;
              server.child.kill('SIGKILL');
            }
          }
        }),
      );
      agent.destroy();
      return { ends, inFlightAtKill };
    };

    /**
     * After a kill: every blob under blobs/ (a file of its own, or a pack record as far as records
     * are whole) hashes to its name, and every acknowledged blob is there, before and after restart.
     */
    const checkAfterKill = async (round: string) => {
      assert.equal(await within(server.exited, 10_000, 'the killed server to exit'), 'SIGKILL');
      const stored = () => new Map(blobsOnDisk(dataDir).map((blob) => [blob.sha256, blob]));
      for (const [name, blob] of stored()) {
        assert.equal(sha256(blob.bytes()), name, `${round}: ${name} in ${blob.file} is not whole`);
      }
      server = await serve(['--api-key', apiKey]);
      assert.deepEqual(readdirSync(join(dataDir, 'tmp')), [], `${round}: tmp/ is not empty after restart`);
      const onDisk = stored();
      for (const [name, blob] of onDisk) {
        assert.equal(sha256(blob.bytes()), name, `${round}: after restart, ${name} in ${blob.file} is not whole`);
      }
      for (const sha of acknowledged) {
        const blob = onDisk.get(sha);
        assert.ok(blob, `${round}: acknowledged blob ${sha} is not in the store`);
        assert.equal(sha256(blob.bytes()), sha, `${round}: acknowledged blob ${sha} is not whole`);
        const fetched = await getBlob(server.url, apiKey, sha);
        assert.equal(fetched.status, 200, `${round}: GET of acknowledged blob ${sha}`);
        assert.equal(sha256(fetched.bytes), sha, `${round}: GET of acknowledged blob ${sha} is not whole`);
      }
      const missing = await request(server.url, apiKey, 'POST', `/v1/upload-sessions/${session.id}/missing-blobs`, {
        json: { files: files.slice(0, 1000) },
        uploadToken: session.uploadToken,
      });
      assert.equal(missing.status, 200, JSON.stringify(missing.body));
      for (const { sha256: sha } of missing.body.missingBlobs as Array<{ sha256: string }>) {
        assert.ok(!acknowledged.has(sha), `${round}: acknowledged blob ${sha} is reported missing`);
      }
    };

    // Early: the first rounds are in flight; then again in the middle, on a server restarted on the same data.
    for (const [round, killAfter] of [
      ['first kill', 30],
      ['second kill', 200],
    ] as const) {
      const { ends, inFlightAtKill } = await upload(killAfter);
      assert.ok(inFlightAtKill > 0, `${round}: no PUT was in flight at the kill (it proves nothing)`);
      assert.ok(ends.includes('cut'), `${round}: the kill cut no PUT (it proves nothing)`);
      assert.ok(!ends.includes('refused'), `${round}: a PUT was refused`);
      await checkAfterKill(round);
    }

    // The rest goes up on the restarted server, and the session commits with every blob.
    const { ends } = await upload(null);
    assert.ok(
      ends.every((end) => end === 'acknowledged'),
      'a PUT after the restarts was not acknowledged',
    );
    assert.equal(acknowledged.size, blobs.length);
    const commit = await within(
      request(server.url, apiKey, 'POST', `/v1/upload-sessions/${session.id}/commit`, {
        json: { entries: files.map(({ path, sha256: sha, size }) => ({ path, blobHash: sha, size })) },
        uploadToken: session.uploadToken,
      }),
      30_000,
      'commit',
    );
    assert.equal(commit.status, 201, JSON.stringify(commit.body));
  },
);

test(
  'SIGTERM stops cleanly (exit 0); a restart keeps deploys, versions, blobs and the generated API key',
  { timeout: 30_000 },
  async (t) => {
    const { dataDir, serve } = serverProcesses(t);
    const first = await serve();
    const printedKey = /(pcak_[A-Za-z0-9_-]+)/.exec(first.output())?.[1];
    assert.ok(printedKey, `the first start printed no pcak_ key:\n${first.output()}`);
    const keyFile = join(dataDir, 'api-key');
    assert.equal(readFileSync(keyFile, 'utf8').trim(), printedKey, '<data>/api-key does not hold the printed key');

    const page = '<h1>kept</h1>';
    const files = [{ path: 'index.html', sha256: sha256(page), size: page.length }];
    const created = await request(first.url, printedKey, 'POST', '/v1/upload-sessions', {
      json: { createDeploy: { slug: 'kept', name: 'Kept' }, files },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { uploadSession, uploadToken } = created.body;
    const put = await request(
      first.url,
      printedKey,
      'PUT',
      `/v1/upload-sessions/${uploadSession.id}/blobs/${sha256(page)}`,
      { raw: page, uploadToken },
    );
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const commit = await within(
      request(first.url, printedKey, 'POST', `/v1/upload-sessions/${uploadSession.id}/commit`, {
        json: { entries: [{ path: 'index.html', blobHash: sha256(page), size: page.length }] },
        uploadToken,
      }),
      5_000,
      'commit',
    );
    assert.equal(commit.status, 201, JSON.stringify(commit.body));

    first.child.kill('SIGTERM');
    assert.equal(await within(first.exited, 10_000, 'the server to exit after SIGTERM'), 0);
    assert.match(first.output(), /SIGTERM: finishing requests/);
    assert.match(first.output(), /^Stopped\.$/m);
    assert.equal(existsSync(join(dataDir, 'server.lock')), false, 'a clean stop left server.lock behind');

    const second = await serve();
    assert.doesNotMatch(second.output(), /pcak_/, 'the restart printed a key');
    assert.match(second.output(), /API key: the one kept in/);
    assert.equal(readFileSync(keyFile, 'utf8').trim(), printedKey, 'the restart changed <data>/api-key');

    const deploys = await request(second.url, printedKey, 'GET', '/v1/deploys');
    assert.equal(deploys.status, 200, 'the old key no longer works');
    assert.equal(deploys.body.items.length, 1);
    assert.equal(deploys.body.items[0].versionCount, 1);
    const versions = await request(second.url, printedKey, 'GET', `/v1/deploys/${deploys.body.items[0].id}/versions`);
    assert.deepEqual(
      versions.body.items.map((v: { id: string }) => v.id),
      [commit.body.deployVersion.id],
    );
    const blob = await getBlob(second.url, printedKey, sha256(page));
    assert.equal(blob.bytes.toString(), page);
    const preview = await fetch(new URL('/preview/kept/1/', second.url));
    assert.equal(await preview.text(), page);
    const stranger = await request(second.url, makeApiKey(), 'GET', '/v1/deploys');
    assert.equal(stranger.status, 401);
  },
);

test(
  "a second server on the same data folder exits non-zero naming the first one's pid, and the first keeps serving",
  { timeout: 30_000 },
  async (t) => {
    const { dataDir, serve } = serverProcesses(t);
    const apiKey = makeApiKey();
    const first = await serve(['--api-key', apiKey]);

    const second = spawn(
      process.execPath,
      [CLI_ENTRY, 'serve', '--port', '0', '--data', dataDir, '--api-key', apiKey],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.after(() => second.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    second.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    second.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await within(
      new Promise((resolve) => second.once('exit', (c, signal) => resolve(c ?? signal))),
      10_000,
      'the second server to exit',
    );
    assert.notEqual(code, 0);
    assert.match(
      stderr,
      new RegExp(`pid ${first.child.pid}\\b`),
      `stderr does not name pid ${first.child.pid}: ${stderr}`,
    );
    assert.doesNotMatch(stdout, /listening on/);

    assert.equal(
      readFileSync(join(dataDir, 'server.lock'), 'utf8').trim(),
      String(first.child.pid),
      'the lock no longer names the first server',
    );
    const limits = await request(first.url, apiKey, 'GET', '/v1/limits');
    assert.equal(limits.status, 200);
  },
);
