import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assetHash } from './asset-hash.ts';
import { hashOf, startTestPeer, uploadForm, type TestPeer } from './peer-test-kit.ts';

const FILES = {
  '/index.html': '<!doctype html><h1>Hello</h1>',
  '/css/site.css': 'body { color: red }',
  '/img/dot.bin': Buffer.from([0, 1, 2, 253, 254, 255]),
};

/** Opens a session for FILES on `script` and answers its upload JWT and buckets. */
async function session(peer: TestPeer, script = 'site', files: Record<string, Buffer | string> = FILES) {
  const answer = await peer.openSession(script, files);
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  return answer.json.result as { jwt: string; buckets: string[][] };
}

/** A multipart part named `name` whose content is `base64`, as wrangler sends one. */
function formWith(name: string, base64: string): FormData {
  const form = new FormData();
  form.append(name, new File([base64], name, { type: 'text/plain' }), name);
  return form;
}

test("the asset hash is wrangler's: blake3 of base64 + extension, 32 hex", async () => {
  // wrangler's own test: "/cliAsset.txt" holding "Content of file-1".
  assert.equal(
    await assetHash(Buffer.from('Content of file-1').toString('base64'), 'txt'),
    '0de3dd5df907418e9730fd2bd747bd5e',
  );
});

test('buckets answer 202 until the last lands, which answers 201 with the completion token', async (t) => {
  const peer = await startTestPeer({ limits: { maxBucketFiles: 1 } });
  t.after(() => peer.close());
  const { jwt, buckets } = await session(peer);
  assert.equal(buckets.length, 3);

  const first = await peer.upload(jwt, { '/index.html': FILES['/index.html'] });
  assert.equal(first.status, 202);
  assert.equal(first.json.success, true);
  assert.equal(first.json.result.jwt, undefined);
  // Any grouping of the session's hashes is taken: the last two in one request.
  const last = await peer.upload(jwt, {
    '/css/site.css': FILES['/css/site.css'],
    '/img/dot.bin': FILES['/img/dot.bin'],
  });
  assert.equal(last.status, 201, JSON.stringify(last.json));
  const completion = last.json.result.jwt as string;
  assert.match(completion, /^[\w-]+\.[\w-]+\.[\w-]+$/);

  // A client that lost the 201 and retries gets it again.
  const retry = await peer.upload(jwt, { '/img/dot.bin': FILES['/img/dot.bin'] });
  assert.equal(retry.status, 201);
  assert.equal(retry.json.result.jwt, completion);

  assert.equal((await peer.deploy('site', completion)).status, 200);
  for (const [path, content] of Object.entries(FILES)) {
    const served = await peer.preview('site', path);
    assert.equal(served.status, 200, path);
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), Buffer.from(content), path);
  }
});

test('an asset stored once is not asked for again, by any session of any Worker', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  const { jwt } = await session(peer);
  assert.equal((await peer.upload(jwt, FILES)).status, 201);

  const again = await session(peer, 'other-site', { ...FILES, '/new.txt': 'new' });
  assert.deepEqual(again.buckets, [[await hashOf('/new.txt', 'new')]]);
  const same = await session(peer, 'site');
  assert.deepEqual(same.buckets, [], 'nothing missing: no buckets');
  assert.equal((await peer.deploy('site', same.jwt)).status, 200, 'and the jwt is already the completion token');
});

