/**
 * Migrations carry a database's rows forward: a database written by an
 * earlier version opens with what it held, in the new schema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openDatabase } from './database.ts';
import { migrations } from './migrations.ts';
import { makeDataDir } from './testing/test-server.ts';

test("migration 4 keeps an open session's registered blobs, one row per content, the first file by path answering", (t) => {
  const dataDir = makeDataDir();
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const file = join(dataDir, 'meta.sqlite');
  const old = new DatabaseSync(file);
  for (const migration of migrations.filter((m) => m.version <= 3)) old.exec(migration.sql);
  old.exec(`
    PRAGMA user_version = 3;
    INSERT INTO deploys (id, slug, name, created_at, updated_at) VALUES ('dpl_1', 'site', 'Site', 1, 1);
    INSERT INTO upload_sessions (id, deploy_id, token_hash, requested_file_count, requested_bytes, created_at, expires_at)
      VALUES ('us_1', 'dpl_1', x'00', 3, 30, 1, 2);
    INSERT INTO session_files (session_id, path, sha256, size, mime) VALUES
      ('us_1', 'b/copy.txt', '${'a'.repeat(64)}', 10, 'text/plain'),
      ('us_1', 'a/page.html', '${'a'.repeat(64)}', 10, 'text/html'),
      ('us_1', 'logo.png', '${'b'.repeat(64)}', 20, 'image/png');
  `);
  old.close();

  const db = openDatabase(file);
  t.after(() => db.close());
  assert.deepEqual({ ...db.prepare('PRAGMA user_version').get() }, { user_version: migrations.at(-1)!.version });
  assert.deepEqual(
    db
      .prepare('SELECT session_id, sha256, size, mime FROM session_blobs ORDER BY sha256')
      .all()
      .map((row) => ({ ...row })),
    [
      { session_id: 'us_1', sha256: 'a'.repeat(64), size: 10, mime: 'text/html' },
      { session_id: 'us_1', sha256: 'b'.repeat(64), size: 20, mime: 'image/png' },
    ],
  );
  assert.equal(db.prepare("SELECT name FROM sqlite_schema WHERE name = 'session_files'").get(), undefined);
});
