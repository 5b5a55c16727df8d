import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { DeployVersion } from '../src-shared/api-types.ts';

/** Where a deploy goes: an existing deploy, or one created with the first session. */
export type DeployRef = { deployId: string } | { createDeploy: { slug: string; name: string } };

/**
 * A job's state machine. `active` while an engine runs it; `interrupted`
 * after Ctrl-C, pause-and-quit, a crash (found active by the next run) or a
 * retryable failure; `failed` after a refusal a retry cannot fix; `committed`
 * and `abandoned` are final. Every state but the final ones can be resumed.
 */
export type JobStatus = 'active' | 'interrupted' | 'failed' | 'committed' | 'abandoned';

/** What the server last knew of each blob of the job's manifest. */
export type JournalBlobState = 'missing' | 'uploaded' | 'present';

/** One deploy job as the journal keeps it. The upload token is NOT here: it lives in the SecretStore. */
export interface JobRecord {
  id: string;
  folder: string;
  apiUrl: string;
  /** The deploy as the user named it; matched on resume. */
  deploy: DeployRef;
  /** The deploy's id once known (at once for `deployId`, after the first session for `createDeploy`). */
  deployId: string | null;
  status: JobStatus;
  /** sha256 of the manifest the session was created with; a different folder content needs a new session. */
  manifestDigest: string | null;
  sessionId: string | null;
  sessionExpiresAt: number | null;
  /** Idempotency keys, kept so a retry after a crash repeats the same request. */
  createKey: string;
  commitKey: string;
  fileCount: number;
  totalBytes: number;
  deployVersion: DeployVersion | null;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

/** How far a job got: blobs and bytes the server holds, of all the job needs. */
export interface JobProgress {
  blobCount: number;
  storedBlobCount: number;
  bytes: number;
  storedBytes: number;
}

interface JobRow {
  id: string;
  folder: string;
  api_url: string;
  deploy_json: string;
  deploy_id: string | null;
  status: JobStatus;
  manifest_digest: string | null;
  session_id: string | null;
  session_expires_at: number | null;
  create_key: string;
  commit_key: string;
  file_count: number;
  total_bytes: number;
  deploy_version_json: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

const MIGRATIONS = [
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
];

/**
 * The resume journal: a SQLite file (WAL, synchronous=FULL) that records
 * each deploy job as it goes, so that after a kill, a crash or a reboot the
 * same deploy continues where it stopped.
 */
export class DeployJournal {
  readonly #db: DatabaseSync;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Opens (or creates) the journal file and applies its migrations. */
  static open(file: string): DeployJournal {
    mkdirSync(dirname(file), { recursive: true });
    const db = new DatabaseSync(file, { enableForeignKeyConstraints: true, timeout: 5_000 });
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    if (version > MIGRATIONS.length) {
      db.close();
      throw new Error(`The deploy journal ${file} was written by a newer PressDrop; upgrade, or use another --state-dir.`);
    }
    MIGRATIONS.slice(version).forEach((sql, i) => {
      db.exec('BEGIN IMMEDIATE');
      db.exec(sql);
      db.exec(`PRAGMA user_version = ${version + i + 1}`);
      db.exec('COMMIT');
    });
    return new DeployJournal(db);
  }

  /** A new active job for `folder` → `deploy` on `apiUrl`. */
  createJob(folder: string, apiUrl: string, deploy: DeployRef, now = Date.now()): JobRecord {
    const id = `job_${randomUUID()}`;
    this.#db
      .prepare('INSERT INTO jobs (id, folder, api_url, deploy_json, deploy_id, status, create_key, commit_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, folder, apiUrl, JSON.stringify(deploy), 'deployId' in deploy ? deploy.deployId : null, 'active', newKey('create'), newKey('commit'), now, now);
    return this.job(id)!;
  }

  job(id: string): JobRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row && toJob(row);
  }

  /** The newest unfinished job for this folder, server and deploy, if any. */
  findResumable(folder: string, apiUrl: string, deploy: DeployRef): JobRecord | undefined {
    return this.listResumable().find((job) => job.folder === folder && job.apiUrl === apiUrl && sameDeploy(job.deploy, deploy));
  }

  /** Every job that can still be resumed, newest first. */
  listResumable(): JobRecord[] {
    const rows = this.#db.prepare("SELECT * FROM jobs WHERE status NOT IN ('committed', 'abandoned') ORDER BY updated_at DESC").all() as unknown as JobRow[];
    return rows.map(toJob);
  }

  setStatus(id: string, status: JobStatus, error: string | null = null, now = Date.now()): void {
    this.#db.prepare('UPDATE jobs SET status = ?, error = ?, updated_at = ? WHERE id = ?').run(status, error, now, id);
  }

  /** Once the deploy exists (after a createDeploy session), later sessions of the job target it by id. */
  setDeployId(id: string, deployId: string, now = Date.now()): void {
    this.#db.prepare('UPDATE jobs SET deploy_id = ?, updated_at = ? WHERE id = ?').run(deployId, now, id);
  }

