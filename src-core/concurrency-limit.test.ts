import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyLimit } from './concurrency-limit.ts';

/**
 * A simulated path: each round, `limit` requests go out and are answered after `roundTripMs(limit)`,
 * i.e. `limit / roundTripMs` answers per ms. Returns the limit after each round.
 */
function simulate(limit: ConcurrencyLimit, rounds: number, roundTripMs: (inFlight: number) => number): number[] {
  const seen: number[] = [];
  let now = 0;
  for (let round = 0; round < rounds; round++) {
    const inFlight = limit.current;
    const spacing = roundTripMs(inFlight) / inFlight;
    for (let i = 0; i < inFlight; i++) limit.answered((now += spacing));
    seen.push(limit.current);
  }
  return seen;
}

test('on a path with latency (flat round trips), the limit steps up to the maximum', () => {
  const limit = new ConcurrencyLimit({ initial: 16, max: 64 });
  const seen = simulate(limit, 40, () => 20);
  assert.equal(seen.at(-1), 64, seen.join(', '));
  assert.ok(
    seen.every((value, i) => i === 0 || value >= seen[i - 1]!),
    `it never went down: ${seen.join(', ')}`,
  );
});

test('where the server is the bottleneck (round trips grow with what is in flight), it stays where it started', () => {
  const limit = new ConcurrencyLimit({ initial: 16, max: 64 });
  // A server that answers one request per ms, whatever is in flight.
  const seen = simulate(limit, 40, (inFlight) => inFlight);
  assert.equal(seen.at(-1), 16, seen.join(', '));
  assert.ok(Math.max(...seen) <= 32, `it tried one step and came back: ${seen.join(', ')}`);
});

test('it settles at the last step that paid: 20 ms away, with a server that takes at most 40 at once', () => {
  const limit = new ConcurrencyLimit({ initial: 16, max: 128 });
  // Past 40 in flight, the extra requests wait for a place.
  const seen = simulate(limit, 60, (inFlight) => 20 * Math.max(1, inFlight / 40));
  // 16 → 32 (+100%) → 64 (+25% only: 40 at a time) → 128 (nothing more): back to 64.
  assert.equal(seen.at(-1), 64, seen.join(', '));
});

test('the start is clamped to the maximum, and one less than a window of answers changes nothing', () => {
  assert.equal(new ConcurrencyLimit({ initial: 500, max: 64 }).current, 64);
  const limit = new ConcurrencyLimit({ initial: 10, max: 100 });
  // The first answer opens the window; two rounds of 10 close it.
  for (let i = 0; i < 20; i++) limit.answered(i);
  assert.equal(limit.current, 10);
  limit.answered(20);
  assert.equal(limit.current, 20);
});
