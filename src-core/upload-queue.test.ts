import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UploadQueue } from './upload-queue.ts';

/** A worker whose items finish when the test says so, recording what ran at once. */
function controllableWorker() {
  const finishers = new Map<string, () => void>();
  const started: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const work = (item: { name: string; size: number }, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      started.push(item.name);
      running++;
      maxRunning = Math.max(maxRunning, running);
      const done = () => {
        running--;
        finishers.delete(item.name);
      };
      finishers.set(item.name, () => {
        done();
        resolve();
      });
      signal.addEventListener('abort', () => {
        done();
        reject(new Error(`aborted ${item.name}`));
      });
    });
  return {
    work,
    started,
    finish: (name: string) => finishers.get(name)!(),
    get maxRunning() {
      return maxRunning;
    },
    running: () => [...finishers.keys()],
  };
}

/** Lets the queue react (its bookkeeping runs in promise callbacks). */
const tick = () => new Promise((resolve) => setImmediate(resolve));

const items = (...sizes: number[]) => sizes.map((size, i) => ({ name: `f${i}`, size }));

test('never more than `concurrency` at once, and every item runs', async () => {
  const worker = controllableWorker();
  const queue = new UploadQueue({ concurrency: 2, maxBytesInFlight: 1e9 }, worker.work);
  queue.add(items(1, 1, 1, 1, 1));
  const drained = queue.drained();
  while (worker.running().length > 0) {
    worker.finish(worker.running()[0]!);
    await tick();
  }
  await drained;
  assert.equal(worker.maxRunning, 2);
  assert.deepEqual(worker.started, ['f0', 'f1', 'f2', 'f3', 'f4']);
});

test('the byte budget holds back what would overflow it, but lets one oversized blob run alone', async () => {
  const worker = controllableWorker();
  const queue = new UploadQueue({ concurrency: 8, maxBytesInFlight: 100 }, worker.work);
  queue.add(items(60, 60, 500, 10));
  assert.deepEqual(worker.running(), ['f0'], 'f1 would make 120 > 100');
  worker.finish('f0');
  await tick();
  assert.deepEqual(worker.running(), ['f1']);
  worker.finish('f1');
  await tick();
  assert.deepEqual(worker.running(), ['f2'], 'the 500-byte blob runs alone');
  worker.finish('f2');
  await tick();
  assert.deepEqual(worker.running(), ['f3']);
  worker.finish('f3');
  await queue.drained();
});

test('pause aborts what runs and puts it back first; resume runs it again', async () => {
  const worker = controllableWorker();
  const queue = new UploadQueue({ concurrency: 1, maxBytesInFlight: 1e9 }, worker.work);
  queue.add(items(1, 1));
  queue.pause();
  await tick();
  assert.deepEqual(worker.running(), []);
  queue.resume();
  assert.deepEqual(worker.running(), ['f0']);
  worker.finish('f0');
  await tick();
  worker.finish('f1');
  await queue.drained();
  assert.deepEqual(worker.started, ['f0', 'f0', 'f1']);
});

test('a worker that throws stops the queue and drained() rejects with its error', async () => {
  const queue = new UploadQueue(
    { concurrency: 1, maxBytesInFlight: 1e9 },
    async (item: { size: number; name: string }) => {
      if (item.name === 'f1') throw new Error('session expired');
    },
  );
  queue.add(items(1, 1, 1));
  await assert.rejects(queue.drained(), /session expired/);
  assert.equal(queue.pending, 0);
});

test('the last item failing rejects drained(): it never resolves as if all were uploaded', async () => {
  const queue = new UploadQueue(
    { concurrency: 2, maxBytesInFlight: 1e9 },
    async (item: { size: number; name: string }) => {
      if (item.name === 'f1') throw new Error('file vanished');
    },
  );
  queue.add(items(1, 1));
  await assert.rejects(queue.drained(), /file vanished/);
});

test('pausing while the last item runs puts it back: drained() waits for it', async () => {
  const worker = controllableWorker();
  const queue = new UploadQueue({ concurrency: 1, maxBytesInFlight: 1e9 }, worker.work);
  queue.add(items(1));
  let drained = false;
  void queue.drained().then(() => (drained = true));
  queue.pause();
  await tick();
  assert.equal(drained, false, 'drained() resolved while the only item was paused, not done');
  assert.equal(queue.pending, 1);
  queue.resume();
  worker.finish('f0');
  await queue.drained();
  assert.deepEqual(worker.started, ['f0', 'f0']);
});
