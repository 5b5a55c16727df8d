import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ACCOUNT_ID } from './cloudflare-peer.ts';
import { manifestOf, startTestPeer } from './peer-test-kit.ts';

test('the peer answers on CLOUDFLARE_API_BASE_URL (…/client/v4) for its account, the default one unless told', async (t) => {
  const peer = await startTestPeer();
  const custom = await startTestPeer({ accountId: 'fedcba9876543210fedcba9876543210' });
  t.after(async () => {
    await peer.close();
    await custom.close();
  });
  assert.match(peer.peer.url, /^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
  assert.equal(peer.peer.accountId, DEFAULT_ACCOUNT_ID);
  assert.equal(custom.peer.accountId, 'fedcba9876543210fedcba9876543210');
  const answer = await custom.call('GET', `/accounts/${custom.peer.accountId}/workers/subdomain`);
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json, { success: true, errors: [], messages: [], result: { subdomain: 'pressdrop-peer' } });
});

test('account routes refuse a missing, malformed or wrong token, and another account', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  const session = `${peer.account}/workers/scripts/site/assets-upload-session`;
  const json = { manifest: await manifestOf({ '/a.txt': 'a' }) };
  const cases: Array<
    [what: string, path: string, token: string | null, headers: Record<string, string>, status: number, code: number]
  > = [
    ['no Authorization', session, null, {}, 400, 9106],
    ['a Basic Authorization', session, null, { authorization: 'Basic dXNlcjpwYXNz' }, 400, 6003],
    ['a wrong token', session, 'wrong-token', {}, 403, 10000],
    ['a global API key instead of a token', session, null, { 'x-auth-key': 'k', 'x-auth-email': 'a@b.c' }, 400, 9106],
    ['another account', session.replace(peer.account, `/accounts/${'f'.repeat(32)}`), peer.apiKey, {}, 403, 9109],
    ['a malformed account id', session.replace(peer.account, '/accounts/not-an-account'), peer.apiKey, {}, 400, 7003],
  ];
  for (const [what, path, token, headers, status, code] of cases) {
    const answer = await peer.call('POST', path, { token, headers, json });
    assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.json)}`);
    assert.equal(answer.json.success, false, what);
    assert.equal(answer.json.errors[0].code, code, `${what}: ${JSON.stringify(answer.json)}`);
  }
  const basic = await peer.call('GET', `${peer.account}/workers/subdomain`, {
    token: null,
    headers: { authorization: 'Basic dXNlcjpwYXNz' },
  });
  assert.deepEqual(basic.json.errors[0].error_chain, [
    { code: 6111, message: 'Invalid format for Authorization header' },
  ]);
});

test('the assets upload route takes only a session JWT, and checks the account of its URL', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  const opened = await peer.openSession('site', { '/a.txt': 'a' });
  const jwt = opened.json.result.jwt as string;
  const form = new FormData();
  const withApiToken = await peer.call('POST', `${peer.account}/workers/assets/upload?base64=true`, { form });
  assert.equal(withApiToken.status, 401);
  assert.equal(withApiToken.json.errors[0].code, 100304);
  const otherAccount = await peer.call('POST', '/accounts/ffffffffffffffffffffffffffffffff/workers/assets/upload', {
    token: jwt,
    form,
  });
  assert.equal(otherAccount.status, 403);
  assert.equal(otherAccount.json.errors[0].code, 9109);
});

test('an unknown API path is 7000 to a token holder, and asks anyone else for the token first', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  const unknown = await peer.call('GET', `${peer.account}/workers/no-such-thing`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.errors[0].code, 7000);
  const anonymous = await peer.call('GET', `${peer.account}/workers/no-such-thing`, { token: null });
  assert.equal(anonymous.status, 400);
  assert.equal(anonymous.json.errors[0].code, 9106);
  const wrongMethod = await peer.call('DELETE', `${peer.account}/workers/subdomain`);
  assert.equal(wrongMethod.status, 404);
  assert.equal(wrongMethod.json.errors[0].code, 7000);
});

test('every answered request is in `requests`, path without query', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  await peer.call('GET', `${peer.account}/workers/subdomain?x=1`);
  await peer.call('GET', `${peer.account}/workers/subdomain`, { token: 'wrong' });
  await peer.preview('site', '/index.html');
  assert.deepEqual(peer.peer.requests, [
    { method: 'GET', path: `/client/v4${peer.account}/workers/subdomain`, status: 200 },
    { method: 'GET', path: `/client/v4${peer.account}/workers/subdomain`, status: 403 },
    { method: 'GET', path: '/preview/site/index.html', status: 404 },
  ]);
});
