import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeApiKey, request, serverProcesses, waitFor, within } from './testing/test-server.ts';
import { copiesOnDisk } from './testing/stored-blobs.ts';

// A disk that refuses a write, made real: the server runs under `ulimit -f`, so the kernel refuses any write
// that would make one of its files larger than the limit (EFBIG). Small blobs go into packs of up to 32 MiB,
// so a limit of 8 MiB makes the pack being written refuse the record that would cross it.

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const KiB = 1024;
const LIMIT_KIB = 8 * 1024;

/** `serve` processes on one data folder and key (see serverProcesses), each with or without a file size limit. */
function harness(t: TestContext) {
  const apiKey = makeApiKey();
  const { dataDir, serve } = serverProcesses(t);
  return {
    dataDir,
    apiKey,
    serve: (options: { fileSizeLimitKiB?: number } = {}) => serve(['--api-key', apiKey], options),
  };
}

test(
  'a write the disk refuses: the blob is not acknowledged, later blobs go to a new pack, the same PUT again is stored, and after a SIGKILL every acknowledged blob is whole',
  { timeout: 60_000 },
  async (t) => {
    const { dataDir, apiKey, serve } = harness(t);
    let server = await serve({ fileSizeLimitKiB: LIMIT_KIB });
    const call = (method: string, path: string, init?: Parameters<typeof request>[4]) =>
      request(server.url, apiKey, method, path, init);

    // 40 blobs of 256 KiB: the 32nd record would take the first pack past 8 MiB.
    const blobs = Array.from({ length: 40 }, () => randomBytes(256 * KiB));
    const files = blobs.map((bytes, i) => ({ path: `part-${i}.bin`, sha256: sha256(bytes), size: bytes.length }));
    const created = await call('POST', '/v1/upload-sessions', {
      json: { createDeploy: { slug: 'refused', name: 'Refused' }, files },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const sessionId: string = created.body.uploadSession.id;
    const { uploadToken } = created.body;
    const put = (i: number) =>
      call('PUT', `/v1/upload-sessions/${sessionId}/blobs/${files[i]!.sha256}`, { raw: blobs[i]!, uploadToken });
    const missing = async () => {
      const answer = await call('POST', `/v1/upload-sessions/${sessionId}/missing-blobs`, {
        json: { files },
        uploadToken,
      });
      return new Set(answer.body.missingBlobs.map((blob: { sha256: string }) => blob.sha256));
    };

    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) statuses.push((await put(i)).status);
    assert.deepEqual(statuses, [...Array(31).fill(200), 500], 'the 32nd PUT, refused by the disk, answers 500');
    assert.ok((await missing()).has(files[31]!.sha256), 'the refused blob is still missing');
    assert.match(server.errorOutput(), /internal error on PUT .*bytes to .*000001\.pack/, 'the cause is logged');

    for (let i = 32; i < 40; i++) assert.equal((await put(i)).status, 200, `blob ${i} after the refusal`);
    const again = await put(31);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.alreadyPresent, false);
    assert.deepEqual(await missing(), new Set());
    const packs = readdirSync(join(dataDir, 'blobs', 'packs')).filter((name) => name.endsWith('.pack'));
    assert.deepEqual(packs.sort(), ['000001.pack', '000002.pack'], 'the refusing pack takes nothing more');

    const commit = await call('POST', `/v1/upload-sessions/${sessionId}/commit`, {
      json: { entries: files.map(({ path, sha256: blobHash, size }) => ({ path, blobHash, size })) },
      uploadToken,
    });
    assert.equal(commit.status, 201, JSON.stringify(commit.body));

    // A blob larger than the limit goes to a file of its own, which can never be written whole.
    const big = randomBytes(9 * 1024 * KiB);
    const bigSession = await call('POST', '/v1/upload-sessions', {
      json: {
        deployId: commit.body.deployVersion.deployId,
        files: [{ path: 'big.bin', sha256: sha256(big), size: big.length }],
      },
    });
    assert.equal(bigSession.status, 201, JSON.stringify(bigSession.body));
    const bigPut = await call('PUT', `/v1/upload-sessions/${bigSession.body.uploadSession.id}/blobs/${sha256(big)}`, {
      raw: big,
      uploadToken: bigSession.body.uploadToken,
    });
    assert.equal(bigPut.status, 500);
    assert.deepEqual(readdirSync(join(dataDir, 'tmp')), [], 'no half-written file is left in tmp/');

    // Killed without a chance to tidy up, then started without the limit.
    server.child.kill('SIGKILL');
    await within(server.exited, 10_000, 'the killed server to exit');
    server = await serve();
    for (let i = 0; i < blobs.length; i++) {
      const response = await fetch(new URL(`/preview/refused/1/part-${i}.bin`, server.url));
      assert.equal(response.status, 200, `part-${i}.bin`);
      assert.equal(sha256(Buffer.from(await response.arrayBuffer())), files[i]!.sha256, `part-${i}.bin`);
    }
    assert.equal((await call('GET', `/v1/blobs/${sha256(big)}`)).status, 404);
    assert.deepEqual(copiesOnDisk(dataDir, sha256(big)), [], 'no copy of the refused big blob');

    // And the store takes new blobs.
    const more = randomBytes(4 * KiB);
    const next = await call('POST', '/v1/upload-sessions', {
      json: {
        deployId: commit.body.deployVersion.deployId,
        files: [{ path: 'more.bin', sha256: sha256(more), size: more.length }],
      },
    });
    const nextPut = await call('PUT', `/v1/upload-sessions/${next.body.uploadSession.id}/blobs/${sha256(more)}`, {
      raw: more,
      uploadToken: next.body.uploadToken,
    });
    assert.equal(nextPut.status, 200, JSON.stringify(nextPut.body));
  },
);

