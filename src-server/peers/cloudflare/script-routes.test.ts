import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPeer, type TestPeer } from './peer-test-kit.ts';

/** Uploads `files` for `script` and answers the completion token. */
async function uploaded(peer: TestPeer, script: string, files: Record<string, string>): Promise<string> {
  const opened = await peer.openSession(script, files);
  const { jwt, buckets } = opened.json.result as { jwt: string; buckets: string[][] };
  if (buckets.length === 0) return jwt;
  const done = await peer.upload(jwt, files);
  assert.equal(done.status, 201, JSON.stringify(done.json));
  return done.json.result.jwt as string;
}

/** A script upload form with this metadata (and extra parts). */
function scriptForm(metadata: unknown, parts: Record<string, string> = {}): FormData {
  const form = new FormData();
  form.set('metadata', typeof metadata === 'string' ? metadata : JSON.stringify(metadata));
  for (const [name, content] of Object.entries(parts)) form.set(name, new File([content], name));
  return form;
}

test('a new Worker is unknown, then a PUT with a completion token creates and deploys it', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  const script = `${peer.account}/workers/scripts/site`;
  const service = await peer.call('GET', `${peer.account}/workers/services/site`);
  assert.equal(service.status, 404);
  assert.equal(service.json.errors[0].code, 10090);
  for (const path of ['/deployments', '/settings', '/subdomain']) {
    const answer = await peer.call('GET', `${script}${path}`);
    assert.equal(answer.status, 404, path);
    assert.equal(answer.json.errors[0].code, 10007, path);
  }

  const jwt = await uploaded(peer, 'site', { '/index.html': '<h1>v1</h1>', '/style.css': 'a{}' });
  const put = await peer.call('PUT', `${script}?excludeScript=true&bindings_inherit=strict`, {
    form: scriptForm({ assets: { jwt, config: {} }, compatibility_date: '2025-01-01' }),
    headers: { 'user-agent': 'wrangler/4.86.0' },
  });
  assert.equal(put.status, 200, JSON.stringify(put.json));
  assert.equal(put.json.result.id, 'site');
  assert.equal(put.json.result.has_assets, true);
  assert.equal(put.json.result.compatibility_date, '2025-01-01');
  const versionId = put.json.result.deployment_id as string;

  const deployments = await peer.call('GET', `${script}/deployments`);
  assert.deepEqual(deployments.json.result.deployments[0].versions, [{ version_id: versionId, percentage: 100 }]);
  const after = await peer.call('GET', `${peer.account}/workers/services/site`);
  assert.equal(after.json.result.default_environment.script.last_deployed_from, 'wrangler');
  const version = await peer.call('GET', `${script}/versions/${versionId}`);
  assert.equal(version.json.result.number, 1);

  const manifest = await peer.call('GET', '/peer/scripts/site/manifest');
  assert.equal(manifest.status, 404, 'the manifest route is not under /client/v4');
  const origin = new URL(peer.peer.url).origin;
  const read = await fetch(`${origin}/peer/scripts/site/manifest`, {
    headers: { authorization: `Bearer ${peer.apiKey}` },
  });
  const body = (await read.json()) as { result: { version_id: string; manifest: Record<string, string> } };
  assert.equal(body.result.version_id, versionId);
  assert.deepEqual(Object.keys(body.result.manifest).sort(), ['/index.html', '/style.css']);
  assert.equal((await fetch(`${origin}/peer/scripts/site/manifest`)).status, 400, 'it takes the API token');

  const home = await peer.preview('site', '/');
  assert.equal(home.status, 200);
  assert.equal(await home.text(), '<h1>v1</h1>');
  assert.equal(home.headers.get('content-type'), 'text/plain', 'the Content-Type of its upload part');
  assert.equal((await peer.preview('site', '/nope.html')).status, 404);
});

