/**
 * What differs between the app, the CLI and the tests comes into the engine
 * through these small interfaces, as in tus-js-client: src-core never
 * imports Electron, and never decides on its own where state or secrets live.
 */

/** Keeps secrets (upload tokens). The app backs it with Electron's safeStorage; the CLI with a 0600 file. */
export interface SecretStore {
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

/** Everything the engine needs from its host. */
export interface EnginePorts {
  /** Folder for the resume journal and the hash cache (SQLite files). */
  stateDir: string;
  secrets: SecretStore;
  /** The hash worker's entry; defaults to src-core/hash-worker.ts. The app passes electron-vite's bundled worker. */
  hashWorkerUrl?: URL;
}
