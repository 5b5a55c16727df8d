/**
 * The request checks that run on every file of a manifest: path rules and
 * repeats, whatever was checked before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './api-error.ts';
import { assertValidPaths, nestsDeeperThan } from './request-schemas.ts';

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
