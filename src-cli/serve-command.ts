import { InvalidArgumentError, type Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Limits } from '../src-shared/api-types.ts';
import { NO_CHROMIUM_HELP } from '../src-server/render/find-chromium.ts';
import type { PeerOptions } from '../src-server/peers/peer-options.ts';
import type { ServerOptions } from '../src-server/server.ts';
import { DEFAULT_SERVER_DATA_DIR, DEFAULT_SERVER_PORT } from './cli-defaults.ts';

/** What `serve` can run: the local Press Cloud, or a strict local peer of another service (for tests and trials). */
const SERVICES = ['press', 'slideless', 'cloudflare'] as const;
type Service = (typeof SERVICES)[number];
/** libuv threads of `serve` (unless UV_THREADPOOL_SIZE says): the 16 uploads a deploy keeps in flight can all be syncing at once. */
const SERVE_THREAD_POOL_SIZE = 16;

interface ServeFlags {
  as: Service;
  port?: number;
  data?: string;
  apiKey?: string;
  apiKeyFile?: string;
  rotateKey?: boolean;
  allowHost: string[];
  sessionTtlMs?: number;
  maxBlobBytes?: number;
  maxSessionBytes?: number;
  maxFiles?: number;
  maxMissingPerCall?: number;
  renderConcurrency?: number;
  renderRetryDelay?: number;
  faults?: string;
  faultsSeed?: number;
  logRequests?: boolean;
}

/** `pressdrop serve`: a local Press Cloud on loopback, until SIGINT or SIGTERM. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run a local Press Cloud server on 127.0.0.1 (or, with --as, a local peer of Slideless or Cloudflare)')
    .option(
      '--as <service>',
      'press (a local Press Cloud), or a strict local peer of slideless or cloudflare (its upload API, for trying and testing `deploy --target`)',
      service,
      'press',
    )
    .option(
      '--port <n>',
      `port to listen on; 0 takes a free one (default ${DEFAULT_SERVER_PORT}; a peer: 0)`,
      wholeNumber,
    )
    .option(
      '--data <dir>',
      `folder for metadata and blobs (default ${DEFAULT_SERVER_DATA_DIR}; a peer: a folder beside it)`,
    )
    .option(
      '--api-key <pcak_…>',
      'accept this API key, and no other (default: generate one, print it once, keep it in the data folder)',
    )
    .option(
      '--api-key-file <path>',
      'accept the API key kept in this file (mode 0600), so it is not on the command line',
    )
    .option('--rotate-key', 'replace the generated API key with a new one, printed once; the old one stops working')
    .option(
      '--allow-host <name>',
      'also answer requests whose Host is this name (name or name:port), e.g. behind a proxy; repeatable',
      collect,
      [],
    )
    .option('--session-ttl-ms <n>', 'upload session lifetime', positiveNumber)
    .option('--max-blob-bytes <n>', 'largest file', positiveNumber)
    .option('--max-session-bytes <n>', 'largest session and version, in bytes', positiveNumber)
    .option('--max-files <n>', 'most files per version', positiveNumber)
    .option('--max-missing-per-call <n>', 'most files per missing-blobs call', positiveNumber)
    .option('--render-concurrency <n>', 'render jobs printed at once (default 1)', positiveNumber)
    .option(
      '--render-retry-delay <ms>',
      'wait before a failed render job is tried again; the next wait is 4 times longer (default 2000)',
      positiveNumber,
    )
    .option(
      '--faults <spec>',
      'FOR TESTING CLIENTS: inject faults, e.g. 503=0.1,429=0.05,reset=0.05,drop=0.02,latency=5-50,expire=0.1',
    )
    .option('--faults-seed <n>', 'seed for --faults, so a run repeats', wholeNumber)
    .option('--log-requests', 'log every request to stdout')
    .action(async (flags: ServeFlags) => {
      if (flags.as !== 'press') return servePeer(flags.as, flags);
      // Blob uploads wait in the thread pool for their fsyncs, and concurrent fsyncs share one journal commit:
      // 4 threads (libuv's default) would let only 4 wait at once. Read once, when the pool first starts.
      process.env.UV_THREADPOOL_SIZE ??= String(SERVE_THREAD_POOL_SIZE);
      const dataDir = flags.data ?? DEFAULT_SERVER_DATA_DIR;
      // The server (Fastify, its SQLite) loads only to serve: `pressdrop deploy` keeps its memory for uploading.
      const [{ parseFaultSpec }, { startServer }, { readApiKeyFile }] = await Promise.all([
        import('../src-server/faults.ts'),
        import('../src-server/server.ts'),
        import('../src-server/data-dir.ts'),
      ]);
      if ([flags.apiKey, flags.apiKeyFile, flags.rotateKey].filter((given) => given !== undefined).length > 1) {
        throw new Error('give only one of --api-key, --api-key-file and --rotate-key.');
      }
      const limits: Partial<Limits> = {};
      if (flags.sessionTtlMs !== undefined) limits.sessionTtlMs = flags.sessionTtlMs;
      if (flags.maxBlobBytes !== undefined) limits.maxBlobBytes = flags.maxBlobBytes;
      if (flags.maxSessionBytes !== undefined) limits.maxSessionBytes = flags.maxSessionBytes;
      if (flags.maxFiles !== undefined) limits.maxFilesPerVersion = flags.maxFiles;
      if (flags.maxMissingPerCall !== undefined) limits.maxMissingBlobsPerCall = flags.maxMissingPerCall;
      const options: ServerOptions = {
        dataDir,
        port: flags.port ?? DEFAULT_SERVER_PORT,
        limits,
        allowedHosts: flags.allowHost,
        logRequests: flags.logRequests ?? false,
      };
      if (flags.apiKey !== undefined) options.apiKey = flags.apiKey;
      if (flags.apiKeyFile !== undefined) options.apiKey = readApiKeyFile(flags.apiKeyFile);
      if (flags.rotateKey) options.rotateApiKey = true;
      if (flags.renderConcurrency !== undefined)
        options.render = { ...options.render, concurrency: flags.renderConcurrency };
      if (flags.renderRetryDelay !== undefined)
        options.render = { ...options.render, retryDelaysMs: [flags.renderRetryDelay, flags.renderRetryDelay * 4] };
      if (flags.faults !== undefined) {
        options.faults = parseFaultSpec(flags.faults);
        options.faultsSeed = flags.faultsSeed ?? 1;
      }

      const server = await startServer(options);
      const out = (line: string) => process.stdout.write(`${line}\n`);
      const keyFile = join(dataDir, 'api-key');
      if (server.generatedApiKey?.createdNow) {
        out(
          flags.rotateKey
            ? `Made a new API key for this server; the old one no longer works (shown once; also kept in ${keyFile}):`
            : `Created an API key for this server (shown once; also kept in ${keyFile}):`,
        );
        out(`  ${server.generatedApiKey.key}`);
      } else if (server.generatedApiKey) {
        out(`API key: the one kept in ${keyFile}`);
      }
      if (server.generatedApiKey)
        out('To replace it with a new key (the old one then stops working): pressdrop serve --rotate-key');
      for (const name of flags.allowHost) out(`Also answering requests addressed to ${name} (--allow-host).`);
      if (options.faults)
        out(`WARNING: fault injection is ON (${flags.faults}, seed ${options.faultsSeed}). Not for real use.`);
      out(
        server.printer
          ? `PDF rendering: ${server.printer}, started at the first render job.`
          : `PDF rendering: off. ${NO_CHROMIUM_HELP}`,
      );
      out(`Data: ${dataDir}`);
      out(`Local Press Cloud listening on ${server.url}`);
      await untilSignalled(server, out);
    });
}

/**
 * `serve --as slideless|cloudflare`: a strict local peer of that service's upload API (src-server/peers), so
 * `deploy --target` can be tried and tested with no account. Its key is the one given, or one made for this run.
 */
