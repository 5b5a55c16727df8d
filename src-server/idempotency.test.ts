/**
 * What makes two create-type requests "the same" for Idempotency-Key: the
 * method, the path and the body's content, whatever its key order or
 * spacing; and the fingerprint saved for it keeps its form across versions.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { startTestServer, type TestServer } from './testing/test-server.ts';

describe('idempotent request fingerprints', { timeout: 60_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  test('a replay matches the body by content (key order and spacing aside), by the fingerprint earlier servers saved', async () => {
    const deploy = await server.request('POST', '/v1/deploys', { json: { slug: 'fingerprints', name: 'F' } });
    assert.equal(deploy.status, 201, JSON.stringify(deploy.body));
    const deployId: string = deploy.body.deploy.id;
    const key = 'reordered';
    const bytes = Buffer.from('<p>fingerprint</p>');
    const file = { path: 'a/index.html', sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
    const first = await server.request('POST', '/v1/upload-sessions', {
      headers: { 'Idempotency-Key': key },
      json: { files: [{ size: file.size, sha256: file.sha256, path: file.path, mime: 'text/html' }], deployId },
    });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const respaced = `{ "deployId": "${deployId}",\n "files": [ {"mime":"text/html", "path":"${file.path}", "size":${file.size}, "sha256":"${file.sha256}"} ] }`;
    const second = await server.request('POST', '/v1/upload-sessions', {
      headers: { 'Idempotency-Key': key, 'content-type': 'application/json' },
      raw: respaced,
    });
    assert.deepEqual([second.status, second.body], [201, first.body]);

    const other = await server.request('POST', '/v1/upload-sessions', {
      headers: { 'Idempotency-Key': key },
      json: { deployId, files: [{ ...file, mime: 'text/plain' }] },
    });
    assert.deepEqual([other.status, other.body.error], [409, 'idempotency_key_conflict']);

    // Saved fingerprints outlive an upgrade: the canonical form (keys sorted, no spaces) must not change.
    const canonical = `{"deployId":"${deployId}","files":[{"mime":"text/html","path":"${file.path}","sha256":"${file.sha256}","size":${file.size}}]}`;
    const db = new DatabaseSync(join(server.dataDir, 'press-cloud.sqlite'), { readOnly: true });
    const saved = db.prepare('SELECT fingerprint FROM idempotency_keys WHERE idempotency_key = ?').get(key);
    db.close();
    const expected = createHash('sha256').update(`POST /v1/upload-sessions\n${canonical}`).digest('hex');
    assert.equal(saved?.fingerprint, expected);
  });
});
