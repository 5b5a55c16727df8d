import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type {
  Alias,
  Deploy,
  DeployVersion,
  DeployVersionDetail,
  DeployVersionSummary,
  RenderConfig,
  UploadSession,
  VersionEntry,
} from '../src-shared/api-types.ts';
import { statementCache } from './database.ts';
import { RecentSessions, type RegisteredBlob } from './recent-sessions.ts';

/** A `deploys` row. */
export interface DeployRow {
  seq: number;
  id: string;
  slug: string;
  name: string;
  created_at: number;
  updated_at: number;
  version_count: number;
}

/** A `deploy_versions` row. */
export interface VersionRow {
  id: string;
  deploy_id: string;
  version_no: number;
  upload_session_id: string;
  route: string | null;
  title: string | null;
  render_json: string | null;
  file_count: number;
  total_bytes: number;
  created_at: number;
}

/** An `upload_sessions` row. */
export interface SessionRow {
  id: string;
  deploy_id: string;
  token_hash: Uint8Array;
  requested_file_count: number;
  requested_bytes: number;
  created_at: number;
  expires_at: number;
  deploy_version_id: string | null;
}

/** A `version_files` row. */
export interface VersionFileRow {
  path: string;
  blob_sha256: string;
  size: number;
  mime: string;
}

/** An `aliases` row. */
export interface AliasRow {
  deploy_id: string;
  name: string;
  deploy_version_id: string;
  updated_at: number;
}

/**
 * The SQL of the metadata database, one method per question or change, and
 * the mapping from rows to the contract's JSON shapes. Write methods expect
 * to run inside `inTransaction`.
 */
export class Metadata {
  readonly db: DatabaseSync;
  readonly #sql: (sql: string) => StatementSync;
  /** Key id by key hash (hex), of keys found valid; forgotten whenever keys change. */
  readonly #apiKeyIds = new Map<string, string>();
  readonly #recentSessions = new RecentSessions<SessionRow>();

  constructor(db: DatabaseSync) {
    this.db = db;
    this.#sql = statementCache(db);
  }

  // --- API keys ---------------------------------------------------------

  /** The id of the key with this hash, if it is not revoked. */
  apiKeyIdByHash(keyHash: Uint8Array): string | undefined {
    // Asked at every request: remembered once found valid. Keys change only through keepOnlyApiKey.
    const hex = Buffer.from(keyHash.buffer, keyHash.byteOffset, keyHash.byteLength).toString('hex');
    const known = this.#apiKeyIds.get(hex);
    if (known !== undefined) return known;
    const id = (
      this.#sql('SELECT id FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL').get(keyHash) as
        { id: string } | undefined
    )?.id;
    if (id !== undefined && !this.db.isTransaction) this.#apiKeyIds.set(hex, id);
    return id;
  }

