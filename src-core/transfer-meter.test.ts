import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TransferMeter } from './transfer-meter.ts';

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('a steady flow is measured at its rate, and the ETA appears only after the warm-up', () => {
  const time = clock();
  const meter = new TransferMeter(time.now);
  assert.equal(meter.bytesPerSecond(), null);
  for (let i = 0; i < 10; i++) {
    time.advance(100);
    meter.add(100_000); // 1 MB/s
  }
  assert.ok(Math.abs(meter.bytesPerSecond()! - 1_000_000) < 1, `speed ${meter.bytesPerSecond()}`);
  assert.equal(meter.etaSeconds(5_000_000), null, 'no ETA after 1 s');
  for (let i = 0; i < 15; i++) {
    time.advance(100);
    meter.add(100_000);
  }
  assert.ok(Math.abs(meter.etaSeconds(5_000_000)! - 5) < 0.01, `eta ${meter.etaSeconds(5_000_000)}`);
  assert.equal(meter.etaSeconds(0), 0);
});

test('a sudden change moves the speed gradually, not in one jump', () => {
  const time = clock();
  const meter = new TransferMeter(time.now);
  for (let i = 0; i < 50; i++) {
    time.advance(200);
    meter.add(200_000); // 1 MB/s for 10 s
  }
  time.advance(1000);
  meter.add(4_000_000); // one second at 4 MB/s
  const speed = meter.bytesPerSecond()!;
  assert.ok(speed > 1_000_000 && speed < 2_500_000, `speed ${speed} moved part of the way`);
});

test('while nothing moves the speed decays toward zero', () => {
  const time = clock();
  const meter = new TransferMeter(time.now);
  for (let i = 0; i < 20; i++) {
    time.advance(200);
    meter.add(200_000);
  }
  time.advance(10_000);
  assert.ok(meter.bytesPerSecond()! < 100_000, `speed ${meter.bytesPerSecond()} after 10 s of nothing`);
});
