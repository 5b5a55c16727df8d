/**
 * A session's registered blobs live in one packed row: what a blob PUT
 * asks of them is answered the same before and after a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from './database.ts';
import { Metadata, type SessionRow } from './metadata.ts';
import { makeDataDir } from './testing/test-server.ts';

test("after a restart, a session's blobs are unpacked once and then remembered", (t) => {
  const dataDir = makeDataDir();
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const db = openDatabase(join(dataDir, 'meta.sqlite'));
  t.after(() => db.close());
  const session: SessionRow = {
    id: 'us_1',
    deploy_id: 'dpl_1',
    token_hash: new Uint8Array(32),
    requested_file_count: 3,
    requested_bytes: 40,
    created_at: 1,
    expires_at: Date.now() + 3_600_000,
    deploy_version_id: null,
  };
  db.exec("INSERT INTO deploys (id, slug, name, created_at, updated_at) VALUES ('dpl_1', 'site', 'Site', 1, 1)");
  new Metadata(db).insertSession(
    session,
    new Map([
      ['a'.repeat(64), { size: 10, mime: 'text/html' }],
      ['b'.repeat(64), { size: 20, mime: 'image/png' }],
    ]),
  );
  assert.equal(db.prepare('SELECT count(*) AS n FROM session_registrations').get()!.n, 1, 'one row per session');

  const restarted = new Metadata(db);
  assert.deepEqual(restarted.sessionBlob('us_1', 'a'.repeat(64)), { size: 10, mime: 'text/html' });
  assert.equal(restarted.sessionBlob('us_1', 'c'.repeat(64)), undefined);
  // Remembered: the next PUTs neither read nor parse the row again.
  db.exec('DELETE FROM session_registrations');
  assert.deepEqual(restarted.sessionBlob('us_1', 'b'.repeat(64)), { size: 20, mime: 'image/png' });

  restarted.markSessionCommitted('us_1', 'dv_1');
  assert.equal(restarted.sessionBlob('us_1', 'b'.repeat(64)), undefined, 'a committed session registers nothing');
});
