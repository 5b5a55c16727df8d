/**
 * The local server's perimeter against a real `pressdrop serve`, over raw
 * sockets: the Host allow-list (DNS rebinding), repeated and malformed
 * headers, methods and targets no route has, and the headers every preview
 * answer carries. Each hostile request is a row with the status and error
 * code it must get; none may get a 5xx, and none may change what is stored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { type RawAnswer, type RawRequest } from './testing/raw-http.ts';
import {
  assertNothingStored,
  bearer,
  type HostileTarget,
  type Seeded,
  seedTarget,
  siteFile,
  startHostileTarget,
  storeSnapshot,
} from './testing/security-fixture.ts';

const PREVIEW_CSP = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

/**
 * A hostile request and the answer it must get (`error: null`: an answer
 * that is not contract JSON, e.g. a preview page). `beforeRouting`: the URL
 * cannot be decoded, so no scope is known and the answer carries the
 * preview headers whatever the path.
 */
interface Hostile {
  name: string;
  request: (target: HostileTarget, seeded: Seeded) => RawRequest;
  status: number;
  error: string | null;
  beforeRouting?: true;
}

function expectAnswer(answer: RawAnswer, status: number, error: string | null, what: string): void {
  assert.ok(answer.status < 500, `${what}: ${answer.status} ${answer.body}`);
  assert.equal(answer.status, status, `${what}: ${answer.body}`);
  if (error !== null) {
    assert.equal(answer.json?.error, error, `${what}: ${answer.body}`);
    assert.equal(typeof answer.json.message, 'string');
  }
  assert.equal(answer.headers['x-content-type-options'], 'nosniff', `${what}: every answer says nosniff`);
}

