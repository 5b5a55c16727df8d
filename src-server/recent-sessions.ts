/** Session rows remembered at most; the oldest is forgotten first. */
const MAX_ROWS = 64;
/** Registered blobs (distinct contents) remembered at most, over all sessions; a larger session is remembered alone. */
const MAX_FILES = 250_000;

/** A registered file's size and MIME type, as a blob PUT answers them. */
export interface RegisteredBlob {
  size: number;
  mime: string;
}

/**
 * What the metadata remembers of recent upload sessions, so that a blob
 * PUT (thousands per deploy) asks SQLite nothing: session rows as last
 * read outside a transaction, and the files a session registered, by
 * sha256, kept from its creation or from the first PUT that found them
 * forgotten (a restart, an eviction). Every change of a session's row goes
 * through Metadata, which forgets the row first; a file list never
 * changes until the session is committed or expires, when it is dropped.
 * Anything not remembered is read from SQLite as before. Generic in the
 * row type, so that it need not import metadata.ts (no import cycle).
 */
export class RecentSessions<SessionRow extends { id: string }> {
  readonly #rows = new Map<string, SessionRow>();
  readonly #files = new Map<string, { expiresAt: number; bySha256: ReadonlyMap<string, RegisteredBlob> }>();
  #fileCount = 0;

  row(id: string): SessionRow | undefined {
    return this.#rows.get(id);
  }

  rememberRow(row: SessionRow): void {
    if (this.#rows.size >= MAX_ROWS) this.#rows.delete(this.#rows.keys().next().value!);
    this.#rows.set(row.id, row);
  }

  forgetRow(id: string): void {
    this.#rows.delete(id);
  }

  /** The file registered for `sha256`: a file, undefined when none was, or 'unknown' when the list is not remembered. */
  blob(sessionId: string, sha256: string): RegisteredBlob | undefined | 'unknown' {
    const files = this.#files.get(sessionId);
    return files === undefined ? 'unknown' : files.bySha256.get(sha256);
  }

  /** Remembers a session's registered blobs, one per content. */
  rememberFiles(sessionId: string, expiresAt: number, bySha256: ReadonlyMap<string, RegisteredBlob>): void {
    this.forgetFiles(sessionId);
    // Even a session over the budget is kept (alone): a PUT that finds its files forgotten unpacks the whole list.
    while (this.#files.size > 0 && this.#fileCount + bySha256.size > MAX_FILES)
      this.forgetFiles(this.#files.keys().next().value!);
    this.#files.set(sessionId, { expiresAt, bySha256 });
    this.#fileCount += bySha256.size;
  }

  forgetFiles(sessionId: string): void {
    const files = this.#files.get(sessionId);
    if (files === undefined) return;
    this.#fileCount -= files.bySha256.size;
    this.#files.delete(sessionId);
  }

  /** Forgets the file lists of sessions expired at `now`. */
  forgetExpired(now: number): void {
    for (const [sessionId, { expiresAt }] of this.#files) if (expiresAt <= now) this.forgetFiles(sessionId);
  }
}
