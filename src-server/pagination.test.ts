import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './api-error.ts';
import { decodeCursor, encodeCursor, pageSize, toPage } from './pagination.ts';

test('a cursor decodes to its key in its own list only', () => {
  assert.equal(decodeCursor('deploys', encodeCursor('deploys', 42)), 42);
  assert.equal(decodeCursor('files:dv_1', encodeCursor('files:dv_1', 'a/b.txt')), 'a/b.txt');
  assert.equal(decodeCursor('deploys', undefined), null);
  assert.throws(
    () => decodeCursor('versions:dpl_1', encodeCursor('deploys', 42)),
    (e: unknown) => e instanceof ApiError && e.code === 'invalid_request',
  );
  assert.throws(
    () => decodeCursor('deploys', 'not-a-cursor!'),
    (e: unknown) => e instanceof ApiError && /cursor/.test(e.message),
  );
});

test('page size is 1..200, default 50', () => {
  assert.equal(pageSize(undefined), 50);
  assert.equal(pageSize('1'), 1);
  assert.equal(pageSize('200'), 200);
  for (const bad of ['0', '201', '2.5', 'ten', '']) assert.throws(() => pageSize(bad), /limit/, bad);
});

test('the extra fetched row only signals a next page', () => {
  const rows = [1, 2, 3];
  assert.deepEqual(
    toPage(
      rows,
      3,
      'l',
      (r) => r,
      (r) => r * 10,
    ),
    { items: [10, 20, 30], nextCursor: null },
  );
  const page = toPage(
    rows,
    2,
    'l',
    (r) => r,
    (r) => r * 10,
  );
  assert.deepEqual(page.items, [10, 20]);
  assert.equal(decodeCursor('l', page.nextCursor!), 2);
});
