import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { HashKind } from './ports.ts';
import type { ScannedFile } from './scan-folder.ts';
import { inTransaction, migrateStateDatabase, openStateDatabase, stateFileError } from './sqlite-file.ts';

/** A file and its hash (of the kind asked for). */
export interface HashedFile {
  file: ScannedFile;
  hash: string;
}

/**
 * Schema migrations, applied in order; `PRAGMA user_version` says how many
 * ran. Append, never edit: a cache file written by an older build upgrades.
 * Inode and device numbers are stored as signed 64-bit (SQLite's INTEGER) by
 * BigInt.asIntN, so a number over 2^63 round-trips.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE file_hashes (
     path TEXT PRIMARY KEY,
     size INTEGER NOT NULL,
     mtime_ns INTEGER NOT NULL,
     ino INTEGER NOT NULL,
     dev INTEGER NOT NULL,
     sha256 TEXT NOT NULL,
     hashed_at_ms INTEGER NOT NULL
   ) WITHOUT ROWID`,
  // Issue 11: a hash per kind (SHA-256, Cloudflare's asset hash), so one scan feeds targets of either kind
  // and switching target reads no file twice. Keyed by kind first: lookupMany reads one kind's range.
  `CREATE TABLE file_hashes_v2 (
     kind TEXT NOT NULL,
     path TEXT NOT NULL,
     size INTEGER NOT NULL,
     mtime_ns INTEGER NOT NULL,
     ino INTEGER NOT NULL,
     dev INTEGER NOT NULL,
     hash TEXT NOT NULL,
     hashed_at_ms INTEGER NOT NULL,
     PRIMARY KEY (kind, path)
   ) WITHOUT ROWID;
   INSERT INTO file_hashes_v2 SELECT 'sha256', path, size, mtime_ns, ino, dev, sha256, hashed_at_ms FROM file_hashes;
   DROP TABLE file_hashes;
   ALTER TABLE file_hashes_v2 RENAME TO file_hashes;`,
  // Issue 12: blobs a commit proved stored on a service, so a re-deploy asks it only about the others.
  // A row per commit that proved new ones, their hashes comma-joined: a re-deploy of 20,000 files reads
  // one row, where a row per blob took ~40 ms to read.
  `CREATE TABLE stored_blobs (
     id INTEGER PRIMARY KEY,
     scope TEXT NOT NULL,
     hash_count INTEGER NOT NULL,
     hashes TEXT NOT NULL,
     remembered_at_ms INTEGER NOT NULL
   );
   CREATE INDEX stored_blobs_by_scope ON stored_blobs (scope);`,
];

/**
 * The racy-git rule. Filesystem timestamps are coarse (2 s on FAT, 1 s on
 * some network filesystems and HFS+, a kernel tick elsewhere), so a file
 * written again within the same tick as the hash keeps the very same mtime
 * (and size, if the rewrite is the same length): the cache would then hand
 * back the hash of the old bytes. An entry is trusted only if the file's
 * mtime is at least this long before the hash started; otherwise it is
 * hashed again next time, when the rule is met. 2 s also absorbs the lag of
 * the kernel's coarse clock behind Date.now().
 */
export const RACY_WINDOW_MS = 2000;

// The racy-git rule is applied in SQL: an untrusted row is never read.
const ROW_COLUMNS = 'size, mtime_ns, ino, dev, hash';
const TRUSTED = `mtime_ns <= (hashed_at_ms - ${RACY_WINDOW_MS}) * 1000000`;
/** Stored blobs remembered per scope at most: past it, the scope starts over (a re-deploy then asks about all once). */
const MAX_STORED_BLOBS = 500_000;
/** Rows of one scope past which they are merged into one (each commit that proves new blobs adds one). */
const MAX_STORED_ROWS = 32;
/**
 * Stored blobs are remembered this long: a server seen once (a test's, on a random port) leaves no rows
 * for good, and what a service holds is asked again at least this often.
 */
