/** What `inTransaction` needs of a database: node:sqlite's DatabaseSync has it (src-shared names no Node type). */
export interface TransactionalDatabase {
  exec(sql: string): unknown;
  readonly isTransaction: boolean;
}

/**
 * Runs `work` inside one write transaction (BEGIN IMMEDIATE): all of it lands, or none of it. SQLite has
 * rolled back already after some errors (a full disk, an I/O error): a ROLLBACK then would throw "no
 * transaction is active" in place of the error that says what happened. Shared by the state files (src-core)
 * and the server's databases (src-server).
 */
export function inTransaction<T>(db: TransactionalDatabase, work: () => T): T {
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

/** An error node:sqlite raised (a statement, the file, the disk), rather than our own. */
export function isSqliteError(error: unknown): error is Error {
  return error instanceof Error && (error as { code?: unknown }).code === 'ERR_SQLITE_ERROR';
}
