import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Piscina } from 'piscina';
import type { HashCache, HashedFile } from './hash-cache.ts';
import type { HashKind, InlineWork } from './ports.ts';
import {
  hashTask,
  type HashTask,
  type HashTaskFailure,
  type HashTaskFile,
  type HashTaskResult,
} from './hash-worker.ts';
import type { ScannedFile, ScanResult } from './scan-folder.ts';
import { InlineStatPool, type StatPool } from './stat-pool.ts';

/** Why a file could not be hashed. */
export type HashErrorCode = 'unreadable' | 'vanished' | 'changed';

/** One file's hash, or why it has none (with a sentence naming the file and what to do). */
export type HashOutcome = HashedFile | { file: ScannedFile; error: { code: HashErrorCode; message: string } };

/** A file that could not be hashed. */
export type HashFailure = Extract<HashOutcome, { error: unknown }>;

/** Options of the HashPool constructor. */
export interface HashPoolOptions {
  /** Worker threads once more than one task is wanted at once (one until then); default os.availableParallelism(). */
  threads?: number;
  /** The worker module; default ./hash-worker.ts. The Electron app passes its bundled worker. */
  workerUrl?: URL;
  /** Work small enough to do on the calling thread while no thread runs (default INLINE_WORK); false: always on threads. */
  inline?: InlineWork | false;
  /** Threads idle this long are stopped (default IDLE_MS; false: they stay until destroy()). */
  idleMs?: number | false;
}

/**
 * Starting a worker thread costs ~30-50 ms of CPU and 15-25 MiB (more on a busy machine), where
 * an lstat of a few hundred paths takes a millisecond or two and SHA-256 of 1 MiB about one: a
 * deploy of a small folder, or a re-deploy that finds a few changed files, starts none. The file
 * count stays low because a read on the calling thread blocks it (in the app, Electron's main
 * process) for as long as the disk takes. lstats have no limit: InlineStatPool does them in
 * slices that yield, and goes async on a slow filesystem, so a re-deploy of 20,000 unchanged
 * files starts no thread at all (its resident memory: 257 MiB with the threads, 194 without).
 */
export const INLINE_WORK: InlineWork = { paths: Number.POSITIVE_INFINITY, files: 16, bytes: 1024 * 1024 };

/**
 * Threads idle this long stop. A deploy's threads hash, then would wait through its whole upload:
 * a first deploy of 20,000 small files peaked at 198-212 MiB resident with them, 175-180 without
 * (same client CPU). Stopped within 100 ms rather than a second, they are gone before the check
 * phase sends the plan: a re-deploy with no hash cache then peaks at ~176 MiB, not 188-192. Later
 * work is done inline while no thread runs (the last look's lstats, as in a re-deploy), or starts
 * threads again; a hash's tasks are all given at once, so its threads never stop in between.
 */
export const IDLE_MS = 100;

/** Options of HashPool.hashFiles and hashFolder. */
export interface HashFilesOptions {
  /** The hash the target names content by (default SHA-256). */
  kind?: HashKind;
  /** Cancels the tasks not yet done (a running one stops with its worker thread); the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called for each hashed file, batch by batch as workers finish, so a pipeline can go on before the last hash. */
  onHashed?: (file: ScannedFile, hash: string) => void;
  /** Called with the bytes read since the last call, about every 100 ms and after each task. */
  onBytes?: (bytes: number) => void;
}

/** A task holds at most this many small files… */
export const BATCH_MAX_FILES = 256;
/** …and this many bytes; a file this big or bigger is a task of its own. */
export const BATCH_MAX_BYTES = 8 * 1024 * 1024;
/** How often hashFolder writes new hashes to the cache while it works. */
const CACHE_FLUSH_MS = 500;
const PROGRESS_EVERY_MS = 100;

type Workers = Piscina<HashTask | string, HashTaskResult | BigInt64Array>;

/**
 * Hashes files (SHA-256, or the target's own kind) on worker threads: big files first, small ones in batches, streamed through one buffer per thread.
 *
 * No thread starts until work too large for the calling thread comes (INLINE_WORK): a re-deploy
 * of a small folder starts none. Each thread is an isolate of its own (~15-25 MiB), so the pool
 * then starts with one: a folder of one big file, hashed in one task, never needs another. The
 * first time more than one task is wanted at once, a pool of all the threads takes over, all of
 * them started at once, so tasks are spread and queued exactly as by a full pool from the start;
 * the one-thread pool stops once its running task, if any, is done. Once threads run, all work
 * goes to them, until they have been idle for IDLE_MS: then they stop, and the pool is as a new one.
 */
