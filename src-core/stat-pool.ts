import { lstat } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { LSTAT_SLOTS, LstatKind, lstatInto, packLstat } from './hash-worker.ts';

/** Runs lstat batches on worker threads (HashPool does), packed as hash-worker's lstatTask packs them. */
export interface StatPool {
  lstatMany(paths: string[], options?: { signal?: AbortSignal }): Promise<BigInt64Array>;
}

// A sync lstat costs ~2 µs here against ~6-10 µs for an async one through
// libuv's pool (its cross-thread wake-ups dominate; measured on 20,000
// files), so InlineStatPool stats synchronously in slices that yield to the
// event loop: it never stalls for more than ~SLICE_MS. A slow filesystem (a
// network mount) shows as slow slices, and from then on it goes async, 64 in
// flight, where that parallelism pays.
const SLICE_MS = 4;
const SLOW_LSTAT_MS = 0.1;
const ASYNC_LSTATS_IN_FLIGHT = 64;
/** Slow slices in a row that make the pool go async (one alone was the process being preempted, on a busy 2-core VM). */
const SLOW_SLICES_IN_A_ROW = 3;

/** A StatPool on the calling thread, for scans without a HashPool: sync lstat in time slices, async on a slow filesystem. */
export class InlineStatPool implements StatPool {
  #slow: boolean;
  #slowSlices = 0;

  /** `slow`: go async from the start (a filesystem known to be slow); by default, after SLOW_SLICES_IN_A_ROW slow slices. */
  constructor(options: { slow?: boolean } = {}) {
    this.#slow = options.slow ?? false;
  }

  async lstatMany(paths: string[], options: { signal?: AbortSignal } = {}): Promise<BigInt64Array> {
    const out = new BigInt64Array(paths.length * LSTAT_SLOTS);
    let i = 0;
    while (i < paths.length && !this.#slow) {
      await nextTurn(); // never inside the caller's turn (the scan calls this from fdir's callbacks)
      options.signal?.throwIfAborted();
      const started = performance.now();
      const first = i;
      do lstatInto(out, i, paths[i]!);
      while (++i < paths.length && performance.now() - started < SLICE_MS);
      // One slow slice is a preemption or a GC pause; a slow filesystem is slow slice after slice.
      this.#slowSlices = (performance.now() - started) / (i - first) > SLOW_LSTAT_MS ? this.#slowSlices + 1 : 0;
      if (this.#slowSlices >= SLOW_SLICES_IN_A_ROW) this.#slow = true;
    }
    let next = i;
    const lane = async () => {
      while (next < paths.length) {
        options.signal?.throwIfAborted();
        const at = next++;
        await new Promise<void>((resolve) =>
          lstat(paths[at]!, { bigint: true }, (error, stats) => {
            if (!error) packLstat(out, at, stats);
            else if (error.code === 'ENOENT' || error.code === 'ENOTDIR') packLstat(out, at, undefined);
            else [out[at * LSTAT_SLOTS], out[at * LSTAT_SLOTS + 1]] = [LstatKind.error, BigInt(error.errno ?? -1)];
            resolve();
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(ASYNC_LSTATS_IN_FLIGHT, paths.length - i) }, lane));
    return out;
  }
}
