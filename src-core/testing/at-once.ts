import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DeployJournal } from '../deploy-journal.ts';
import { FileSecretStore } from '../file-secret-store.ts';
import { HashCache } from '../hash-cache.ts';

/** How one of the workers ended: what its task returned, or the message of what it threw. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

// Each worker imports this very module, says it is ready, waits on a shared word until every worker
// is, and then runs its task: they all open the same files at the same instant, as twenty CLIs
// started together do. (SQLite locks and files behave across threads as across processes.)
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  const tasks = await import(workerData.module);
  const go = new Int32Array(workerData.go);
  parentPort.postMessage('ready');
  Atomics.wait(go, 0, 0);
  try {
    parentPort.postMessage({ ok: true, value: await tasks[workerData.task](...workerData.args) });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
})();
`;

/** Runs `task` (an export of this module) with `args(i)` in `count` worker threads released at the same instant. */
export async function atOnce<K extends keyof Tasks>(
  count: number,
  task: K,
  args: (i: number) => Parameters<Tasks[K]>,
): Promise<Outcome[]> {
  const go = new SharedArrayBuffer(4);
  let ready = 0;
  const outcomes = Array.from({ length: count }, (_, i) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { module: import.meta.url, task, args: args(i), go } });
    return new Promise<Outcome>((resolve, reject) => {
      worker.on('message', (message: 'ready' | Outcome) => {
        if (message !== 'ready') return void resolve(message);
        if (++ready === count) {
          Atomics.store(new Int32Array(go), 0, 1);
          Atomics.notify(new Int32Array(go), 0);
        }
      });
      worker.once('error', reject);
    }).finally(() => worker.terminate());
  });
  return Promise.all(outcomes);
}

/** A worker's task: opens the journal, writes a job, closes it (the first thing every deploy does with a state folder). */
export function journal(stateDir: string): string {
  const opened = DeployJournal.open(join(stateDir, 'journal.sqlite'));
  try {
    const destination = { key: 'deploy:dpl_1', name: 'dpl_1', id: 'dpl_1', slug: null, details: {} };
    return opened.createJob(`/site-${Math.random()}`, {
      kind: 'press-cloud',
      apiUrl: 'http://127.0.0.1:1',
      destination,
    }).id;
  } finally {
    opened.close();
  }
}

/** A worker's task: opens the hash cache and closes it. */
export function cache(stateDir: string): true {
  HashCache.open(join(stateDir, 'hash-cache.sqlite')).close();
  return true;
}

/** A worker's task: stores one secret, then deletes another, in a store of its own over the shared file. */
export async function secrets(file: string, name: string, gone: string): Promise<true> {
  const store = new FileSecretStore(file);
  await store.set(name, `value of ${name}`);
  await store.delete(gone);
  return true;
}

/** What the workers can be asked to do (each worker imports this module and calls the export by name). */
type Tasks = { journal: typeof journal; cache: typeof cache; secrets: typeof secrets };
