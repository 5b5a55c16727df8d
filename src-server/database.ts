import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { migrations } from './migrations.ts';
import { inTransaction, isSqliteError } from '../src-shared/sqlite.ts';

export { inTransaction };

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
    if (!isSqliteError(error)) throw error;
    throw new Error(
      `The metadata database ${file} cannot be opened: ${error.message}. Check that its disk has free space and that the data folder is writable.`,
      { cause: error },
    );
  }
  return db;
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
