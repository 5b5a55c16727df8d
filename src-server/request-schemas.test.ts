/**
 * The request checks that run on every file of a manifest: the body's
 * fields (a hand-written pass for well-formed lists must answer exactly as
 * the zod schema does), path rules and repeats, whatever was checked before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './api-error.ts';
import {
  assertValidPaths,
  commitBody,
  createUploadSessionBody,
  missingBlobsBody,
  parseBody,
  parseCommitBody,
  parseMissingBlobsBody,
  parseUploadSessionBody,
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

/** What parsing gives: the value, or the refusal's message. */
function outcome(parse: () => unknown): unknown {
  try {
    return { value: parse() };
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    return { error: `${error.code}: ${error.message}` };
  }
}

test('manifest bodies parse exactly as their zod schemas do, well formed or not', () => {
  const sha = 'a'.repeat(64);
  const good = { path: 'index.html', sha256: sha, size: 12 };
  const variants: unknown[] = [
    good,
    { ...good, mime: 'text/html; charset=utf-8' },
    { ...good, extra: 1, mime: 'text/css' },
    { ...good, size: -0 },
    { ...good, size: Number.MAX_SAFE_INTEGER },
    { ...good, size: Number.MAX_SAFE_INTEGER + 1 },
    { ...good, size: 1.5 },
    { ...good, size: -1 },
    { ...good, size: '12' },
    { ...good, sha256: sha.toUpperCase() },
    { ...good, sha256: `${sha}0` },
    { ...good, path: 5 },
    { ...good, mime: null },
    { ...good, mime: 'text/html\r\nX: y' },
    { ...good, mime: `text/${'x'.repeat(260)}` },
    { path: 'x' },
    null,
    [good],
    'index.html',
  ];
  const lists: unknown[] = [[], undefined, 'files', ...variants.map((v) => [good, v]), variants.slice(0, 5)];
  const bodies = (field: string, extra: object[]) =>
    lists.flatMap((list) => extra.map((rest) => (list === undefined ? rest : { ...rest, [field]: list })));
  const targets = [
    { deployId: 'dpl_1' },
    { createDeploy: { slug: 'site', name: '  Site  ' } },
    { deployId: 'dpl_1', createDeploy: { slug: 'site', name: 'Site' } },
    {},
    { deployId: '' },
  ];
  for (const body of [...bodies('files', targets), undefined, null, 7, []]) {
    assert.deepEqual(
      outcome(() => parseUploadSessionBody(body)),
      outcome(() => parseBody(createUploadSessionBody, body)),
      JSON.stringify(body),
    );
    assert.deepEqual(
      outcome(() => parseMissingBlobsBody(body)),
      outcome(() => parseBody(missingBlobsBody, body)),
      JSON.stringify(body),
    );
  }
  const asEntry = (v: unknown) =>
    v !== null && typeof v === 'object' && 'sha256' in v ? { ...v, sha256: undefined, blobHash: v.sha256 } : v;
  const commitLists = lists.map((list) => (Array.isArray(list) ? list.map(asEntry) : list));
  const renders = [{}, { render: { route: '/index.html', title: 'T' } }, { render: { renderTimeoutMs: -1 } }];
  for (const list of commitLists) {
    for (const rest of renders) {
      const body = list === undefined ? rest : { ...rest, entries: list };
      assert.deepEqual(
        outcome(() => parseCommitBody(body)),
        outcome(() => parseBody(commitBody, body)),
        JSON.stringify(body),
      );
    }
  }
});
