import type { Limits } from '../src-shared/api-types.ts';
import { buildApp } from './app.ts';
import { BlobStore } from './blob-store.ts';
import type { ServerContext } from './context.ts';
import { dataDirLayout, lockDataDir, readGeneratedApiKey, writeGeneratedApiKey } from './data-dir.ts';
import { inTransaction, openDatabase } from './database.ts';
import { FaultInjector, type FaultSpec } from './faults.ts';
import { Idempotency } from './idempotency.ts';
import { hashSecret, newId } from './ids.ts';
import { Metadata } from './metadata.ts';

/** The local server's limits when no flag changes them: generous, since it is your own disk. */
export const DEFAULT_LIMITS: Limits = {
  maxBlobBytes: 8 * 1024 ** 3,
  maxSessionBytes: 32 * 1024 ** 3,
  maxFilesPerVersion: 100_000,
  maxMissingBlobsPerCall: 1_000,
  sessionTtlMs: 60 * 60 * 1000,
};

/** How to start a local Press Cloud. */
export interface ServerOptions {
  /** Folder for the SQLite file and the blobs; created if absent. */
  dataDir: string;
  /** 0 (the default) takes a free port. */
  port?: number;
  /** Loopback unless told otherwise. */
  host?: string;
  /** An API key (`pcak_…`) to accept. Without one, the folder's generated key is used, made on first start. */
  apiKey?: string;
  limits?: Partial<Limits>;
  /** FOR CLIENT TESTS ONLY: inject faults (see faults.ts). */
  faults?: FaultSpec;
  faultsSeed?: number;
  logRequests?: boolean;
}

/** A running local Press Cloud. */
export interface RunningServer {
  url: string;
  port: number;
  limits: Limits;
  /** The key made for this folder when none was passed; null when one was passed. */
  generatedApiKey: { key: string; createdNow: boolean } | null;
  /** Stops taking requests, lets running ones finish (5 s at most), then closes storage. */
  close(): Promise<void>;
}

const API_KEY_PATTERN = /^pcak_[A-Za-z0-9_-]{16,200}$/;
const SWEEP_INTERVAL_MS = 60_000;

/** Starts a local Press Cloud on loopback; resolves once it accepts requests. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  if (options.apiKey !== undefined && !API_KEY_PATTERN.test(options.apiKey)) {
    throw new Error('--api-key must look like pcak_ followed by at least 16 letters, digits, - or _.');
  }
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`Limit ${name} must be a whole number of at least 1, not ${value}.`);
  }

  const unlock = lockDataDir(options.dataDir);
  const db = (() => {
    try {
      return openDatabase(dataDirLayout(options.dataDir).database);
    } catch (error) {
      unlock();
      throw error;
    }
  })();
  const metadata = new Metadata(db);
  const now = () => Date.now();
  try {
    const generatedApiKey = options.apiKey === undefined ? ensureGeneratedKey(options.dataDir, metadata) : null;
    if (options.apiKey !== undefined) registerKey(metadata, options.apiKey);

    const ctx: ServerContext = {
      metadata,
      blobs: await BlobStore.open(options.dataDir),
      idempotency: new Idempotency(metadata, now),
      limits,
      faults: options.faults ? new FaultInjector(options.faults, options.faultsSeed ?? 1) : null,
      now,
    };
    const app = buildApp(ctx, { logRequests: options.logRequests ?? false });
    const sweep = () => inTransaction(db, () => metadata.sweepExpiredSessionFiles(now()));
    sweep();
    const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
    sweeper.unref();

    await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const host = options.host ?? '127.0.0.1';

    let closing: Promise<void> | null = null;
    return {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      port,
      limits,
      generatedApiKey,
      close: () =>
        (closing ??= (async () => {
          clearInterval(sweeper);
          const force = setTimeout(() => app.server.closeAllConnections(), 5_000);
          await app.close();
          clearTimeout(force);
          db.close();
          unlock();
        })()),
    };
  } catch (error) {
    db.close();
    unlock();
    throw error;
  }
}

function registerKey(metadata: Metadata, apiKey: string): void {
  const keyHash = hashSecret(apiKey);
  if (!metadata.apiKeyIdByHash(keyHash)) inTransaction(metadata.db, () => metadata.insertApiKey(newId('key'), keyHash, Date.now()));
}

function ensureGeneratedKey(dataDir: string, metadata: Metadata): { key: string; createdNow: boolean } {
  const existing = readGeneratedApiKey(dataDir);
  if (existing) {
    registerKey(metadata, existing);
    return { key: existing, createdNow: false };
  }
  const key = newId('pcak');
  writeGeneratedApiKey(dataDir, key);
  registerKey(metadata, key);
  return { key, createdNow: true };
}
