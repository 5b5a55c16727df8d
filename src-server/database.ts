import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { migrations } from './migrations.ts';

/**
 * Opens (or creates) the metadata database: WAL so readers never wait for
 * the writer, synchronous=FULL so a committed version survives power loss,
 * foreign keys on, and every pending migration applied.
 */
export function openDatabase(file: string): DatabaseSync {
  const db = new DatabaseSync(file, { enableForeignKeyConstraints: true, timeout: 5_000 });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    applyMigrations(db);
  } catch (error) {
    db.close();
    // SQLite's own words ("disk I/O error") name no file.
    if ((error as { code?: unknown }).code !== 'ERR_SQLITE_ERROR') throw error;
    throw new Error(
      `The metadata database ${file} cannot be opened: ${(error as Error).message}. Check that its disk has free space and that the data folder is writable.`,
      { cause: error },
    );
  }
  return db;
}

/**
 * Runs `work` inside one write transaction (BEGIN IMMEDIATE): all of it lands, or none of it. SQLite has
 * rolled back already after some errors (a full disk, an I/O error): a ROLLBACK then would throw "no
 * transaction is active" in place of the error that says what happened.
 */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/** The statements of `db` by their SQL text, each prepared once, on first use. */
export function statementCache(db: DatabaseSync): (sql: string) => StatementSync {
  const statements = new Map<string, StatementSync>();
  return (sql) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
}

function applyMigrations(db: DatabaseSync): void {
  const current = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `The metadata database is at schema version ${current}, newer than this PressDrop knows (${latest}). ` +
        'Upgrade PressDrop, or point --data at another folder.',
    );
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    inTransaction(db, () => {
      db.exec(migration.sql);
      db.exec(`PRAGMA user_version = ${migration.version}`);
    });
  }
}
