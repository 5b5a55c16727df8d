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
import { isCanonicalJson, stableJson } from './idempotency.ts';
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
    const expected = createHash('sha256').update(`POST /v1/upload-sessions\n${canonical}`).digest('hex');
    // A body in the canonical form is hashed as it came; a body in another form, once written in it.
    // Either one replays what the other saved.
    const asSent = await server.request('POST', '/v1/upload-sessions', {
      headers: { 'Idempotency-Key': key, 'content-type': 'application/json' },
      raw: canonical,
    });
    assert.deepEqual([asSent.status, asSent.body], [201, first.body]);
    const canonicalFirst = await server.request('POST', '/v1/upload-sessions', {
      headers: { 'Idempotency-Key': 'canonical', 'content-type': 'application/json' },
      raw: canonical,
    });
    assert.equal(canonicalFirst.status, 201, JSON.stringify(canonicalFirst.body));
    for (const replay of [{ raw: respaced }, { raw: canonical }]) {
      const again = await server.request('POST', '/v1/upload-sessions', {
        headers: { 'Idempotency-Key': 'canonical', 'content-type': 'application/json' },
        ...replay,
      });
      assert.deepEqual([again.status, again.body], [201, canonicalFirst.body]);
    }

    const db = new DatabaseSync(join(server.dataDir, 'press-cloud.sqlite'), { readOnly: true });
    const fingerprintOf = (saved: string) =>
      db.prepare('SELECT fingerprint FROM idempotency_keys WHERE idempotency_key = ?').get(saved)?.fingerprint;
    assert.deepEqual([fingerprintOf(key), fingerprintOf('canonical')], [expected, expected]);
    db.close();
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

test('stableJson writes the canonical form of any JSON body', () => {
  for (const text of bodies) {
    const body: unknown = JSON.parse(text);
    assert.equal(stableJson(body), reference(body), text);
  }
  assert.equal(stableJson(undefined), reference(undefined));
});

test('isCanonicalJson holds exactly when the bytes are the canonical form of what they parse to', () => {
  const canonicalOf = (text: string) => reference(JSON.parse(text));
  // Exactly the canonical bytes, but for escapes and keys beyond ASCII, which it leaves to stableJson.
  const expected = (text: string) =>
    Buffer.from(text).equals(Buffer.from(canonicalOf(text.replace(/^\ufeff/, '')))) &&
    !text.includes('\\') &&
    !/"[^"]*[^\x00-\x7f][^"]*":/u.test(text);
  const texts = [
    ...bodies,
    ...bodies.map(canonicalOf),
    // Each a canonical body but for one thing (and the canonical ones beside them).
    '{"a":1,"b":[1,2,{"c":"d"}],"e":true,"f":false,"g":null,"h":-12,"i":0,"j":1.5,"k":1e+21,"l":"é 😀 \u2028"}',
    '{"a":1,"b":[1,2,{"c":"d"}] }',
    ' {"a":1}',
    '{"a":1}\n',
    '{"a" :1}',
    '{"a":1,"a":2}',
    '{"b":1,"a":2}',
    '{"a":{"y":1,"z":2},"b":{"x":1,"w":2}}',
    '{"a":{"y":1,"z":2},"b":{"w":1,"x":2}}',
    '{"a":[{"b":1}],"c":[{"b":1,"a":2}]}',
    '{"ab":1,"a":2}',
    '{"a":2,"ab":1}',
    '{"":1,"a":2}',
    '{"a":2,"":1}',
    '{"10":1,"2":2}',
    '{"2":1,"10":2}',
    '{"Z":1,"a":2}',
    '{"a":1,"é":2}',
    '{"\uffff":1,"😀":2}',
    '{"😀":1,"\uffff":2}',
    '{"a":"\\u0041"}',
    '{"a":"\\/"}',
    '{"a":"\\n"}',
    '{"a":"\\""}',
    '{"a":-0}',
    '{"a":0}',
    '{"a":1.0}',
    '{"a":1e2}',
    '{"a":100}',
    '{"a":1E+21}',
    '{"a":1e21}',
    '{"a":0.1}',
    '{"a":1e-7}',
    '{"a":1e400}',
    '{"a":123456789012345}',
    '{"a":1234567890123456}',
    '{"a":12345678901234567890}',
    '{"a":-123456789012345}',
    '[1,[2,[3,{}]],[]]',
    '[1, 2]',
    '"a"',
    '"a\\u0000"',
    '-0',
    '1e5',
    'true',
    '\ufeff{"a":1}',
  ];
  for (const text of texts) {
    const bytes = Buffer.from(text);
    assert.equal(isCanonicalJson(bytes), expected(text), text);
  }
  // Bytes that are not valid UTF-8 decode to U+FFFD, which the canonical form spells otherwise.
  assert.equal(isCanonicalJson(Buffer.from([0x22, 0xff, 0x22])), false);
  assert.equal(isCanonicalJson(Buffer.from('{"a":"é"}', 'latin1')), false);

  // Random bodies, written canonically and then spoilt in one place or not at all.
  let seed = 7;
  const random = (n: number) => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const atoms = ['a', 'b', 'ab', '', 'Z', '10', '2', 'é', '😀', 'x y', 'a/b.html'];
  const numbers = [0, 1, -1, 12, 1.5, -0.25, 1e21, 1e-7, 2 ** 53, 123456789012345];
  const value = (depth: number): unknown => {
    const kind = random(depth > 3 ? 4 : 6);
    if (kind === 0) return atoms[random(atoms.length)];
    if (kind === 1) return numbers[random(numbers.length)];
    if (kind === 2) return [true, false, null][random(3)];
    if (kind === 3) return '';
    if (kind === 4) return Array.from({ length: random(4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: random(5) }, () => [atoms[random(atoms.length)], value(depth + 1)]));
  };
  const seen = { true: 0, false: 0 };
  for (let round = 0; round < 2000; round++) {
    const canonical = reference(value(0));
    const spoilt = [
      canonical,
      canonical.replace(/,/, ', '),
      canonical.replace(/:/, ': '),
      canonical.replace(/"a"/, '"\\u0061"'),
      JSON.stringify(JSON.parse(canonical), null, random(2)),
      JSON.stringify(JSON.parse(canonical)),
    ][random(6)]!;
    const bytes = Buffer.from(spoilt);
    assert.equal(isCanonicalJson(bytes), expected(spoilt), spoilt);
    seen[`${isCanonicalJson(bytes)}`]++;
  }
  assert.ok(seen.true > 200 && seen.false > 200, JSON.stringify(seen));
});
