import type { Command } from 'commander';
import { join } from 'node:path';
import { DeployEngine } from '../src-core/deploy-engine.ts';
import { FileSecretStore } from '../src-core/file-secret-store.ts';
import type { InlineWork } from '../src-core/ports.ts';
import { PressCloudClient, type PressCloudTarget } from '../src-core/targets/press-cloud/press-cloud-client.ts';
import type { ServerRecord } from '../src-server/server-record.ts';
import { isLoopbackHost, plainHttpProblem } from '../src-shared/api-url.ts';
import { DEFAULT_SERVER_DATA_DIR, DEFAULT_STATE_DIR } from './cli-defaults.ts';
import { cliHost } from './cli-host.ts';

/** Flags every command that talks to Press Cloud shares. */
export interface TargetFlags {
  api?: string;
  apiKey?: string;
  stateDir?: string;
  insecureHttp?: boolean;
}

/** A failure the CLI reports as one line, without a stack: the words are the whole message. */
export class UsageError extends Error {}

// The local server's record and key, read only when no key is given: a deploy with --api and --api-key does without.
const serverRecords = () => import('../src-server/server-record.ts');
const dataDirs = () => import('../src-server/data-dir.ts');

/** How long the local server has to say who it is. */
const INSTANCE_CHECK_TIMEOUT_MS = 5_000;

/**
 * The server and key, from flags, else PRESS_CLOUD_API / PRESS_CLOUD_TOKEN
 * (as in the seed's curl examples), else the local server `pressdrop serve`
 * runs, found through the record it keeps in its data folder, never by
 * trying a port: the key goes only to the server that wrote it.
 */
