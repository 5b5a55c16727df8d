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
import { stableJson } from './idempotency.ts';
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

/** The canonical form as the first servers wrote it: the definition `stableJson` must keep. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

test('stableJson writes the canonical form of any JSON body', () => {
  const manyKeys = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${(i * 37) % 100}`, i]));
  const bodies = [
    '{"files":[{"path":"a","sha256":"00","size":1,"mime":"text/html"},{"size":2,"path":"b","sha256":"01"}],"deployId":"d"}',
    '{"b":[1,-0,1e300,0.1,"x\\u2028\\"",true,false,null,{"10":1,"2":2,"1a":3,"a":{"z":[],"y":{}}}],"a":"é\\ud800😀"}',
    '{"render":{"metadata":{"constructor":1,"toString":"x","toJSON":"y","length":3,"valueOf":null}},"entries":[{}]}',
    '{"__proto__":{"a":1},"b":{"c":2}}',
    '{"": {"": [""]}, "Z": 1, "a": 2, "ä": 3, "\\ud83d\\ude00": 4, "\\uffff": 5}',
    JSON.stringify({ metadata: manyKeys, files: [{ k1: 1 }, { k99: 2, k2: 3 }] }),
    '{"deployId":"d","files":[{"mime":"text/html","path":"a","sha256":"00","size":1},{"path":"b","size":2}]}',
    '{"a":{"b":[{"c":1,"d":{"e":null}}]},"z":"é","\u00e9":[{"":0}]}',
    '{"a":1,"a\\u0000":2}',
    '[]',
    '[[[{"b":1,"a":[{"d":1,"c":2}]}]]]',
    '"text"',
    '12',
    'null',
  ];
  for (const text of bodies) {
    const body: unknown = JSON.parse(text);
    assert.equal(stableJson(body), reference(body), text);
  }
  assert.equal(stableJson(undefined), reference(undefined));
});
