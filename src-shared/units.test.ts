import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatDuration, formatSpeed } from './units.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

test('sizes are binary: whole bytes, one decimal below 100, whole numbers from 100', () => {
  for (const [bytes, words] of [
    [0, '0 B'],
    [1, '1 B'],
    [512, '512 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [10 * KiB, '10.0 KiB'],
    [99.9 * KiB, '99.9 KiB'],
    [99.96 * KiB, '100 KiB'],
    [812 * KiB, '812 KiB'],
    [1023 * KiB, '1023 KiB'],
    [12.3 * MiB, '12.3 MiB'],
    [123456789, '118 MiB'],
    [200 * MiB, '200 MiB'],
    [8 * GiB, '8.0 GiB'],
    [32 * GiB, '32.0 GiB'],
    [3 * TiB, '3.0 TiB'],
    [5000 * TiB, '5000 TiB'],
  ] as const) {
    assert.equal(formatBytes(bytes), words, String(bytes));
  }
});

test('just under a unit boundary reads as the next unit, never "1024 KiB"', () => {
  assert.equal(formatBytes(1023.6), '1.0 KiB', 'a fraction of a byte rounds up to 1024 B');
  for (const [unit, next] of [
    [1, 'KiB'],
    [KiB, 'MiB'],
    [MiB, 'GiB'],
    [GiB, 'TiB'],
  ] as const) {
    const boundary = 1024 * unit;
    if (unit > 1) assert.equal(formatBytes(boundary - 1), `1.0 ${next}`, `${boundary} - 1`);
    assert.equal(formatBytes(boundary - unit / 2), `1.0 ${next}`, `${boundary} - half a unit`);
    assert.equal(formatBytes(boundary), `1.0 ${next}`, String(boundary));
    assert.equal(formatBytes(boundary + 1), `1.0 ${next}`, `${boundary} + 1`);
  }
  // A sweep, denser near each boundary: the number shown is always under 1024, with a decimal only below 100.
  const near = [KiB, MiB, GiB].flatMap((b) =>
    [-1, -0.6, -0.5, -0.4, 0, 0.4, 0.5].map((k) => b * 1024 - b * k).concat([b * 1024 - 1, b * 99.95, b * 99.95 - 1]),
  );
  for (let bytes = 1; bytes < 2 * TiB; bytes = Math.ceil(bytes * 1.01) + 1) near.push(bytes);
  for (const bytes of near) {
    const [number, unit] = formatBytes(bytes).split(' ');
    assert.ok(Number(number) < 1024, `${bytes} → ${number} ${unit}`);
    assert.ok(!number!.includes('.') || Number(number) < 100, `${bytes} → ${number} ${unit}`);
  }
});

test('impossible sizes read as a dash; speeds are sizes per second', () => {
  assert.equal(formatBytes(-1), '—');
  assert.equal(formatBytes(Number.NaN), '—');
  assert.equal(formatBytes(Number.POSITIVE_INFINITY), '—');
  assert.equal(formatSpeed(0), '0 B/s');
  assert.equal(formatSpeed(12.3 * MiB), '12.3 MiB/s');
});

test('durations: tenths below 10 s, then seconds, minutes and seconds, hours and minutes', () => {
  for (const [seconds, words] of [
    [0, '0.0 s'],
    [-3, '0.0 s'],
    [0.42, '0.4 s'],
    [4.2, '4.2 s'],
    [9.94, '9.9 s'],
    [9.96, '10 s'],
    [45, '45 s'],
    [59.4, '59 s'],
    [59.6, '1 min'],
    [60, '1 min'],
    [75, '1 min 15 s'],
    [185, '3 min 5 s'],
    [3599.4, '59 min 59 s'],
    [3599.6, '1 h'],
    [3629, '1 h'],
    [3720, '1 h 2 min'],
    [7170, '2 h'],
    [90061, '25 h 1 min'],
  ] as const) {
    assert.equal(formatDuration(seconds), words, String(seconds));
  }
  assert.equal(formatDuration(Number.NaN), '—');
  assert.equal(formatDuration(Number.POSITIVE_INFINITY), '—');
});
