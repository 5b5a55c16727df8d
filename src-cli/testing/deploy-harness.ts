import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  makeApiKey,
  makeDataDir,
  request,
  spawnPressdrop,
  spawnServerProcess,
  within,
  type PressdropSpawnOptions,
  type ServerProcess,
  type TestRequestInit,
  type TestResponse,
} from '../../src-server/testing/test-server.ts';

/** One request as `pressdrop serve --log-requests` logged it; `status` stays null until its "request completed" line. */
export interface LoggedRequest {
  reqId: string;
  method: string;
  url: string;
  status: number | null;
  /** Positions of its two log lines among all request lines, so "after" means after in the server's own order. */
  startedAt: number;
  completedAt: number | null;
}

/** The server's request log, parsed from its stdout (pino JSON lines) as it grows. */
export class RequestLog {
  readonly #output: () => string;
  readonly #requests: LoggedRequest[] = [];
  readonly #byId = new Map<string, LoggedRequest>();
  #parsed = 0;
  #lines = 0;

  constructor(output: () => string) {
    this.#output = output;
  }

  /** Every request so far, in arrival order. */
  all(): LoggedRequest[] {
    const text = this.#output();
    const end = text.lastIndexOf('\n') + 1;
    for (const line of text.slice(this.#parsed, end).split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line);
      if (typeof entry.reqId !== 'string') continue;
      const at = this.#lines++;
      if (entry.req) {
        const logged = {
          reqId: entry.reqId,
          method: entry.req.method,
          url: entry.req.url,
          status: null,
          startedAt: at,
          completedAt: null,
        };
        this.#requests.push(logged);
        this.#byId.set(entry.reqId, logged);
      } else if (entry.res && this.#byId.has(entry.reqId)) {
        Object.assign(this.#byId.get(entry.reqId)!, { status: entry.res.statusCode, completedAt: at });
      }
    }
    this.#parsed = end;
    return this.#requests;
  }

  /** A position in the log: pass it as `since` to look only at what came after. */
  mark(): number {
    return this.all().length;
  }

  /** Blob PUTs (with the sha256 of their URL), from `since` on. */
  blobPuts(since = 0): Array<LoggedRequest & { sha256: string }> {
    return this.all()
      .slice(since)
      .filter((r) => r.method === 'PUT' && r.url.includes('/blobs/'))
      .map((r) => ({ ...r, sha256: r.url.slice(r.url.lastIndexOf('/') + 1) }));
  }

  /** Requests from `since` on whose method and URL path match. */
  matching(method: string, path: RegExp, since = 0): LoggedRequest[] {
    return this.all()
      .slice(since)
      .filter((r) => r.method === method && path.test(r.url.split('?')[0]!));
  }

  /** The log in short, for failure messages. */
  summary(since = 0): string {
    return this.all()
      .slice(since)
      .map(
        (r) =>
          `${r.method} ${r.url.replace(/[0-9a-f]{64}/, (sha) => `${sha.slice(0, 8)}…`)} → ${r.status ?? '(no answer)'}`,
      )
      .join('\n');
  }
}

/** A `pressdrop serve --log-requests` child for one test. */
export interface LoggedServer {
  url: string;
  apiKey: string;
  log: RequestLog;
  /** A request with the API key, sent again through injected 503s, 429s and dropped connections. */
  request(method: string, path: string, init?: TestRequestInit): Promise<TestResponse>;
}

/** Starts `pressdrop serve --port 0 --log-requests ...extraArgs` on a fresh data folder; stopped and removed after the test. */
export async function startLoggedServer(t: TestContext, extraArgs: string[] = []): Promise<LoggedServer> {
  const dataDir = makeDataDir();
  const apiKey = makeApiKey();
  let proc: ServerProcess;
  try {
    proc = await within(
      spawnServerProcess(dataDir, ['--api-key', apiKey, '--log-requests', ...extraArgs]),
      20_000,
      'pressdrop serve to listen',
    );
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  t.after(async () => {
    await stopChild(proc.child, 'SIGTERM', 10_000);
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    url: proc.url,
    apiKey,
    log: new RequestLog(() => proc.output()),
    request: (method, path, init) => throughFaults(() => request(proc.url, apiKey, method, path, init)),
  };
}

/** Attempts per verification request: the test's own GETs meet the injected faults too, and are simply sent again. */
const VERIFY_ATTEMPTS = 30;

/** Sends a request again while the answer is an injected 503 or 429, or the connection was dropped. */
async function throughFaults(send: () => Promise<TestResponse>): Promise<TestResponse> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await send();
      if ((response.status !== 503 && response.status !== 429) || attempt === VERIFY_ATTEMPTS) return response;
    } catch (error) {
      if (attempt === VERIFY_ATTEMPTS) throw error;
    }
  }
}

/** How a CLI run ended. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A `pressdrop` child process, as a user's shell runs it. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when it has exited and its output is read. */
  ended: Promise<CliResult>;
}