  /**
   * Records the plan: the manifest's digest and totals, and every blob the
   * manifest needs with what the server said of it. Fresh idempotency keys
   * come with a fresh plan; the session is forgotten until `recordSession`.
   */
  recordPlan(id: string, plan: { manifestDigest: string; fileCount: number; totalBytes: number; blobs: ReadonlyArray<{ sha256: string; size: number }> }, now = Date.now()): void {
    this.#transaction(() => {
      this.#db
        .prepare('UPDATE jobs SET manifest_digest = ?, file_count = ?, total_bytes = ?, session_id = NULL, session_expires_at = NULL, create_key = ?, commit_key = ?, updated_at = ? WHERE id = ?')
        .run(plan.manifestDigest, plan.fileCount, plan.totalBytes, newKey('create'), newKey('commit'), now, id);
      const known = new Map((this.#db.prepare('SELECT sha256, state FROM job_blobs WHERE job_id = ?').all(id) as Array<{ sha256: string; state: JournalBlobState }>).map((r) => [r.sha256, r.state]));
      this.#db.prepare('DELETE FROM job_blobs WHERE job_id = ?').run(id);
      const insert = this.#db.prepare('INSERT OR IGNORE INTO job_blobs (job_id, sha256, size, state) VALUES (?, ?, ?, ?)');
      for (const blob of plan.blobs) insert.run(id, blob.sha256, blob.size, known.get(blob.sha256) ?? 'missing');
    });
  }

  recordSession(id: string, sessionId: string, expiresAt: number, now = Date.now()): void {
    this.#db.prepare('UPDATE jobs SET session_id = ?, session_expires_at = ?, updated_at = ? WHERE id = ?').run(sessionId, expiresAt, now, id);
  }

  /** Sets the state of several blobs in one transaction (the pipeline batches confirmations). */
  setBlobStates(id: string, updates: ReadonlyArray<{ sha256: string; state: JournalBlobState }>): void {
    if (updates.length === 0) return;
    this.#transaction(() => {
      const update = this.#db.prepare('UPDATE job_blobs SET state = ? WHERE job_id = ? AND sha256 = ?');
      for (const { sha256, state } of updates) update.run(state, id, sha256);
    });
  }

  blobStates(id: string): Map<string, JournalBlobState> {
    const rows = this.#db.prepare('SELECT sha256, state FROM job_blobs WHERE job_id = ?').all(id) as Array<{ sha256: string; state: JournalBlobState }>;
    return new Map(rows.map((row) => [row.sha256, row.state]));
  }

  progress(id: string): JobProgress {
    const row = this.#db
      .prepare(
        `SELECT count(*) AS blobCount, coalesce(sum(size), 0) AS bytes,
                coalesce(sum(state != 'missing'), 0) AS storedBlobCount,
                coalesce(sum(CASE WHEN state != 'missing' THEN size ELSE 0 END), 0) AS storedBytes
         FROM job_blobs WHERE job_id = ?`,
      )
      .get(id) as unknown as JobProgress;
    return { blobCount: row.blobCount, storedBlobCount: row.storedBlobCount, bytes: row.bytes, storedBytes: row.storedBytes };
  }

  markCommitted(id: string, deployVersion: DeployVersion, now = Date.now()): void {
    this.#transaction(() => {
      this.#db.prepare("UPDATE jobs SET status = 'committed', deploy_version_json = ?, error = NULL, updated_at = ? WHERE id = ?").run(JSON.stringify(deployVersion), now, id);
      // A committed job needs no per-blob memory any more.
      this.#db.prepare('DELETE FROM job_blobs WHERE job_id = ?').run(id);
    });
  }

  close(): void {
    this.#db.close();
  }

  #transaction(work: () => void): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      work();
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }
}

function newKey(kind: 'create' | 'commit'): string {
  return `pressdrop-${kind}-${randomUUID()}`;
}

function sameDeploy(a: DeployRef, b: DeployRef): boolean {
  if ('deployId' in a && 'deployId' in b) return a.deployId === b.deployId;
  if ('createDeploy' in a && 'createDeploy' in b) return a.createDeploy.slug === b.createDeploy.slug;
  return false;
}

function toJob(row: JobRow): JobRecord {
  return {
    id: row.id,
    folder: row.folder,
    apiUrl: row.api_url,
    deploy: JSON.parse(row.deploy_json) as DeployRef,
    deployId: row.deploy_id,
    status: row.status,
    manifestDigest: row.manifest_digest,
    sessionId: row.session_id,
    sessionExpiresAt: row.session_expires_at,
    createKey: row.create_key,
    commitKey: row.commit_key,
    fileCount: row.file_count,
    totalBytes: row.total_bytes,
    deployVersion: row.deploy_version_json === null ? null : (JSON.parse(row.deploy_version_json) as DeployVersion),
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
