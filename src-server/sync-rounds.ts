import { closeSync, fsync, mkdirSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const fsyncAsync = promisify(fsync);

/** A temp file whose bytes are checked and synced, to be named `finalPath`. */
export interface Arrival {
  tempPath: string;
  finalPath: string;
}

/** What the owner of the folder tree knows: whether a final name is durably in place already, and that it now is. */
export interface NameLedger<A extends Arrival> {
  isStored(arrival: A): boolean;
  stored(arrival: A): void;
}

interface Waiting<A> {
  arrival: A;
  resolve: (alreadyPresent: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Names synced temp files durably, many at once. Arrivals wait while a
 * round runs; the next round takes them all: it makes the folders they
 * need, renames each file into place, fsyncs every folder whose entries
 * changed (each once, all in parallel: a journaling file system answers
 * concurrent syncs with one commit), and only then answers.
 *
 * The renames and folder creations run on this thread: they touch folders
 * the store has just used, and a thread-pool trip costs more than the call.
 * Only the fsyncs, which wait for the disk, go to the pool. The fsync of a
 * new folder makes its entry in the parent durable too on ext4, XFS and
 * btrfs (journal order; ext4 without a journal syncs a new inode's parent),
 * which the store has always relied on.
 */
export class SyncRounds<A extends Arrival> {
  readonly #ledger: NameLedger<A>;
  /** Folders this process made or found, and synced since. */
  readonly #knownDirs = new Set<string>();
  #waiting: Array<Waiting<A>> = [];
  #running = false;

  constructor(ledger: NameLedger<A>) {
    this.#ledger = ledger;
  }

  /** Resolves once the file is durable under its final name: false when it was moved there, true when the name was taken. */
  publish(arrival: A): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ arrival, resolve, reject });
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#waiting.length > 0) {
      const round = this.#waiting;
      this.#waiting = [];
      await this.#runRound(round);
    }
    this.#running = false;
  }

  async #runRound(round: ReadonlyArray<Waiting<A>>): Promise<void> {
    const moved = new Map<string, Moved<A>>();
    const dropped: Array<{ item: Waiting<A>; twin: Moved<A> | null }> = [];
    for (const item of round) {
      const { tempPath, finalPath } = item.arrival;
      const twin = moved.get(finalPath) ?? null;
      if (twin !== null || this.#ledger.isStored(item.arrival)) {
        // Same name, same bytes: the copy in place (or moved there in this round) is kept.
        removeQuietly(tempPath);
        dropped.push({ item, twin });
        continue;
      }
      const dir = dirname(finalPath);
      try {
        if (!this.#knownDirs.has(dir)) mkdirSync(dir, { recursive: true });
        renameSync(tempPath, finalPath);
        moved.set(finalPath, { item, dir, error: null });
      } catch (error) {
        removeQuietly(tempPath);
        item.reject(error);
      }
    }
    await Promise.all(
      Array.from(new Set(Array.from(moved.values(), (entry) => entry.dir)), async (dir) => {
        try {
          await syncDir(dir);
          this.#knownDirs.add(dir);
        } catch (error) {
          for (const entry of moved.values()) if (entry.dir === dir) entry.error = error;
        }
      }),
    );
    for (const { item, error } of moved.values()) {
      if (error !== null) item.reject(error);
      else {
        this.#ledger.stored(item.arrival);
        item.resolve(false);
      }
    }
    // An arrival dropped for a twin of this round shares the twin's fate.
    for (const { item, twin } of dropped) {
      if (twin?.error) item.reject(twin.error);
      else item.resolve(true);
    }
  }
}

/** An arrival renamed into place in this round, and what syncing its folder gave. */
interface Moved<A> {
  item: Waiting<A>;
  dir: string;
  error: unknown;
}

/** fsyncs a folder, so the entries made or renamed in it survive a crash. */
export async function syncDir(dir: string): Promise<void> {
  // Opening and closing a folder never waits for the disk: only the fsync goes to the thread pool.
  const fd = openSync(dir, 'r');
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes a temp file; one left behind (it should not be) is swept when the store next opens. */
function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Nothing to do about it here.
  }
}
