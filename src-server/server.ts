import type { AddressInfo } from 'node:net';
import type { Limits } from '../src-shared/api-types.ts';
import { buildApp, type RouteEntry } from './app.ts';
import { BlobStore } from './blob-store.ts';
import type { ServerContext } from './context.ts';
import {
  dataDirLayout,
  lockDataDir,
  makePrivateFile,
  readGeneratedApiKey,
  removeGeneratedApiKey,
  tightenIfPresent,
  writeGeneratedApiKey,
} from './data-dir.ts';
import { inTransaction, openDatabase } from './database.ts';
import { FaultInjector, type FaultSpec } from './faults.ts';
import { Idempotency } from './idempotency.ts';
import { ACCEPTED_API_KEY_PATTERN, hashSecret, newId } from './ids.ts';
import { Metadata } from './metadata.ts';
import { DEFAULT_TIMEOUTS, HostAllowList, type Timeouts } from './perimeter.ts';
import { findChromium, NO_CHROMIUM_HELP } from './render/find-chromium.ts';
import type { PdfPrinter } from './render/pdf-printer.ts';
import { PlaywrightPrinter } from './render/playwright-printer.ts';
import { DEFAULT_RENDER_QUEUE_OPTIONS, RenderQueue, type RenderQueueOptions } from './render/render-queue.ts';
import { removeServerRecord, writeServerRecord } from './server-record.ts';

export { DEFAULT_TIMEOUTS, type Timeouts } from './perimeter.ts';

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
  /** Folder for the SQLite file and the blobs; created (0700) if absent, made private if it is not. */
  dataDir: string;
  /** 0 (the default) takes a free port. */
  port?: number;
  /** Loopback unless told otherwise. */
  host?: string;
  /**
   * The API key (`pcak_…`) to accept, and the only one: keys accepted
   * before in this folder stop working. Without one, the folder's generated
   * key is used, made on first start.
   */
  apiKey?: string;
  /** Replace the folder's generated key with a new one (the old one stops working). Not with `apiKey`. */
  rotateApiKey?: boolean;
  /**
   * More Host names to answer to, for people behind a proxy (`--allow-host`):
   * `name` (any port) or `name:port`. The loopback names with the server's
   * port are always allowed; any other Host gets 421.
   */
  allowedHosts?: readonly string[];
  limits?: Partial<Limits>;
  /** How long slow clients may take; tests shorten them. */
  timeouts?: Partial<Timeouts>;
  /**
   * What prints render jobs to PDF. Left out, `pressdrop serve`'s own: a
   * headless Chromium (found as findChromium says) through playwright-core,
   * launched on the first job. The app passes Electron's. `null`: this
   * server does not render (`501 not_implemented`).
   */
  printer?: PdfPrinter | null;
  /** How the render queue works (`--render-concurrency`; tests shorten the backoff). */
  render?: Partial<RenderQueueOptions>;
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
  /** A random id new at each start, also in `<data>/server.json` and at `GET /v1/local/instance`. */
  instanceId: string;
  /** The key made for this folder when none was passed (createdNow: made by this start, e.g. rotated); null when one was passed. */
  generatedApiKey: { key: string; createdNow: boolean } | null;
  /** What prints render jobs, in words; null when this server cannot render (it answers 501). */
  printer: string | null;
  /** Every route it answers, as registered (method and URL pattern): what a test must try them all with. */
  routes: readonly RouteEntry[];
  /** Stops taking requests, lets running ones finish (5 s at most), then removes its record and closes storage. */
  close(): Promise<void>;
}

const SWEEP_INTERVAL_MS = 60_000;