function expectPreviewHeaders(answer: RawAnswer, what: string): void {
  assert.equal(answer.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(answer.headers['content-security-policy'], PREVIEW_CSP, what);
  assert.equal(answer.headers['access-control-allow-origin'], '*', what);
}

const HOST_REFUSALS: Hostile[] = [
  {
    name: 'Host of another name (DNS rebinding), with the key',
    request: (t) => ({
      method: 'GET',
      target: '/v1/deploys',
      host: `attacker.example:${t.port}`,
      headers: [bearer(t)],
    }),
    status: 421,
    error: 'misdirected_request',
  },
  {
    name: 'Host of another name without a port',
    request: (t) => ({ method: 'GET', target: '/v1/deploys', host: 'attacker.example', headers: [bearer(t)] }),
    status: 421,
    error: 'misdirected_request',
  },
  {
    name: 'Host 127.0.0.1 without the port',
    request: (t) => ({ method: 'GET', target: '/v1/deploys', host: '127.0.0.1', headers: [bearer(t)] }),
    status: 421,
    error: 'misdirected_request',
  },
  {
    name: 'Host 127.0.0.1 with another port',
    request: (t) => ({
      method: 'GET',
      target: '/v1/deploys',
      host: `127.0.0.1:${t.port === 1 ? 2 : t.port - 1}`,
      headers: [bearer(t)],
    }),
    status: 421,
    error: 'misdirected_request',
  },
  {
    name: 'Host localhost. (trailing dot)',
    request: (t) => ({ method: 'GET', target: '/v1/deploys', host: `localhost.:${t.port}`, headers: [bearer(t)] }),
    status: 421,
    error: 'misdirected_request',
  },
  {
    name: 'Host 127.0.0.2 (loopback, not ours)',
    request: (t) => ({ method: 'GET', target: '/v1/deploys', host: `127.0.0.2:${t.port}`, headers: [bearer(t)] }),
    status: 421,
    error: 'misdirected_request',
  },
  {
    name: 'Host [::ffff:127.0.0.1]',
    request: (t) => ({
      method: 'GET',
      target: '/v1/deploys',
      host: `[::ffff:127.0.0.1]:${t.port}`,
      headers: [bearer(t)],
    }),
    status: 421,
    error: 'misdirected_request',
  },
  {
    name: 'Host 0.0.0.0',
    request: (t) => ({ method: 'GET', target: '/v1/deploys', host: `0.0.0.0:${t.port}`, headers: [bearer(t)] }),
    status: 421,
    error: 'misdirected_request',
  },
  {
    name: 'Host with userinfo',
    request: (t) => ({
      method: 'GET',
      target: '/v1/deploys',
      host: `127.0.0.1:${t.port}@attacker.example`,
      headers: [bearer(t)],
    }),
    status: 421,
    error: 'misdirected_request',
  },
  {
    name: 'empty Host',
    request: (t) => ({ method: 'GET', target: '/v1/deploys', host: '', headers: [bearer(t)] }),
    status: 421,
    error: 'misdirected_request',
  },
  {
    name: 'no Host (HTTP/1.1)',
    request: (t) => ({ method: 'GET', target: '/v1/deploys', host: null, headers: [bearer(t)] }),
    status: 421,
    error: 'misdirected_request',
  },
  {
    name: 'no Host (HTTP/1.0)',
    request: (t) => ({ method: 'GET', target: '/v1/deploys', host: null, httpVersion: '1.0', headers: [bearer(t)] }),
    status: 421,
    error: 'misdirected_request',
  },
  {
    name: 'foreign Host on a create, with the key and a body',
    request: (t) => ({
      method: 'POST',
      target: '/v1/deploys',
      host: `evil.example:${t.port}`,
      headers: [bearer(t), ['Content-Type', 'application/json']],
      body: '{"slug":"rebound","name":"x"}',
    }),
    status: 421,
    error: 'misdirected_request',
  },
  {
    name: 'foreign Host on a preview',
    request: (t, s) => ({ method: 'GET', target: `/preview/${s.slug}/1/`, host: `evil.example:${t.port}` }),
    status: 421,
    error: 'misdirected_request',
  },
  {
    name: 'foreign Host on an undecodable URL',
    request: (t) => ({ method: 'GET', target: '/v1/x/%zz', host: `evil.example:${t.port}` }),
    status: 421,
    error: 'misdirected_request',
    beforeRouting: true,
  },
];

const HEADER_REFUSALS: Hostile[] = [
  {
    name: 'two Host headers, ours first',
    request: (t) => ({
      method: 'GET',
      target: '/v1/deploys',
      headers: [['Host', `127.0.0.1:${t.port}`], ['Host', 'evil.example'], bearer(t)],
    }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'two Authorization headers, the valid one first',
    request: (t) => ({
      method: 'GET',
      target: '/v1/deploys',
      headers: [bearer(t), ['Authorization', 'Bearer pcak_somebodyElsesKey1234567']],
    }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'two X-Upload-Token headers',
    request: (t, s) => ({
      method: 'GET',
      target: `/v1/upload-sessions/${s.openSessionId}`,
      headers: [bearer(t), ['X-Upload-Token', s.openToken], ['X-Upload-Token', s.committedToken]],
    }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'two Idempotency-Key headers',
    request: (t) => ({
      method: 'POST',
      target: '/v1/deploys',
      headers: [bearer(t), ['Idempotency-Key', 'a'], ['Idempotency-Key', 'b'], ['Content-Type', 'application/json']],
      body: '{"slug":"twice","name":"x"}',
    }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'two Content-Type headers',
    request: (t) => ({
      method: 'POST',
      target: '/v1/deploys',
      headers: [bearer(t), ['Content-Type', 'application/json'], ['Content-Type', 'text/plain']],
      body: '{"slug":"twice","name":"x"}',
    }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'two different Content-Length headers (request smuggling)',
    request: (t) => ({
      method: 'POST',
      target: '/v1/deploys',
      contentLength: false,
      headers: [bearer(t), ['Content-Type', 'application/json'], ['Content-Length', '2'], ['Content-Length', '27']],
      body: '{"slug":"twice","name":"x"}',
    }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'Content-Length and Transfer-Encoding together (request smuggling)',
    request: (t) => ({
      method: 'POST',
      target: '/v1/deploys',
      contentLength: false,
      headers: [
        bearer(t),
        ['Content-Type', 'application/json'],
        ['Content-Length', '5'],
        ['Transfer-Encoding', 'chunked'],
      ],
      body: '0\r\n\r\n',
    }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a negative Content-Length',
    request: (t) => ({
      method: 'POST',
      target: '/v1/deploys',
      contentLength: false,
      headers: [bearer(t), ['Content-Type', 'application/json'], ['Content-Length', '-1']],
      body: '',
    }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a Content-Length beyond 2^64',
    request: (t) => ({
      method: 'POST',
      target: '/v1/deploys',
      contentLength: false,
      headers: [bearer(t), ['Content-Type', 'application/json'], ['Content-Length', '99999999999999999999999']],
      body: '',
    }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a header line folded onto the next (obs-fold)',
    request: (t) => ({ method: 'GET', target: '/v1/deploys', headers: [bearer(t), ['X-Folded', 'a\r\n b']] }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a NUL in a header value',
    request: (t) => ({ method: 'GET', target: '/v1/deploys', headers: [bearer(t), ['X-Nul', 'a\u0000b']] }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a bare LF in a header value (CRLF injection)',
    request: (t) => ({
      method: 'GET',
      target: '/v1/deploys',
      headers: [['X-Injected', `x\nAuthorization: Bearer ${t.apiKey}`]],
    }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a header line without a colon',
    request: (t) => ({ method: 'GET', target: '/v1/deploys', headers: [bearer(t)], extraLines: ['NoColonHere'] }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'headers larger than 16 KiB',
    request: (t) => ({ method: 'GET', target: '/v1/deploys', headers: [bearer(t), ['X-Big', 'x'.repeat(20_000)]] }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a space inside the request target',
    request: () => ({ method: 'GET', target: '/v1/de ploys' }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'an unknown HTTP version',
    request: (t) =>
      Object.assign({ method: 'GET', target: '/v1/deploys', headers: [bearer(t)] }, { httpVersion: '3.0' as '1.1' }),
    status: 400,
    error: 'invalid_request',
  },
];

const ROUTE_REFUSALS: Hostile[] = [
  {
    name: 'PATCH on a collection, without the key',
    request: () => ({
      method: 'PATCH',
      target: '/v1/deploys',
      headers: [['Content-Type', 'application/json']],
      body: '{}',
    }),
    status: 401,
    error: 'unauthorized',
  },
  {
    name: 'PATCH on a collection, with the key',
    request: (t) => ({
      method: 'PATCH',
      target: '/v1/deploys',
      headers: [bearer(t), ['Content-Type', 'application/json']],
      body: '{}',
    }),
    status: 404,
    error: 'not_found',
  },
  {
    name: 'DELETE of a deploy (no such operation), with the key',
    request: (t, s) => ({ method: 'DELETE', target: `/v1/deploys/${s.deployId}`, headers: [bearer(t)] }),
    status: 404,
    error: 'not_found',
  },
  {
    name: 'a CORS preflight for the API (OPTIONS), as a web page sends it',
    request: () => ({
      method: 'OPTIONS',
      target: '/v1/deploys',
      headers: [
        ['Origin', 'http://attacker.example'],
        ['Access-Control-Request-Method', 'GET'],
        ['Access-Control-Request-Headers', 'authorization'],
      ],
    }),
    status: 401,
    error: 'unauthorized',
  },
  {
    name: 'OPTIONS * (asterisk-form)',
    request: () => ({ method: 'OPTIONS', target: '*' }),
    status: 401,
    error: 'unauthorized',
  },
  {
    name: 'TRACE (would echo the request, key included)',
    request: (t) => ({ method: 'TRACE', target: '/v1/deploys', headers: [bearer(t)] }),
    status: 404,
    error: 'not_found',
  },
  {
    name: 'POST to a preview',
    request: (_t, s) => ({
      method: 'POST',
      target: `/preview/${s.slug}/1/index.html`,
      headers: [['Content-Type', 'application/json']],
      body: '{}',
    }),
    status: 404,
    error: null,
  },
  {
    name: 'an undecodable percent-escape in an API path',
    request: (t) => ({ method: 'GET', target: '/v1/deploys/%zz', headers: [bearer(t)] }),
    status: 400,
    error: 'invalid_request',
    beforeRouting: true,
  },
  {
    name: 'a path parameter over 2048 characters',
    request: (t) => ({ method: 'GET', target: `/v1/deploys/${'d'.repeat(3000)}`, headers: [bearer(t)] }),
    status: 400,
    error: 'invalid_request',
    beforeRouting: true,
  },
  {
    name: 'a blob GET whose sha256 is a traversal',
    request: (t) => ({ method: 'GET', target: '/v1/blobs/..%2F..%2F..%2Fpress-cloud.sqlite', headers: [bearer(t)] }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a blob GET of a sha256 in upper case',
    request: (t, s) => ({
      method: 'GET',
      target: `/v1/blobs/${s.files[0]!.sha256.toUpperCase()}`,
      headers: [bearer(t)],
    }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'an old revoked-looking key (well-formed, not ours)',
    request: () => ({
      method: 'GET',
      target: '/v1/deploys',
      headers: [['Authorization', 'Bearer pcak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa']],
    }),
    status: 401,
    error: 'unauthorized',
  },
  {
    name: 'the key in lower-case "bearer"',
    request: (t) => ({ method: 'GET', target: '/v1/deploys', headers: [['Authorization', `bearer ${t.apiKey}`]] }),
    status: 401,
    error: 'unauthorized',
  },
  {
    name: 'the key as a query parameter',
    request: (t) => ({ method: 'GET', target: `/v1/deploys?api_key=${t.apiKey}` }),
    status: 401,
    error: 'unauthorized',
  },
  {
    name: 'the key as Basic credentials',
    request: (t) => ({
      method: 'GET',
      target: '/v1/deploys',
      headers: [['Authorization', `Basic ${Buffer.from(`x:${t.apiKey}`).toString('base64')}`]],
    }),
    status: 401,
    error: 'unauthorized',
  },
];

const PREVIEW_REQUESTS: Hostile[] = [
  {
    name: 'preview traversal with ../ to the API',
    request: (_t, s) => ({ method: 'GET', target: `/preview/${s.slug}/1/../../v1/deploys` }),
    status: 404,
    error: null,
  },
  {
    name: 'preview traversal with %2e%2e',
    request: (_t, s) => ({ method: 'GET', target: `/preview/${s.slug}/1/%2e%2e/%2e%2e/%2e%2e/press-cloud.sqlite` }),
    status: 404,
    error: null,
  },
  {
    name: 'preview traversal with backslashes',
    request: (_t, s) => ({ method: 'GET', target: `/preview/${s.slug}/1/..%5c..%5cpress-cloud.sqlite` }),
    status: 404,
    error: null,
  },
  {
    name: 'preview of a blob by its hash',
    request: (_t, s) => ({ method: 'GET', target: `/preview/${s.slug}/1/${s.files[0]!.sha256}` }),
    status: 404,
    error: null,
  },
  {
    name: 'preview of an unknown deploy',
    request: () => ({ method: 'GET', target: '/preview/nobody/1/index.html' }),
    status: 404,
    error: null,
  },
  {
    name: 'preview of a version number past 2^53',
    request: (_t, s) => ({ method: 'GET', target: `/preview/${s.slug}/99999999999999999999/` }),
    status: 404,
    error: null,
  },
  {
    name: 'preview with only a slug',
    request: (_t, s) => ({ method: 'GET', target: `/preview/${s.slug}` }),
    status: 404,
    error: null,
  },
  {
    name: 'preview with an undecodable escape',
    request: (_t, s) => ({ method: 'GET', target: `/preview/${s.slug}/1/%zz` }),
    status: 400,
    error: 'invalid_request',
    beforeRouting: true,
  },
];

describe('the perimeter of pressdrop serve', { timeout: 120_000 }, () => {
  let target: HostileTarget;
  let seeded: Seeded;
  let hostileCount = 0;

  after(async () => {
    await target?.stop();
    process.stdout.write(
      `# security-perimeter: ${hostileCount} hostile requests, each with its expected status and code\n`,
    );
  });
  before(async () => {
    target = await startHostileTarget();
    seeded = await seedTarget(target, 'site', [
      siteFile('index.html', '<!doctype html><title>site</title><h1>hi</h1>', 'text/html; charset=utf-8'),
      siteFile('docs/index.html', '<h1>docs</h1>', 'text/html'),
      siteFile('data.json', '{"a":1}', 'application/json'),
    ]);
  });

  for (const [group, rows] of [
    ['Host allow-list', HOST_REFUSALS],
    ['headers', HEADER_REFUSALS],
    ['methods and targets', ROUTE_REFUSALS],
    ['previews', PREVIEW_REQUESTS],
  ] as const) {
    describe(group, () => {
      for (const row of rows) {
        test(`${row.name} → ${row.status}${row.error ? ` ${row.error}` : ''}`, async () => {
          hostileCount++;
          const before = storeSnapshot(target.dataDir);
          const answer = await target.raw(row.request(target, seeded));
          expectAnswer(answer, row.status, row.error, row.name);
          assertNothingStored(target.dataDir, before, row.name);
          const preview = row.beforeRouting === true || row.request(target, seeded).target.startsWith('/preview/');
          if (preview) expectPreviewHeaders(answer, row.name);
          // Parser refusals come before any scope; they are the contract's JSON, not readable cross-origin.
          else
            assert.equal(
              answer.headers['access-control-allow-origin'],
              undefined,
              `${row.name}: only preview answers are readable cross-origin`,
            );
        });
      }
    });
  }

  test('the server’s own names are allowed, in any case: 127.0.0.1, localhost and [::1] with its port', async () => {
    for (const host of [
      `127.0.0.1:${target.port}`,
      `localhost:${target.port}`,
      `LocalHost:${target.port}`,
      `[::1]:${target.port}`,
    ]) {
      const answer = await target.raw({ method: 'GET', target: '/v1/limits', host, headers: [bearer(target)] });
      assert.equal(answer.status, 200, `${host}: ${answer.body}`);
    }
  });

  test('every preview answer is sandboxed, not sniffed and readable cross-origin: files, 404s, redirects, HEAD', async () => {
    const cases: Array<[string, number, string?]> = [
      [`/preview/${seeded.slug}/1/`, 200],
      [`/preview/${seeded.slug}/1/data.json`, 200],
      [`/preview/${seeded.slug}/live/index.html`, 200],
      [`/preview/${seeded.slug}/1/missing.html`, 404],
      [`/preview/${seeded.slug}/2/`, 404],
      [`/preview/${seeded.slug}/1`, 301, `/preview/${seeded.slug}/1/`],
      [`/preview/${seeded.slug}/1/docs`, 301, `/preview/${seeded.slug}/1/docs/`],
      ['/preview/', 404],
      ['/preview/x', 404],
    ];
    for (const [path, status, location] of cases) {
      for (const method of ['GET', 'HEAD']) {
        const answer = await target.raw({ method, target: path });
        assert.equal(answer.status, status, `${method} ${path}: ${answer.body}`);
        expectPreviewHeaders(answer, `${method} ${path}`);
        if (location) assert.equal(answer.headers.location, location, `${method} ${path}`);
      }
    }
  });

  test('a redirect is built from the route, not the request line: an absolute-form target cannot make it point elsewhere', async () => {
    const answer = await target.raw({ method: 'GET', target: `http://evil.example/preview/${seeded.slug}/1/docs` });
    assert.equal(answer.status, 301);
    assert.equal(answer.headers.location, `/preview/${seeded.slug}/1/docs/`);
    const encoded = await target.raw({ method: 'GET', target: `/preview/${seeded.slug}/1/%2F%2Fevil.example%2Fdocs` });
    assert.equal(encoded.status, 404, 'an encoded //host path names no file');
    assert.equal(encoded.headers.location, undefined);
  });

  test('API answers carry no CORS header, so a sandboxed page cannot read them even with a key', async () => {
    const answer = await target.raw({
      method: 'GET',
      target: '/v1/deploys',
      headers: [bearer(target), ['Origin', 'null']],
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['access-control-allow-origin'], undefined);
    assert.equal(answer.headers['access-control-allow-credentials'], undefined);
  });

  test('a file stored with a media type that is no longer accepted is served as bytes, not as a broken header', async () => {
    // As a database written before media types were checked would hold it.
    const db = new DatabaseSync(join(target.dataDir, 'press-cloud.sqlite'), { timeout: 5_000 });
    try {
      db.prepare('UPDATE version_files SET mime = ? WHERE path = ?').run('text/plain\r\nSet-Cookie: x=1', 'data.json');
    } finally {
      db.close();
    }
    const answer = await target.raw({ method: 'GET', target: `/preview/${seeded.slug}/1/data.json` });
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.headers['content-type'], 'application/octet-stream');
    assert.equal(answer.headers['set-cookie'], undefined);
    assert.equal(answer.body, '{"a":1}');
  });

  test('a foreign Host is refused before any key check or body is read, and the message names no secret', async () => {
    const answer = await target.raw({
      method: 'GET',
      target: '/v1/local/instance',
      host: 'attacker.example',
      headers: [bearer(target)],
    });
    assert.equal(answer.status, 421);
    assert.doesNotMatch(answer.body, /inst_|pcak_/);
  });
});
