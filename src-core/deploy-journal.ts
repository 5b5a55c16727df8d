import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { DeployVersion } from '../src-shared/api-types.ts';
import { JOURNAL_MIGRATIONS, type JobRow } from './deploy-journal-schema.ts';
import { migrateStateDatabase, openStateDatabase } from './sqlite-file.ts';

/** Where a deploy goes: an existing deploy, or one the job creates (POST /v1/deploys) before its first session. */
export type DeployRef = { deployId: string } | { createDeploy: { slug: string; name: string } };

/**
 * A job's state machine. `active` while a process runs it (`ownerPid`;
 * found active with that process gone, it was killed); `interrupted` after
 * Ctrl-C, pause-and-quit or a retryable failure; `failed` after a refusal a
 * retry cannot fix, once the job has left something on the server (its
 * deploy, a session) that a later run continues; `refused` when a resume
 * cannot help (the slug is someone else's; or it failed before anything was
 * sent); `committed` and `abandoned` by choice. `refused`, `committed` and
 * `abandoned` are final; the others can be resumed.
 */
export type JobStatus = 'active' | 'interrupted' | 'failed' | 'refused' | 'committed' | 'abandoned';

const FINAL_STATUSES: readonly JobStatus[] = ['refused', 'committed', 'abandoned'];

/**
 * An active job its process has not touched (see `heartbeat`) for this long
 * is taken for dead even if a process with its pid exists: after a reboot,
 * pids are handed out again, to processes that are not PressDrop.
 */
export const ACTIVE_JOB_STALE_MS = 30_000;

/** What the server last knew of each blob of the job's manifest. */
export type JournalBlobState = 'missing' | 'uploaded' | 'present';

/** The job's create-type requests whose Idempotency-Key is kept with the digest of what it was sent with. */
export type KeyedRequestKind = 'session' | 'commit';

/**
 * An Idempotency-Key and the digest of the exact request (method, path,
 * body) it goes with: the server replays a key's first answer only to the
 * very same request, and answers any other with 409.
 */
export interface KeyedRequest {
  key: string;
  /** Null until the key is first about to be sent. */
  digest: string | null;
}

/** One deploy job as the journal keeps it. The upload token is NOT here: it lives in the SecretStore. */
export interface JobRecord {
  id: string;
  /** The folder's real path. */
  folder: string;
  apiUrl: string;
  /** The deploy as the user named it; matched on resume. */
  deploy: DeployRef;
  /**
   * The deploy's id: the one the user named, or for `createDeploy` the one
   * the server answered to this job's own POST /v1/deploys, never one found
   * by slug (a slug may be someone else's).
   */
  deployId: string | null;
  status: JobStatus;
  /** The process that runs (or last ran) the job. */
  ownerPid: number | null;
  /** sha256 of the manifest the session was created with; a different folder content needs a new session. */
  manifestDigest: string | null;
  sessionId: string | null;
  sessionExpiresAt: number | null;
  /** Idempotency-Key of POST /v1/deploys: its body (slug and name) never changes within a job. */
  deployKey: string;
  session: KeyedRequest;
  commit: KeyedRequest;
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

/** Why a job cannot be taken up: not there, finished, or being deployed by a live process. */
export class JobUnavailableError extends Error {}

/**
 * The resume journal: a SQLite file (WAL, synchronous=FULL, 0600) that
 * records each deploy job as it goes, so that after a kill, a crash or a
 * reboot the same deploy continues where it stopped. Several processes may
 * share it: each step is one transaction, and a job is claimed by one
 * process at a time.
 */
export class DeployJournal {
  readonly #db: DatabaseSync;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Opens (or creates) the journal file and applies its migrations. */
  static open(file: string): DeployJournal {
    const db = openStateDatabase(file, { synchronous: 'FULL', foreignKeys: true });
    try {
      migrateStateDatabase(
        db,
        JOURNAL_MIGRATIONS,
        () => `The deploy journal ${file} was written by a newer PressDrop; upgrade, or use another --state-dir.`,
      );
    } catch (error) {
      db.close();
      throw error;
    }
    return new DeployJournal(db);
  }

