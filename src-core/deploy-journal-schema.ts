/**
 * The resume journal's schema, as migrations applied in order (`PRAGMA
 * user_version` counts those applied). Append, never edit: a journal an
 * older PressDrop wrote upgrades in place, its jobs kept.
 */
export const JOURNAL_MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     folder TEXT NOT NULL,
     api_url TEXT NOT NULL,
     deploy_json TEXT NOT NULL,
     deploy_id TEXT,
     status TEXT NOT NULL CHECK (status IN ('active', 'interrupted', 'failed', 'committed', 'abandoned')),
     manifest_digest TEXT,
     session_id TEXT,
     session_expires_at INTEGER,
     create_key TEXT NOT NULL,
     commit_key TEXT NOT NULL,
     file_count INTEGER NOT NULL DEFAULT 0,
     total_bytes INTEGER NOT NULL DEFAULT 0,
     deploy_version_json TEXT,
     error TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX jobs_resumable ON jobs(folder, api_url) WHERE status NOT IN ('committed', 'abandoned');
   CREATE TABLE job_blobs (
     job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
     sha256 TEXT NOT NULL,
     size INTEGER NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('missing', 'uploaded', 'present')),
     PRIMARY KEY (job_id, sha256)
   ) STRICT, WITHOUT ROWID;`,

  // Issue 9. A final `refused` status (a job a resume cannot help, e.g. its slug is someone else's);
  // the pid of the process running an active job, so a second process does not take it over; the
  // key of the job's own POST /v1/deploys; and, beside each create-type request's idempotency key,
  // the digest of the exact request first sent with it, so a key is only ever repeated with those
  // very bytes. Rebuilt, since SQLite cannot change a CHECK. Old jobs get new keys (what their old
  // keys were sent with is unknown, and a key sent with other bytes is a 409); their recorded
  // session stays usable, found by the manifest it was made for.
  `CREATE TABLE jobs_v2 (
     id TEXT PRIMARY KEY,
     folder TEXT NOT NULL,
     api_url TEXT NOT NULL,
     deploy_json TEXT NOT NULL,
     deploy_id TEXT,
     status TEXT NOT NULL CHECK (status IN ('active', 'interrupted', 'failed', 'refused', 'committed', 'abandoned')),
     owner_pid INTEGER,
     manifest_digest TEXT,
     session_id TEXT,
     session_expires_at INTEGER,
     deploy_key TEXT NOT NULL,
     session_key TEXT NOT NULL,
     session_digest TEXT,
     commit_key TEXT NOT NULL,
     commit_digest TEXT,
     file_count INTEGER NOT NULL DEFAULT 0,
     total_bytes INTEGER NOT NULL DEFAULT 0,
     deploy_version_json TEXT,
     error TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   ) STRICT;
   INSERT INTO jobs_v2 (id, folder, api_url, deploy_json, deploy_id, status, owner_pid, manifest_digest, session_id, session_expires_at,
                        deploy_key, session_key, session_digest, commit_key, commit_digest,
                        file_count, total_bytes, deploy_version_json, error, created_at, updated_at)
     SELECT id, folder, api_url, deploy_json, deploy_id, status, NULL, manifest_digest, session_id, session_expires_at,
            'pressdrop-deploy-' || lower(hex(randomblob(16))), 'pressdrop-session-' || lower(hex(randomblob(16))), NULL,
            'pressdrop-commit-' || lower(hex(randomblob(16))), NULL,
            file_count, total_bytes, deploy_version_json, error, created_at, updated_at
     FROM jobs;
   DROP TABLE jobs;
   ALTER TABLE jobs_v2 RENAME TO jobs;
   CREATE INDEX jobs_resumable ON jobs(folder, api_url) WHERE status NOT IN ('committed', 'abandoned', 'refused');`,

  // Issue 11. A job deploys to a target of some kind (Press Cloud, Slideless, Cloudflare): the journal
  // keeps its destination (key, to match a resume; JSON, to show and reopen it) and the adapter's own
  // state as opaque JSON. Press Cloud's columns (its deploy, session and request keys) become that
  // state as they were, so a job interrupted before the upgrade resumes with the same keys and session.
  // Per-blob states are named by `hash` (the target's kind of hash, SHA-256 for every older job).
  `CREATE TABLE jobs_v3 (
     id TEXT PRIMARY KEY,
     folder TEXT NOT NULL,
     target_kind TEXT NOT NULL,
     api_url TEXT NOT NULL,
     destination_key TEXT NOT NULL,
     destination_json TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('active', 'interrupted', 'failed', 'refused', 'committed', 'abandoned')),
     owner_pid INTEGER,
     manifest_digest TEXT,
     target_state_json TEXT,
     file_count INTEGER NOT NULL DEFAULT 0,
     total_bytes INTEGER NOT NULL DEFAULT 0,
     deploy_version_json TEXT,
     error TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   ) STRICT;
   INSERT INTO jobs_v3 (id, folder, target_kind, api_url, destination_key, destination_json, status, owner_pid,
                        manifest_digest, target_state_json, file_count, total_bytes, deploy_version_json, error,
                        created_at, updated_at)
     SELECT id, folder, 'press-cloud', api_url, destination_key,
            json_object('key', destination_key,
                        'name', coalesce(deploy_json ->> '$.createDeploy.name', deploy_json ->> '$.deployId'),
                        'id', deploy_json ->> '$.deployId',
                        'slug', deploy_json ->> '$.createDeploy.slug',
                        'details', json_object('deploy', json(deploy_json))),
            status, owner_pid, manifest_digest,
            json_object('deployId', deploy_id,
                        'deployKey', deploy_key,
                        'session', CASE WHEN session_id IS NULL THEN NULL
                                   ELSE json_object('id', session_id, 'expiresAt', session_expires_at,
                                                    'manifestDigest', manifest_digest) END,
                        'sessionRequest', json_object('key', session_key, 'digest', session_digest),
                        'commitRequest', json_object('key', commit_key, 'digest', commit_digest)),
            file_count, total_bytes, deploy_version_json, error, created_at, updated_at
     FROM (SELECT *, CASE WHEN deploy_json ->> '$.deployId' IS NOT NULL THEN 'deploy:' || (deploy_json ->> '$.deployId')
                          ELSE 'create:' || (deploy_json ->> '$.createDeploy.slug') END AS destination_key
           FROM jobs);
   DROP TABLE jobs;
   ALTER TABLE jobs_v3 RENAME TO jobs;
   CREATE INDEX jobs_resumable ON jobs(folder, api_url) WHERE status NOT IN ('committed', 'abandoned', 'refused');
   ALTER TABLE job_blobs RENAME COLUMN sha256 TO hash;`,

  // Issue 12. A plan's blobs are one row per job (JSON [[hash, size], …]), and what the server confirmed
  // of them one row per batch of confirmations (JSON [[hash, state], …]), appended: a no-op re-deploy's
  // 20,000 "present" are one row, and a first deploy's confirmations touch no row written before, where
  // a row per blob, keyed by hash, had each batch rewrite pages all over the table. A blob of the plan
  // without a confirmation is missing.
  `CREATE TABLE job_plans (
     job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
     blobs_json TEXT NOT NULL
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE job_blob_marks (
     job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
     marks_json TEXT NOT NULL
   ) STRICT;
   CREATE INDEX job_blob_marks_job ON job_blob_marks(job_id);
   INSERT INTO job_plans (job_id, blobs_json)
     SELECT job_id, json_group_array(json_array(hash, size)) FROM job_blobs GROUP BY job_id;
   INSERT INTO job_blob_marks (job_id, marks_json)
     SELECT job_id, json_group_array(json_array(hash, state)) FROM job_blobs WHERE state != 'missing' GROUP BY job_id;
   DROP TABLE job_blobs;`,
];

/** A `jobs` row as SQLite returns it. */
export interface JobRow {
  id: string;
  folder: string;
  target_kind: string;
  api_url: string;
  destination_key: string;
  destination_json: string;
  status: string;
  owner_pid: number | null;
  manifest_digest: string | null;
  target_state_json: string | null;
  file_count: number;
  total_bytes: number;
  deploy_version_json: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}
