import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { startTestServer, type TestServer } from '../src-server/testing/test-server.ts';

/**
 * A deployed page is someone's content. In a real Chromium, its preview
 * runs in the sandbox the server's CSP asks for: an opaque origin that
 * cannot read the API (with or without credentials, even holding the key)
 * nor use this origin's storage, while the page's own module scripts and
 * its JSON still load, as they would unsandboxed.
 */

/** Deploys `files` (path → text) as version 1 of a new deploy `slug` through the API. */
async function deploy(server: TestServer, slug: string, files: Record<string, string>): Promise<void> {
  const mimes: Record<string, string> = {
    html: 'text/html; charset=utf-8',
    js: 'text/javascript; charset=utf-8',
    json: 'application/json',
  };
  const list = Object.entries(files).map(([path, text]) => {
    const bytes = Buffer.from(text);
    return {
      path,
      bytes,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size: bytes.length,
      mime: mimes[path.split('.').pop()!]!,
    };
  });
  const created = await server.request('POST', '/v1/upload-sessions', {
    json: {
      createDeploy: { slug, name: slug },
      files: list.map(({ path, sha256, size, mime }) => ({ path, sha256, size, mime })),
    },
  });
  expect(created.status).toBe(201);
  const session = { id: created.body.uploadSession.id, token: created.body.uploadToken };
  for (const file of list) {
    expect(
      (
        await server.request('PUT', `/v1/upload-sessions/${session.id}/blobs/${file.sha256}`, {
          uploadToken: session.token,
          raw: file.bytes,
        })
      ).status,
    ).toBe(200);
  }
  const committed = await server.request('POST', `/v1/upload-sessions/${session.id}/commit`, {
    uploadToken: session.token,
    json: { entries: list.map(({ path, sha256, size, mime }) => ({ path, blobHash: sha256, size, mime })) },
  });
  expect(committed.status).toBe(201);
}

/** The page's script: what it can and cannot do, written into the page as JSON when done. */
function probeScript(apiKey: string): string {
  return `
import { greeting } from './lib.js';

/** "read N items" when the API list came back readable, else how the attempt failed. */
async function tryApi(init) {
  try {
    const response = await fetch('/v1/deploys', init);
    if (response.type === 'opaque') return 'opaque response, unreadable';
    const body = await response.json();
    return Array.isArray(body.items) ? 'read ' + body.items.length + ' items' : 'status ' + response.status;
  } catch (error) {
    return 'blocked: ' + error.name;
  }
}

function tryStorage(read) {
  try {
    read();
    return 'readable';
  } catch (error) {
    return 'blocked: ' + error.name;
  }
}

const results = {
  origin: self.origin,
  greeting,
  data: await fetch('data.json').then((response) => response.json()),
  apiPlain: await tryApi({}),
  apiWithCredentials: await tryApi({ credentials: 'include' }),
  // As if the page had got hold of the key: from an opaque origin the preflight is refused.
  apiWithKey: await tryApi({ headers: { authorization: 'Bearer ${apiKey}' } }),
  apiNoCors: await tryApi({ mode: 'no-cors' }),
  localStorage: tryStorage(() => localStorage.getItem('x')),
  cookie: tryStorage(() => document.cookie),
};
document.body.dataset.results = JSON.stringify(results);
document.getElementById('status').textContent = 'done';
`;
}

test('a preview runs sandboxed: its module script and JSON load, the API and the origin’s storage stay out of reach', async ({
  page,
}) => {
  const server = await startTestServer();
  try {
    await deploy(server, 'site', {
      'index.html':
        '<!doctype html><meta charset="utf-8"><title>Sandboxed page</title><p id="status">loading</p><script type="module" src="app.js"></script>',
      'app.js': probeScript(server.apiKey),
      'lib.js': "export const greeting = 'hello from a module';",
      'data.json': '{"answer":42}',
    });
    const answer = await page.goto(`${server.url}/preview/site/1/`);
    expect(answer?.headers()['content-security-policy']).toBe(
      'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads',
    );
    await expect(page.locator('#status')).toHaveText('done');
    const results = JSON.parse((await page.locator('body').getAttribute('data-results'))!);

    // The page works as its author wrote it.
    expect(results.greeting).toBe('hello from a module');
    expect(results.data).toEqual({ answer: 42 });
    await expect(page).toHaveTitle('Sandboxed page');

    // It runs in an opaque origin, not the API's.
    expect(results.origin).toBe('null');
    expect(results.apiPlain).toMatch(/^blocked/);
    expect(results.apiWithCredentials).toMatch(/^blocked/);
    expect(results.apiWithKey).toMatch(/^blocked/);
    expect(results.apiNoCors).toBe('opaque response, unreadable');
    expect(results.localStorage).toMatch(/^blocked/);
    expect(results.cookie).toMatch(/^blocked/);

    // The control: the list is there for a client with the key that is not a sandboxed page.
    const list = await server.request('GET', '/v1/deploys');
    expect(list.body.items).toHaveLength(1);
  } finally {
    await server.close();
  }
});
