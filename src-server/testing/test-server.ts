import assert from 'node:assert/strict';
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer, type ServerOptions } from '../server.ts';

/** An answer as tests look at it: status, headers, and the body parsed as JSON when it is JSON. */
export interface TestResponse {
  status: number;
  headers: Headers;
  // Tests read arbitrary fields of contract bodies; `any` keeps assertions short.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** Request options: a JSON body (or raw bytes), the upload token, extra headers, or no auth at all. */
export interface TestRequestInit {
  json?: unknown;
  raw?: Uint8Array | string;
  uploadToken?: string;
  headers?: Record<string, string>;
  auth?: string | false;
}

/** A real local Press Cloud for one test file: its own temp data folder, real HTTP on loopback. */
export interface TestServer {
  url: string;
  apiKey: string;
  dataDir: string;
  server: RunningServer;
  request(method: string, path: string, init?: TestRequestInit): Promise<TestResponse>;
  /** Closes the server and deletes its data folder (unless `keepData`). */
  close(options?: { keepData?: boolean }): Promise<void>;
}

/** A fresh data folder under the OS temp dir. */
export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'pressdrop-test-'));
}

/** A valid random API key. */
export function makeApiKey(): string {
  return `pcak_test${randomBytes(18).toString('base64url')}`;
}

/** Starts the server in this process on a free port. */
export async function startTestServer(overrides: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? makeDataDir();
  const apiKey = overrides.apiKey ?? makeApiKey();
  const server = await startServer({ port: 0, ...overrides, dataDir, apiKey });
  return {
    url: server.url,
    apiKey,
    dataDir,
    server,
    request: (method, path, init) => request(server.url, apiKey, method, path, init),
    async close(options) {
      await server.close();
      if (!options?.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One HTTP request to `baseUrl` with the API key, as a client of the contract sends it. */
export async function request(
  baseUrl: string,
  apiKey: string,
  method: string,
  path: string,
  init: TestRequestInit = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.auth !== false) headers.authorization = `Bearer ${init.auth ?? apiKey}`;
  if (init.uploadToken !== undefined) headers['x-upload-token'] = init.uploadToken;
  let body: string | Uint8Array | undefined;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] ??= 'application/json';
  } else if (init.raw !== undefined) {
    body = init.raw;
    headers['content-type'] ??= 'application/octet-stream';
  }
  const response = await fetch(new URL(path, baseUrl), { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('application/json') && text !== '')
    parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed };
}

/** The `pressdrop` command, run with the pinned Node like `npx pressdrop` would. */
export const CLI_ENTRY = fileURLToPath(new URL('../../src-cli/bin.js', import.meta.url));

/** A `pressdrop serve` child process, resolved once it printed its listening line. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far on stdout. */
  output(): string;
  /** Everything it printed so far on stderr. */
  errorOutput(): string;
  /** Resolves with the exit code (or signal name) when it ends. */
  exited: Promise<number | string>;
}

/** How a test spawns a `pressdrop` process beside its output pipes. */
export interface PressdropSpawnOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Runs it under `ulimit -f`: the kernel refuses any write that would make a file larger (EFBIG; Node ignores
   * SIGXFSZ), which is how a test makes the disk refuse a write without touching our code.
   */
  fileSizeLimitKiB?: number;
}

/** Spawns `pressdrop ...args` with the pinned Node, stdout and stderr piped. */
export function spawnPressdrop(
  args: string[],
  options: PressdropSpawnOptions = {},
): ChildProcessByStdio<null, Readable, Readable> {
  const command = [process.execPath, CLI_ENTRY, ...args];
  const spawnOptions = {
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  };
  return options.fileSizeLimitKiB === undefined
    ? spawn(command[0]!, command.slice(1), spawnOptions)
    : spawn('bash', ['-c', 'ulimit -f "$0" && exec "$@"', String(options.fileSizeLimitKiB), ...command], spawnOptions);
}

/** Spawns `pressdrop serve --port 0 --data <dataDir> ...extraArgs` and waits for "listening on http://…". */
export function spawnServerProcess(
  dataDir: string,
  extraArgs: string[] = [],
  options: PressdropSpawnOptions = {},
): Promise<ServerProcess> {
  const child = spawnPressdrop(['serve', '--port', '0', '--data', dataDir, ...extraArgs], options);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match) resolve({ child, url: match[1]!, output: () => stdout, errorOutput: () => stderr, exited });
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    void exited.then((code) =>
      reject(new Error(`pressdrop serve exited (${code}) before listening.\nstdout: ${stdout}\nstderr: ${stderr}`)),
    );
  });
}

/** A data dir, removed after the test, and `serve` processes started on it, killed after the test if still running. */
export function serverProcesses(t: { after: (fn: () => Promise<void>) => void }) {
  const dataDir = makeDataDir();
  const started: ServerProcess[] = [];
  t.after(async () => {
    for (const proc of started) {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
      await proc.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir,
    serve: async (
      extraArgs: string[] = [],
      options: Parameters<typeof spawnServerProcess>[2] = {},
    ): Promise<ServerProcess> => {
      const proc = await within(
        spawnServerProcess(dataDir, extraArgs, options),
        15_000,
        'pressdrop serve to print its listening line',
      );
      started.push(proc);
      return proc;
    },
  };
}

/** Polls `check` every 20 ms until it is true; fails with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves with `promise`, or fails with `what` after `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs)),
  );
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