test('a part that is not the asset it claims is refused, and nothing of its upload is stored', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  const { jwt } = await session(peer);
  const indexHash = await hashOf('/index.html', FILES['/index.html']);
  const cssHash = await hashOf('/css/site.css', FILES['/css/site.css']);
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  const cases: Array<[what: string, form: FormData, status: number, code: number]> = [
    ['a hash not in the session', formWith('f'.repeat(32), base64('x')), 400, 100306],
    ['a part name that is no hash', formWith('index.html', base64('x')), 400, 100306],
    // Same size, other bytes.
    ['content of another hash', formWith(indexHash, base64(FILES['/index.html'].toUpperCase())), 400, 100307],
    ['content of the wrong size', formWith(cssHash, base64(`${FILES['/css/site.css']}!`)), 400, 100308],
    ['content not base64', formWith(indexHash, '<!doctype html>'), 400, 100309],
    ['base64 with a line break', formWith(indexHash, `${base64(FILES['/index.html']).slice(0, 8)}\n`), 400, 100309],
    ['no parts at all', new FormData(), 400, 100309],
  ];
  for (const [what, form, status, code] of cases) {
    const answer = await peer.call('POST', `${peer.account}/workers/assets/upload?base64=true`, { token: jwt, form });
    assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.json)}`);
    assert.equal(answer.json.errors[0].code, code, `${what}: ${JSON.stringify(answer.json)}`);
  }

  // A good part beside a bad one: the request is refused whole.
  const mixed = await uploadForm({ '/index.html': FILES['/index.html'] });
  mixed.append(cssHash, new File([base64('wrong')], cssHash));
  const refused = await peer.call('POST', `${peer.account}/workers/assets/upload?base64=true`, {
    token: jwt,
    form: mixed,
  });
  assert.equal(refused.json.errors[0].code, 100308);
  const fresh = await session(peer);
  assert.equal(fresh.buckets.flat().length, 3, 'the good part of the refused upload was not stored');
});

test('an upload without ?base64=true, or not multipart, is refused', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  const { jwt } = await session(peer);
  const plain = await peer.upload(jwt, FILES, '');
  assert.equal(plain.status, 400);
  assert.equal(plain.json.errors[0].code, 100309);
  assert.match(plain.json.errors[0].message, /base64=true/);

  const json = await peer.call('POST', `${peer.account}/workers/assets/upload?base64=true`, {
    token: jwt,
    json: { hello: 'world' },
  });
  assert.equal(json.status, 400);
  assert.equal(json.json.errors[0].code, 100309);
});

test('upload JWTs are checked: garbage, a forged signature, a completion token, another peer’s token', async (t) => {
  const peer = await startTestPeer();
  const other = await startTestPeer({ accountId: peer.peer.accountId });
  t.after(async () => {
    await peer.close();
    await other.close();
  });
  const { jwt } = await session(peer);
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  // Another session's id under this session's signature.
  const forgedClaims = { ...claims, sub: '00000000-0000-4000-8000-000000000000' };
  const forged = `${header}.${Buffer.from(JSON.stringify(forgedClaims)).toString('base64url')}.${signature}`;
  const completion = (await session(peer, 'site', {})).jwt;
  const foreign = (await session(other)).jwt;
  const cases: Array<[what: string, token: string]> = [
    ['garbage', 'not-a-jwt'],
    ['a forged payload', forged],
    ['a truncated signature', jwt.slice(0, -4)],
    ['a completion token', completion],
    ['a token of another peer (another secret)', foreign],
    ['the API token', peer.apiKey],
  ];
  for (const [what, token] of cases) {
    const answer = await peer.upload(token, FILES);
    assert.equal(answer.status, 401, `${what}: ${JSON.stringify(answer.json)}`);
    assert.equal(answer.json.errors[0].code, 100304, what);
  }
  const missing = await peer.call('POST', `${peer.account}/workers/assets/upload?base64=true`, {
    token: null,
    form: await uploadForm(FILES),
  });
  assert.equal(missing.status, 400);
  assert.equal(missing.json.errors[0].code, 9106);
});

test('an expired upload JWT is 401 "Expired JWT", and so is an expired completion token at deploy', async (t) => {
  // The expire fault makes every new session's token expire at once.
  const peer = await startTestPeer({ faults: 'expire=1,expire-after=0' });
  t.after(() => peer.close());
  const { jwt } = await session(peer);
  const upload = await peer.upload(jwt, FILES);
  assert.equal(upload.status, 401);
  assert.equal(upload.json.errors[0].code, 100305);
  assert.match(upload.json.errors[0].message, /Expired JWT/);

  const nothingMissing = await session(peer, 'site', {});
  const deploy = await peer.deploy('site', nothingMissing.jwt);
  assert.equal(deploy.status, 401);
  assert.equal(deploy.json.errors[0].code, 100305);
});

test('an upload body larger than a bucket can be is refused with 413 before it is read', async (t) => {
  const peer = await startTestPeer({ limits: { maxBucketBytes: 1024 } });
  t.after(() => peer.close());
  const { jwt } = await session(peer);
  const form = formWith('a'.repeat(32), 'QUFB'.repeat(1024 * 1024));
  const answer = await peer.call('POST', `${peer.account}/workers/assets/upload?base64=true`, { token: jwt, form });
  assert.equal(answer.status, 413);
  assert.equal(answer.json.errors[0].code, 100311);
});
