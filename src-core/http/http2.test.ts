import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

// A server that offers HTTP/2 in TLS's ALPN (and HTTP/1.1 too) gets the client's requests over
// HTTP/2. The client runs in a child process that trusts the test's own certificate authority
// (NODE_EXTRA_CA_CERTS is read at start-up): the client's TLS checks stay exactly as users get them.
test('a client of an https server that offers HTTP/2 (ALPN) speaks HTTP/2 to it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-h2-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  try {
    await exec('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
  } catch (error) {
    t.skip(`openssl could not make a test certificate (${(error as Error).message.split('\n')[0]}); install openssl`);
    return;
  }
  const seen: Array<{ version: string; socket: number }> = [];
  const sockets = new Map<object, number>();
  const server = createSecureServer(
    { key: readFileSync(key), cert: readFileSync(cert), allowHTTP1: true },
    (req, res) => {
      // Over HTTP/2 req.socket is a per-stream proxy: the session is the connection.
      const socket = req.stream?.session ?? req.socket;
      if (!sockets.has(socket)) sockets.set(socket, sockets.size);
      seen.push({ version: req.httpVersion, socket: sockets.get(socket)! });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          maxBlobBytes: 1,
          maxSessionBytes: 1,
          maxFilesPerVersion: 1,
          maxMissingBlobsPerCall: 1,
          sessionTtlMs: 1,
        }),
      );
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  const client = new URL('../targets/press-cloud/press-cloud-client.ts', import.meta.url).href;
  const script = `
    const { PressCloudClient } = await import(${JSON.stringify(client)});
    const client = new PressCloudClient({ apiUrl: 'https://127.0.0.1:${port}', apiKey: 'pcak_x' }, { connections: 8 });
    await Promise.all(Array.from({ length: 10 }, () => client.limits()));
    await client.close();
  `;
  await exec(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: cert },
  });
  assert.equal(seen.length, 10);
  assert.deepEqual(new Set(seen.map((request) => request.version)), new Set(['2.0']), 'every request went over HTTP/2');
  assert.ok(sockets.size <= 8, `at most the pool's 8 connections: ${sockets.size}`);
});