async function servePeer(as: Exclude<Service, 'press'>, flags: ServeFlags): Promise<void> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const { parseFaultSpec } = await import('../src-server/faults.ts');
  if (flags.apiKeyFile !== undefined || flags.rotateKey) throw new Error(`--as ${as} takes its key with --api-key.`);
  const apiKey =
    flags.apiKey ??
    (as === 'slideless' ? `cko_${randomBytes(18).toString('base64url')}` : randomBytes(20).toString('hex'));
  const options: PeerOptions = {
    dataDir: flags.data ?? `${DEFAULT_SERVER_DATA_DIR}-${as}-peer`,
    port: flags.port ?? 0,
    apiKey,
    logRequests: flags.logRequests ?? false,
    ...(flags.faults !== undefined && { faults: parseFaultSpec(flags.faults), faultsSeed: flags.faultsSeed ?? 1 }),
  };
  const peer =
    as === 'slideless'
      ? await (await import('../src-server/peers/slideless/slideless-peer.ts')).startSlidelessPeer(options)
      : await (await import('../src-server/peers/cloudflare/cloudflare-peer.ts')).startCloudflarePeer(options);
  if (flags.apiKey === undefined) out(`API key for this run (shown once): ${apiKey}`);
  if ('accountId' in peer) out(`Account id: ${String(peer.accountId)}`);
  if (options.faults)
    out(`WARNING: fault injection is ON (${flags.faults}, seed ${options.faultsSeed}). Not for real use.`);
  out(`Data: ${options.dataDir}`);
  out(`Local ${as === 'slideless' ? 'Slideless' : 'Cloudflare'} peer listening on ${peer.url}`);
  await untilSignalled(peer, out);
}

/** Serves until SIGINT or SIGTERM, then lets requests in flight finish; a second signal exits at once. */
async function untilSignalled(server: { close(): Promise<void> }, out: (line: string) => void): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      out(`${signal}: finishing requests in flight, then stopping…`);
      process.once(signal, () => process.exit(130));
      void server.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  out('Stopped.');
}

function service(text: string): Service {
  if (!(SERVICES as readonly string[]).includes(text))
    throw new InvalidArgumentError(`expected one of ${SERVICES.join(', ')}.`);
  return text as Service;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function wholeNumber(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number.');
  return n;
}

function positiveNumber(text: string): number {
  const n = wholeNumber(text);
  if (n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
}