export class HashPool implements StatPool {
  readonly #threads: number;
  readonly #workerUrl: URL;
  readonly #inline: InlineWork | false;
  readonly #idleMs: number | false;
  #idleTimer: NodeJS.Timeout | null = null;
  /** Tasks given and not yet settled, all pools together. */
  #busy = 0;
  readonly #inlineStats = new InlineStatPool();
  /** The running pool; null until work too large to do inline comes. */
  #workers: Workers | null = null;
  #grown: boolean;
  /** The one-thread pool, after the full pool took over, while it still runs a task. */
  #retiring: Workers | null = null;
  /** Tasks given and not yet settled, per pool. */
  readonly #unsettled = new Map<Workers, number>();
  #tasksSent = 0;

  constructor(options: HashPoolOptions = {}) {
    this.#threads = options.threads ?? availableParallelism();
    this.#workerUrl = options.workerUrl ?? new URL('./hash-worker.ts', import.meta.url);
    this.#inline = options.inline ?? INLINE_WORK;
    this.#idleMs = options.idleMs ?? IDLE_MS;
    this.#grown = this.#threads === 1;
  }

  /** How many hash tasks (worker messages, or batches hashed inline) this pool has been given: a measure of batching. */
  get tasksSent(): number {
    return this.#tasksSent;
  }

  /** Worker threads running now: none until work too large to do inline, one until more than one task was wanted at once, then `threads`; none again once idle. */
  get threadCount(): number {
    return (this.#workers?.threads.length ?? 0) + (this.#retiring?.threads.length ?? 0);
  }

  /** lstats paths on the worker threads, packed as hash-worker's lstatTask does: lets scanFolder stat in parallel, off the main thread. A small batch, while no thread runs, is stat'ed inline. */
  lstatMany(paths: string[], options: { signal?: AbortSignal } = {}): Promise<BigInt64Array> {
    if (this.#workers === null && this.#inline && paths.length <= this.#inline.paths)
      return this.#inlineStats.lstatMany(paths, options);
    // One NUL-joined string clones far faster than an array of hundreds of strings (NUL cannot occur in a path).
    return this.#run(this.#workersFor(1), paths.join('\0'), {
      name: 'lstatTask',
      signal: options.signal ?? null,
    }) as Promise<BigInt64Array>;
  }

