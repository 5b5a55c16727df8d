import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeployEngine } from '../../../deploy-engine.ts';
import { FileSecretStore } from '../../../file-secret-store.ts';

// The strict local Slideless peer as `pressdrop serve --as slideless` runs it: its own process, real HTTP.
// (Spawned rather than imported: src-core may not import src-server, not even in tests.)
const CLI_ENTRY = fileURLToPath(new URL('../../../../src-cli/bin.js', import.meta.url));

/** Retries in milliseconds, not seconds: tests wait for faults, not for backoff. */
export const FAST_RETRY = { baseMs: 1, capMs: 10 };

/** One request the peer logged (`--log-requests`). */
export interface LoggedRequest {
  method: string;
  path: string;
  status: number | null;
}

/** A running peer process. */
export interface SlidelessPeer {
  url: string;
  apiKey: string;
  /** Every request the peer logged so far, in order. */
  requests: LoggedRequest[];
  /** How many requests went to `path` (answered or not). */
  count(path: string): number;
  /** `GET` with the key: the peer-only read-back and the viewer. */
  get(path: string): Promise<{ status: number; body: unknown }>;
  /** Stops the process (SIGTERM) and waits for it; the data folder stays, for a restart. */
  stop(): Promise<void>;
  dataDir: string;
}

/** What a test tears down after itself. */
interface TestContextLike {
  after: (fn: () => Promise<void> | void) => void;
}

/** A key of Slideless's organisation-key shape. */
export const makeKey = (): string => `cko_test${randomBytes(18).toString('base64url')}`;

/**
 * Starts `pressdrop serve --as slideless` with `args` (e.g. `--faults`),
 * on a fresh data folder (or `options.dataDir`, to restart on the same
 * data); stopped, and its folder removed, after the test.
 */
export async function startSlidelessPeer(
  t: TestContextLike,
  args: string[] = [],
  options: { apiKey?: string; dataDir?: string } = {},
): Promise<SlidelessPeer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'pressdrop-slideless-'));
  const apiKey = options.apiKey ?? makeKey();
  const child = spawn(
    process.execPath,
    [
      CLI_ENTRY,
      'serve',
      '--as',
      'slideless',
      '--port',
      '0',
      '--data',
      dataDir,
      '--api-key',
      apiKey,
      '--log-requests',
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
  let pending = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) logged(line, requests, byId);
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    void exited.then(() => reject(new Error(`pressdrop serve --as slideless ended before listening: ${output}`)));
  });
  return {
    url,
    apiKey,
    requests,
    dataDir,
    count: (path) => requests.filter((request) => request.path === path).length,
    async get(path) {
      const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // The viewer's bytes: kept as text.
      }
      return { status: response.status, body };
    },
    stop,
  };
}

/** Reads one line of Fastify's request log into `requests`. */
function logged(line: string, requests: LoggedRequest[], byId: Map<string, LoggedRequest>): void {
  if (!line.startsWith('{')) return;
  let entry: { reqId?: string; req?: { method: string; url: string }; res?: { statusCode: number } };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return;
  }
  if (!entry.reqId) return;
  if (entry.req) {
    const request = { method: entry.req.method, path: entry.req.url.split('?')[0]!, status: null };
    requests.push(request);
    byId.set(entry.reqId, request);
  } else if (entry.res) {
    const request = byId.get(entry.reqId);
    if (request) request.status = entry.res.statusCode;
  }
}

/** A scratch folder, removed after the test. */
export function scratch(t: TestContextLike): string {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-slideless-run-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `files` (path → text or bytes) under `folder`, making folders as needed. */
export function writeDeck(folder: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    const absolute = join(folder, path);
    mkdirSync(join(absolute, '..'), { recursive: true });
    writeFileSync(absolute, content);
  }
}

/** A DeployEngine on a state folder under `dir`, closed after the test. */
export function testEngine(t: TestContextLike, dir: string, stateName = 'state'): DeployEngine {
  const stateDir = join(dir, stateName);
  const engine = new DeployEngine({ stateDir, secrets: new FileSecretStore(join(stateDir, 'secrets.json')) });
  t.after(() => engine.close());
  return engine;
}
