import { safeStorage } from 'electron';
import type Store from 'electron-store';
import type { SecretStore } from '../src-core/ports.ts';
import type { KeyStorage } from '../src-shared/ipc-contract.ts';

/** How well the OS can keep secrets here, asked once after `ready`. */
export async function keyStorageKind(): Promise<KeyStorage> {
  if (!(await safeStorage.isAsyncEncryptionAvailable())) return 'unavailable';
  return process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text'
    ? 'basic_text'
    : 'keychain';
}

/**
 * Secrets (API keys, upload tokens) encrypted with Electron's safeStorage
 * (the OS keychain) and kept as ciphertext in an electron-store file. Plain
 * text never touches the disk, the renderer or a log.
 */
export class SafeStorageSecrets implements SecretStore {
  readonly #store: Store<Record<string, string>>;

  constructor(store: Store<Record<string, string>>) {
    this.#store = store;
  }

  async get(name: string): Promise<string | null> {
    const sealed = this.#store.get(name);
    if (typeof sealed !== 'string') return null;
    const { result, shouldReEncrypt } = await safeStorage.decryptStringAsync(Buffer.from(sealed, 'base64'));
    if (shouldReEncrypt) await this.set(name, result);
    return result;
  }

  async set(name: string, value: string): Promise<void> {
    this.#store.set(name, (await safeStorage.encryptStringAsync(value)).toString('base64'));
  }

  async delete(name: string): Promise<void> {
    this.#store.delete(name);
  }
}

/** Secrets held in memory only: what the app uses when the OS offers no encryption at all. */
export class MemorySecrets implements SecretStore {
  readonly #values = new Map<string, string>();
  async get(name: string): Promise<string | null> {
    return this.#values.get(name) ?? null;
  }
  async set(name: string, value: string): Promise<void> {
    this.#values.set(name, value);
  }
  async delete(name: string): Promise<void> {
    this.#values.delete(name);
  }
}
