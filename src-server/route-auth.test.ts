/**
 * Every route the server registers, asked for without the key under every
 * spelling of its path we know of, against a real `pressdrop serve` over
 * raw sockets (fetch would normalise the request line). The list of routes
 * comes from the server itself, so a route added tomorrow is covered
 * without anyone remembering to add it here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mapBounded } from '../src-shared/map-bounded.ts';
import type { RouteEntry } from './app.ts';
import { requestBytes, rawRequest, type RawAnswer } from './testing/raw-http.ts';
import {
  bearer,
  type HostileTarget,
  type Seeded,
  seedTarget,
  siteFile,
  startHostileTarget,
} from './testing/security-fixture.ts';
import { startTestServer } from './testing/test-server.ts';

/** Plausible values for each path parameter, from the seeded data; any other name gets a generic value. */
function paramValues(seeded: Seeded): Record<string, string> {
  return {
    deployId: seeded.deployId,
    versionId: seeded.versionId,
    sessionId: seeded.openSessionId,
    sha256: seeded.pending.sha256,
    name: 'live',
    jobId: 'rj_doesNotMatter',
    pdfId: 'pdf_doesNotMatter',
    slug: seeded.slug,
    ref: '1',
    '*': 'index.html',
  };
}

/** The route's URL pattern with its parameters filled in. */
function fill(url: string, values: Record<string, string>): string {
  return url.replace(/:(\w+)/g, (_, name: string) => values[name] ?? 'x_value').replace(/\*$/, values['*']!);
}

const percent = (char: string, upper: boolean) => {
  const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? hex.toUpperCase() : hex}`;
};
/** Every letter and digit of `path` percent-encoded. */
const encodeAlphanumerics = (path: string, upper: boolean) => path.replace(/[A-Za-z0-9]/g, (c) => percent(c, upper));

/** Ways of writing the request target of `path` (which starts with /v1/) that a router might take for it. */
export function spellings(path: string, port: number): string[] {
  const rest = path.slice('/v1'.length);
  return [
    path,
    `/%761${rest}`,
    `/v%31${rest}`,
    `/%76%31${rest}`,
    `/%56%31${rest}`,
    `/V1${rest}`,
    encodeAlphanumerics(path, false),
    encodeAlphanumerics(path, true),
    `/v1${rest.replaceAll('/', '%2F')}`,
    `/v1%2f${rest.slice(1)}`,
    `/%2576%2531${rest}`,
    `http://127.0.0.1:${port}${path}`,
    `http://127.0.0.1${path}`,
    `HTTP://LOCALHOST:${port}${path}`,
    `https://evil.example${path}`,
    `http://127.0.0.1:${port}/%761${rest}`,
    `/x/..${path}`,
    `/x/%2e%2e${path}`,
    `/x/%2E%2E${path}`,
    `/.${path}`,
    `/v1/.${rest}`,
    `/v1/x/..${rest}`,
    `/${path}`,
    `/v1/${rest}`,
    `${path}/`,
    `${path}?x=1`,
    `${path};x`,
    `${path}#x`,
  ];
}

/** A body for a method that takes one: JSON for API calls, a byte for a blob upload. */
function bodyFor(route: RouteEntry): { headers: Array<[string, string]>; body?: string } {
  if (route.method === 'PUT' && route.url.includes('/blobs/'))
    return { headers: [['Content-Type', 'application/octet-stream']], body: 'x' };
  if (['POST', 'PUT', 'PATCH'].includes(route.method))
    return { headers: [['Content-Type', 'application/json']], body: '{}' };
  return { headers: [] };
}

