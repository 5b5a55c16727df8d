import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { SecretStore } from './ports.ts';
import { ensurePrivateDir, ensurePrivateFile, replacePrivateFile } from './private-files.ts';
import { BUSY_TIMEOUT_MS } from './sqlite-file.ts';

/**
 * A SecretStore in one JSON file readable by its owner only (0600, in a
 * 0700 folder), for the CLI and CI, where no OS keychain can be assumed.
 * Each change is a read-modify-write under a lock that every process using
 * the file takes (twenty CLIs may share a state folder), and lands as one
 * rename of a fresh temp file, so a crash never leaves half a file and a
 * reader never sees one.
 */
export class FileSecretStore implements SecretStore {
  readonly #file: string;
  /** Changes of this store, one at a time: the lock below is one per connection, not per change. */
  #queue: Promise<void> = Promise.resolve();
  #lock: DatabaseSync | null = null;

  constructor(file: string) {
    this.#file = file;
  }

  async get(name: string): Promise<string | null> {
    return (await this.#read())[name] ?? null;
  }

  set(name: string, value: string): Promise<void> {
    return this.#update((secrets) => {
      secrets[name] = value;
    });
  }

  delete(name: string): Promise<void> {
    return this.#update((secrets) => {
      delete secrets[name];
    });
  }

  async #read(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    return text === '' ? {} : (JSON.parse(text) as Record<string, string>);
  }

  /**
   * Read-modify-write under the file's lock: an empty SQLite database beside
   * it, whose write lock (BEGIN IMMEDIATE) other processes wait for. The OS
   * drops that lock with the process, so a holder killed with -9 blocks no one.
   */
  #update(change: (secrets: Record<string, string>) => void): Promise<void> {
    const run = this.#queue.then(async () => {
      const lock = this.#openLock();
      lock.exec('BEGIN IMMEDIATE');
      try {
        const secrets = await this.#read();
        change(secrets);
        await replacePrivateFile(this.#file, JSON.stringify(secrets));
      } finally {
        // Nothing was written through the lock: it only kept others out.
        if (lock.isTransaction) lock.exec('ROLLBACK');
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #openLock(): DatabaseSync {
    if (this.#lock) return this.#lock;
    ensurePrivateDir(dirname(this.#file));
    // The lock file is created 0600; a secrets file an older PressDrop left wider is tightened with it.
    ensurePrivateFile(`${this.#file}.lock`, [this.#file]);
    this.#lock = new DatabaseSync(`${this.#file}.lock`, { timeout: BUSY_TIMEOUT_MS });
    return this.#lock;
  }
}