test('a data folder whose disk refuses the first writes: serve stops in one line naming the database and what to check', async (t) => {
  const { dataDir, serve } = harness(t);
  await assert.rejects(serve({ fileSizeLimitKiB: 16 }), (error: Error) => {
    assert.match(
      error.message,
      new RegExp(
        `stderr: pressdrop: The metadata database ${join(dataDir, '[^ ]+\\.sqlite')} cannot be opened: [^\\n]+\\. Check that its disk has free space and that the data folder is writable\\.\\n`,
      ),
    );
    assert.doesNotMatch(error.message, /no transaction is active/);
    return true;
  });
  // With room, the same folder serves.
  await serve();
});

test('a disk that refuses every record: each refused PUT leaves no pack behind, and a blob that fits is stored', async (t) => {
  const { dataDir, apiKey, serve } = harness(t);
  // Room for the database, not for one 500 KiB record.
  let server = await serve({ fileSizeLimitKiB: 448 });
  const call = (method: string, path: string, init?: Parameters<typeof request>[4]) =>
    request(server.url, apiKey, method, path, init);
  const large = randomBytes(500 * KiB);
  const small = randomBytes(4 * KiB);
  const files = [
    { path: 'large.bin', sha256: sha256(large), size: large.length },
    { path: 'small.bin', sha256: sha256(small), size: small.length },
  ];
  const created = await call('POST', '/v1/upload-sessions', {
    json: { createDeploy: { slug: 'full', name: 'Full' }, files },
  });
  const { uploadToken } = created.body;
  const put = (bytes: Buffer) =>
    call('PUT', `/v1/upload-sessions/${created.body.uploadSession.id}/blobs/${sha256(bytes)}`, {
      raw: bytes,
      uploadToken,
    });
  const packFiles = () => readdirSync(join(dataDir, 'blobs', 'packs'));

  for (let attempt = 0; attempt < 3; attempt++) assert.equal((await put(large)).status, 500, `attempt ${attempt}`);
  await waitFor(() => packFiles().length === 0, 5_000, 'the refused packs to be removed');
  assert.equal((await put(small)).status, 200);
  assert.deepEqual(packFiles(), ['000004.pack'], 'one pack, holding the small blob');

  server.child.kill('SIGKILL');
  await within(server.exited, 10_000, 'the killed server to exit');
  server = await serve();
  assert.equal((await put(large)).status, 200, 'with room, the same PUT is stored');
  const stored = await fetch(new URL(`/v1/blobs/${sha256(small)}`, server.url), {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  assert.equal(sha256(Buffer.from(await stored.arrayBuffer())), sha256(small));
});
