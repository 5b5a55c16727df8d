/**
 * What RecentSessions keeps of sessions' registered blobs: within its
 * budget the oldest lists are forgotten first, and a list over the budget
 * is still kept, alone (else each of its PUTs would unpack it again).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentSessions, type RegisteredBlob } from './recent-sessions.ts';

const blob: RegisteredBlob = { size: 1, mime: 'text/plain' };
const listOf = (count: number, prefix: string) =>
  new Map(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, blob] as const));

test('a session over the budget is remembered alone; the next one makes room again', () => {
  const recent = new RecentSessions<{ id: string }>();
  recent.rememberFiles('us_small', Infinity, listOf(10, 's'));
  recent.rememberFiles('us_huge', Infinity, listOf(250_001, 'h'));
  assert.equal(recent.blob('us_small', 's0'), 'unknown', 'the older list made room');
  assert.deepEqual(recent.blob('us_huge', 'h250000'), blob);
  assert.equal(recent.blob('us_huge', 's0'), undefined, 'not registered, and known not to be');

  recent.rememberFiles('us_next', Infinity, listOf(10, 'n'));
  assert.equal(recent.blob('us_huge', 'h0'), 'unknown');
  assert.deepEqual(recent.blob('us_next', 'n9'), blob);
});

test('remembering a session again does not count its list twice', () => {
  const recent = new RecentSessions<{ id: string }>();
  const list = listOf(100_000, 'a');
  recent.rememberFiles('us_a', Infinity, list);
  recent.rememberFiles('us_a', Infinity, list);
  recent.rememberFiles('us_b', Infinity, listOf(150_000, 'b'));
  assert.deepEqual(recent.blob('us_a', 'a0'), blob, '100,000 + 150,000 fit the budget of 250,000');
  assert.deepEqual(recent.blob('us_b', 'b0'), blob);
});
