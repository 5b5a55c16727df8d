/**
 * The request checks that run on every file of a manifest: path rules and
 * repeats, whatever was checked before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './api-error.ts';
import {
  assertValidPaths,
  commitBody,
  createUploadSessionBody,
  missingBlobsBody,
  nestsDeeperThan,
  parseBody,
  parseCommitBody,
  parseCreateUploadSessionBody,
  parseMissingBlobsBody,
} from './request-schemas.ts';

function refusal(paths: string[]): string | null {
  try {
    assertValidPaths('files', paths);
    return null;
  } catch (error) {
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, 'invalid_path');
    return error.message;
  }
}

test('a path is a repeat only within one check: paths checked before pass again, and repeat when given twice', () => {
  const paths = ['index.html', 'a/b.css', 'a/c.js'];
  assert.equal(refusal(paths), null);
  assert.equal(refusal(paths), null, 'the same list, checked again');
  assert.equal(refusal(['a/c.js', 'index.html', 'a/c.js']), 'files[2].path "a/c.js" appears more than once.');
  assert.equal(refusal(['new.html', 'new.html']), 'files[1].path "new.html" appears more than once.');
  assert.equal(refusal(['new.html']), null);
});

test('a refused path stays refused, with the rule it breaks', () => {
  for (let round = 0; round < 2; round++) {
    assert.equal(
      refusal(['ok.html', '/abs.html']),
      'files[1].path "/abs.html" is absolute; paths are relative to the deployed folder.',
    );
  }
});

test('repeats are found in a check of more path characters than the server keeps, and in the next one', () => {
  const segment = 'x'.repeat(200);
  const long = Array.from({ length: 5_000 }, (_, i) => `${segment}/${segment}/${segment}/${segment}/${i}.html`);
  assert.equal(refusal([...long, long[0]!])?.startsWith('files[5000].path'), true);
  assert.equal(refusal(long), null);
  assert.equal(refusal([long[4_999]!, long[4_999]!])?.startsWith('files[1].path'), true);
});

test('nestsDeeperThan counts arrays and objects, the outermost as 1', () => {
  const nested = (depth: number, inner: unknown, array: boolean): unknown => {
    let value = inner;
    for (let i = 1; i < depth; i++) value = array ? [1, value] : { a: 1, b: value };
    return value;
  };
  for (const array of [true, false]) {
    assert.equal(nestsDeeperThan(nested(64, {}, array), 64), false);
    assert.equal(nestsDeeperThan(nested(65, [], array), 64), true);
    assert.equal(nestsDeeperThan(nested(64, 'x', array), 63), false);
    assert.equal(nestsDeeperThan(nested(200_000, {}, array), 64), true);
  }
  assert.equal(nestsDeeperThan({ a: [{ b: [] }], c: 1 }, 4), false);
  assert.equal(nestsDeeperThan({ a: [{ b: [] }], c: 1 }, 3), true);
  assert.equal(nestsDeeperThan([], 0), true);
  assert.equal(nestsDeeperThan('text', 0), false);
  assert.equal(nestsDeeperThan(null, 0), false);
});

test('the file-list bodies are parsed as their zod schemas parse them: the same values, the same first refusal', () => {
  const sha = 'ab'.repeat(32);
  const good = { path: 'a/index.html', sha256: sha, size: 12, mime: 'text/html; charset=utf-8' };
  const spoilt: unknown[] = [
    good,
    { ...good, mime: undefined },
    { path: 'b.css', sha256: sha, size: 0 },
    { ...good, extra: 'dropped' },
    { ...good, path: 7 },
    { ...good, path: '' },
    { ...good, sha256: sha.toUpperCase() },
    { ...good, sha256: `${sha}0` },
    { ...good, sha256: sha.slice(1) + 'g' },
    { ...good, sha256: null },
    { ...good, size: -1 },
    { ...good, size: 1.5 },
    { ...good, size: 2 ** 53 },
    { ...good, size: '12' },
    { ...good, mime: 'text/html\r\nx: y' },
    { ...good, mime: 'x'.repeat(300) },
    { ...good, mime: 5 },
    { ...good, mime: null },
    null,
    [good],
    'a.html',
  ];
  const project = (files: Array<Record<string, unknown>>) =>
    files.map(({ path, sha256, blobHash, size, mime }) => ({ path, sha256, blobHash, size, mime }));
  const outcome = (parse: () => { files?: unknown; entries?: unknown }) => {
    try {
      const { files, entries, ...rest } = parse() as Record<string, unknown>;
      return { rest, files: files && project(files as []), entries: entries && project(entries as []) };
    } catch (error) {
      assert.ok(error instanceof ApiError);
      return { refused: error.message };
    }
  };
  const lists = [[], ...spoilt.map((file) => [good, file]), spoilt.slice(0, 4), undefined, 'files'];
  const heads: Array<Record<string, unknown>> = [
    { deployId: 'dpl_1' },
    { createDeploy: { slug: 'site', name: 'Site' } },
    { deployId: 'dpl_1', createDeploy: { slug: 'site', name: 'Site' } },
    {},
    { deployId: '' },
    { createDeploy: { slug: 'Bad Slug', name: 'Site' }, other: 1 },
  ];
  const asEntries = (list: unknown) =>
    Array.isArray(list)
      ? list.map((file) =>
          file !== null && typeof file === 'object' && !Array.isArray(file)
            ? Object.fromEntries(Object.entries(file).map(([k, v]) => [k === 'sha256' ? 'blobHash' : k, v]))
            : file,
        )
      : list;
  const renders = [undefined, { route: '/a/index.html', title: 'T', extra: 1 }, { route: '' }, { renderTimeoutMs: 0 }];
  let cases = 0;
  for (const list of lists) {
    for (const head of heads) {
      const session = { ...head, files: list };
      assert.deepEqual(
        outcome(() => parseCreateUploadSessionBody(session)),
        outcome(() => parseBody(createUploadSessionBody, session)),
        JSON.stringify(session),
      );
      cases++;
    }
    const missing = { files: list };
    assert.deepEqual(
      outcome(() => parseMissingBlobsBody(missing)),
      outcome(() => parseBody(missingBlobsBody, missing)),
      JSON.stringify(missing),
    );
    for (const render of renders) {
      const commit = { entries: asEntries(list), render };
      assert.deepEqual(
        outcome(() => parseCommitBody(commit)),
        outcome(() => parseBody(commitBody, commit)),
        JSON.stringify(commit),
      );
      cases++;
    }
  }
  for (const body of [null, undefined, [], 'x', { files: [good] }]) {
    assert.deepEqual(
      outcome(() => parseCreateUploadSessionBody(body)),
      outcome(() => parseBody(createUploadSessionBody, body)),
    );
    assert.deepEqual(
      outcome(() => parseCommitBody(body)),
      outcome(() => parseBody(commitBody, body)),
    );
  }
  assert.ok(cases > 200);
});