export async function resolveTarget(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PressCloudTarget> {
  const givenUrl = flags.api ?? env.PRESS_CLOUD_API;
  const givenKey = flags.apiKey ?? env.PRESS_CLOUD_TOKEN;
  if (givenUrl === undefined) {
    const record = await requireLiveRecord();
    return { apiUrl: record.url, apiKey: givenKey ?? (await localServerKey(record)) };
  }
  const apiUrl = givenUrl.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new UsageError(`"${apiUrl}" is not a URL; pass --api http://host:port (or set PRESS_CLOUD_API).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--api ${apiUrl}: only http:// and https:// URLs are supported.`);
  const exposure = plainHttpProblem(url.protocol, url.hostname);
  if (exposure && !flags.insecureHttp) {
    throw new UsageError(
      `${url.origin} ${exposure}. Use https://, or pass --insecure-http if you accept that (a private test network, say).`,
    );
  }
  if (givenKey !== undefined) return { apiUrl, apiKey: givenKey };
  // A loopback URL with no key: the local server's own key, if that URL is the running local server.
  const record = isLoopbackHost(url.hostname) ? await liveRecord() : null;
  if (record && Number(url.port || 80) === record.port) return { apiUrl, apiKey: await localServerKey(record) };
  throw new UsageError(`No API key for ${apiUrl}: pass --api-key pcak_… or set PRESS_CLOUD_TOKEN.`);
}

/** The local server's record when its process is alive; null otherwise. */
async function liveRecord(): Promise<ServerRecord | null> {
  const { isProcessAlive, readServerRecord } = await serverRecords();
  const record = readServerRecord(DEFAULT_SERVER_DATA_DIR);
  return record && isProcessAlive(record.pid) ? record : null;
}

/** The running local server's record, or a refusal that says how to start one. */
async function requireLiveRecord(): Promise<ServerRecord> {
  const record = await liveRecord();
  if (record) return record;
  throw new UsageError(
    `No local Press Cloud is running (none has a live record in ${DEFAULT_SERVER_DATA_DIR}). Start one with \`pressdrop serve\` in another terminal, or pass --api <url> and --api-key.`,
  );
}

/** The local server's generated key, once the server at the record's port has proved with it that it is the instance the record names. */
async function localServerKey(record: ServerRecord): Promise<string> {
  const apiKey = (await dataDirs()).readGeneratedApiKey(DEFAULT_SERVER_DATA_DIR);
  if (!apiKey) {
    throw new UsageError(
      `The local Press Cloud at ${record.url} keeps no generated key in ${DEFAULT_SERVER_DATA_DIR} (it was started with --api-key or --api-key-file): pass that key with --api-key.`,
    );
  }
  await assertSameInstance(record, apiKey);
  return apiKey;
}

/** Asks the server at the record's URL which instance it is; anything but the record's own id is refused. */
async function assertSameInstance(record: ServerRecord, apiKey: string): Promise<void> {
  let instanceId: unknown;
  try {
    const response = await fetch(`${record.url}/v1/local/instance`, {
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      signal: AbortSignal.timeout(INSTANCE_CHECK_TIMEOUT_MS),
    });
    instanceId = response.ok
      ? ((await response.json()) as { instanceId?: unknown }).instanceId
      : `HTTP ${response.status}`;
  } catch (error) {
    throw new UsageError(
      `The local Press Cloud's record points at ${record.url}, which does not answer (${error instanceof Error ? error.message : String(error)}). Restart \`pressdrop serve\`.`,
    );
  }
  if (instanceId !== record.instanceId) {
    throw new UsageError(
      `The server at ${record.url} is not the local Press Cloud that ${DEFAULT_SERVER_DATA_DIR} records (it answered ${JSON.stringify(instanceId)}). Restart \`pressdrop serve\`.`,
    );
  }
}

/** The engine with the CLI's ports: state in the app-data folder (or --state-dir), secrets in a 0600 file there. */
export function openEngine(flags: TargetFlags): DeployEngine {
  const stateDir = flags.stateDir ?? DEFAULT_STATE_DIR;
  return new DeployEngine({
    stateDir,
    secrets: new FileSecretStore(join(stateDir, 'secrets.json')),
    ...(cliHost.hashWorkerUrl && { hashWorkerUrl: cliHost.hashWorkerUrl }),
    inlineWork: CLI_INLINE_WORK,
  });
}

/**
 * The hashing the CLI does on its own thread rather than start worker threads, which take ~150 ms
 * to start here: it has nothing else to do meanwhile, where the app's main process must stay free
 * (INLINE_WORK). Measured here, one thread hashes 2,000 files of 2 KiB in 60-90 ms (two worker
 * threads: 225-240 ms), 5,000 of 4 KiB in 105-115 ms (250-275), 64 files of 1 MiB in 53 ms
 * (175-190); at 20,000 small files (88 MiB) both take ~0.55 s, and past that the threads win.
 */
const CLI_INLINE_WORK: InlineWork = { paths: Number.POSITIVE_INFINITY, files: 8192, bytes: 128 * 1024 * 1024 };

/** The flags that say which Press Cloud to talk to, and as whom: every command that talks to one has them. */
export function withConnectionOptions(command: Command): Command {
  return command
    .option('--api <url>', 'Press Cloud API URL (default: $PRESS_CLOUD_API, else the local server)')
    .option('--api-key <pcak_…>', "API key (default: $PRESS_CLOUD_TOKEN, else the local server's)")
    .option(
      '--insecure-http',
      'allow a plain http:// API URL that is not this machine (the key crosses the network unencrypted)',
    );
}

/** The flags of every command that talks to a Press Cloud without deploying: where, as whom, and JSON output. */
export function withTargetOptions(command: Command): Command {
  return withConnectionOptions(command).option('--json', 'one JSON object per line on stdout, for scripts and CI');
}

/** Runs `work` with a client of the Press Cloud the flags name, closed afterwards. */
export async function withClient<T>(flags: TargetFlags, work: (client: PressCloudClient) => Promise<T>): Promise<T> {
  const client = new PressCloudClient(await resolveTarget(flags));
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
