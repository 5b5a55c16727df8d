import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapBounded } from './map-bounded.ts';

test("results keep the items' order, and no more than `limit` calls run at once", async () => {
  let running = 0;
  let most = 0;
  const results = await mapBounded([5, 1, 4, 2, 3], 2, async (n) => {
    running++;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, n));
    running--;
    return n * 10;
  });
  assert.deepEqual(results, [50, 10, 40, 20, 30]);
  assert.equal(most, 2);
  assert.deepEqual(await mapBounded([], 4, async () => 1), []);
});

test('a failing call rejects the whole map', async () => {
  await assert.rejects(
    mapBounded([1, 2, 3], 2, async (n) => {
      if (n === 2) throw new Error('two');
      return n;
    }),
    /two/,
  );
});
