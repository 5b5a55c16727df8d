import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashOf, manifestOf, startTestPeer } from './peer-test-kit.ts';

const HASH = 'a'.repeat(32);

/** The payload of a JWT, as wrangler decodes it (it reads `exp`). */
function payloadOf(jwt: string): { exp: number; iat: number } {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number; iat: number };
}

test('a session asks for each missing asset once, in buckets, with an upload JWT that lives an hour', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  const files = {
    '/index.html': '<h1>hi</h1>',
    '/copy.html': '<h1>hi</h1>',
    '/a/b/c.css': 'body{}',
    '/LICENSE': 'MIT',
  };
  const answer = await peer.openSession('site', files);

  assert.equal(answer.status, 200);
  assert.equal(answer.json.success, true);
  assert.deepEqual(answer.json.errors, []);
  assert.deepEqual(answer.json.messages, []);
  const { jwt, buckets } = answer.json.result as { jwt: string; buckets: string[][] };
  const expected = [await hashOf('/index.html', '<h1>hi</h1>'), await hashOf('/a/b/c.css', 'body{}')];
  expected.push(await hashOf('/LICENSE', 'MIT'));
  assert.deepEqual(buckets, [expected], 'two paths with one content are one asset');
  const { iat, exp } = payloadOf(jwt);
  assert.ok(Math.abs(exp - iat - 3600) < 1, `the upload JWT lives an hour (iat ${iat}, exp ${exp})`);
});

test('many missing assets come in several buckets, by count and by base64 bytes', async (t) => {
  const peer = await startTestPeer({ limits: { maxBucketFiles: 3, maxBucketBytes: 40 } });
  t.after(() => peer.close());
  const small: Record<string, string> = {};
  for (let i = 0; i < 7; i++) small[`/f${i}.txt`] = `file ${i}`;
  const byCount = await peer.openSession('many', small);
  assert.deepEqual(
    byCount.json.result.buckets.map((bucket: string[]) => bucket.length),
    [3, 3, 1],
  );

  // 27 bytes is 36 base64 bytes: two do not fit in 40; a larger file still gets a bucket of its own.
  const big = { '/a.bin': 'x'.repeat(27), '/b.bin': 'y'.repeat(27), '/c.bin': 'z'.repeat(90) };
  const byBytes = await peer.openSession('big', big);
  assert.deepEqual(byBytes.json.result.buckets, [
    [await hashOf('/a.bin', big['/a.bin'])],
    [await hashOf('/b.bin', big['/b.bin'])],
    [await hashOf('/c.bin', big['/c.bin'])],
  ]);
});

test('an empty manifest asks for nothing and answers a completion token at once', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  const answer = await peer.call('POST', `${peer.account}/workers/scripts/empty/assets-upload-session`, {
    json: { manifest: {} },
  });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json.result.buckets, []);
  const deploy = await peer.deploy('empty', answer.json.result.jwt as string);
  assert.equal(deploy.status, 200, JSON.stringify(deploy.json));
});

test('every bad manifest field is refused with 400 and the code of what is wrong', async (t) => {
  const peer = await startTestPeer({ limits: { maxFiles: 3 } });
  t.after(() => peer.close());
  const cases: Array<[what: string, body: unknown, code: number, mentions: string]> = [
    ['no manifest', {}, 100301, 'manifest'],
    ['a manifest that is a list', { manifest: [] }, 100301, 'manifest'],
    ['an unknown top-level field', { manifest: {}, extra: 1 }, 100301, 'extra'],
    ['a hash too short', { manifest: { '/a.txt': { hash: 'abc', size: 1 } } }, 100301, 'hash'],
    ['an uppercase hash', { manifest: { '/a.txt': { hash: 'A'.repeat(32), size: 1 } } }, 100301, 'hash'],
    ['a missing size', { manifest: { '/a.txt': { hash: HASH } } }, 100301, 'size'],
    ['a negative size', { manifest: { '/a.txt': { hash: HASH, size: -1 } } }, 100301, 'size'],
    ['a fractional size', { manifest: { '/a.txt': { hash: HASH, size: 1.5 } } }, 100301, 'size'],
    ['a size as a string', { manifest: { '/a.txt': { hash: HASH, size: '1' } } }, 100301, 'size'],
    ['an extra entry field', { manifest: { '/a.txt': { hash: HASH, size: 1, type: 'x' } } }, 100301, 'type'],
    ['a path without "/"', { manifest: { 'a.txt': { hash: HASH, size: 1 } } }, 100301, 'start with "/"'],
    ['a ".." segment', { manifest: { '/a/../b.txt': { hash: HASH, size: 1 } } }, 100301, '".."'],
    ['an empty segment', { manifest: { '/a//b.txt': { hash: HASH, size: 1 } } }, 100301, 'empty'],
    ['a folder path', { manifest: { '/a/': { hash: HASH, size: 1 } } }, 100301, 'end with "/"'],
    ['a backslash', { manifest: { '/a\\b.txt': { hash: HASH, size: 1 } } }, 100301, '\\'],
    [
      'one hash with two sizes',
      { manifest: { '/a.txt': { hash: HASH, size: 1 }, '/b.txt': { hash: HASH, size: 2 } } },
      100301,
      HASH,
    ],
    [
      'a file over 25 MiB',
      { manifest: { '/big.bin': { hash: HASH, size: 25 * 1024 * 1024 + 1 } } },
      100302,
      '/big.bin',
    ],
    [
      'more files than the limit',
      {
        manifest: Object.fromEntries([0, 1, 2, 3].map((i) => [`/f${i}.txt`, { hash: String(i).repeat(32), size: 1 }])),
      },
      100303,
      'limit is 3',
    ],
  ];
  for (const [what, body, code, mentions] of cases) {
    const answer = await peer.call('POST', `${peer.account}/workers/scripts/site/assets-upload-session`, {
      json: body,
    });
    assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.json)}`);
    assert.equal(answer.json.success, false, what);
    assert.equal(answer.json.result, null, what);
    assert.equal(answer.json.errors[0].code, code, `${what}: ${JSON.stringify(answer.json)}`);
    assert.ok(String(answer.json.errors[0].message).includes(mentions), `${what}: ${answer.json.errors[0].message}`);
  }
  const atLimit = await peer.call('POST', `${peer.account}/workers/scripts/site/assets-upload-session`, {
    json: { manifest: { '/max.bin': { hash: HASH, size: 25 * 1024 * 1024 } } },
  });
  assert.equal(atLimit.status, 200, 'exactly 25 MiB is allowed, as wrangler allows it');
});

test('a body that is not JSON, and a bad Worker name, are refused in the envelope', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  const notJson = await peer.call('POST', `${peer.account}/workers/scripts/site/assets-upload-session`, {
    body: '{"manifest":',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(notJson.status, 400);
  assert.equal(notJson.json.errors[0].code, 100309);

  const badName = await peer.call('POST', `${peer.account}/workers/scripts/Not_A_Name!/assets-upload-session`, {
    json: { manifest: await manifestOf({ '/a.txt': 'a' }) },
  });
  assert.equal(badName.status, 400);
  assert.equal(badName.json.errors[0].code, 10021);
});
