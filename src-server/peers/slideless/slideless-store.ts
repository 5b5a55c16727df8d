import { DatabaseSync } from 'node:sqlite';
import { inTransaction, statementCache } from '../../database.ts';
import { newViewerToken, uuidV7 } from './slideless-ids.ts';

/** One entry of a version's manifest, as committed. */
export interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
  contentType: string;
}

/** A new-presentation upload session: the presentation id it reserved, who opened it, when it ends. */
export interface UploadSession {
  id: string;
  presentationId: string;
  owner: string;
  expiresAt: number;
}

/** A committed presentation. */
export interface Presentation {
  id: string;
  owner: string;
  title: string;
  currentVersion: number;
  tokenId: string;
  token: string;
  createdAt: string;
}

/** One immutable version of a presentation. */
export interface PresentationVersion {
  version: number;
  title: string;
  entryPath: string;
  files: ManifestFile[];
  createdAt: string;
}

/** What a stored asset records: the size the peer measured and the type the uploader declared. */
export interface StoredAsset {
  size: number;
  contentType: string;
}

const SCHEMA_VERSION = 1;

// Assets are keyed by the presentation they were uploaded into (a reserved id
// during a session): Slideless stores blobs per presentation
// (`shared_presentations/{presentationId}/assets/sha256/…`), so a blob of one
// deck does not count as uploaded for another, even when its bytes are on disk.
const SCHEMA = `
CREATE TABLE presentations (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  title TEXT NOT NULL,
  current_version INTEGER NOT NULL,
  token_id TEXT NOT NULL,
  token TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE versions (
  presentation_id TEXT NOT NULL REFERENCES presentations(id),
  version INTEGER NOT NULL,
  title TEXT NOT NULL,
  entry_path TEXT NOT NULL,
  files TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (presentation_id, version)
) STRICT;
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  presentation_id TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE TABLE assets (
  presentation_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  PRIMARY KEY (presentation_id, sha256)
) STRICT;
`;

/** The peer's metadata in SQLite (node:sqlite): sessions, presentations, versions, and which blobs each presentation has. */
export class SlidelessStore {
  readonly #db: DatabaseSync;
  readonly #sql: ReturnType<typeof statementCache>;

  constructor(file: string) {
    this.#db = new DatabaseSync(file, { enableForeignKeyConstraints: true, timeout: 5_000 });
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA synchronous = FULL');
    const { user_version: current } = this.#db.prepare('PRAGMA user_version').get() as { user_version: number };
    if (current === 0) {
      inTransaction(this.#db, () => {
        this.#db.exec(SCHEMA);
        this.#db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      });
    } else if (current !== SCHEMA_VERSION) {
      this.#db.close();
      throw new Error(`The Slideless peer's database is at schema ${current}; this peer knows ${SCHEMA_VERSION}.`);
    }
    this.#sql = statementCache(this.#db);
  }

  close(): void {
    this.#db.close();
  }

  /** Opens a new-presentation session, reserving a presentation id for its commit. */
  openSession(owner: string, nowMs: number, lifetimeMs: number): UploadSession {
    const session = { id: uuidV7(nowMs), presentationId: uuidV7(nowMs), owner, expiresAt: nowMs + lifetimeMs };
    this.#sql('INSERT INTO sessions (id, presentation_id, owner, expires_at) VALUES (?, ?, ?, ?)').run(
      session.id,
      session.presentationId,
      owner,
      session.expiresAt,
    );
    return session;
  }

  /** The session, expired or not; null when it never existed or was used by a commit. */
  session(id: string): UploadSession | null {
    const row = this.#sql('SELECT id, presentation_id, owner, expires_at FROM sessions WHERE id = ?').get(id) as
      { id: string; presentation_id: string; owner: string; expires_at: number } | undefined;
    return row
      ? { id: row.id, presentationId: row.presentation_id, owner: row.owner, expiresAt: row.expires_at }
      : null;
  }

  /** The committed presentation, or null. */
  presentation(id: string): Presentation | null {
    const row = this.#sql(
      'SELECT id, owner, title, current_version, token_id, token, created_at FROM presentations WHERE id = ?',
    ).get(id) as
      | {
          id: string;
          owner: string;
          title: string;
          current_version: number;
          token_id: string;
          token: string;
          created_at: string;
        }
      | undefined;
    if (!row) return null;
    return {
      id: row.id,
      owner: row.owner,
      title: row.title,
      currentVersion: row.current_version,
      tokenId: row.token_id,
      token: row.token,
      createdAt: row.created_at,
    };
  }

  /** One version's manifest, or null. */
  version(presentationId: string, version: number): PresentationVersion | null {
    const row = this.#sql(
      'SELECT version, title, entry_path, files, created_at FROM versions WHERE presentation_id = ? AND version = ?',
    ).get(presentationId, version) as
      { version: number; title: string; entry_path: string; files: string; created_at: string } | undefined;
    if (!row) return null;
    return {
      version: row.version,
      title: row.title,
      entryPath: row.entry_path,
      files: JSON.parse(row.files) as ManifestFile[],
      createdAt: row.created_at,
    };
  }

  /** The asset as stored in presentation (or reserved id) `namespace`, or null. */
  asset(namespace: string, sha256: string): StoredAsset | null {
    const row = this.#sql('SELECT size, content_type FROM assets WHERE presentation_id = ? AND sha256 = ?').get(
      namespace,
      sha256,
    ) as { size: number; content_type: string } | undefined;
    return row ? { size: row.size, contentType: row.content_type } : null;
  }

  /** Records that `namespace` has the blob; false when it had it already (the first upload's type is kept). */
  addAsset(namespace: string, sha256: string, asset: StoredAsset): boolean {
    const result = this.#sql(
      'INSERT OR IGNORE INTO assets (presentation_id, sha256, size, content_type) VALUES (?, ?, ?, ?)',
    ).run(namespace, sha256, asset.size, asset.contentType);
    return Number(result.changes) === 1;
  }

  /**
   * Writes the next version of presentation `presentationId`, in one
   * transaction: a session's commit creates the presentation (version 1,
   * with its default token) and ends the session; an update bumps
   * `currentVersion`. `check` runs inside the transaction on the state it
   * will change, so the checks and the write cannot be interleaved.
   */
  commit(input: {
    presentationId: string;
    owner: string;
    title: string | null;
    entryPath: string;
    files: ManifestFile[];
    sessionId: string | null;
    nowMs: number;
    check: (current: Presentation | null) => void;
  }): Presentation {
    return inTransaction(this.#db, () => {
      const current = this.presentation(input.presentationId);
      input.check(current);
      const createdAt = new Date(input.nowMs).toISOString();
      const version = (current?.currentVersion ?? 0) + 1;
      const title = input.title || current?.title || '';
      if (current) {
        this.#sql('UPDATE presentations SET current_version = ?, title = ? WHERE id = ?').run(
          version,
          title,
          current.id,
        );
      } else {
        this.#sql(
          'INSERT INTO presentations (id, owner, title, current_version, token_id, token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(input.presentationId, input.owner, title, version, uuidV7(input.nowMs), newViewerToken(), createdAt);
      }
      this.#sql(
        'INSERT INTO versions (presentation_id, version, title, entry_path, files, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(input.presentationId, version, title, input.entryPath, JSON.stringify(input.files), createdAt);
      if (input.sessionId) this.#sql('DELETE FROM sessions WHERE id = ?').run(input.sessionId);
      return this.presentation(input.presentationId)!;
    });
  }
}