test('a script PUT is refused unless its metadata names complete assets of this Worker', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  const script = `${peer.account}/workers/scripts/site`;
  const openedForSite = await peer.openSession('site', { '/a.txt': 'a' });
  const uploadToken = openedForSite.json.result.jwt as string;
  const otherCompletion = await uploaded(peer, 'other', { '/b.txt': 'b' });
  const cases: Array<[what: string, form: FormData | null, status: number, code: number]> = [
    ['an upload token, with buckets still missing', scriptForm({ assets: { jwt: uploadToken } }), 400, 100310],
    ['the completion token of another Worker', scriptForm({ assets: { jwt: otherCompletion } }), 400, 100310],
    ['a token that is no JWT', scriptForm({ assets: { jwt: 'nope' } }), 400, 100310],
    ['no assets and no code', scriptForm({ compatibility_date: '2025-01-01' }), 400, 10021],
    ['a main module that is not a part', scriptForm({ main_module: 'index.js' }), 400, 10021],
    ['metadata that is not JSON', scriptForm('{'), 400, 10021],
    [
      'a bad compatibility date',
      scriptForm({ assets: { jwt: otherCompletion }, compatibility_date: 'soon' }),
      400,
      10021,
    ],
    ['an unknown assets field', scriptForm({ assets: { jwt: otherCompletion, extra: 1 } }), 400, 10021],
    ['keep_assets before any version', scriptForm({ keep_assets: true }), 400, 10021],
    ['no metadata part', new FormData(), 400, 10021],
  ];
  for (const [what, form, status, code] of cases) {
    const answer = await peer.call('PUT', script, { form: form ?? undefined });
    assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.json)}`);
    assert.equal(answer.json.errors[0].code, code, `${what}: ${JSON.stringify(answer.json)}`);
  }
  const notMultipart = await peer.call('PUT', script, { json: { assets: { jwt: otherCompletion } } });
  assert.equal(notMultipart.status, 400);
  assert.equal(notMultipart.json.errors[0].code, 100309);
  assert.equal((await peer.call('GET', `${peer.account}/workers/services/site`)).status, 404, 'nothing was created');
});

test('versions and deployments: a new version serves only once deployed, and keep_assets reuses the live one', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  const script = `${peer.account}/workers/scripts/site`;
  const v1 = await uploaded(peer, 'site', { '/index.html': 'one' });
  const early = await peer.call('POST', `${script}/versions`, { form: scriptForm({ assets: { jwt: v1 } }) });
  assert.equal(early.status, 404, 'versions of a Worker that does not exist');
  assert.equal(early.json.errors[0].code, 10007);
  assert.equal((await peer.deploy('site', v1)).status, 200);

  const v2 = await uploaded(peer, 'site', { '/index.html': 'two' });
  const version = await peer.call('POST', `${script}/versions?bindings_inherit=strict`, {
    form: scriptForm({ assets: { jwt: v2 }, annotations: { 'workers/message': 'second' } }),
  });
  assert.equal(version.status, 200, JSON.stringify(version.json));
  assert.equal(version.json.result.number, 2);
  assert.equal(version.json.result.annotations['workers/message'], 'second');
  assert.equal(await (await peer.preview('site', '/index.html')).text(), 'one', 'not deployed yet');

  const deploy = async (versions: unknown) =>
    peer.call('POST', `${script}/deployments`, { json: { strategy: 'percentage', versions } });
  const id = version.json.result.id as string;
  const notHundred = await deploy([{ version_id: id, percentage: 60 }]);
  assert.equal(notHundred.json.errors[0].code, 10021);
  const unknown = await deploy([{ version_id: '00000000-0000-4000-8000-000000000000', percentage: 100 }]);
  assert.equal(unknown.json.errors[0].code, 10021);
  const deployed = await deploy([{ version_id: id, percentage: 100 }]);
  assert.equal(deployed.status, 200, JSON.stringify(deployed.json));
  assert.equal(await (await peer.preview('site', '/index.html')).text(), 'two');

  const kept = await peer.call('PUT', script, {
    form: scriptForm({ keep_assets: true, compatibility_date: '2025-02-02' }),
  });
  assert.equal(kept.status, 200, JSON.stringify(kept.json));
  assert.equal(await (await peer.preview('site', '/index.html')).text(), 'two');
  const listed = await peer.call('GET', `${script}/deployments`);
  assert.equal(listed.json.result.deployments.length, 3, 'newest first');
  assert.equal(listed.json.result.deployments[0].versions[0].version_id, kept.json.result.deployment_id);
});

test('settings and the workers.dev subdomain of a Worker read back what was set', async (t) => {
  const peer = await startTestPeer({ subdomain: 'my-team' });
  t.after(() => peer.close());
  const script = `${peer.account}/workers/scripts/site`;
  assert.equal((await peer.deploy('site', await uploaded(peer, 'site', { '/a.txt': 'a' }))).status, 200);

  assert.deepEqual((await peer.call('GET', `${peer.account}/workers/subdomain`)).json.result, { subdomain: 'my-team' });
  assert.deepEqual((await peer.call('GET', `${script}/subdomain`)).json.result, {
    enabled: false,
    previews_enabled: false,
  });
  const set = await peer.call('POST', `${script}/subdomain`, { json: { enabled: true } });
  assert.deepEqual(set.json.result, { enabled: true, previews_enabled: true });
  assert.deepEqual((await peer.call('GET', `${script}/subdomain`)).json.result, {
    enabled: true,
    previews_enabled: true,
  });
  const bad = await peer.call('POST', `${script}/subdomain`, { json: { enabled: 'yes' } });
  assert.equal(bad.json.errors[0].code, 10021);

  const patched = await peer.call('PATCH', `${script}/script-settings`, { json: { logpush: true, tags: ['a'] } });
  assert.equal(patched.json.result.logpush, true);
  const settings = await peer.call('GET', `${script}/settings`);
  assert.deepEqual(
    { logpush: settings.json.result.logpush, tags: settings.json.result.tags },
    { logpush: true, tags: ['a'] },
  );
});
