/**
 * The metadata schema, as numbered migrations applied in order at start.
 * Never edit a migration that has shipped: add the next number instead.
 * `PRAGMA user_version` records the last one applied.
 */
export const migrations: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        key_hash BLOB NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      ) STRICT;

      -- seq gives a stable newest-first order for cursors.
      CREATE TABLE deploys (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        slug TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        version_count INTEGER NOT NULL DEFAULT 0
      ) STRICT;

      CREATE TABLE upload_sessions (
        id TEXT PRIMARY KEY,
        deploy_id TEXT NOT NULL REFERENCES deploys(id),
        token_hash BLOB NOT NULL,
        requested_file_count INTEGER NOT NULL,
        requested_bytes INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        deploy_version_id TEXT UNIQUE
      ) STRICT;
      CREATE INDEX upload_sessions_by_expiry ON upload_sessions(expires_at) WHERE deploy_version_id IS NULL;

      CREATE TABLE session_files (
        session_id TEXT NOT NULL REFERENCES upload_sessions(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        mime TEXT NOT NULL,
        PRIMARY KEY (session_id, path)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX session_files_by_sha256 ON session_files(session_id, sha256);

      -- UNIQUE (deploy_id, version_no) is the last guard of gapless, unrepeated numbers.
      CREATE TABLE deploy_versions (
        id TEXT PRIMARY KEY,
        deploy_id TEXT NOT NULL REFERENCES deploys(id),
        version_no INTEGER NOT NULL,
        upload_session_id TEXT NOT NULL UNIQUE REFERENCES upload_sessions(id),
        route TEXT,
        title TEXT,
        render_json TEXT,
        file_count INTEGER NOT NULL,
        total_bytes INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (deploy_id, version_no)
      ) STRICT;

      CREATE TABLE version_files (
        version_id TEXT NOT NULL REFERENCES deploy_versions(id),
        path TEXT NOT NULL,
        blob_sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        mime TEXT NOT NULL,
        PRIMARY KEY (version_id, path)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE aliases (
        deploy_id TEXT NOT NULL REFERENCES deploys(id),
        name TEXT NOT NULL,
        deploy_version_id TEXT NOT NULL REFERENCES deploy_versions(id),
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (deploy_id, name)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE idempotency_keys (
        api_key_id TEXT NOT NULL REFERENCES api_keys(id),
        idempotency_key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (api_key_id, idempotency_key)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);
    `,
  },
  {
    version: 2,
    name: 'API keys are revoked, not kept forever',
    // A key is valid only while it is configured (--api-key, --api-key-file or the generated key);
    // the server marks the others revoked at start. Rows stay, so idempotency_keys' foreign key holds.
    sql: `
      ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;
    `,
  },
  {
    version: 3,
    name: 'render jobs and their PDFs',
    // The queue survives restarts; a PDF's bytes are a blob (content-addressed), its row says whose it is.
    sql: `
      CREATE TABLE render_jobs (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        deploy_version_id TEXT NOT NULL REFERENCES deploy_versions(id),
        status TEXT NOT NULL CHECK (status IN ('queued', 'rendering', 'retry_scheduled', 'succeeded', 'failed')),
        attempts INTEGER NOT NULL,
        next_attempt_at INTEGER,
        pdf_id TEXT,
        error_code TEXT,
        error_message TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX render_jobs_by_version ON render_jobs(deploy_version_id, seq);
      CREATE INDEX render_jobs_waiting ON render_jobs(status, seq) WHERE status IN ('queued', 'retry_scheduled', 'rendering');

      CREATE TABLE pdfs (
        id TEXT PRIMARY KEY,
        render_job_id TEXT NOT NULL UNIQUE REFERENCES render_jobs(id),
        deploy_version_id TEXT NOT NULL REFERENCES deploy_versions(id),
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        page_count INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 4,
    name: "a session's blobs, one row per content",
    // A blob PUT asks only "what size and MIME did the session register for this sha256?": one row per
    // distinct content (its first file by path answers) instead of one per file plus a second index.
    // Registering 20,000 files wrote ~4x the B-tree of this. min(path) picks the values of that row.
    sql: `
      CREATE TABLE session_blobs (
        session_id TEXT NOT NULL REFERENCES upload_sessions(id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        mime TEXT NOT NULL,
        PRIMARY KEY (session_id, sha256)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO session_blobs (session_id, sha256, size, mime)
        SELECT session_id, sha256, size, mime
        FROM (SELECT session_id, sha256, size, mime, min(path) FROM session_files GROUP BY session_id, sha256);
      DROP TABLE session_files;
    `,
  },
  {
    version: 5,
    name: "a session's blobs, one packed row per session",
    // Registering 20,000 contents was 20,000 B-tree inserts at session POST and as many deletes at commit;
    // now one JSON row, [[sha256, size, mime], …] in no set order, written and deleted at once, unpacked only
    // when the server no longer remembers it (a restart). Sorted here only so that the result is reproducible.
    // A rowid table, not WITHOUT ROWID: the row is ~100 bytes per content (MBs for a big deploy), and SQLite
    // advises WITHOUT ROWID only for rows under ~1/20 of a page.
    sql: `
      CREATE TABLE session_registrations (
        session_id TEXT PRIMARY KEY REFERENCES upload_sessions(id) ON DELETE CASCADE,
        blobs TEXT NOT NULL
      ) STRICT;
      INSERT INTO session_registrations (session_id, blobs)
        SELECT session_id, json_group_array(json_array(sha256, size, mime) ORDER BY sha256)
        FROM session_blobs GROUP BY session_id;
      DROP TABLE session_blobs;
    `,
  },
];
