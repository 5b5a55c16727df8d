import { mkdir, open, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The disk's floor for a durable first deploy of many small files: 20,000 files of 4 KiB created,
 * written and (unless `nosync`) fdatasync'd, 16 at a time, in 256 folders, as a server that
 * acknowledges each blob only once it is durable must at least do. Not part of `npm run bench`:
 * `UV_THREADPOOL_SIZE=16 node_modules/.bin/node bench/durable-files-floor.ts [nosync]`.
 */
const root = join(tmpdir(), `pressdrop-floor-${process.pid}`);
const sync = process.argv[2] !== 'nosync';
const COUNT = 20_000;
const IN_FLIGHT = 16;
await mkdir(root);
try {
  for (let i = 0; i < 256; i++) await mkdir(join(root, String(i)));
  const bytes = randomBytes(4096);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < COUNT) {
        const i = next++;
        const file = await open(join(root, String(i % 256), `f${i}`), 'wx');
        await file.write(bytes);
        if (sync) await file.datasync();
        await file.close();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${COUNT} files of 4 KiB, ${sync ? 'each fdatasync’d' : 'no sync'}, ${IN_FLIGHT} at a time: ${seconds.toFixed(2)} s`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
