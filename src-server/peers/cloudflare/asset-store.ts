import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { inTransaction, statementCache } from '../../database.ts';

/** A stored asset as the preview serves it. */
export interface StoredAsset {
  bytes: Buffer;
  /** The Content-Type its upload part carried; null when it was `application/null` (serve none). */
  contentType: string | null;
}

/** An asset of an upload, checked against its hash, to store. */
export interface ReceivedAsset {
  hash: string;
  bytes: Buffer;
  contentType: string | null;
}

/**
 * The account's assets, content-addressed: each is one file named by its
 * Cloudflare asset hash (`ab/cd/abcd…`), written to a temp file and renamed
 * into place, so a file in the store is always whole. A hash stored once
 * is never asked for again (dedup across sessions and scripts).
 */
export class AssetStore {
  readonly #root: string;
  readonly #tmp: string;
  readonly #db: DatabaseSync;
  readonly #sql: (sql: string) => StatementSync;
  /** Shard folders made (or being made), so each is made once. */
  readonly #folders = new Map<string, Promise<unknown>>();

  private constructor(root: string, db: DatabaseSync) {
    this.#root = join(root, 'assets');
    this.#tmp = join(root, 'tmp');
    this.#db = db;
    this.#sql = statementCache(db);
  }

  /** Opens the store under `root`, dropping temp files an earlier run left. */
  static async open(root: string, db: DatabaseSync): Promise<AssetStore> {
    const store = new AssetStore(root, db);
    await rm(store.#tmp, { recursive: true, force: true });
    await mkdir(store.#tmp, { recursive: true });
    await mkdir(store.#root, { recursive: true });
    return store;
  }

  /** Which of `hashes` are stored. */
  stored(hashes: Iterable<string>): Set<string> {
    const has = this.#sql('SELECT 1 FROM assets WHERE hash = ?');
    const found = new Set<string>();
    for (const hash of hashes) if (has.get(hash)) found.add(hash);
    return found;
  }

  /**
   * Stores the assets of one upload, whose hashes were checked; a hash stored already keeps its first
   * copy. Files are written side by side, each to a temp file renamed into place, then their rows go
   * in one transaction: one WAL sync per upload, not one per asset (a bucket carries up to a hundred).
   * The file calls stay on the thread pool: making a file or folder can wait on the file system's
   * journal for a millisecond, which the event loop should not.
   */
  async putMany(assets: readonly ReceivedAsset[]): Promise<void> {
    const stored = this.stored(assets.map((asset) => asset.hash));
    const fresh = assets.filter((asset) => !stored.has(asset.hash));
    await Promise.all(
      fresh.map(async ({ hash, bytes }) => {
        const file = this.#pathOf(hash);
        const temp = join(this.#tmp, randomUUID());
        await Promise.all([this.#folder(dirname(file)), writeFile(temp, bytes)]);
        await rename(temp, file);
      }),
    );
    const insert = this.#sql('INSERT OR IGNORE INTO assets (hash, size, content_type, created_on) VALUES (?, ?, ?, ?)');
    const now = new Date().toISOString();
    inTransaction(this.#db, () => {
      for (const { hash, bytes, contentType } of fresh) insert.run(hash, bytes.length, contentType, now);
    });
  }

  /** The asset's bytes and Content-Type, or null when it is not stored. */
  async get(hash: string): Promise<StoredAsset | null> {
    const row = this.#sql('SELECT content_type FROM assets WHERE hash = ?').get(hash) as
      { content_type: string | null } | undefined;
    if (!row) return null;
    return { bytes: await readFile(this.#pathOf(hash)), contentType: row.content_type };
  }

  /** Makes a shard folder once: a bucket's hundred assets are a hundred folders, and most exist after a while. */
  #folder(path: string): Promise<unknown> {
    let made = this.#folders.get(path);
    if (!made) {
      made = mkdir(path, { recursive: true });
      this.#folders.set(path, made);
      // A failed mkdir is tried again by the next asset of that folder.
      made.catch(() => this.#folders.delete(path));
    }
    return made;
  }

  #pathOf(hash: string): string {
    return join(this.#root, hash.slice(0, 2), hash.slice(2, 4), hash);
  }
}
