import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { PressCloudClient, type RetryInfo } from './press-cloud-client.ts';
import { failure } from '../../testing/expect-failure.ts';

// The client against peers that misbehave on purpose (no server, a hang, a cut answer, HTML):
// the failures the real Press Cloud cannot be made to show on demand.
const FAST_RETRY = { baseMs: 1, capMs: 10 };

/** `size` zero bytes, made lazily: the stall test must not hold 64 MB in memory. */
function zeros(size: number): Readable {
  const chunk = Buffer.alloc(64 * 1024);
  return Readable.from(
    (function* () {
      for (let left = size; left > 0; left -= chunk.length)
        yield left >= chunk.length ? chunk : chunk.subarray(0, left);
    })(),
  );
}

/** A client of `url` whose close() runs after the test. */
function clientOf(
  t: TestContext,
  url: string,
  options: ConstructorParameters<typeof PressCloudClient>[1] = {},
): PressCloudClient {
  const client = new PressCloudClient({ apiUrl: url, apiKey: 'pcak_x' }, options);
  t.after(() => client.close());
  return client;
}

test('a refused connection is a retryable network_error', async (t) => {
  const closed = createTcpServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const { port } = closed.address() as AddressInfo;
  closed.close();
  await once(closed, 'close');
  const retries: RetryInfo[] = [];
  const client = clientOf(t, `http://127.0.0.1:${port}`, {
    retry: { ...FAST_RETRY, maxAttempts: 3 },
    onRetry: (info) => retries.push(info),
  });
  const error = await failure(() => client.limits());
  assert.deepEqual([error.code, error.status, error.retryable], ['network_error', null, true]);
  assert.match(error.message, /GET limits: the connection to Press Cloud failed \(ECONNREFUSED/);
  assert.equal(retries.length, 2);
});

/** A local HTTP server that misbehaves on purpose (hangs, stops mid-answer, answers HTML). */
async function startRogue(t: TestContext, handler: RequestListener) {
  const server = createHttpServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const SESSION = { id: 'us_x', token: 'ustk_x', blob: { sha256: 'b'.repeat(64), size: 64 * 1024 * 1024 } };

test('an upload the server stops reading is abandoned as "stalled" after stallTimeoutMs, and retried', async (t) => {
  const url = await startRogue(t, () => {}); // reads nothing, answers nothing
  const retries: RetryInfo[] = [];
  let sent = 0;
  const client = clientOf(t, url, {
    stallTimeoutMs: 300,
    retry: { ...FAST_RETRY, maxAttempts: 2 },
    onRetry: (info) => retries.push(info),
  });
  const started = performance.now();
  const error = await failure(() =>
    client.putBlob(SESSION.id, SESSION.token, SESSION.blob, () => zeros(SESSION.blob.size), {
      onBytesSent: (d) => (sent += d),
    }),
  );
  const elapsed = performance.now() - started;
  assert.deepEqual([error.code, error.retryable, error.status], ['stalled', true, null]);
  assert.match(error.message, /PUT blob bbbbbbbbbbbb…: no bytes moved for 300 ms/);
  assert.deepEqual(
    retries.map((r) => r.error.code),
    ['stalled'],
  );
  assert.ok(elapsed >= 600 && elapsed < 5_000, `two attempts of 300 ms stall each (${Math.round(elapsed)} ms)`);
  assert.equal(sent, 0, 'progress of abandoned attempts is taken back');
});

test('an answer that stops mid-body is "stalled"; so is one that never starts', async (t) => {
  const url = await startRogue(t, (request, response) => {
    if (request.url === '/v1/limits') {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      response.write('{"maxBlobBytes":');
    }
  });
  const client = clientOf(t, url, { stallTimeoutMs: 300, retry: { maxAttempts: 1 } });
  for (const call of [() => client.limits(), () => client.getDeploy('dpl_x')]) {
    const started = performance.now();
    assert.equal((await failure(call)).code, 'stalled');
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 300 && elapsed < 3_000, `${Math.round(elapsed)} ms`);
  }
});

test('an abort ends an upload at once with "aborted", and it is not retried', async (t) => {
  const url = await startRogue(t, () => {});
  const retries: RetryInfo[] = [];
  const client = clientOf(t, url, { stallTimeoutMs: 60_000, onRetry: (info) => retries.push(info) });
  const controller = new AbortController();
  const started = performance.now();
  setTimeout(() => controller.abort(), 50);
  const error = await failure(() =>
    client.putBlob(SESSION.id, SESSION.token, SESSION.blob, () => zeros(SESSION.blob.size), {
      signal: controller.signal,
    }),
  );
  assert.deepEqual([error.code, error.retryable], ['aborted', false]);
  assert.ok(performance.now() - started < 2_000);
  assert.deepEqual(retries, []);
});

test('an answer that is not the contract\'s JSON is a "bad_response"', async (t) => {
  const url = await startRogue(t, (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' }).end('<html>captive portal</html>');
  });
  const client = clientOf(t, url, { retry: { maxAttempts: 1 } });
  const error = await failure(() => client.limits());
  assert.deepEqual([error.code, error.status, error.retryable], ['bad_response', 200, false]);
  assert.match(error.message, /GET limits: the server's answer \(HTTP 200\) is not what the Press Cloud API promises/);
});

test('waiting for a free connection is not a stall: only a request on the wire can stall', async (t) => {
  // Each answer takes 200 ms of silence, under the 300 ms stall limit; three share one connection.
  const url = await startRogue(t, (_request, response) => {
    setTimeout(
      () => response.writeHead(200, { 'content-type': 'application/json' }).end('{"deploy":{"id":"dpl_x"}}'),
      200,
    );
  });
  const client = clientOf(t, url, { connections: 1, stallTimeoutMs: 300, retry: { maxAttempts: 1 } });
  const answers = await Promise.all([1, 2, 3].map((n) => client.getDeploy(`dpl_${n}`)));
  assert.deepEqual(
    answers.map((deploy) => deploy.id),
    ['dpl_x', 'dpl_x', 'dpl_x'],
  );
});

test('close() ends a wait for Retry-After at once with "aborted"', async (t) => {
  let requests = 0;
  const url = await startRogue(t, (_request, response) => {
    requests++;
    response
      .writeHead(503, { 'content-type': 'application/json', 'retry-after': '60' })
      .end('{"error":"service_unavailable","message":"busy"}');
  });
  const retries: RetryInfo[] = [];
  const client = clientOf(t, url, { onRetry: (info) => retries.push(info) });
  const pending = failure(() => client.limits());
  while (retries.length === 0) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(retries[0]!.delayMs >= 60_000, 'Retry-After: 60 is honoured');
  const started = performance.now();
  await client.close();
  assert.equal((await pending).code, 'aborted');
  assert.ok(performance.now() - started < 1_000);
  assert.equal(requests, 1);
});

test('a file that cannot be read, or that shrank since it was hashed, fails the PUT with its own error, not retried', async (t) => {
  const url = await startRogue(t, (request, response) => {
    request.resume();
    request.on('end', () =>
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"alreadyPresent":false,"blob":{}}'),
    );
  });
  const retries: RetryInfo[] = [];
  const client = clientOf(t, url, { onRetry: (info) => retries.push(info) });
  const blob = { sha256: 'c'.repeat(64), size: 100 };
  const unreadable = Object.assign(new Error('EACCES: permission denied, open site/index.html'), { code: 'EACCES' });
  const broken = () =>
    new Readable({
      read() {
        this.destroy(unreadable);
      },
    });
  await assert.rejects(client.putBlob('us_x', 'ustk_x', blob, broken), (error) => error === unreadable);
  await assert.rejects(
    client.putBlob('us_x', 'ustk_x', blob, () => Readable.from([Buffer.alloc(60)])),
    /PUT blob cccccccccccc…: the file shrank while it was uploaded \(60 of 100 bytes\)/,
  );
  await assert.rejects(
    client.putBlob('us_x', 'ustk_x', blob, () => Readable.from([Buffer.alloc(160)])),
    /the file grew while it was uploaded/,
  );
  assert.deepEqual(retries, []);
  assert.deepEqual(await client.putBlob('us_x', 'ustk_x', blob, () => Readable.from([Buffer.alloc(100)])), {
    alreadyPresent: false,
    blob: {},
  });
});