  /** A new job for `folder` → `deploy` on `apiUrl`, active in this process. */
  createJob(folder: string, apiUrl: string, deploy: DeployRef, now = Date.now()): JobRecord {
    const id = `job_${randomUUID()}`;
    this.#db
      .prepare(
        `INSERT INTO jobs (id, folder, api_url, deploy_json, deploy_id, status, owner_pid, deploy_key, session_key, commit_key, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        folder,
        apiUrl,
        JSON.stringify(deploy),
        'deployId' in deploy ? deploy.deployId : null,
        process.pid,
        newKey('deploy'),
        newKey('session'),
        newKey('commit'),
        now,
        now,
      );
    return this.job(id)!;
  }

  /**
   * Takes up the newest unfinished job for this folder, server and deploy
   * that no live process is running, or starts a new one: one transaction,
   * so two processes never take the same job.
   */
  claim(
    folder: string,
    apiUrl: string,
    deploy: DeployRef,
    isRunning: (pid: number) => boolean = isProcessRunning,
    now = Date.now(),
  ): { job: JobRecord; resumed: boolean } {
    return this.#transaction(() => {
      const found = this.listResumable().find(
        (job) =>
          job.folder === folder &&
          job.apiUrl === apiUrl &&
          sameDeploy(job.deploy, deploy) &&
          !isJobRunning(job, isRunning, now),
      );
      if (!found) return { job: this.createJob(folder, apiUrl, deploy, now), resumed: false };
      this.#own(found.id, now);
      return { job: this.job(found.id)!, resumed: true };
    });
  }

  /** Takes up one job by id; JobUnavailableError, in words, if it is unknown, finished, or run by a live process. */
  claimJob(id: string, isRunning: (pid: number) => boolean = isProcessRunning, now = Date.now()): JobRecord {
    return this.#transaction(() => {
      const job = this.job(id);
      if (!job)
        throw new JobUnavailableError(
          `No deploy job ${id} in the journal; \`pressdrop resume --list\` shows those there are.`,
        );
      if (FINAL_STATUSES.includes(job.status))
        throw new JobUnavailableError(`Deploy job ${id} is ${job.status}: there is nothing to resume.`);
      if (isJobRunning(job, isRunning, now))
        throw new JobUnavailableError(
          `Deploy job ${id} is being deployed right now by process ${job.ownerPid}; let it finish, or stop it first.`,
        );
      this.#own(id, now);
      return this.job(id)!;
    });
  }

  job(id: string): JobRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row && toJob(row);
  }

  /** The newest unfinished job for this folder, server and deploy, if any. */
  findResumable(folder: string, apiUrl: string, deploy: DeployRef): JobRecord | undefined {
    return this.listResumable().find(
      (job) => job.folder === folder && job.apiUrl === apiUrl && sameDeploy(job.deploy, deploy),
    );
  }

  /** Every job not in a final state, newest first (active ones included: the caller asks whether their process lives). */
  listResumable(): JobRecord[] {
    const rows = this.#db
      .prepare(
        "SELECT * FROM jobs WHERE status NOT IN ('committed', 'abandoned', 'refused') ORDER BY updated_at DESC, rowid DESC",
      )
      .all() as unknown as JobRow[];
    return rows.map(toJob);
  }

  /** Says the job's process is still at it: an active job not touched for ACTIVE_JOB_STALE_MS is taken for dead. */
  heartbeat(id: string, now = Date.now()): void {
    this.#db
      .prepare("UPDATE jobs SET updated_at = ? WHERE id = ? AND status = 'active' AND owner_pid = ?")
      .run(now, id, process.pid);
  }

  setStatus(id: string, status: JobStatus, error: string | null = null, now = Date.now()): void {
    this.#db.prepare('UPDATE jobs SET status = ?, error = ?, updated_at = ? WHERE id = ?').run(status, error, now, id);
  }

  /** The deploy a `createDeploy` job's own POST /v1/deploys was answered with; later sessions target it by id. */
  setDeployId(id: string, deployId: string, now = Date.now()): void {
    this.#db.prepare('UPDATE jobs SET deploy_id = ?, updated_at = ? WHERE id = ?').run(deployId, now, id);
  }

  /**
   * Records the plan: the manifest's digest and totals, and every blob the
   * manifest needs with what the server said of it (kept for blobs already
   * known). A new manifest forgets the session, which was made for the old one.
   */
  recordPlan(
    id: string,
    plan: {
      manifestDigest: string;
      fileCount: number;
      totalBytes: number;
      blobs: ReadonlyArray<{ sha256: string; size: number }>;
    },
    now = Date.now(),
  ): void {
    this.#transaction(() => {
      this.#db
        .prepare(
          `UPDATE jobs SET session_id = CASE WHEN manifest_digest IS ? THEN session_id END, session_expires_at = CASE WHEN manifest_digest IS ? THEN session_expires_at END,
             manifest_digest = ?, file_count = ?, total_bytes = ?, updated_at = ? WHERE id = ?`,
        )
        .run(plan.manifestDigest, plan.manifestDigest, plan.manifestDigest, plan.fileCount, plan.totalBytes, now, id);
      const known = new Map(
        (
          this.#db.prepare('SELECT sha256, state FROM job_blobs WHERE job_id = ?').all(id) as Array<{
            sha256: string;
            state: JournalBlobState;
          }>
        ).map((r) => [r.sha256, r.state]),
      );
      this.#db.prepare('DELETE FROM job_blobs WHERE job_id = ?').run(id);
      const insert = this.#db.prepare(
        'INSERT OR IGNORE INTO job_blobs (job_id, sha256, size, state) VALUES (?, ?, ?, ?)',
      );
      for (const blob of plan.blobs) insert.run(id, blob.sha256, blob.size, known.get(blob.sha256) ?? 'missing');
    });
  }

  /**
   * The Idempotency-Key to send the request whose digest is `digest` with,
   * recorded (durably) before it is sent. The same request as the one last
   * recorded keeps its key, so the server replays its first answer (`repeat`);
   * any other request gets a new key: a key is never sent with other bytes.
   */
  requestKey(id: string, kind: KeyedRequestKind, digest: string, now = Date.now()): { key: string; repeat: boolean } {
    return this.#transaction(() => {
      const current = this.job(id)![kind];
      if (current.digest === digest) return { key: current.key, repeat: true };
      const key = newKey(kind);
      this.#db
        .prepare(`UPDATE jobs SET ${kind}_key = ?, ${kind}_digest = ?, updated_at = ? WHERE id = ?`)
        .run(key, digest, now, id);
      return { key, repeat: false };
    });
  }

  /** Forgets what a request's key was sent with: the next one, even the same bytes, goes under a new key (its session expired). */
  forgetRequest(id: string, kind: KeyedRequestKind, now = Date.now()): void {
    this.#db.prepare(`UPDATE jobs SET ${kind}_digest = NULL, updated_at = ? WHERE id = ?`).run(now, id);
  }

  recordSession(id: string, sessionId: string, expiresAt: number, now = Date.now()): void {
    this.#db
      .prepare('UPDATE jobs SET session_id = ?, session_expires_at = ?, updated_at = ? WHERE id = ?')
      .run(sessionId, expiresAt, now, id);
  }

  /** The session is gone (expired, unknown to the server): the next run needs another. */
  forgetSession(id: string, now = Date.now()): void {
    this.#db
      .prepare('UPDATE jobs SET session_id = NULL, session_expires_at = NULL, updated_at = ? WHERE id = ?')
      .run(now, id);
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
    const rows = this.#db.prepare('SELECT sha256, state FROM job_blobs WHERE job_id = ?').all(id) as Array<{
      sha256: string;
      state: JournalBlobState;
    }>;
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
    return {
      blobCount: row.blobCount,
      storedBlobCount: row.storedBlobCount,
      bytes: row.bytes,
      storedBytes: row.storedBytes,
    };
  }

  markCommitted(id: string, deployVersion: DeployVersion, now = Date.now()): void {
    this.#transaction(() => {
      this.#db
        .prepare(
          "UPDATE jobs SET status = 'committed', deploy_version_json = ?, error = NULL, updated_at = ? WHERE id = ?",
        )
        .run(JSON.stringify(deployVersion), now, id);
      // A committed job needs no per-blob memory any more.
      this.#db.prepare('DELETE FROM job_blobs WHERE job_id = ?').run(id);
    });
  }

  close(): void {
    this.#db.close();
  }

  #own(id: string, now: number): void {
    this.#db
      .prepare("UPDATE jobs SET status = 'active', owner_pid = ?, updated_at = ? WHERE id = ?")
      .run(process.pid, now, id);
  }

  #transaction<T>(work: () => T): T {
    // Nested calls (claim → createJob) join the transaction already open.
    if (this.#db.isTransaction) return work();
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }
}

function newKey(kind: 'deploy' | KeyedRequestKind): string {
  return `pressdrop-${kind}-${randomUUID()}`;
}

/**
 * Whether a process is deploying this job right now, so that no other run
 * may take it: active, touched by its process lately, and that process alive.
 */
export function isJobRunning(
  job: JobRecord,
  isRunning: (pid: number) => boolean = isProcessRunning,
  now = Date.now(),
): boolean {
  return (
    job.status === 'active' &&
    job.ownerPid !== null &&
    now - job.updatedAt < ACTIVE_JOB_STALE_MS &&
    isRunning(job.ownerPid)
  );
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
    status: row.status as JobStatus,
    ownerPid: row.owner_pid,
    manifestDigest: row.manifest_digest,
    sessionId: row.session_id,
    sessionExpiresAt: row.session_expires_at,
    deployKey: row.deploy_key,
    session: { key: row.session_key, digest: row.session_digest },
    commit: { key: row.commit_key, digest: row.commit_digest },
    fileCount: row.file_count,
    totalBytes: row.total_bytes,
    deployVersion: row.deploy_version_json === null ? null : (JSON.parse(row.deploy_version_json) as DeployVersion),
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Whether a process with this id exists (one owned by another user counts). */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
