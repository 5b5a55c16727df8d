import { mkdir, open, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The disk's floor for a durable first deploy of many small files, as a server that acknowledges
 * each blob only once it is durable must at least do, 16 at a time:
 * - `files` (the default): 20,000 files of 4 KiB created, written and fdatasync'd, in 256 folders;
 * - `nosync`: the same without the syncs;
 * - `pack`: 20,000 records of 4 KiB appended to one file, one fdatasync per 16 (the pack store's group commit).
 * Not part of `npm run bench`: `UV_THREADPOOL_SIZE=16 node_modules/.bin/node bench/durable-files-floor.ts [files|nosync|pack]`.
 */
const root = join(tmpdir(), `pressdrop-floor-${process.pid}`);
const mode = process.argv[2] ?? 'files';
if (!['files', 'nosync', 'pack'].includes(mode)) throw new Error(`unknown mode ${mode}: files, nosync or pack`);
const COUNT = 20_000;
const IN_FLIGHT = 16;
await mkdir(root);
try {
  const bytes = randomBytes(4096);
  let seconds: number;
  if (mode === 'pack') {
    const pack = await open(join(root, 'pack'), 'wx');
    const started = performance.now();
    for (let i = 0; i < COUNT; i += IN_FLIGHT) {
      await pack.writev(Array.from({ length: Math.min(IN_FLIGHT, COUNT - i) }, () => bytes));
      await pack.datasync();
    }
    seconds = (performance.now() - started) / 1000;
    await pack.close();
  } else {
    for (let i = 0; i < 256; i++) await mkdir(join(root, String(i)));
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < COUNT) {
          const i = next++;
          const file = await open(join(root, String(i % 256), `f${i}`), 'wx');
          await file.write(bytes);
          if (mode === 'files') await file.datasync();
          await file.close();
        }
      }),
    );
    seconds = (performance.now() - started) / 1000;
  }
  const what = {
    files: `${COUNT} files of 4 KiB, each fdatasync’d, ${IN_FLIGHT} at a time`,
    nosync: `${COUNT} files of 4 KiB, no sync, ${IN_FLIGHT} at a time`,
    pack: `${COUNT} records of 4 KiB appended to one file, one fdatasync per ${IN_FLIGHT}`,
  }[mode];
  console.log(`${what}: ${seconds.toFixed(2)} s`);
} finally {
  await rm(root, { recursive: true, force: true });
}
