import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

// `pressdrop serve` (Press Cloud, or a peer of another service with `--as`) as a test runs it: its own process,
// real HTTP. (Spawned rather than imported: src-core may not import src-server or src-cli, not even in tests.)
const CLI_ENTRY = fileURLToPath(new URL('../../src-cli/bin.js', import.meta.url));

/** Retries in milliseconds, not seconds: tests wait for faults, not for backoff (Retry-After is still honoured). */
export const FAST_RETRY = { baseMs: 1, capMs: 10 };

/** What a test tears down after itself (a test's context, or a stand-in that runs the hooks later). */
export interface TestContextLike {
  after: (fn: () => Promise<void>) => void;
}

/** One request the process logged (`--log-requests`): method, path without its query, status (null when it never answered). */
export interface LoggedRequest {
  method: string;
  path: string;
  status: number | null;
}

export interface PeerProcessOptions {
  /** The service it stands in for (`serve --as`); none for Press Cloud. */
  as?: string;
  apiKey: string;
  /** Extra `serve` flags (e.g. `--faults`). */
  args?: string[];
  /** A data folder to serve (to restart on the same data): kept after the test. Else a fresh one, removed after it. */
  dataDir?: string;
  /** Fastify's JSON request log, read into `requests` (default true). */
  logRequests?: boolean;
  /** A line that must also have been printed before the process counts as started (it prints its listening line last). */
  waitFor?: RegExp;
}

/** A running `pressdrop serve` process. */
export interface PeerProcess {
  /** From its listening line. */
  url: string;
  dataDir: string;
  /** Its lines (not the request log) printed up to its listening line. */
  output: string;
  /** Every request it logged so far, in arrival order (filled as they come). */
  requests: LoggedRequest[];
  /**
   * Resolves once every request the process received before this call is in `requests`: the log comes through a
   * pipe, behind the answers. (A marker request goes last and is waited for; it is left out of `requests`.)
   */
  logCaughtUp: () => Promise<void>;
  /** Stops the process (SIGTERM) and waits for it; the data folder stays, for a restart. */
  stop(): Promise<void>;
}

/** Starts `pressdrop serve` for one test; stopped after it (and its data removed unless `options.dataDir` was given). */
export async function startPeerProcess(t: TestContextLike, options: PeerProcessOptions): Promise<PeerProcess> {
  const { as, apiKey, args = [], logRequests = true } = options;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `pressdrop-${as ?? 'press-cloud'}-peer-`));
  const child = spawn(
    process.execPath,
    [
      CLI_ENTRY,
      'serve',
      ...(as ? ['--as', as] : []),
      '--port',
      '0',
      '--data',
      dataDir,
      '--api-key',
      apiKey,
      ...(logRequests ? ['--log-requests'] : []),
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    child.kill('SIGTERM');
    await exited;
  };
  t.after(async () => {
    await stop();
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  const requests: LoggedRequest[] = [];
  const byId = new Map<string, LoggedRequest>();
  let output = '';
  let partial = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) output += `${line}\n`;
        else logLine(line, requests, byId);
      }
      const listening = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (listening && (!options.waitFor || options.waitFor.test(output))) resolve(listening);
    });
    void exited.then(() =>
      reject(new Error(`pressdrop serve${as ? ` --as ${as}` : ''} ended before listening: ${output}${partial}`)),
    );
  });
  const logCaughtUp = async () => {
    const marker = `/pressdrop-test-log-marker/${randomUUID()}`;
    await (await fetch(new URL(marker, url))).arrayBuffer();
    await untilLogged(() => requests.some((request) => request.path === marker), marker);
    requests.splice(
      requests.findIndex((request) => request.path === marker),
      1,
    );
  };
  return { url, dataDir, output, requests, logCaughtUp, stop };
}

/** Resolves once `logged()` is true, checking every 5 ms: a request is in the log a little after it arrived. */
export async function untilLogged(logged: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !logged(); await delay(5)) {
    if (Date.now() > deadline)
      throw new Error(`The request log of pressdrop serve did not show ${what} within ${timeoutMs / 1000} s.`);
  }
}

/** Folds one line of Fastify's request log into `requests` (an incoming request; its completion gives the status). */
function logLine(line: string, requests: LoggedRequest[], byId: Map<string, LoggedRequest>): void {
  let entry: { reqId?: string; msg?: string; req?: { method: string; url: string }; res?: { statusCode: number } };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return;
  }
  if (entry.msg === 'incoming request' && entry.reqId && entry.req) {
    const request = { method: entry.req.method, path: entry.req.url.split('?')[0]!, status: null };
    requests.push(request);
    byId.set(entry.reqId, request);
  } else if (entry.msg === 'request completed' && entry.reqId && entry.res) {
    const request = byId.get(entry.reqId);
    if (request) request.status = entry.res.statusCode;
  }
}
