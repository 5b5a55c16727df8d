import type { FileState, FileUpdate } from '../../../src-shared/upload-model.ts';

/** One file of the session view: the latest update of its path, mutated in place. */
export type FileRow = FileUpdate;

/** Every state, in the order the summary lists them. */
export const FILE_STATES: readonly FileState[] = [
  'queued',
  'hashing',
  'waiting',
  'uploading',
  'retrying',
  'done',
  'skipped',
  'failed',
];

/** How many files are in each state. */
export type StateCounts = Record<FileState, number>;

function zeroCounts(): StateCounts {
  return { queued: 0, hashing: 0, waiting: 0, uploading: 0, retrying: 0, done: 0, skipped: 0, failed: 0 };
}

/**
 * The per-file rows of one run, kept mutable on purpose: a batch of updates
 * touches a few hundred of 20,000 rows, and copying the whole Map per batch
 * (15 a second) would be the slowest thing on screen. The store bumps a
 * version number instead, and the virtualized list re-reads the rows it
 * shows. Counts per state are kept as updates arrive, never recounted.
 */
export class RunRows {
  readonly #byPath = new Map<string, FileRow>();
  /** Paths sorted as the server lists a version's files (code-point order), for index access by the list. */
  readonly #order: string[] = [];
  #counts = zeroCounts();
  #orderVersion = 0;

  get size(): number {
    return this.#order.length;
  }

  get counts(): Readonly<StateCounts> {
    return this.#counts;
  }

  /** Moves only when the list's paths or their order change (paths added, or all cleared), not when a state does. */
  get orderVersion(): number {
    return this.#orderVersion;
  }

  /** The row at a list index. */
  at(index: number): FileRow | undefined {
    const path = this.#order[index];
    return path === undefined ? undefined : this.#byPath.get(path);
  }

  get(path: string): FileRow | undefined {
    return this.#byPath.get(path);
  }

  /** Applies a batch of updates in place. */
  apply(updates: readonly FileUpdate[]): void {
    let added = false;
    for (const update of updates) {
      const row = this.#byPath.get(update.path);
      if (!row) {
        this.#byPath.set(update.path, { ...update });
        this.#order.push(update.path);
        this.#counts[update.state]++;
        added = true;
        continue;
      }
      this.#counts[row.state]--;
      this.#counts[update.state]++;
      row.state = update.state;
      row.size = update.size;
      row.sentBytes = update.sentBytes;
      row.message = update.message;
    }
    // New paths come in a few batches at the start (the scan), so sorting then is cheap; later batches only change states.
    if (added) {
      this.#order.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      this.#orderVersion++;
    }
  }

  /** Paths whose rows match `keep`, in list order (for the "only failed" view). */
  filter(keep: (row: FileRow) => boolean): string[] {
    return this.#order.filter((path) => keep(this.#byPath.get(path)!));
  }

  /** Forgets every row (a new scan starts the list again). */
  clear(): void {
    this.#byPath.clear();
    this.#order.length = 0;
    this.#counts = zeroCounts();
    this.#orderVersion++;
  }
}