describe('every route refuses a request without the key, however its path is spelled', { timeout: 120_000 }, () => {
  let target: HostileTarget;
  let routes: readonly RouteEntry[];
  let seeded: Seeded;

  after(() => target?.stop());
  before(async () => {
    // The route table of the code under test, read from a server started in this process.
    const local = await startTestServer();
    routes = local.server.routes;
    await local.close();
    target = await startHostileTarget();
    seeded = await seedTarget(target, 'site', [siteFile('index.html', '<h1>hi</h1>', 'text/html; charset=utf-8')]);
  });

  test('the route table is what the server answers: the /v1 API, the local instance, previews', () => {
    const urls = new Set(routes.map((route) => route.url));
    for (const url of [
      '/v1/deploys',
      '/v1/upload-sessions/:sessionId/blobs/:sha256',
      '/v1/local/instance',
      '/preview/:slug/:ref/*',
    ])
      assert.ok(urls.has(url), url);
    assert.ok(routes.length >= 30, `only ${routes.length} routes listed`);
  });

  test('only previews are public: every other route answers 401 unauthorized to all spellings', async () => {
    const values = paramValues(seeded);
    const cases: Array<{ route: RouteEntry; target: string }> = [];
    for (const route of routes) {
      if (route.url.startsWith('/preview/')) {
        assert.ok(['GET', 'HEAD'].includes(route.method), `${route.method} ${route.url}: previews are read-only`);
        continue;
      }
      assert.ok(
        route.url.startsWith('/v1/'),
        `${route.method} ${route.url} is neither API nor preview: decide who may call it`,
      );
      for (const spelled of spellings(fill(route.url, values), target.port)) cases.push({ route, target: spelled });
    }
    assert.ok(cases.length > 500, `${cases.length} cases`);
    const failures: string[] = [];
    await mapBounded(cases, 16, async ({ route, target: spelled }) => {
      const { headers, body } = bodyFor(route);
      let answer: RawAnswer;
      try {
        answer = await rawRequest(
          target.port,
          requestBytes(target.port, {
            method: route.method,
            target: spelled,
            headers,
            ...(body !== undefined && { body }),
          }),
        );
      } catch (error) {
        return void failures.push(`${route.method} ${spelled}: ${(error as Error).message}`);
      }
      const wanted =
        route.method === 'HEAD'
          ? answer.status === 401
          : answer.status === 401 && answer.json?.error === 'unauthorized';
      if (!wanted) failures.push(`${route.method} ${spelled} → ${answer.status} ${answer.body.slice(0, 120)}`);
    });
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length} requests were not refused with 401`);
  });

  test('the same requests with the key reach their routes (so the refusals above came from the check, not from a miss)', async () => {
    const values = paramValues(seeded);
    const reached: string[] = [];
    for (const route of routes.filter((r) => r.url.startsWith('/v1/') && r.method !== 'DELETE')) {
      const { headers, body } = bodyFor(route);
      const answer = await rawRequest(target.port, {
        method: route.method,
        target: fill(route.url, values),
        headers: [bearer(target), ['X-Upload-Token', seeded.openToken], ...headers],
        ...(body !== undefined && { body }),
      });
      assert.notEqual(answer.status, 401, `${route.method} ${route.url} with the key: ${answer.body}`);
      assert.ok(answer.status < 500, `${route.method} ${route.url} with the key: ${answer.status} ${answer.body}`);
      reached.push(`${route.method} ${route.url} ${answer.status}`);
    }
    // A percent-encoded spelling with the key is the same route: the list comes back.
    const list = await rawRequest(target.port, { method: 'GET', target: '/%761/deploys', headers: [bearer(target)] });
    assert.equal(list.status, 200);
    assert.equal(list.json.items[0].id, seeded.deployId);
    assert.ok(reached.length >= 20, reached.join('\n'));
  });

  test('unknown paths without the key are 401 too, so nobody learns which endpoints exist', async () => {
    for (const path of [
      '/v1/nothing',
      '/v1/deploys/x/y/z',
      '/',
      '/favicon.ico',
      '/v2/deploys',
      '/admin',
      '/%2e%2e/etc/passwd',
    ]) {
      const answer = await target.raw({ method: 'GET', target: path });
      assert.equal(answer.status, 401, `${path}: ${answer.body}`);
      assert.equal(answer.json.error, 'unauthorized');
      assert.doesNotMatch(answer.body, /nothing|favicon|admin|passwd/, 'the answer does not echo the path');
    }
    const known = await target.raw({ method: 'GET', target: '/v1/nothing', headers: [bearer(target)] });
    assert.equal(known.status, 404);
    assert.equal(known.json.error, 'not_found');
  });
});
