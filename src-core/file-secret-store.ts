import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SecretStore } from './ports.ts';

/**
 * A SecretStore in one JSON file readable by its owner only (0600), for the
 * CLI and CI, where no OS keychain can be assumed. Writes go to a temp file
 * renamed into place, so a crash never leaves half a file.
 */
export class FileSecretStore implements SecretStore {
  readonly #file: string;
  #writing: Promise<void> = Promise.resolve();

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
    try {
      return JSON.parse(await readFile(this.#file, 'utf8')) as Record<string, string>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }

  /** Read-modify-write, one at a time, so two updates never lose each other. */
  #update(change: (secrets: Record<string, string>) => void): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      const secrets = await this.#read();
      change(secrets);
      await mkdir(dirname(this.#file), { recursive: true, mode: 0o700 });
      const temp = `${this.#file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(secrets), { mode: 0o600 });
      await rename(temp, this.#file);
    });
    return this.#writing;
  }
}
