/**
 * Hostile uploads against a real `pressdrop serve`: paths of every class
 * the contract refuses, at session creation, at missing-blobs and at
 * commit; media types that would inject headers; forged sizes and lengths;
 * other sessions' tokens; huge, deep and poisoned JSON; bad cursors and
 * idempotency keys. Each row has the status and code it must get, none may
 * get a 5xx, and after each one nothing stored has changed: no deploy, no
 * session, no version, no blob, no temp file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PATH_BYTES } from '../src-shared/deploy-names.ts';
import type { RawAnswer } from './testing/raw-http.ts';
import {
  assertNothingStored,
  bearer,
  type HostileTarget,
  type Seeded,
  seedTarget,
  siteFile,
  type SiteFile,
  startHostileTarget,
  storeSnapshot,
} from './testing/security-fixture.ts';
import type { TestResponse } from './testing/test-server.ts';

/** What a row looks at: the status and the parsed body. */
interface Outcome {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

const fromFetch = (res: TestResponse): Outcome => ({ status: res.status, json: res.body });
const fromRaw = (answer: RawAnswer): Outcome => ({ status: answer.status, json: answer.json });

/** The world a row runs in: the target, what was seeded, and an open session whose one blob is uploaded. */
interface World {
  t: HostileTarget;
  s: Seeded;
  ready: { id: string; token: string; file: SiteFile };
}

interface Hostile {
  name: string;
  send: (w: World) => Promise<Outcome>;
  status: number;
  error: string;
  /** Extra checks of the answer (e.g. the message is short). */
  check?: (outcome: Outcome) => void;
}

let slugSeq = 0;
const nextSlug = () => `hostile-${++slugSeq}`;
const ok = siteFile('ok.html', 'ok', 'text/html');
const descriptor = (f: SiteFile, path = f.path) => ({ path, sha256: f.sha256, size: f.bytes.length });

/** POST /v1/upload-sessions creating a new deploy with `files`. */
const createSession = (w: World, files: unknown[]) =>
  w.t
    .request('POST', '/v1/upload-sessions', { json: { createDeploy: { slug: nextSlug(), name: 'Hostile' }, files } })
    .then(fromFetch);
/** POST commit on the ready session. */
const commit = (w: World, json: unknown) =>
  w.t.request('POST', `/v1/upload-sessions/${w.ready.id}/commit`, { uploadToken: w.ready.token, json }).then(fromFetch);
const entry = (w: World, path: string, mime?: string) => ({
  path,
  blobHash: w.ready.file.sha256,
  size: w.ready.file.bytes.length,
  ...(mime !== undefined && { mime }),
});
/** POST missing-blobs on the ready session. */
const missing = (w: World, files: unknown[]) =>
  w.t
    .request('POST', `/v1/upload-sessions/${w.ready.id}/missing-blobs`, { uploadToken: w.ready.token, json: { files } })
    .then(fromFetch);

/** POST /v1/deploys of a new deploy with this Idempotency-Key, written byte for byte on a raw connection. */
const createDeployWithRawKey = (w: World, key: string) =>
  w.t
    .raw({
      method: 'POST',
      target: '/v1/deploys',
      headers: [bearer(w.t), ['Content-Type', 'application/json'], ['Idempotency-Key', key]],
      body: JSON.stringify({ slug: nextSlug(), name: 'x' }),
    })
    .then(fromRaw);

/** A path of `bytes` ASCII bytes in 200-byte segments. */
function longPath(bytes: number): string {
  let path = '';
  while (path.length < bytes) path += path.length % 201 === 200 ? '/' : 'p';
  return path;
}

// Each forbidden class of path, with a name.
const BAD_PATHS: Array<[string, string]> = [
  ['a C0 control (U+0001)', 'a\u0001b.html'],
  ['a tab', 'a\tb.html'],
  ['a line feed', 'a\nb.html'],
  ['a NUL', 'a\u0000b.html'],
  ['DEL (U+007F)', 'a\u007fb.html'],
  ['a C1 control (U+0085)', 'a\u0085b.html'],
  ['a right-to-left override (U+202E)', 'invoice\u202egpj.exe'],
  ['a bidi isolate (U+2066)', 'a\u2066b.html'],
  ['an Arabic letter mark (U+061C)', 'a\u061cb.html'],
  ['a decomposed é (not NFC)', 'caf\u0065\u0301.html'],
  ['a lone surrogate', 'a\ud800b.html'],
  [`${MAX_PATH_BYTES + 1} bytes`, longPath(MAX_PATH_BYTES + 1)],
  ['a 256-byte segment', `a/${'s'.repeat(256)}`],
  ['a 256-byte segment of 3-byte characters', `${'文'.repeat(86)}`],
  ['an empty segment', 'a//b.html'],
  ['a "." segment', 'a/./b.html'],
  ['a ".." segment', 'a/../../b.html'],
  ['only ".."', '..'],
  ['a backslash', 'a\\..\\b.html'],
  ['a leading slash', '/etc/passwd'],
  ['a trailing slash', 'a/'],
  ['nothing', ''],
];

const ROWS: Hostile[] = [
  ...BAD_PATHS.map(([what, path]): Hostile => ({
    name: `session creation: a path with ${what}`,
    send: (w) => createSession(w, [descriptor(ok), descriptor(ok, path)]),
    status: 400,
    error: 'invalid_path',
  })),
  {
    name: 'session creation: the same path twice',
    send: (w) => createSession(w, [descriptor(ok), descriptor(ok, 'x.html'), descriptor(ok, 'x.html')]),
    status: 400,
    error: 'invalid_path',
    check: ({ json }) => assert.match(json.message, /files\[2\]\.path "x\.html" appears more than once/),
  },
  {
    name: 'session creation: é twice, composed and decomposed',
    send: (w) => createSession(w, [descriptor(ok, 'caf\u00e9.html'), descriptor(ok, 'cafe\u0301.html')]),
    status: 400,
    error: 'invalid_path',
    check: ({ json }) => assert.equal(json.index, 1),
  },
  {
    name: 'session creation: a 4 KiB path is refused in a short message that quotes its start and end',
    send: (w) => createSession(w, [descriptor(ok, `${'start/'.repeat(10)}${'m'.repeat(4000)}/the-end.html`)]),
    status: 400,
    error: 'invalid_path',
    check: ({ json }) => {
      assert.ok(json.message.length < 300, `${json.message.length} characters`);
      assert.match(json.message, /^files\[0\]\.path "start\/start\/.*…m*\/the-end\.html" is 40\d\d bytes long/);
      assert.ok(json.path.length <= 101);
    },
  },
  ...BAD_PATHS.filter((_, i) => i % 3 === 0).map(([what, path]): Hostile => ({
    name: `commit: an entry with ${what}`,
    send: (w) => commit(w, { entries: [entry(w, 'ok.html'), entry(w, path)] }),
    status: 400,
    error: 'invalid_path',
  })),
  {
    name: 'commit: the same path twice',
    send: (w) => commit(w, { entries: [entry(w, 'a.html'), entry(w, 'a.html')] }),
    status: 400,
    error: 'invalid_path',
  },
  ...BAD_PATHS.filter((_, i) => i % 4 === 1).map(([what, path]): Hostile => ({
    name: `missing-blobs: a file with ${what}`,
    send: (w) => missing(w, [descriptor(ok, path)]),
    status: 400,
    error: 'invalid_path',
  })),

  // Media types end up in a Content-Type header.
  ...(
    [
      ['CRLF and a header of its own', 'text/plain\r\nSet-Cookie: session=stolen'],
      ['a bare LF', 'text/html\nX-Injected: 1'],
      ['a NUL', 'text/html\u0000'],
      ['non-ASCII', 'text/htmł'],
      ['no subtype', 'text'],
      ['a trailing semicolon', 'text/html;'],
      ['256 characters', `a/${'b'.repeat(254)}`],
      ['a tab', 'text/html;\tcharset=utf-8'],
    ] as const
  ).map(([what, mime]): Hostile => ({
    name: `session creation: a mime with ${what}`,
    send: (w) => createSession(w, [{ ...descriptor(ok), mime }]),
    status: 400,
    error: 'invalid_request',
  })),
  {
    name: 'commit: a mime with CRLF',
    send: (w) => commit(w, { entries: [entry(w, 'a.html', 'text/plain\r\nSet-Cookie: x=1')] }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'commit: a mime with an unterminated quoted parameter',
    send: (w) => commit(w, { entries: [entry(w, 'a.html', 'text/html; charset="utf-8')] }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'missing-blobs: a mime with CRLF',
    send: (w) => missing(w, [{ ...descriptor(ok), mime: 'a/b\r\nx: y' }]),
    status: 400,
    error: 'invalid_request',
  },

  // Forged sizes.
  ...(
    [
      ['negative', -1],
      ['fractional', 1.5],
      ['2^53', 2 ** 53],
      ['1e308', 1e308],
      ['a string', '2'],
    ] as const
  ).map(([what, size]): Hostile => ({
    name: `session creation: a ${what} size`,
    send: (w) => createSession(w, [{ ...descriptor(ok), size }]),
    status: 400,
    error: 'invalid_request',
  })),
  {
    name: 'session creation: one content given two sizes',
    send: (w) => createSession(w, [descriptor(ok, 'a.html'), { ...descriptor(ok, 'b.html'), size: 3 }]),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'commit: an entry whose size is not its blob’s',
    send: (w) => commit(w, { entries: [{ ...entry(w, 'a.html'), size: 1 }] }),
    status: 400,
    error: 'blob_size_mismatch',
  },
  {
    name: 'blob PUT: Content-Length larger than the registered size',
    send: (w) =>
      w.t
        .raw({
          method: 'PUT',
          target: `/v1/upload-sessions/${w.s.openSessionId}/blobs/${w.s.pending.sha256}`,
          headers: [bearer(w.t), ['X-Upload-Token', w.s.openToken], ['Content-Type', 'application/octet-stream']],
          body: Buffer.concat([w.s.pending.bytes, Buffer.from('more')]),
        })
        .then(fromRaw),
    status: 400,
    error: 'blob_size_mismatch',
  },
  {
    name: 'blob PUT: Content-Length of 9 GiB, over the per-blob limit (nothing sent)',
    send: (w) =>
      w.t
        .raw({
          method: 'PUT',
          target: `/v1/upload-sessions/${w.s.openSessionId}/blobs/${w.s.pending.sha256}`,
          contentLength: false,
          headers: [
            bearer(w.t),
            ['X-Upload-Token', w.s.openToken],
            ['Content-Type', 'application/octet-stream'],
            ['Content-Length', String(9 * 1024 ** 3)],
          ],
        })
        .then(fromRaw),
    status: 400,
    error: 'upload_blob_too_large',
  },
  {
    name: 'blob PUT: the registered length with other bytes',
    send: (w) =>
      w.t
        .raw({
          method: 'PUT',
          target: `/v1/upload-sessions/${w.s.openSessionId}/blobs/${w.s.pending.sha256}`,
          headers: [bearer(w.t), ['X-Upload-Token', w.s.openToken], ['Content-Type', 'application/octet-stream']],
          body: Buffer.alloc(w.s.pending.bytes.length, 'x'),
        })
        .then(fromRaw),
    status: 400,
    error: 'blob_hash_mismatch',
  },
  {
    name: 'blob PUT: a chunked body longer than registered',
    send: (w) => {
      const body = Buffer.concat([w.s.pending.bytes, Buffer.from('overflow')]);
      return w.t
        .raw({
          method: 'PUT',
          target: `/v1/upload-sessions/${w.s.openSessionId}/blobs/${w.s.pending.sha256}`,
          contentLength: false,
          headers: [
            bearer(w.t),
            ['X-Upload-Token', w.s.openToken],
            ['Content-Type', 'application/octet-stream'],
            ['Transfer-Encoding', 'chunked'],
          ],
          body: `${body.length.toString(16)}\r\n${body.toString('latin1')}\r\n0\r\n\r\n`,
        })
        .then(fromRaw);
    },
    status: 400,
    error: 'blob_size_mismatch',
  },

  // Tokens of other sessions.
  {
    name: 'blob PUT with the token of another (committed) session',
    send: (w) =>
      w.t
        .request('PUT', `/v1/upload-sessions/${w.s.openSessionId}/blobs/${w.s.pending.sha256}`, {
          uploadToken: w.s.committedToken,
          raw: w.s.pending.bytes,
        })
        .then(fromFetch),
    status: 401,
    error: 'upload_token_invalid',
  },
  {
    name: 'commit with the token of another session',
    send: (w) =>
      w.t
        .request('POST', `/v1/upload-sessions/${w.ready.id}/commit`, {
          uploadToken: w.s.openToken,
          json: { entries: [entry(w, 'a.html')] },
        })
        .then(fromFetch),
    status: 401,
    error: 'upload_token_invalid',
  },
  {
    name: 'GET a session with an empty token',
    send: (w) =>
      w.t
        .raw({
          method: 'GET',
          target: `/v1/upload-sessions/${w.s.openSessionId}`,
          headers: [bearer(w.t), ['X-Upload-Token', '']],
        })
        .then(fromRaw),
    status: 401,
    error: 'upload_token_invalid',
  },
  {
    name: 'missing-blobs with a 10 KiB token',
    send: (w) =>
      w.t
        .request('POST', `/v1/upload-sessions/${w.s.openSessionId}/missing-blobs`, {
          uploadToken: `ustk_${'x'.repeat(10_000)}`,
          json: { files: [] },
        })
        .then(fromFetch),
    status: 401,
    error: 'upload_token_invalid',
  },

  // Huge, deep and poisoned JSON.
  {
    name: 'a 20 KiB body to POST /v1/deploys (its limit is 16 KiB)',
    send: (w) =>
      w.t
        .request('POST', '/v1/deploys', { json: { slug: nextSlug(), name: 'x', padding: 'p'.repeat(20 * 1024) } })
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a 20 KiB body to PUT an alias',
    send: (w) =>
      w.t
        .request('PUT', `/v1/deploys/${w.s.deployId}/aliases/big`, {
          json: { deployVersionId: w.s.versionId, padding: 'p'.repeat(20 * 1024) },
        })
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a missing-blobs body over its limit',
    send: (w) => missing(w, [{ ...descriptor(ok), padding: 'p'.repeat(3 * 1024 * 1024) }]),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'JSON nested 5000 deep (fits 16 KiB)',
    send: (w) =>
      w.t
        .request('POST', '/v1/deploys', {
          raw: `{"slug":"${nextSlug()}","name":"x","deep":${'['.repeat(5000)}${']'.repeat(5000)}}`,
          headers: { 'content-type': 'application/json' },
        })
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'JSON nested 65 deep in render.metadata',
    send: (w) =>
      commit(w, {
        entries: [entry(w, 'a.html')],
        render: { metadata: JSON.parse(`${'{"a":'.repeat(65)}1${'}'.repeat(65)}`) },
      }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'JSON nested 200 000 deep in a commit, with an Idempotency-Key',
    send: (w) =>
      w.t
        .request('POST', `/v1/upload-sessions/${w.ready.id}/commit`, {
          uploadToken: w.ready.token,
          headers: { 'content-type': 'application/json', 'idempotency-key': 'deep' },
          raw: `{"entries":${'['.repeat(200_000)}${']'.repeat(200_000)}}`,
        })
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a __proto__ key (prototype pollution)',
    send: (w) =>
      w.t
        .request('POST', '/v1/deploys', {
          raw: `{"slug":"${nextSlug()}","name":"x","__proto__":{"isAdmin":true}}`,
          headers: { 'content-type': 'application/json' },
        })
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a constructor.prototype key',
    send: (w) =>
      w.t
        .request('POST', '/v1/deploys', {
          raw: `{"slug":"${nextSlug()}","name":"x","constructor":{"prototype":{"isAdmin":true}}}`,
          headers: { 'content-type': 'application/json' },
        })
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a top-level array',
    send: (w) => w.t.request('POST', '/v1/deploys', { json: [{ slug: nextSlug(), name: 'x' }] }).then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'JSON null',
    send: (w) =>
      w.t
        .request('POST', '/v1/deploys', { raw: 'null', headers: { 'content-type': 'application/json' } })
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a JSON body sent as text/plain',
    send: (w) =>
      w.t
        .request('POST', '/v1/deploys', {
          raw: JSON.stringify({ slug: nextSlug(), name: 'x' }),
          headers: { 'content-type': 'text/plain' },
        })
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a JSON body sent as form data (what a cross-site form posts)',
    send: (w) =>
      w.t
        .request('POST', '/v1/deploys', {
          raw: `slug=${nextSlug()}&name=x`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },

  // Cursors and page sizes.
  {
    name: 'a cursor that is not base64 JSON',
    send: (w) => w.t.request('GET', '/v1/deploys?cursor=%00%ff%fe').then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a cursor of another list',
    send: (w) =>
      w.t
        .request(
          'GET',
          `/v1/deploys?cursor=${Buffer.from(JSON.stringify({ l: `versions:${w.s.deployId}`, a: 1 })).toString('base64url')}`,
        )
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a cursor whose key is an object (SQL injection shape)',
    send: (w) =>
      w.t
        .request(
          'GET',
          `/v1/deploys?cursor=${Buffer.from(JSON.stringify({ l: 'deploys', a: { $gt: '' } })).toString('base64url')}`,
        )
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'two cursors',
    send: (w) => w.t.request('GET', '/v1/deploys?cursor=a&cursor=b').then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'an 8 KiB cursor',
    send: (w) => w.t.request('GET', `/v1/deploys?cursor=${'A'.repeat(8 * 1024)}`).then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'limit=1e9',
    send: (w) => w.t.request('GET', `/v1/deploy-versions/${w.s.versionId}/files?limit=1000000000`).then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },

  // Idempotency keys.
  {
    name: 'a 256-character Idempotency-Key',
    send: (w) =>
      w.t
        .request('POST', '/v1/deploys', {
          headers: { 'idempotency-key': 'k'.repeat(256) },
          json: { slug: nextSlug(), name: 'x' },
        })
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'an Idempotency-Key with a space',
    send: (w) =>
      w.t
        .request('POST', '/v1/deploys', {
          headers: { 'idempotency-key': 'a b' },
          json: { slug: nextSlug(), name: 'x' },
        })
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'an Idempotency-Key with a Latin-1 byte',
    send: (w) => createDeployWithRawKey(w, 'caf\u00e9'),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'an empty Idempotency-Key',
    send: (w) => createDeployWithRawKey(w, ''),
    status: 400,
    error: 'invalid_request',
  },

  // Names.
  {
    name: 'a slug with CRLF',
    send: (w) => w.t.request('POST', '/v1/deploys', { json: { slug: 'a\r\nb', name: 'x' } }).then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a slug with a Cyrillic а that looks Latin',
    send: (w) => w.t.request('POST', '/v1/deploys', { json: { slug: 'p\u0430ypal', name: 'x' } }).then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a 10 000-character deploy name',
    send: (w) =>
      w.t.request('POST', '/v1/deploys', { json: { slug: nextSlug(), name: 'n'.repeat(10_000) } }).then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'an alias name that looks like a version number',
    send: (w) =>
      w.t
        .request('PUT', `/v1/deploys/${w.s.deployId}/aliases/2`, { json: { deployVersionId: w.s.versionId } })
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'an alias name with an encoded slash',
    send: (w) =>
      w.t
        .request('PUT', `/v1/deploys/${w.s.deployId}/aliases/a%2F..`, { json: { deployVersionId: w.s.versionId } })
        .then(fromFetch),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'an alias to another deploy’s version',
    send: async (w) =>
      w.t
        .request('PUT', `/v1/deploys/${w.s.deployId}/aliases/stolen`, {
          json: {
            deployVersionId:
              (await w.t.request('GET', '/v1/deploys?limit=1')).body.items.find(
                (d: { id: string }) => d.id !== w.s.deployId,
              )?.latestVersion?.id ?? 'dv_none',
          },
        })
        .then(fromFetch),
    status: 404,
    error: 'deploy_version_not_found',
  },
  {
    name: 'render.route with a traversal',
    send: (w) => commit(w, { entries: [entry(w, 'index.html')], render: { route: '/../index.html' } }),
    status: 400,
    error: 'render_route_not_found',
  },
  {
    name: 'a 1 MB render.title',
    send: (w) => commit(w, { entries: [entry(w, 'index.html')], render: { title: 't'.repeat(1024 * 1024) } }),
    status: 400,
    error: 'invalid_request',
  },
];

describe('hostile uploads to pressdrop serve', { timeout: 180_000 }, () => {
  let world: World;
  let target: HostileTarget;

  after(async () => {
    await target?.stop();
    process.stdout.write(
      `# security-uploads: ${ROWS.length} hostile requests, each with its expected status and code\n`,
    );
  });
  before(async () => {
    target = await startHostileTarget();
    const s = await seedTarget(target, 'site', [siteFile('index.html', '<h1>site</h1>', 'text/html')]);
    // A second deploy, so that one deploy's version can be offered to another's alias.
    await seedTarget(target, 'other', [siteFile('index.html', '<h1>other</h1>', 'text/html')]);
    const file = siteFile('a.html', 'ready to commit', 'text/html');
    const created = await target.request('POST', '/v1/upload-sessions', {
      json: { deployId: s.deployId, files: [descriptor(file), descriptor(file, 'index.html')] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const ready = { id: created.body.uploadSession.id, token: created.body.uploadToken, file };
    assert.equal(
      (
        await target.request('PUT', `/v1/upload-sessions/${ready.id}/blobs/${file.sha256}`, {
          uploadToken: ready.token,
          raw: file.bytes,
        })
      ).status,
      200,
    );
    world = { t: target, s, ready };
  });

  test('the catalogue has more than 80 rows', () => assert.ok(ROWS.length > 80, `${ROWS.length}`));

  for (const row of ROWS) {
    test(`${row.name} → ${row.status} ${row.error}`, async () => {
      const before = storeSnapshot(world.t.dataDir);
      const outcome = await row.send(world);
      assert.ok(outcome.status < 500, `${row.name}: ${outcome.status} ${JSON.stringify(outcome.json)}`);
      assert.equal(outcome.status, row.status, `${row.name}: ${JSON.stringify(outcome.json)}`);
      assert.equal(outcome.json?.error, row.error, `${row.name}: ${JSON.stringify(outcome.json)}`);
      assert.equal(typeof outcome.json.message, 'string');
      row.check?.(outcome);
      assertNothingStored(world.t.dataDir, before, row.name);
    });
  }

  test('after all of that the refused session still commits, and the server still answers', async () => {
    const done = await commit(world, { entries: [entry(world, 'a.html'), entry(world, 'index.html')] });
    assert.equal(done.status, 201, JSON.stringify(done.json));
    const preview = await fetch(`${world.t.url}/preview/site/2/a.html`);
    assert.equal(await preview.text(), 'ready to commit');
  });
});