const STORED_BLOBS_KEPT_MS = 30 * 24 * 3600 * 1000;
/** Below this many files, one indexed lookup each beats loading a folder's rows. */
const BULK_LOOKUP_MIN = 64;
/** How many rows (of deleted files) the ordered walk of lookupMany skips before it calls a file out of order. */
const MAX_SKIP = 64;

type Row = [size: bigint, mtimeNs: bigint, ino: bigint, dev: bigint, hash: string];
type PathRow = [path: string, ...Row];

/** Remembers file hashes across scans, keyed by hash kind and absolute path, and trusted only while size, mtime, inode and device are unchanged. */
export class HashCache {
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #range: StatementSync;
  readonly #put: StatementSync;

  private constructor(db: DatabaseSync) {
    this.#db = db;
    this.#get = db.prepare(`SELECT ${ROW_COLUMNS} FROM file_hashes WHERE kind = ? AND path = ? AND ${TRUSTED}`);
    this.#range = db.prepare(
      `SELECT path, ${ROW_COLUMNS} FROM file_hashes WHERE kind = ? AND path >= ? AND path < ? AND ${TRUSTED}`,
    );
    for (const statement of [this.#get, this.#range]) {
      statement.setReadBigInts(true);
      statement.setReturnArrays(true); // arrays read faster than objects: a re-scan looks up every file
    }
    this.#put = db.prepare(
      `INSERT INTO file_hashes (kind, path, size, mtime_ns, ino, dev, hash, hashed_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (kind, path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, ino = excluded.ino,
         dev = excluded.dev, hash = excluded.hash, hashed_at_ms = excluded.hashed_at_ms`,
    );
  }

  /** Opens (creating it, 0600, and its folder, 0700, if needed) the cache file, in WAL mode, migrated to the current schema. */
  static open(file: string): HashCache {
    // WAL: a reader (a second window, the CLI) never waits for a writer; NORMAL sync is durable enough for a cache.
    const db = openStateDatabase(file, { synchronous: 'NORMAL' });
    try {
      migrateStateDatabase(
        db,
        MIGRATIONS,
        (version) =>
          `The hash cache ${file} was written by a newer PressDrop (schema ${version}, this one knows ${MIGRATIONS.length}); update PressDrop or delete the file.`,
      );
      return new HashCache(db);
    } catch (error) {
      db.close();
      throw stateFileError(file, error);
    }
  }

  /** The cached hash (of `kind`) of a scanned file, or null when unknown, stale or too racy to trust. */
  lookup(file: ScannedFile, kind: HashKind = 'sha256'): string | null {
    const row = this.#get.get(kind, file.absolutePath) as unknown as Row | undefined;
    return row && same(row, 0, file) ? row[4] : null;
  }

  /**
   * lookup() for many files at once (same order): one range read of the rows
   * under the files' common folder instead of one query per file, which
   * makes a 20,000-file re-scan's lookups ~5× cheaper.
   */
  lookupMany(files: readonly ScannedFile[], kind: HashKind = 'sha256'): Array<string | null> {
    if (files.length < BULK_LOOKUP_MIN) return files.map((file) => this.lookup(file, kind));
    const folder = commonFolder(files);
    // Every path under `folder` sorts between "folder/" and "folder0" ('0' follows '/'), in
    // code-point order, as a scan's files mostly are (not: symlink targets, NFD names). So
    // walk both lists together, and look up only the files that walk does not meet in a Map.
    const rows = this.#range.all(kind, folder, `${folder.slice(0, -1)}0`) as unknown as PathRow[];
    const found = new Array<string | null>(files.length).fill(null);
    const astray: number[] = [];
    let j = 0;
    files.forEach((file, i) => {
      const path = file.absolutePath;
      let k = j;
      while (k < rows.length && k - j < MAX_SKIP && rows[k]![0] < path) k++;
      const row = rows[k];
      if (row?.[0] !== path) return void astray.push(i);
      j = k + 1;
      if (same(row, 1, file)) found[i] = row[5];
    });
    if (astray.length > 0) {
      const byPath = new Map(rows.map((row) => [row[0], row]));
      for (const i of astray) {
        const row = byPath.get(files[i]!.absolutePath);
        if (row && same(row, 1, files[i]!)) found[i] = row[5];
      }
    }
    return found;
  }

  /** Records hashes of `kind`, in one transaction. `hashedAtMs` is when hashing STARTED (Date.now() before the first read), for the racy-git rule. */
  store(entries: readonly HashedFile[], hashedAtMs: number, kind: HashKind = 'sha256'): void {
    if (entries.length === 0) return;
    const at = BigInt(Math.floor(hashedAtMs));
    inTransaction(this.#db, () => {
      for (const { file, hash } of entries) {
        this.#put.run(
          kind,
          file.absolutePath,
          file.size,
          file.mtimeNs,
          BigInt.asIntN(64, file.ino),
          BigInt.asIntN(64, file.dev),
          hash,
          at,
        );
      }
    });
  }

  /**
   * The blobs commits proved stored in `scope` (a service's content store, as the target names it).
   * A hint, not a fact: the service may have lost one since, and its commit then says so.
   */
  storedBlobs(scope: string, now = Date.now()): Set<string> {
    const hashes = new Set<string>();
    const rows = this.#db
      .prepare('SELECT hashes FROM stored_blobs WHERE scope = ? AND remembered_at_ms >= ?')
      .all(scope, now - STORED_BLOBS_KEPT_MS);
    for (const row of rows) for (const hash of (row as { hashes: string }).hashes.split(',')) hashes.add(hash);
    return hashes;
  }

  /** Remembers that `scope` holds `hashes` (a commit that named them succeeded). */
  rememberStored(scope: string, hashes: readonly string[], now = Date.now()): void {
    if (hashes.length === 0) return;
    inTransaction(this.#db, () => {
      this.#db.prepare('DELETE FROM stored_blobs WHERE remembered_at_ms < ?').run(now - STORED_BLOBS_KEPT_MS);
      const { held, rows, oldest } = this.#db
        .prepare(
          'SELECT coalesce(sum(hash_count), 0) AS held, count(*) AS rows, min(remembered_at_ms) AS oldest FROM stored_blobs WHERE scope = ?',
        )
        .get(scope) as { held: number; rows: number; oldest: number | null };
      let adding = hashes;
      let at = now;
      if (held + hashes.length > MAX_STORED_BLOBS) this.forgetStored(scope);
      else if (rows >= MAX_STORED_ROWS) {
        // Merged, they are as old as the oldest: all are asked again when it would have been.
        adding = [...new Set([...this.storedBlobs(scope, now), ...hashes])];
        at = oldest ?? now;
        this.forgetStored(scope);
      }
      this.#db
        .prepare('INSERT INTO stored_blobs (scope, hash_count, hashes, remembered_at_ms) VALUES (?, ?, ?, ?)')
        .run(scope, adding.length, adding.join(','), at);
    });
  }

  /** Forgets every blob remembered in `scope`: the service lacked one a commit named. */
  forgetStored(scope: string): void {
    this.#db.prepare('DELETE FROM stored_blobs WHERE scope = ?').run(scope);
  }

  /** Closes the database file. */
  close(): void {
    this.#db.close();
  }
}

/** Whether the row (its metadata from column `at` on) describes this very file. Written to allocate nothing in the common case (numbers under 2^63). */
function same(row: Row | PathRow, at: number, file: ScannedFile): boolean {
  const ino = row[at + 2] as bigint;
  const dev = row[at + 3] as bigint;
  return (
    Number(row[at]) === file.size &&
    row[at + 1] === file.mtimeNs &&
    (ino === file.ino || BigInt.asUintN(64, ino) === file.ino) &&
    (dev === file.dev || BigInt.asUintN(64, dev) === file.dev)
  );
}

/** The deepest folder ("/a/b/", with the slash) holding every file. */
function commonFolder(files: readonly ScannedFile[]): string {
  const first = files[0]!.absolutePath;
  let folder = first.slice(0, first.lastIndexOf('/') + 1);
  for (const { absolutePath } of files) {
    while (!absolutePath.startsWith(folder)) folder = folder.slice(0, folder.lastIndexOf('/', folder.length - 2) + 1);
  }
  return folder || '/';
}