/** Starts a local Press Cloud on loopback; resolves once it accepts requests and its record is written. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  if (options.apiKey !== undefined && !ACCEPTED_API_KEY_PATTERN.test(options.apiKey)) {
    throw new Error('--api-key must look like pcak_ followed by at least 16 letters, digits, - or _.');
  }
  if (options.apiKey !== undefined && options.rotateApiKey) {
    throw new Error('--rotate-key replaces the generated key; it cannot be combined with --api-key or --api-key-file.');
  }
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new Error(`Limit ${name} must be a whole number of at least 1, not ${value}.`);
  }
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  for (const [name, value] of Object.entries(timeouts)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new Error(`Timeout ${name} must be a whole number of milliseconds, at least 1, not ${value}.`);
  }
  const host = options.host ?? '127.0.0.1';
  const hosts = new HostAllowList(options.allowedHosts ?? [], host);

  const unlock = lockDataDir(options.dataDir);
  const { database } = dataDirLayout(options.dataDir);
  const db = (() => {
    try {
      makePrivateFile(database);
      tightenIfPresent(`${database}-wal`);
      tightenIfPresent(`${database}-shm`);
      return openDatabase(database);
    } catch (error) {
      unlock();
      throw error;
    }
  })();
  const metadata = new Metadata(db);
  const now = () => Date.now();
  const instanceId = newId('inst');
  try {
    const generatedApiKey =
      options.apiKey === undefined ? ensureGeneratedKey(options.dataDir, options.rotateApiKey ?? false) : null;
    const apiKey = options.apiKey ?? generatedApiKey!.key;
    // A key is valid only while it is configured: this one, and no other.
    inTransaction(db, () => metadata.keepOnlyApiKey(newId('key'), hashSecret(apiKey), now()));
    if (options.apiKey !== undefined) removeGeneratedApiKey(options.dataDir);

    const blobs = await BlobStore.open(options.dataDir);
    const printer = options.printer === undefined ? await defaultPrinter() : options.printer;
    const renderOptions = { ...DEFAULT_RENDER_QUEUE_OPTIONS, ...options.render };
    if (!Number.isSafeInteger(renderOptions.concurrency) || renderOptions.concurrency < 1) {
      throw new Error(`--render-concurrency must be a whole number of at least 1, not ${renderOptions.concurrency}.`);
    }
    const renders = printer ? new RenderQueue({ metadata, blobs, printer, now }, renderOptions) : null;
    const ctx: ServerContext = {
      metadata,
      blobs,
      renders,
      renderUnavailable: NO_CHROMIUM_HELP,
      idempotency: new Idempotency(metadata, now),
      limits,
      faults: options.faults ? new FaultInjector(options.faults, options.faultsSeed ?? 1) : null,
      instance: { id: instanceId, pid: process.pid },
      now,
    };
    const { app, routes } = buildApp(ctx, { logRequests: options.logRequests ?? false, hosts, timeouts });
    const sweep = () => inTransaction(db, () => metadata.sweepExpiredSessionFiles(now()));
    sweep();
    const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
    sweeper.unref();

    // Bound before the first connection can be handled, so no request meets an empty allow-list.
    app.server.once('listening', () => hosts.bind(listeningPort(app.server.address())));
    await app.listen({ port: options.port ?? 0, host });
    const port = listeningPort(app.server.address());
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    try {
      writeServerRecord(options.dataDir, { pid: process.pid, port, url, instanceId, startedAt: now() });
    } catch (error) {
      await app.close();
      throw error;
    }
    // Pages print from the server's own preview origin, which is known now.
    renders?.start(url);

    let closing: Promise<void> | null = null;
    return {
      url,
      port,
      limits,
      instanceId,
      generatedApiKey,
      printer: printer?.description ?? null,
      routes,
      close: () =>
        (closing ??= (async () => {
          clearInterval(sweeper);
          await renders?.stop();
          const force = setTimeout(() => app.server.closeAllConnections(), 5_000);
          await app.close();
          clearTimeout(force);
          await blobs.close();
          removeServerRecord(options.dataDir, instanceId);
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

/** A headless Chromium printer when this machine has a Chromium; null (the server answers 501) when not. */
async function defaultPrinter(): Promise<PdfPrinter | null> {
  const chromium = await findChromium();
  return chromium ? new PlaywrightPrinter(chromium) : null;
}

function listeningPort(address: string | AddressInfo | null): number {
  return typeof address === 'object' && address ? address.port : 0;
}

/** The folder's generated key: the one it keeps, or a new one (first start, or rotation). */
function ensureGeneratedKey(dataDir: string, rotate: boolean): { key: string; createdNow: boolean } {
  const existing = rotate ? null : readGeneratedApiKey(dataDir);
  if (existing && ACCEPTED_API_KEY_PATTERN.test(existing)) return { key: existing, createdNow: false };
  const key = newId('pcak');
  writeGeneratedApiKey(dataDir, key);
  return { key, createdNow: true };
}
