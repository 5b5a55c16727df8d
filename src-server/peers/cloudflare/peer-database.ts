import { DatabaseSync } from 'node:sqlite';
import { inTransaction } from '../../database.ts';

/** The peer's schema, one entry per version (PRAGMA user_version). */
const migrations: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      -- One row per stored asset; the bytes are a file named by the hash (AssetStore).
      CREATE TABLE assets (
        hash         TEXT PRIMARY KEY,
        size         INTEGER NOT NULL,
        content_type TEXT,
        created_on   TEXT NOT NULL
      ) STRICT;
      CREATE TABLE scripts (
        name               TEXT PRIMARY KEY,
        tag                TEXT NOT NULL,
        etag               TEXT NOT NULL,
        created_on         TEXT NOT NULL,
        modified_on        TEXT NOT NULL,
        last_deployed_from TEXT NOT NULL,
        workers_dev        INTEGER NOT NULL DEFAULT 0,
        previews_enabled   INTEGER NOT NULL DEFAULT 0,
        settings           TEXT NOT NULL DEFAULT '{}'
      ) STRICT;
      -- manifest: {"/path": "hash"} of the version's assets.
      CREATE TABLE versions (
        id          TEXT PRIMARY KEY,
        script      TEXT NOT NULL REFERENCES scripts (name),
        number      INTEGER NOT NULL,
        created_on  TEXT NOT NULL,
        source      TEXT NOT NULL,
        metadata    TEXT NOT NULL,
        manifest    TEXT NOT NULL,
        UNIQUE (script, number)
      ) STRICT;
      -- versions: [{"version_id", "percentage"}].
      CREATE TABLE deployments (
        id          TEXT PRIMARY KEY,
        script      TEXT NOT NULL REFERENCES scripts (name),
        seq         INTEGER NOT NULL,
        created_on  TEXT NOT NULL,
        source      TEXT NOT NULL,
        strategy    TEXT NOT NULL,
        versions    TEXT NOT NULL,
        annotations TEXT NOT NULL,
        UNIQUE (script, seq)
      ) STRICT;
    `,
  },
];

/** Opens (or creates) the peer's metadata database and applies its migrations. */
export function openPeerDatabase(file: string): DatabaseSync {
  const db = new DatabaseSync(file, { enableForeignKeyConstraints: true, timeout: 5_000 });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    const current = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
    const latest = migrations.at(-1)!.version;
    if (current > latest) {
      throw new Error(
        `The Cloudflare peer's database is at schema ${current}, newer than this peer knows (${latest}).`,
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      inTransaction(db, () => {
        db.exec(migration.sql);
        db.exec(`PRAGMA user_version = ${migration.version}`);
      });
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