/**
 * Spawns `pressdrop ...args` (with the pinned Node, no PRESS_CLOUD_* from the caller, `extraEnv` added, under a
 * file size limit if `options` gives one: see spawnPressdrop); killed after the test if still running.
 */
export function startCli(
  t: TestContext,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
  options: Pick<PressdropSpawnOptions, 'fileSizeLimitKiB'> = {},
): CliProcess {
  const env = { ...process.env, ...extraEnv };
  delete env.PRESS_CLOUD_API;
  delete env.PRESS_CLOUD_TOKEN;
  const child = spawnPressdrop(args, { ...options, env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const ended = new Promise<CliResult>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  t.after(() => stopChild(child, 'SIGKILL', 5_000));
  return { child, stdout: () => stdout, stderr: () => stderr, ended };
}

/** Runs `pressdrop ...args` to its end (at most `timeoutMs`). */
export async function runCli(
  t: TestContext,
  args: string[],
  timeoutMs = 60_000,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  const cli = startCli(t, args, extraEnv);
  return within(cli.ended, timeoutMs, `pressdrop ${args.join(' ')} to exit`);
}

/** The usual `deploy` arguments: the folder, the target, the test's own state folder. */
export function deployArgs(server: LoggedServer, stateDir: string, folder: string, ...rest: string[]): string[] {
  return ['deploy', folder, ...rest, '--api', server.url, '--api-key', server.apiKey, '--state-dir', stateDir];
}

/** Stops a child: `signal`, then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await within(exited, graceMs, `pid ${child.pid} to exit on ${signal}`).catch(() => {
    child.kill('SIGKILL');
    return exited;
  });
}

/**
 * Polls `check` every 10 ms until it returns something truthy, and returns
 * that. Fails after `timeoutMs`, or as soon as `cli` exits (the moment being
 * waited for can then no longer come), with `what` and `details()`.
 */
export async function pollUntil<T>(
  what: string,
  check: () => T | undefined | null | false,
  options: { timeoutMs?: number; cli?: CliProcess; details?: () => string } = {},
): Promise<T> {
  const deadline = performance.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = check();
    if (value) return value;
    const child = options.cli?.child;
    const exited = child && (child.exitCode !== null || child.signalCode !== null);
    if (exited || performance.now() > deadline) {
      const why = exited
        ? `the CLI exited (${child.exitCode ?? child.signalCode}) first`
        : `timed out after ${options.timeoutMs ?? 30_000} ms`;
      const cliOutput = options.cli
        ? `\nCLI stdout (end): ${options.cli.stdout().slice(-1000)}\nCLI stderr: ${options.cli.stderr()}`
        : '';
      throw new Error(`Waiting for ${what}: ${why}.${cliOutput}${options.details ? `\n${options.details()}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A fresh temp folder, removed after the test. */
export function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pressdrop-${prefix}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `files` (relative path on disk → content) under `root`, creating folders. */
export function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeBytes(join(root, path), content);
  }
}

function writeBytes(path: string, content: string | Buffer): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
  } finally {
    closeSync(fd);
  }
}

/** Writes a file of `size` bytes whose content depends on `seed` (a random MiB, stamped per MiB with seed and index): fast, and distinct per seed. */
export function writeBigFile(path: string, size: number, seed: number): void {
  const chunk = randomBytes(1024 * 1024);
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  try {
    for (let at = 0, i = 0; at < size; i++) {
      chunk.writeUInt32BE(seed, 0);
      chunk.writeUInt32BE(i, 4);
      const n = Math.min(chunk.length, size - at);
      for (let done = 0; done < n;) done += writeSync(fd, chunk, done, n - done);
      at += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** A file as a version holds it: its size and sha256. */
export interface ManifestEntry {
  size: number;
  sha256: string;
}

/** sha256 of a file on disk, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every file under `root`, by its path as a version holds it (POSIX, NFC), with size and sha256. */
export async function localManifest(root: string): Promise<Map<string, ManifestEntry>> {
  const manifest = new Map<string, ManifestEntry>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const absolute = join(entry.parentPath, entry.name);
    const path = absolute.slice(root.length + 1).normalize('NFC');
    manifest.set(path, { size: statSync(absolute).size, sha256: await sha256File(absolute) });
  }
  return new Map([...manifest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A version's files as the server lists them (every page of `GET /v1/deploy-versions/{id}/files`). */
export async function versionManifest(server: LoggedServer, versionId: string): Promise<Map<string, ManifestEntry>> {
  const manifest = new Map<string, ManifestEntry>();
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '?limit=7' : `?limit=7&cursor=${encodeURIComponent(cursor)}`;
    const page = await server.request('GET', `/v1/deploy-versions/${versionId}/files${query}`);
    if (page.status !== 200)
      throw new Error(`GET files of ${versionId}: HTTP ${page.status} ${JSON.stringify(page.body)}`);
    for (const entry of page.body.items) {
      if (manifest.has(entry.path)) throw new Error(`${entry.path} is listed twice`);
      manifest.set(entry.path, { size: entry.size, sha256: entry.blobHash });
    }
    cursor = page.body.nextCursor;
  } while (cursor !== null);
  return manifest;
}

/** sha256 of the bytes the server stores for a blob (`GET /v1/blobs/{sha256}`), streamed (for servers without faults). */
export async function storedBlobSha256(server: LoggedServer, sha256: string): Promise<string> {
  const response = await fetch(`${server.url}/v1/blobs/${sha256}`, {
    headers: { authorization: `Bearer ${server.apiKey}` },
  });
  if (response.status !== 200 || !response.body) throw new Error(`GET blob ${sha256}: HTTP ${response.status}`);
  const hash = createHash('sha256');
  for await (const chunk of response.body) hash.update(chunk);
  return hash.digest('hex');
}

/** The bytes the server stores for a blob (for servers without faults). */
export async function storedBlob(server: LoggedServer, sha256: string): Promise<Buffer> {
  const response = await fetch(`${server.url}/v1/blobs/${sha256}`, {
    headers: { authorization: `Bearer ${server.apiKey}` },
  });
  if (response.status !== 200) throw new Error(`GET blob ${sha256}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/** The events of a `--json` run: every stdout line must be one JSON object with a `type`. */
export function jsonEvents(stdout: string): Array<{ type: string; [field: string]: unknown }> {
  const lines = stdout.split('\n');
  if (lines.at(-1) !== '')
    throw new Error(`--json output does not end with a newline: ${JSON.stringify(stdout.slice(-200))}`);
  return lines.slice(0, -1).map((line, i) => {
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw new Error(`--json line ${i + 1} is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
    }
    if (
      event === null ||
      typeof event !== 'object' ||
      Array.isArray(event) ||
      typeof (event as { type?: unknown }).type !== 'string'
    ) {
      throw new Error(`--json line ${i + 1} is not an event object: ${line.slice(0, 200)}`);
    }
    return event as { type: string };
  });
}

/** The events a running `--json` CLI has printed so far (its complete lines). */
export function eventsSoFar(cli: CliProcess): Array<{ type: string; [field: string]: unknown }> {
  const stdout = cli.stdout();
  return jsonEvents(stdout.slice(0, stdout.lastIndexOf('\n') + 1));
}

/** The version a successful `--json` deploy committed (its last event). */
export function committedVersion(result: CliResult): { id: string; versionNo: number; deployId: string } {
  if (result.code !== 0)
    throw new Error(
      `the deploy exited ${result.code ?? result.signal}, not 0.\nstderr: ${result.stderr}\nstdout (end): ${result.stdout.slice(-1500)}`,
    );
  const last = jsonEvents(result.stdout).at(-1);
  if (last?.type !== 'committed') throw new Error(`the last --json event is not "committed": ${JSON.stringify(last)}`);
  return last.deployVersion as { id: string; versionNo: number; deployId: string };
}

/**
 * Per sha256, the blob PUTs from `since` on must end at the first one
 * answered 200: a blob the server confirmed is never sent again. Returns
 * the confirmed sha256s.
 */
export function assertNoPutAfterConfirmed(log: RequestLog, since = 0): Set<string> {
  const puts = log.blobPuts(since);
  const confirmedAt = new Map<string, number>();
  for (const put of puts) {
    if (put.status === 200 && put.completedAt !== null)
      confirmedAt.set(put.sha256, Math.min(put.completedAt, confirmedAt.get(put.sha256) ?? Infinity));
  }
  for (const put of puts) {
    if (put.startedAt > (confirmedAt.get(put.sha256) ?? Infinity))
      throw new Error(`blob ${put.sha256} was PUT again after a 200:\n${log.summary(since)}`);
  }
  return new Set(confirmedAt.keys());
}

/** SIGKILLs `cli` and waits for it to exit, its output all read: a kill -9 from the user's shell. */
export async function killCli(cli: CliProcess): Promise<CliResult> {
  cli.child.kill('SIGKILL');
  const ended = await within(cli.ended, 10_000, `pid ${cli.child.pid} to exit on SIGKILL`);
  if (ended.signal !== 'SIGKILL')
    throw new Error(
      `the CLI ended (${ended.code ?? ended.signal}) before the kill.\nstderr: ${ended.stderr}\nstdout (end): ${ended.stdout.slice(-1000)}`,
    );
  return ended;
}

/**
 * Freezes `cli` (SIGSTOP): it sends nothing more and reads no answer, yet
 * its connections stay open, so what it already sent is still handled. The
 * way to let a request land while its answer is never read.
 */
export function freezeCli(cli: CliProcess): void {
  cli.child.kill('SIGSTOP');
}

/** The versions of a deploy, newest first (one page: tests make few). */
export async function deployVersions(
  server: LoggedServer,
  deployId: string,
): Promise<Array<{ id: string; versionNo: number }>> {
  const page = await server.request('GET', `/v1/deploys/${deployId}/versions?limit=200`);
  if (page.status !== 200)
    throw new Error(`GET versions of ${deployId}: HTTP ${page.status} ${JSON.stringify(page.body)}`);
  return page.body.items;
}

/** The deploy with this slug, or null (every page of `GET /v1/deploys`). */
export async function deployBySlug(
  server: LoggedServer,
  slug: string,
): Promise<{ id: string; slug: string; versionCount: number } | null> {
  let cursor: string | null = null;
  do {
    const page: TestResponse = await server.request(
      'GET',
      `/v1/deploys?limit=200${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    if (page.status !== 200) throw new Error(`GET deploys: HTTP ${page.status} ${JSON.stringify(page.body)}`);
    const found = page.body.items.find((deploy: { slug: string }) => deploy.slug === slug);
    if (found) return found;
    cursor = page.body.nextCursor;
  } while (cursor !== null);
  return null;
}

/** A state folder that is its owner's only: the folder 0700, each file in it 0600 or tighter, the usual files there. */
export function assertPrivateStateDir(state: string): void {
  assert.equal(statSync(state).mode & 0o777, 0o700, 'the state folder is 0700');
  const files = readdirSync(state);
  for (const name of ['journal.sqlite', 'hash-cache.sqlite', 'secrets.json'])
    assert.ok(files.includes(name), `${name} is there: ${files.join(', ')}`);
  for (const name of files) {
    const mode = statSync(join(state, name)).mode & 0o777;
    assert.equal(mode & 0o077, 0, `${name} is 0${mode.toString(8)}`);
  }
}
