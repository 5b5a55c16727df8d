import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ensurePrivateDir, ensurePrivateFile, sqliteCompanions } from './private-files.ts';
import { inTransaction, isSqliteError } from '../src-shared/sqlite.ts';

export { inTransaction };

/**
 * How long a statement waits for another process's lock before it fails
 * with "database is locked". Twenty CLIs started at once on a new state
 * folder queue behind each other's first write for well under this.
 */
export const BUSY_TIMEOUT_MS = 15_000;

/** How a state file is opened. */
export interface StateDatabaseOptions {
  /** FULL for the journal (a power cut must not take back a recorded step; in WAL mode a kill never does); NORMAL for a cache. */
  synchronous: 'FULL' | 'NORMAL';
  foreignKeys?: boolean;
}

/**
 * Opens (creating it, 0600, in a 0700 folder) one of PressDrop's SQLite
 * state files in WAL mode. The busy timeout is set at open, before the first
 * statement: switching a new file to WAL takes a lock that a twin process
 * opening the same file at the same moment may hold.
 */
export function openStateDatabase(file: string, options: StateDatabaseOptions): DatabaseSync {
  ensurePrivateDir(dirname(file));
  ensurePrivateFile(file, sqliteCompanions(file));
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, {
      enableForeignKeyConstraints: options.foreignKeys ?? false,
      timeout: BUSY_TIMEOUT_MS,
    });
    enterWalMode(db, Date.now() + BUSY_TIMEOUT_MS);
    db.exec(`PRAGMA synchronous = ${options.synchronous}`);
    return db;
  } catch (error) {
    db?.close();
    throw stateFileError(file, error);
  }
}

/**
 * SQLite's own words ("disk I/O error", "database or disk is full") name no file: a failure to open or
 * migrate `file` is said with its name and what to check. Any other error is returned as it is.
 */
export function stateFileError(file: string, error: unknown): unknown {
  if (!isSqliteError(error)) return error;
  return new Error(
    `The state file ${file} cannot be opened: ${error.message}. Check that its disk has free space and that its folder is writable.`,
    { cause: error },
  );
}

/**
 * `PRAGMA journal_mode = WAL`, again until it takes. Switching a new file to
 * WAL takes an exclusive lock, and when a twin opener holds a lock at that
 * moment SQLite answers "database is locked" at once, without waiting in its
 * busy handler (1 in ~80 openers, twenty at a time under load). A short,
 * growing, jittered wait between tries, up to `deadline`.
 */
function enterWalMode(db: DatabaseSync, deadline: number): void {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      db.exec('PRAGMA journal_mode = WAL');
      return;
    } catch (error) {
      const busy = ((error as { errcode?: number }).errcode ?? 0) % 256 === SQLITE_BUSY;
      if (!busy || Date.now() > deadline) throw error;
      // Opening is synchronous everywhere it is called: a blocking nap of a few milliseconds.
      Atomics.wait(nap, 0, 0, Math.random() * Math.min(100, 5 * 2 ** attempt));
    }
  }
}

/** SQLite's result code for a lock held by another connection. */
const SQLITE_BUSY = 5;

/**
 * Brings a state file's schema up to `migrations.length` (`PRAGMA
 * user_version` counts the migrations applied). The version is read again
 * inside the write transaction (BEGIN IMMEDIATE), so of several processes
 * opening a new file at once, one migrates and the others find it done.
 * Foreign keys are off while a migration runs, so a migration may rebuild a
 * table that others reference (SQLite's documented way to change one).
 */
export function migrateStateDatabase(
  db: DatabaseSync,
  migrations: readonly string[],
  tooNew: (version: number) => string,
): void {
  const version = () => (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  const seen = version();
  if (seen > migrations.length) throw new Error(tooNew(seen));
  if (seen === migrations.length) return;
  const foreignKeys = (db.prepare('PRAGMA foreign_keys').get() as { foreign_keys: number }).foreign_keys === 1;
  // A no-op inside a transaction: it is set before BEGIN, and back after COMMIT.
  if (foreignKeys) db.exec('PRAGMA foreign_keys = OFF');
  try {
    inTransaction(db, () => {
      const current = version();
      if (current > migrations.length) throw new Error(tooNew(current));
      for (let next = current; next < migrations.length; next++) {
        db.exec(migrations[next]!);
        db.exec(`PRAGMA user_version = ${next + 1}`);
      }
      const broken = db.prepare('PRAGMA foreign_key_check').all();
      if (broken.length > 0) throw new Error(`a migration left ${broken.length} rows pointing at nothing`);
    });
  } finally {
    if (foreignKeys) db.exec('PRAGMA foreign_keys = ON');
  }
}