  #start(threads: number): Workers {
    const workers: Workers = new Piscina({
      filename: this.#workerUrl.href,
      name: 'hashTask',
      minThreads: threads,
      maxThreads: threads,
    });
    // Piscina emits 'error' for what belongs to no task: the answer of a task aborted while its worker was
    // already posting it ("Unexpected message from Worker"), a worker dying while idle. Every task's own
    // failure reaches its caller, and the pool replaces dead workers; unheard, the event would crash the process.
    workers.on('error', () => undefined);
    return workers;
  }

  /** The pool for `tasks` more tasks: the full one, started now if these would make more than one at once. */
  #workersFor(tasks: number): Workers {
    if (this.#workers === null) {
      this.#workers = this.#start(tasks > 1 ? this.#threads : 1);
      this.#grown ||= tasks > 1;
    } else if (!this.#grown && (this.#unsettled.get(this.#workers) ?? 0) + tasks > 1) {
      const first = this.#workers;
      this.#workers = this.#start(this.#threads);
      this.#grown = true;
      if ((this.#unsettled.get(first) ?? 0) === 0) void first.destroy();
      else this.#retiring = first;
    }
    return this.#workers;
  }

  async #run(
    workers: Workers,
    task: HashTask | string,
    options: { name?: string; signal: AbortSignal | null },
  ): Promise<HashTaskResult | BigInt64Array> {
    this.#unsettled.set(workers, (this.#unsettled.get(workers) ?? 0) + 1);
    this.#busy++;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    try {
      return await workers.run(task, options);
    } finally {
      const left = this.#unsettled.get(workers)! - 1;
      if (left === 0) this.#unsettled.delete(workers);
      else this.#unsettled.set(workers, left);
      if (left === 0 && workers === this.#retiring) {
        this.#retiring = null;
        void workers.destroy();
      }
      if (--this.#busy === 0 && this.#idleMs !== false)
        this.#idleTimer = setTimeout(() => this.#stopIdle(), this.#idleMs).unref();
    }
  }

  /** Stops the idle threads: the pool is as new, and starts them again for work too large to do inline. */
  #stopIdle(): void {
    this.#idleTimer = null;
    const workers = this.#workers;
    if (this.#busy > 0 || workers === null) return;
    this.#workers = null;
    this.#grown = this.#threads === 1;
    void workers.destroy();
  }

  /** Hashes every file; outcomes come back in the input order once all are done, and through onHashed as they finish. */
  async hashFiles(files: readonly ScannedFile[], options: HashFilesOptions = {}): Promise<HashOutcome[]> {
    const { signal, onHashed, onBytes, kind = 'sha256' } = options;
    signal?.throwIfAborted();
    // One internal signal for every task: piscina listens once per task, and the caller's signal
    // would otherwise warn about hundreds of listeners.
    const cancel = new AbortController();
    setMaxListeners(0, cancel.signal);
    const forward = () => cancel.abort(signal?.reason);
    signal?.addEventListener('abort', forward, { once: true });

    const progress = new SharedArrayBuffer(8);
    const bytesRead = new BigInt64Array(progress);
    let reported = 0n;
    const flush = () => {
      const now = Atomics.load(bytesRead, 0);
      if (now > reported && onBytes) onBytes(Number(now - reported));
      reported = now;
    };
    const timer = onBytes ? setInterval(flush, PROGRESS_EVERY_MS).unref() : null;

    const outcomes = new Array<HashOutcome>(files.length);
    try {
      const tasks = planTasks(files);
      // Small work is hashed right here, by the very function a worker runs: a task at a time, each
      // after a turn of the event loop, so a timer, a signal (Ctrl-C) or an answer never waits for
      // more than one task (at most BATCH_MAX_FILES files or one big file).
      let previous: Promise<unknown> = Promise.resolve();
      let run = (task: HashTask): Promise<HashTaskResult> => {
        const done = previous.then(async () => {
          await nextTurn();
          cancel.signal.throwIfAborted();
          return hashTask(task);
        });
        previous = done.catch(() => undefined);
        return done;
      };
      if (tasks.length > 0 && !this.#fitsInline(files)) {
        const workers = this.#workersFor(tasks.length);
        run = (task) => this.#run(workers, task, { signal: cancel.signal }) as Promise<HashTaskResult>;
      }
      await Promise.all(
        tasks.map(async (indices) => {
          this.#tasksSent++;
          const task: HashTask = { kind, files: indices.map((i) => taskFile(files[i]!)), progress };
          const results = await run(task);
          flush();
          results.forEach((result, k) => {
            const file = files[indices[k]!]!;
            if (typeof result === 'string') {
              outcomes[indices[k]!] = { file, hash: result };
              onHashed?.(file, result);
            } else {
              outcomes[indices[k]!] = { file, error: describe(file, result) };
            }
          });
        }),
      );
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      cancel.abort(error); // a broken worker: drop the tasks still queued
      throw error;
    } finally {
      signal?.removeEventListener('abort', forward);
      if (timer) clearInterval(timer);
    }
    return outcomes;
  }

  /** Whether hashing `files` is small enough for the calling thread, and no thread runs that could take it. */
  #fitsInline(files: readonly ScannedFile[]): boolean {
    if (this.#workers !== null || !this.#inline || files.length > this.#inline.files) return false;
    let bytes = 0;
    for (const file of files) bytes += file.size;
    return bytes <= this.#inline.bytes;
  }

  /** Stops the worker threads; tasks still queued are rejected. */
  async destroy(): Promise<void> {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    await Promise.all([this.#workers?.destroy(), this.#retiring?.destroy()]);
  }
}

/** What hashFolder found: every hashed file in scan order, and the files it could not hash. */
export interface HashFolderResult {
  files: HashedFile[];
  problems: HashFailure[];
  /** Files whose hash came from the cache, unread. */
  cacheHits: number;
}

/**
 * Hashes a scanned folder: cache hits are not read again (they reach onHashed
 * and onBytes first), misses go to the pool, and new hashes are stored in the
 * cache, even those finished before an abort.
 */
export async function hashFolder(
  scan: ScanResult,
  cache: HashCache,
  pool: HashPool,
  options: HashFilesOptions = {},
): Promise<HashFolderResult> {
  const kind = options.kind ?? 'sha256';
  const cached = cache.lookupMany(scan.files, kind);
  const misses: ScannedFile[] = [];
  let hitBytes = 0;
  scan.files.forEach((file, i) => {
    const hash = cached[i];
    if (hash == null) return void misses.push(file);
    hitBytes += file.size;
    options.onHashed?.(file, hash);
  });
  if (hitBytes > 0) options.onBytes?.(hitBytes);

  // Taken before the first read, as the racy-git rule needs (see HashCache).
  const hashedAtMs = Date.now();
  const fresh: HashedFile[] = [];
  // Stored as they arrive (at most every CACHE_FLUSH_MS), so a kill mid-hash keeps what was done.
  let unsaved: HashedFile[] = [];
  let savedAt = Date.now();
  const save = () => {
    cache.store(unsaved, hashedAtMs, kind);
    unsaved = [];
    savedAt = Date.now();
  };
  let outcomes: HashOutcome[];
  try {
    outcomes = await pool.hashFiles(misses, {
      ...options,
      kind,
      onHashed: (file, hash) => {
        fresh.push({ file, hash });
        unsaved.push({ file, hash });
        if (Date.now() - savedAt >= CACHE_FLUSH_MS) save();
        options.onHashed?.(file, hash);
      },
    });
  } finally {
    save();
  }
  const freshByFile = new Map(fresh.map((entry) => [entry.file, entry.hash]));
  const files: HashFolderResult['files'] = [];
  scan.files.forEach((file, i) => {
    const hash = cached[i] ?? freshByFile.get(file);
    if (hash != null) files.push({ file, hash });
  });
  const problems = outcomes.filter((outcome): outcome is HashFailure => 'error' in outcome);
  return { files, problems, cacheHits: scan.files.length - misses.length };
}

/**
 * Groups files into tasks, biggest first so the longest reads start at once
 * and the small batches fill in at the end: a large file alone, small files
 * by up to BATCH_MAX_FILES / BATCH_MAX_BYTES, so 20,000 tiny files make
 * ~80 worker messages, not 20,000.
 */
function planTasks(files: readonly ScannedFile[]): number[][] {
  const order = files.map((_, i) => i).sort((a, b) => files[b]!.size - files[a]!.size);
  const tasks: number[][] = [];
  let batch: number[] = [];
  let batchBytes = 0;
  for (const i of order) {
    const size = files[i]!.size;
    if (size >= BATCH_MAX_BYTES) {
      tasks.push([i]);
      continue;
    }
    if (batch.length === BATCH_MAX_FILES || batchBytes + size > BATCH_MAX_BYTES) {
      tasks.push(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push(i);
    batchBytes += size;
  }
  if (batch.length > 0) tasks.push(batch);
  return tasks;
}

function taskFile(file: ScannedFile): HashTaskFile {
  return { absolutePath: file.absolutePath, size: file.size, mtimeNs: file.mtimeNs, ino: file.ino };
}

function describe(file: ScannedFile, failure: HashTaskFailure): { code: HashErrorCode; message: string } {
  const name = `"${file.path}"`;
  const later = 'wait until it is saved, then deploy again';
  switch (failure.code) {
    case 'vanished':
      return {
        code: 'vanished',
        message: `${name} was deleted after the folder was scanned; deploy again to send the folder as it is now.`,
      };
    case 'unreadable': {
      const why = failure.cause === 'EACCES' || failure.cause === 'EPERM' ? 'permission denied' : failure.cause;
      return {
        code: 'unreadable',
        message: `${name} cannot be read (${why}); give yourself read access to it, or list it in .pressignore.`,
      };
    }
    case 'changed': {
      if (failure.now === 'not_a_file') {
        return {
          code: 'changed',
          message: `${name} is no longer a regular file; remove it or list it in .pressignore, then deploy again.`,
        };
      }
      const what =
        failure.now === 'size'
          ? `changed size after the folder was scanned (${file.size} bytes then, ${failure.size} now)`
          : failure.now === 'modified'
            ? 'was modified after the folder was scanned'
            : 'was replaced by another file after the folder was scanned';
      return { code: 'changed', message: `${name} ${what}; ${later}.` };
    }
  }
}
