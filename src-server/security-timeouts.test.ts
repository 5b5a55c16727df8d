/**
 * Slow and silent clients are cut off: headers have a total time, JSON
 * bodies a deadline, blob bodies a stall time (and no total time, so a
 * large upload that keeps moving always completes). First against a real
 * `pressdrop serve` with its default timeouts, then in-process with short
 * ones to show which clock is which.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_TIMEOUTS } from './perimeter.ts';
import { openSlowClient, parseAnswer, type SlowClient } from './testing/raw-http.ts';
import { type HostileTarget, startHostileTarget } from './testing/security-fixture.ts';
import { startTestServer, type TestServer, waitFor, within } from './testing/test-server.ts';
import { copiesOnDisk } from './testing/stored-blobs.ts';

const sha256hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Writes `text` one byte at a time, `everyMs` apart, until the server closes the connection. */
async function trickle(client: SlowClient, text: string, everyMs: number): Promise<void> {
  for (const byte of Buffer.from(text, 'latin1')) {
    if (client.socket.destroyed) return;
    client.socket.write(Buffer.of(byte));
    await Promise.race([sleep(everyMs), client.closed]);
  }
}

/** A session on `server` registering one file of `size` random bytes; returns what a blob PUT needs. */
async function blobSession(server: { request: TestServer['request'] }, slug: string, size: number) {
  const body = randomBytes(size);
  const sha = sha256hex(body);
  const created = await server.request('POST', '/v1/upload-sessions', {
    json: { createDeploy: { slug, name: slug }, files: [{ path: 'big.bin', sha256: sha, size }] },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return { id: created.body.uploadSession.id as string, token: created.body.uploadToken as string, body, sha };
}

const putHead = (port: number, apiKey: string, s: { id: string; token: string; sha: string; body: Buffer }) =>
  `PUT /v1/upload-sessions/${s.id}/blobs/${s.sha} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${apiKey}\r\nX-Upload-Token: ${s.token}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${s.body.length}\r\n\r\n`;

describe(
  'pressdrop serve cuts off silent and slow clients within seconds (default timeouts)',
  { timeout: 60_000 },
  () => {
    let target: HostileTarget;
    after(() => target?.stop());
    before(async () => {
      target = await startHostileTarget();
    });

    test('five slow clients at once: each is cut by the clock that applies to it', async () => {
      const { headersMs, bodyMs, stallMs } = DEFAULT_TIMEOUTS;
      assert.ok(headersMs <= 8_000 && bodyMs <= 10_000 && stallMs <= 10_000, 'the defaults are seconds');
      const session = await blobSession(target, 'stalled', 1024);
      const json = `POST /v1/deploys HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nAuthorization: Bearer ${target.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`;
      const clients = await Promise.all(Array.from({ length: 5 }, () => openSlowClient(target.port)));
      const [_silent, slowHeaders, silentBody, tricklingBody, silentBlob] = clients as [
        SlowClient,
        SlowClient,
        SlowClient,
        SlowClient,
        SlowClient,
      ];
      void trickle(
        slowHeaders,
        `GET /v1/limits HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nX-Slow: ${'s'.repeat(100)}\r\n\r\n`,
        250,
      );
      silentBody.socket.write(json);
      tricklingBody.socket.write(json);
      void trickle(tricklingBody, `{"slug":"never","name":"${'n'.repeat(180)}"}`, 250);
      silentBlob.socket.write(putHead(target.port, target.apiKey, session));

      const limit = Math.max(headersMs, bodyMs, stallMs) + 3_000;
      const [silentMs, slowHeadersMs, silentBodyMs, tricklingBodyMs, silentBlobMs] = (await within(
        Promise.all(clients.map((c) => c.closed)),
        limit,
        'every slow client to be cut off',
      )) as [number, number, number, number, number];
      // Node checks header deadlines every second at most, so a cut comes up to that much late.
      for (const [what, ms, clock] of [
        ['a connection that sends nothing', silentMs, headersMs],
        ['headers sent a byte every 250 ms', slowHeadersMs, headersMs],
        ['a JSON body declared and never sent', silentBodyMs, bodyMs],
        ['a JSON body sent a byte every 250 ms', tricklingBodyMs, bodyMs],
        ['a blob body declared and never sent', silentBlobMs, stallMs],
      ] as const) {
        assert.ok(
          ms >= clock - 250 && ms <= clock + 2_000,
          `${what}: cut after ${Math.round(ms)} ms, expected about ${clock}`,
        );
      }
      for (const client of clients)
        assert.doesNotMatch(client.received(), /HTTP\/1\.1 2/, 'no slow client got an answer of success');
      const deploys = await target.request('GET', '/v1/deploys');
      assert.ok(
        !deploys.body.items.some((d: { slug: string }) => d.slug === 'never'),
        'the trickled deploy was not created',
      );
      // The cut upload's temp file is removed as its handler unwinds, just after the connection ends.
      await waitFor(
        () => readdirSync(join(target.dataDir, 'tmp')).length === 0,
        5_000,
        'the stalled blob to leave no temp file',
      );
    });
  },
);

describe('which clock is which (short timeouts, in-process)', { timeout: 60_000 }, () => {
  const timeouts = { headersMs: 400, bodyMs: 600, stallMs: 500 };
  let server: TestServer;
  after(() => server?.close());
  before(async () => {
    server = await startTestServer({ timeouts });
  });

  test('a blob body that keeps moving is never cut, however long it takes (no total time)', async () => {
    const session = await blobSession(server, 'steady', 64 * 1024);
    const client = await openSlowClient(server.server.port);
    client.socket.write(putHead(server.server.port, server.apiKey, session));
    const started = performance.now();
    // 32 chunks 120 ms apart: about 3.8 s in all, six times the JSON deadline, each gap well under the stall time.
    for (let offset = 0; offset < session.body.length; offset += 2048) {
      await sleep(120);
      client.socket.write(session.body.subarray(offset, offset + 2048));
    }
    await within(
      new Promise<void>((resolve) => {
        const check = () =>
          parseAnswer(Buffer.from(client.received(), 'latin1')) ? resolve() : client.socket.once('data', check);
        check();
      }),
      5_000,
      'the answer to the steady upload',
    );
    const elapsed = performance.now() - started;
    const answer = parseAnswer(Buffer.from(client.received(), 'latin1'))!;
    assert.equal(answer.status, 200, answer.body);
    assert.ok(elapsed > 6 * timeouts.bodyMs, `the upload took ${Math.round(elapsed)} ms`);
    const stored = await fetch(`${server.url}/v1/blobs/${session.sha}`, {
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    assert.equal(sha256hex(Buffer.from(await stored.arrayBuffer())), session.sha);

    // The same connection, idle for twice the stall time after its answer, still takes the next request.
    await sleep(2 * timeouts.stallMs);
    assert.equal(client.socket.destroyed, false, 'an idle keep-alive connection is not cut by the stall timer');
    client.socket.write(
      `GET /v1/limits HTTP/1.1\r\nHost: 127.0.0.1:${server.server.port}\r\nAuthorization: Bearer ${server.apiKey}\r\nConnection: close\r\n\r\n`,
    );
    await within(client.closed, 5_000, 'the second answer');
    assert.match(client.received(), /HTTP\/1\.1 200 OK[\s\S]*HTTP\/1\.1 200 OK/);
  });

  test('a blob body that stops moving is cut after the stall time, and nothing is stored', async () => {
    const session = await blobSession(server, 'stops', 64 * 1024);
    const client = await openSlowClient(server.server.port);
    client.socket.write(putHead(server.server.port, server.apiKey, session));
    client.socket.write(session.body.subarray(0, 30_000));
    const lastByte = performance.now();
    await within(client.closed, 5_000, 'the stalled upload to be cut');
    const quiet = performance.now() - lastByte;
    assert.ok(
      quiet >= timeouts.stallMs - 50 && quiet <= timeouts.stallMs + 1_000,
      `cut ${Math.round(quiet)} ms after the last byte`,
    );
    assert.doesNotMatch(client.received(), /HTTP\/1\.1 200/);
    await waitFor(() => readdirSync(join(server.dataDir, 'tmp')).length === 0, 5_000, 'tmp/ to be empty');
    assert.deepEqual(copiesOnDisk(server.dataDir, session.sha), []);
  });

  test('a JSON body that never pauses long is still cut at its deadline', async () => {
    const client = await openSlowClient(server.server.port);
    client.socket.write(
      `POST /v1/deploys HTTP/1.1\r\nHost: 127.0.0.1:${server.server.port}\r\nAuthorization: Bearer ${server.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`,
    );
    const bodyStarted = performance.now();
    void trickle(client, `{"slug":"trickled","name":"${'n'.repeat(70)}"}`, 50);
    await within(client.closed, 5_000, 'the trickling JSON body to be cut');
    const took = performance.now() - bodyStarted;
    assert.ok(took >= timeouts.bodyMs - 50 && took <= timeouts.bodyMs + 1_000, `cut after ${Math.round(took)} ms`);
    assert.equal(
      (await server.request('GET', '/v1/deploys')).body.items.length,
      2,
      'only the two sessions above made deploys',
    );
  });

  test('headers are cut at their timeout, checked often enough to be near it', async () => {
    const client = await openSlowClient(server.server.port);
    void trickle(
      client,
      `GET /v1/limits HTTP/1.1\r\nHost: 127.0.0.1:${server.server.port}\r\nX-Slow: ${'s'.repeat(200)}\r\n\r\n`,
      30,
    );
    const ms = await within(client.closed, 5_000, 'slow headers to be cut');
    assert.ok(ms >= timeouts.headersMs - 50 && ms <= timeouts.headersMs + 400, `cut after ${Math.round(ms)} ms`);
    assert.equal(client.received(), '', 'a timed-out client gets no answer, only the end of the connection');
  });
});

describe('the stall clock counts the client’s silence, not the server’s own slowness', { timeout: 60_000 }, () => {
  test('a 256 MiB upload sent as fast as it can go survives a 100 ms stall time while the server flushes to disk', async (t) => {
    const server = await startTestServer({ timeouts: { stallMs: 100 } });
    t.after(() => server.close());
    const size = 256 * 1024 * 1024;
    const body = randomBytes(size);
    const sha = sha256hex(body);
    const created = await server.request('POST', '/v1/upload-sessions', {
      json: { createDeploy: { slug: 'fast', name: 'fast' }, files: [{ path: 'fast.bin', sha256: sha, size }] },
    });
    assert.equal(created.status, 201);
    // Its datasync every 64 MiB holds the socket unread for longer than 100 ms; those pauses are ours, not the client's.
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest(
        `${server.url}/v1/upload-sessions/${created.body.uploadSession.id}/blobs/${sha}`,
        {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${server.apiKey}`,
            'x-upload-token': created.body.uploadToken,
            'content-type': 'application/octet-stream',
            'content-length': size,
          },
        },
        (res) => {
          res.resume();
          resolve(`status ${res.statusCode}`);
        },
      );
      req.on('error', (error) => resolve(`error ${error.message}`));
      req.end(body);
    });
    assert.equal(outcome, 'status 200');
  });
});

/** `size` zero bytes, streamed in 1 MiB chunks. */
function zeros(size: number): Readable {
  const chunk = Buffer.alloc(1024 * 1024);
  let left = size;
  return new Readable({
    read() {
      const take = Math.min(left, chunk.length);
      left -= take;
      this.push(take === 0 ? null : take === chunk.length ? chunk : chunk.subarray(0, take));
    },
  });
}

// Minutes of disk and CPU: run it with PRESSDROP_BIG_TESTS=1.
describe(
  'a 4 GiB blob uploads through pressdrop serve with its default timeouts',
  {
    timeout: 30 * 60_000,
    skip: process.env.PRESSDROP_BIG_TESTS === '1' ? false : 'set PRESSDROP_BIG_TESTS=1 to upload 4 GiB',
  },
  () => {
    test('PUT of 4 GiB answers 200 and the blob is stored whole', async () => {
      const size = 4 * 1024 ** 3;
      const hash = createHash('sha256');
      for await (const chunk of zeros(size)) hash.update(chunk as Buffer);
      const sha = hash.digest('hex');
      const target = await startHostileTarget();
      try {
        const created = await target.request('POST', '/v1/upload-sessions', {
          json: { createDeploy: { slug: 'huge', name: 'huge' }, files: [{ path: 'huge.bin', sha256: sha, size }] },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const status = await new Promise<number>((resolve, reject) => {
          const req = httpRequest(
            `${target.url}/v1/upload-sessions/${created.body.uploadSession.id}/blobs/${sha}`,
            {
              method: 'PUT',
              headers: {
                authorization: `Bearer ${target.apiKey}`,
                'x-upload-token': created.body.uploadToken,
                'content-type': 'application/octet-stream',
                'content-length': size,
              },
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          zeros(size).pipe(req);
        });
        assert.equal(status, 200);
        assert.equal(copiesOnDisk(target.dataDir, sha).length, 1);
      } finally {
        await target.stop();
      }
    });
  },
);