  /**
   * Makes the key with this hash the only valid one: it is added (or
   * un-revoked), every other key is revoked, and the idempotent results of
   * revoked keys are dropped (they were sealed for a key that no longer
   * opens anything).
   */
  keepOnlyApiKey(newKeyId: string, keyHash: Uint8Array, now: number): void {
    this.#apiKeyIds.clear();
    this.#sql('UPDATE api_keys SET revoked_at = ? WHERE revoked_at IS NULL AND key_hash <> ?').run(now, keyHash);
    this.#sql(
      'INSERT INTO api_keys (id, key_hash, created_at) VALUES (?, ?, ?) ON CONFLICT (key_hash) DO UPDATE SET revoked_at = NULL',
    ).run(newKeyId, keyHash, now);
    this.#sql(
      'DELETE FROM idempotency_keys WHERE api_key_id IN (SELECT id FROM api_keys WHERE revoked_at IS NOT NULL)',
    ).run();
  }

  // --- deploys ----------------------------------------------------------

  deployById(id: string): DeployRow | undefined {
    return this.#sql('SELECT * FROM deploys WHERE id = ?').get(id) as DeployRow | undefined;
  }

  deployBySlug(slug: string): DeployRow | undefined {
    return this.#sql('SELECT * FROM deploys WHERE slug = ?').get(slug) as DeployRow | undefined;
  }

  insertDeploy(id: string, slug: string, name: string, now: number): DeployRow {
    this.#sql('INSERT INTO deploys (id, slug, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(
      id,
      slug,
      name,
      now,
      now,
    );
    return this.deployById(id)!;
  }

  /** Newest first; `beforeSeq` is the cursor key. Fetches `limit` rows. */
  listDeploys(beforeSeq: number | null, limit: number): DeployRow[] {
    return this.#sql('SELECT * FROM deploys WHERE seq < ? ORDER BY seq DESC LIMIT ?').all(
      beforeSeq ?? Number.MAX_SAFE_INTEGER,
      limit,
    ) as unknown as DeployRow[];
  }

  toDeploy(row: DeployRow): Deploy {
    const latest = this.#sql('SELECT * FROM deploy_versions WHERE deploy_id = ? AND version_no = ?').get(
      row.id,
      row.version_count,
    ) as VersionRow | undefined;
    return {
      id: row.id,
      slug: row.slug,
      name: row.name,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      versionCount: row.version_count,
      latestVersion: latest ? toDeployVersion(latest) : null,
    };
  }

  // --- versions ---------------------------------------------------------

  versionById(id: string): VersionRow | undefined {
    return this.#sql('SELECT * FROM deploy_versions WHERE id = ?').get(id) as VersionRow | undefined;
  }

  versionByNumber(deployId: string, versionNo: number): VersionRow | undefined {
    return this.#sql('SELECT * FROM deploy_versions WHERE deploy_id = ? AND version_no = ?').get(
      deployId,
      versionNo,
    ) as VersionRow | undefined;
  }

  /** Newest first; `beforeVersionNo` is the cursor key. */
  listVersions(deployId: string, beforeVersionNo: number | null, limit: number): VersionRow[] {
    return this.#sql(
      'SELECT * FROM deploy_versions WHERE deploy_id = ? AND version_no < ? ORDER BY version_no DESC LIMIT ?',
    ).all(deployId, beforeVersionNo ?? Number.MAX_SAFE_INTEGER, limit) as unknown as VersionRow[];
  }

  /**
   * Adds the deploy's next version: its number is the deploy's version count
   * plus one, read and bumped in the caller's write transaction, so
   * concurrent commits get 1, 2, 3… with no gap and no repeat.
   */
  insertVersion(fields: Omit<VersionRow, 'version_no'>, entries: readonly VersionEntry[]): VersionRow {
    this.#sql('UPDATE deploys SET version_count = version_count + 1, updated_at = ? WHERE id = ?').run(
      fields.created_at,
      fields.deploy_id,
    );
    const { version_count: versionNo } = this.deployById(fields.deploy_id)!;
    this.#sql(
      `INSERT INTO deploy_versions (id, deploy_id, version_no, upload_session_id, route, title, render_json, file_count, total_bytes, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      fields.id,
      fields.deploy_id,
      versionNo,
      fields.upload_session_id,
      fields.route,
      fields.title,
      fields.render_json,
      fields.file_count,
      fields.total_bytes,
      fields.created_at,
    );
    const insertFile = this.#sql(
      'INSERT INTO version_files (version_id, path, blob_sha256, size, mime) VALUES (?, ?, ?, ?, ?)',
    );
    for (const entry of entries) insertFile.run(fields.id, entry.path, entry.blobHash, entry.size, entry.mime);
    return this.versionById(fields.id)!;
  }

  /** By path (code-point order); `afterPath` is the cursor key. */
  listVersionFiles(versionId: string, afterPath: string | null, limit: number): VersionFileRow[] {
    return this.#sql(
      'SELECT path, blob_sha256, size, mime FROM version_files WHERE version_id = ? AND path > ? ORDER BY path LIMIT ?',
    ).all(versionId, afterPath ?? '', limit) as unknown as VersionFileRow[];
  }

  versionFile(versionId: string, path: string): VersionFileRow | undefined {
    return this.#sql('SELECT path, blob_sha256, size, mime FROM version_files WHERE version_id = ? AND path = ?').get(
      versionId,
      path,
    ) as VersionFileRow | undefined;
  }

  /** A deploy's alias names by the version each points at, sorted: one query for a whole page of versions. */
  aliasNamesByVersion(deployId: string): Map<string, string[]> {
    const rows = this.#sql('SELECT name, deploy_version_id FROM aliases WHERE deploy_id = ? ORDER BY name').all(
      deployId,
    ) as Array<{ name: string; deploy_version_id: string }>;
    const byVersion = new Map<string, string[]>();
    for (const row of rows)
      byVersion.set(row.deploy_version_id, [...(byVersion.get(row.deploy_version_id) ?? []), row.name]);
    return byVersion;
  }

  toVersionDetail(row: VersionRow): DeployVersionDetail {
    const aliases = this.#sql('SELECT name FROM aliases WHERE deploy_version_id = ? ORDER BY name').all(
      row.id,
    ) as Array<{ name: string }>;
    return {
      ...toDeployVersion(row),
      fileCount: row.file_count,
      totalBytes: row.total_bytes,
      render: row.render_json === null ? null : (JSON.parse(row.render_json) as RenderConfig),
      aliases: aliases.map((a) => a.name),
    };
  }

  // --- upload sessions --------------------------------------------------

  /** Adds a session and what it registers for each content (`blobs`, by sha256), which blob PUTs answer. */
  insertSession(row: SessionRow, blobs: ReadonlyMap<string, RegisteredBlob>): void {
    this.#sql(
      `INSERT INTO upload_sessions (id, deploy_id, token_hash, requested_file_count, requested_bytes, created_at, expires_at, deploy_version_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
    ).run(
      row.id,
      row.deploy_id,
      row.token_hash,
      row.requested_file_count,
      row.requested_bytes,
      row.created_at,
      row.expires_at,
    );
    // A PUT asks by sha256 only: one entry per content, all in one row (one INSERT, not one per content).
    this.#sql('INSERT INTO session_registrations (session_id, blobs) VALUES (?, ?)').run(row.id, packBlobs(blobs));
    // Should the transaction roll back, the session is not found, so its remembered files are never asked for.
    this.#recentSessions.rememberFiles(row.id, row.expires_at, blobs);
  }

  /** The session's row; remembered when read outside a transaction (inside one, a twin's change must be seen). */
  sessionById(id: string): SessionRow | undefined {
    const inTransaction = this.db.isTransaction;
    const known = inTransaction ? undefined : this.#recentSessions.row(id);
    if (known !== undefined) return known;
    const row = this.#sql('SELECT * FROM upload_sessions WHERE id = ?').get(id) as SessionRow | undefined;
    if (row !== undefined && !inTransaction) this.#recentSessions.rememberRow(row);
    return row;
  }

  /** The size and MIME type the session registered for a sha256, or undefined when it registered none. */
  sessionBlob(sessionId: string, sha256: string): RegisteredBlob | undefined {
    const known = this.#recentSessions.blob(sessionId, sha256);
    if (known !== 'unknown') return known;
    // Not remembered (a restart, or evicted): unpack once and remember, so the session's next PUTs parse nothing.
    const packed = this.#sql(
      `SELECT r.blobs, s.expires_at FROM session_registrations r JOIN upload_sessions s ON s.id = r.session_id
       WHERE r.session_id = ?`,
    ).get(sessionId) as { blobs: string; expires_at: number } | undefined;
    if (packed === undefined) return undefined;
    const bySha256 = unpackBlobs(packed.blobs);
    this.#recentSessions.rememberFiles(sessionId, packed.expires_at, bySha256);
    return bySha256.get(sha256);
  }

  /** Marks the session committed; its file list is now the version's and is dropped. */
  markSessionCommitted(sessionId: string, versionId: string): void {
    this.#recentSessions.forgetRow(sessionId);
    this.#recentSessions.forgetFiles(sessionId);
    this.#sql('UPDATE upload_sessions SET deploy_version_id = ? WHERE id = ?').run(versionId, sessionId);
    this.#sql('DELETE FROM session_registrations WHERE session_id = ?').run(sessionId);
  }

  /** Drops the file lists of sessions that expired uncommitted; the session rows stay, so GET still says "expired". */
  sweepExpiredSessionFiles(now: number): void {
    this.#recentSessions.forgetExpired(now);
    this.#sql(
      `DELETE FROM session_registrations WHERE session_id IN
         (SELECT id FROM upload_sessions WHERE deploy_version_id IS NULL AND expires_at <= ?)`,
    ).run(now);
  }

  // --- aliases ----------------------------------------------------------

  upsertAlias(deployId: string, name: string, versionId: string, now: number): AliasRow {
    this.#sql(
      `INSERT INTO aliases (deploy_id, name, deploy_version_id, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (deploy_id, name) DO UPDATE SET deploy_version_id = excluded.deploy_version_id, updated_at = excluded.updated_at`,
    ).run(deployId, name, versionId, now);
    return this.aliasByName(deployId, name)!;
  }

  aliasByName(deployId: string, name: string): AliasRow | undefined {
    return this.#sql('SELECT * FROM aliases WHERE deploy_id = ? AND name = ?').get(deployId, name) as
      AliasRow | undefined;
  }

  listAliases(deployId: string): AliasRow[] {
    return this.#sql('SELECT * FROM aliases WHERE deploy_id = ? ORDER BY name').all(deployId) as unknown as AliasRow[];
  }

  /** True when an alias was deleted. */
  deleteAlias(deployId: string, name: string): boolean {
    return Number(this.#sql('DELETE FROM aliases WHERE deploy_id = ? AND name = ?').run(deployId, name).changes) > 0;
  }

  // --- idempotency ------------------------------------------------------

  idempotentResult(
    apiKeyId: string,
    key: string,
    notBefore: number,
  ): { fingerprint: string; status: number; body: string } | undefined {
    return this.#sql(
      'SELECT fingerprint, status, body FROM idempotency_keys WHERE api_key_id = ? AND idempotency_key = ? AND created_at >= ?',
    ).get(apiKeyId, key, notBefore) as { fingerprint: string; status: number; body: string } | undefined;
  }

  saveIdempotentResult(
    apiKeyId: string,
    key: string,
    fingerprint: string,
    status: number,
    body: string,
    now: number,
  ): void {
    this.#sql(
      `INSERT INTO idempotency_keys (api_key_id, idempotency_key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (api_key_id, idempotency_key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body, created_at = excluded.created_at`,
    ).run(apiKeyId, key, fingerprint, status, body, now);
  }

  purgeIdempotentResults(before: number): void {
    this.#sql('DELETE FROM idempotency_keys WHERE created_at < ?').run(before);
  }
}

