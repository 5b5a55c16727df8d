import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunRows } from './run-rows.ts';

test('rows come in path order, and counts follow every change of state without a recount', () => {
  const rows = new RunRows();
  rows.apply([
    { path: 'b.txt', state: 'hashing', size: 2 },
    { path: 'a.txt', state: 'hashing', size: 1 },
    { path: 'é.txt', state: 'hashing', size: 3 },
  ]);
  assert.deepEqual(
    [0, 1, 2].map((i) => rows.at(i)?.path),
    ['a.txt', 'b.txt', 'é.txt'],
  );
  assert.equal(rows.counts.hashing, 3);

  rows.apply([
    { path: 'a.txt', state: 'uploading', size: 1, sentBytes: 0 },
    { path: 'b.txt', state: 'skipped', size: 2, message: 'already stored' },
  ]);
  rows.apply([{ path: 'a.txt', state: 'done', size: 1, sentBytes: 1 }]);
  assert.deepEqual(
    { ...rows.counts },
    { queued: 0, hashing: 1, waiting: 0, uploading: 0, retrying: 0, done: 1, skipped: 1, failed: 0 },
  );
  assert.equal(rows.get('b.txt')?.message, 'already stored');
  assert.equal(rows.size, 3);
});

test('a row is updated in place, and only the failed ones are listed when asked', () => {
  const rows = new RunRows();
  rows.apply([
    { path: 'x', state: 'waiting', size: 5 },
    { path: 'y', state: 'waiting', size: 5 },
  ]);
  const before = rows.get('x');
  rows.apply([{ path: 'x', state: 'failed', size: 5, message: 'refused' }]);
  assert.equal(rows.get('x'), before, 'the same object, changed: no copy per batch');
  assert.deepEqual(
    rows.filter((row) => row.state === 'failed'),
    ['x'],
  );
  rows.clear();
  assert.equal(rows.size, 0);
  assert.equal(rows.counts.failed, 0);
});

test('the order version moves when paths are added or cleared, not when a state changes', () => {
  const rows = new RunRows();
  const start = rows.orderVersion;
  rows.apply([
    { path: 'b', state: 'queued', size: 1 },
    { path: 'a', state: 'queued', size: 1 },
  ]);
  const afterScan = rows.orderVersion;
  assert.notEqual(afterScan, start);
  rows.apply([
    { path: 'a', state: 'uploading', size: 1, sentBytes: 0 },
    { path: 'b', state: 'done', size: 1 },
  ]);
  assert.equal(rows.orderVersion, afterScan, 'a batch of states keeps the keys the list has read');
  rows.clear();
  assert.notEqual(rows.orderVersion, afterScan);
  // A new scan of as many files must not look like the old list: the count alone would not tell.
  const cleared = rows.orderVersion;
  rows.apply([
    { path: 'c', state: 'queued', size: 1 },
    { path: 'd', state: 'queued', size: 1 },
  ]);
  assert.notEqual(rows.orderVersion, cleared);
});
