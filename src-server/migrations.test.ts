/**
 * Migrations carry a database's rows forward: a database written by an
 * earlier version opens with what it held, in the new schema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openDatabase } from './database.ts';
import { dataDirLayout } from './data-dir.ts';
import { hashSecret } from './ids.ts';
import { Metadata } from './metadata.ts';
import { migrations } from './migrations.ts';
import { makeDataDir, startTestServer } from './testing/test-server.ts';

/** A database at schema `version`, as a PressDrop of that time left it, holding what `rows` inserts. */
function databaseAt(file: string, version: number, rows: string): void {
  const old = new DatabaseSync(file);
  for (const migration of migrations.filter((m) => m.version <= version)) old.exec(migration.sql);
  old.exec(`PRAGMA user_version = ${version}; ${rows}`);
  old.close();
}

/** Each session's packed blobs, parsed. */
function registrations(db: DatabaseSync): Record<string, unknown> {
  const rows = db.prepare('SELECT session_id, blobs FROM session_registrations ORDER BY session_id').all() as Array<{
    session_id: string;
    blobs: string;
  }>;
  return Object.fromEntries(rows.map((row) => [row.session_id, JSON.parse(row.blobs)]));
}

const tableExists = (db: DatabaseSync, name: string) =>
  db.prepare('SELECT name FROM sqlite_schema WHERE name = ?').get(name) !== undefined;

test("migrations 4 and 5 keep an open session's registered blobs, one per content, the first file by path answering", (t) => {
  const dataDir = makeDataDir();
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const file = join(dataDir, 'meta.sqlite');
  databaseAt(
    file,
    3,
    `
    INSERT INTO deploys (id, slug, name, created_at, updated_at) VALUES ('dpl_1', 'site', 'Site', 1, 1);
    INSERT INTO upload_sessions (id, deploy_id, token_hash, requested_file_count, requested_bytes, created_at, expires_at)
      VALUES ('us_1', 'dpl_1', x'00', 3, 30, 1, 2);
    INSERT INTO session_files (session_id, path, sha256, size, mime) VALUES
      ('us_1', 'b/copy.txt', '${'a'.repeat(64)}', 10, 'text/plain'),
      ('us_1', 'a/page.html', '${'a'.repeat(64)}', 10, 'text/html'),
      ('us_1', 'logo.png', '${'b'.repeat(64)}', 20, 'image/png');
  `,
  );

  const db = openDatabase(file);
  t.after(() => db.close());
  assert.deepEqual({ ...db.prepare('PRAGMA user_version').get() }, { user_version: migrations.at(-1)!.version });
  assert.deepEqual(registrations(db), {
    us_1: [
      ['a'.repeat(64), 10, 'text/html'],
      ['b'.repeat(64), 20, 'image/png'],
    ],
  });
  assert.equal(tableExists(db, 'session_files'), false);
  assert.equal(tableExists(db, 'session_blobs'), false);
});

test("migration 5 packs each session's blobs into one row, and a blob PUT after it still gets the registered size and MIME", async (t) => {
  const dataDir = makeDataDir();
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const bytes = Buffer.from('<h1>migrated</h1>');
  const sha = createHash('sha256').update(bytes).digest('hex');
  const uploadToken = 'ustk_migratedmigratedmigratedmigrated';
  const expiresAt = Date.now() + 3_600_000;
  databaseAt(
    dataDirLayout(dataDir).database,
    4,
    `
    INSERT INTO deploys (id, slug, name, created_at, updated_at) VALUES ('dpl_1', 'site', 'Site', 1, 1);
    INSERT INTO upload_sessions (id, deploy_id, token_hash, requested_file_count, requested_bytes, created_at, expires_at)
      VALUES ('us_open', 'dpl_1', x'${hashSecret(uploadToken).toString('hex')}', 2, ${bytes.length + 20}, 1, ${expiresAt}),
             ('us_other', 'dpl_1', x'00', 1, 5, 1, ${expiresAt}),
             ('us_empty', 'dpl_1', x'00', 0, 0, 1, ${expiresAt});
    INSERT INTO session_blobs (session_id, sha256, size, mime) VALUES
      ('us_open', '${'f'.repeat(64)}', 20, 'image/png'),
      ('us_open', '${sha}', ${bytes.length}, 'text/html'),
      ('us_other', '${sha}', 5, 'text/plain');
  `,
  );

  const db = openDatabase(dataDirLayout(dataDir).database);
  assert.deepEqual(registrations(db), {
    // Sorted by sha256; no hash of those bytes sorts after 'f' x 64.
    us_open: [
      [sha, bytes.length, 'text/html'],
      ['f'.repeat(64), 20, 'image/png'],
    ],
    us_other: [[sha, 5, 'text/plain']],
  });
  assert.equal(tableExists(db, 'session_blobs'), false);
  // A fresh Metadata remembers nothing, as after a restart: it unpacks the row, and answers as session_blobs did.
  const metadata = new Metadata(db);
  assert.deepEqual(metadata.sessionBlob('us_open', 'f'.repeat(64)), { size: 20, mime: 'image/png' });
  assert.equal(metadata.sessionBlob('us_open', 'e'.repeat(64)), undefined);
  assert.equal(metadata.sessionBlob('us_empty', sha), undefined);
  db.close();

  const server = await startTestServer({ dataDir });
  t.after(() => server.close());
  const put = await server.request('PUT', `/v1/upload-sessions/us_open/blobs/${sha}`, { uploadToken, raw: bytes });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.deepEqual(put.body.blob, { sha256: sha, size: bytes.length, mime: 'text/html', r2Key: `cas/${sha}` });
  const stranger = await server.request('PUT', `/v1/upload-sessions/us_open/blobs/${'e'.repeat(64)}`, {
    uploadToken,
    raw: bytes,
  });
  assert.equal(stranger.status, 409);
  assert.equal(stranger.body.error, 'blob_not_in_session');
});