/** A session's registered blobs as `session_registrations.blobs` holds them: `[[sha256, size, mime], …]`. */
type PackedBlobs = Array<[sha256: string, size: number, mime: string]>;

// In the order the session listed its contents, not sorted: only a Map reads it, and sorting
// 20,000 hashes costs ~10 ms of the session POST for nothing.
function packBlobs(bySha256: ReadonlyMap<string, RegisteredBlob>): string {
  return JSON.stringify(Array.from(bySha256, ([sha256, { size, mime }]) => [sha256, size, mime]));
}

function unpackBlobs(json: string): Map<string, RegisteredBlob> {
  return new Map((JSON.parse(json) as PackedBlobs).map(([sha256, size, mime]) => [sha256, { size, mime }]));
}

/** A version row in the contract's `deployVersion` shape. */
export function toDeployVersion(row: VersionRow): DeployVersion {
  return {
    id: row.id,
    displayId: `#${row.version_no}`,
    deployId: row.deploy_id,
    versionNo: row.version_no,
    route: row.route,
    title: row.title,
    status: 'ready',
    createdAt: row.created_at,
  };
}

/** A version row as `GET /v1/deploys/{id}/versions` lists it: with its totals and the aliases pointing at it. */
export function toVersionSummary(row: VersionRow, aliases: readonly string[]): DeployVersionSummary {
  return { ...toDeployVersion(row), fileCount: row.file_count, totalBytes: row.total_bytes, aliases: [...aliases] };
}

/** A session row in the contract's `uploadSession` shape; the status is derived, never stored. */
export function toUploadSession(row: SessionRow, now: number): UploadSession {
  return {
    id: row.id,
    status: row.deploy_version_id !== null ? 'committed' : now >= row.expires_at ? 'expired' : 'open',
    requestedFileCount: row.requested_file_count,
    requestedBytes: row.requested_bytes,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    deployVersionId: row.deploy_version_id,
  };
}

/** A version file row in the contract's entry shape. */
export function toVersionEntry(row: VersionFileRow): VersionEntry {
  return { path: row.path, blobHash: row.blob_sha256, size: row.size, mime: row.mime };
}

/** An alias row in the contract's `alias` shape. */
export function toAlias(row: AliasRow): Alias {
  return { name: row.name, deployId: row.deploy_id, deployVersionId: row.deploy_version_id, updatedAt: row.updated_at };
}
