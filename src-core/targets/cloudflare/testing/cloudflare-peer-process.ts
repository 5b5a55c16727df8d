import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeployEngine } from '../../../deploy-engine.ts';
import { FileSecretStore } from '../../../file-secret-store.ts';

// The Cloudflare peer as `pressdrop serve --as cloudflare` runs it: its own process, real HTTP.
// (Spawned, not imported: src-core may not import src-server, tests included.)
const CLI_ENTRY = fileURLToPath(new URL('../../../../src-cli/bin.js', import.meta.url));

/** Retries in milliseconds, not seconds: tests wait for faults, not for backoff (Retry-After is still honoured). */
export const FAST_RETRY = { baseMs: 1, capMs: 10 };

/** One request the peer logged: method, path without the account prefix, status (null when it never answered). */
export interface LoggedRequest {
  method: string;
  path: string;
  status: number | null;
}

/** A running peer process. */
export interface CloudflarePeer {
  /** Ends in /client/v4, as CLOUDFLARE_API_BASE_URL. */
  url: string;
  apiToken: string;
  accountId: string;
  /** Every request it logged so far, in arrival order, paths under `/accounts/<id>` shortened to what follows. */
  requests(): LoggedRequest[];
  /** The requests since `from` (a length of `requests()` taken earlier) whose "METHOD path" matches. */
  count(pattern: RegExp, from?: number): number;
  /** GET /preview/<script>/<path>: the live version's asset, as the peer serves it. */
  preview(script: string, path: string): Promise<Response>;
  /** The live version: its id, number and manifest (`/path` → hash). */
  live(script: string): Promise<{ version_id: string; number: number; manifest: Record<string, string> }>;
}

/** Starts the peer (extra `serve` flags in `args`) for one test; stopped and its data removed after it. */
export async function startCloudflarePeer(
  t: { after: (fn: () => Promise<void>) => void },
  ...args: string[]
): Promise<CloudflarePeer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pressdrop-cf-peer-'));
  const apiToken = `cf-test-${randomBytes(16).toString('hex')}`;
  const child = spawn(
    process.execPath,
    [
      CLI_ENTRY,
      'serve',
      '--as',
      'cloudflare',
      '--port',
      '0',
      '--data',
      dataDir,
      '--api-key',
      apiToken,
      '--log-requests',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  t.after(async () => {
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  });
  const logged: LoggedRequest[] = [];
  const byId = new Map<string, LoggedRequest>();
  let output = '';
  let partial = '';
  const started = new Promise<{ url: string; accountId: string }>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) output += `${line}\n`;
        else logLine(line, logged, byId);
      }
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      const accountId = /Account id: ([0-9a-f]{32})/.exec(output)?.[1];
      if (url && accountId) resolve({ url, accountId });
    });
    void exited.then(() => reject(new Error(`pressdrop serve --as cloudflare ended before listening: ${output}`)));
  });
  const { url, accountId } = await started;
  const origin = new URL(url).origin;
  const account = `/client/v4/accounts/${accountId}`;
  const requests = () => logged.map((request) => ({ ...request, path: request.path.replace(account, '') }));
  return {
    url,
    apiToken,
    accountId,
    requests,
    count: (pattern, from = 0) =>
      requests()
        .slice(from)
        .filter((request) => pattern.test(`${request.method} ${request.path}`)).length,
    preview: (script, path) => fetch(`${origin}/preview/${script}${path}`),
    async live(script) {
      const response = await fetch(`${origin}/peer/scripts/${script}/manifest`, {
        headers: { authorization: `Bearer ${apiToken}` },
      });
      const body = (await response.json()) as {
        result: { version_id: string; number: number; manifest: Record<string, string> };
      };
      return body.result;
    },
  };
}

/** Folds one line of Fastify's request log into `logged` (an incoming request; its completion gives the status). */
function logLine(line: string, logged: LoggedRequest[], byId: Map<string, LoggedRequest>): void {
  let entry: { reqId?: string; msg?: string; req?: { method: string; url: string }; res?: { statusCode: number } };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return;
  }
  if (entry.msg === 'incoming request' && entry.reqId && entry.req) {
    const request = { method: entry.req.method, path: entry.req.url.split('?')[0]!, status: null };
    logged.push(request);
    byId.set(entry.reqId, request);
  } else if (entry.msg === 'request completed' && entry.reqId && entry.res) {
    const request = byId.get(entry.reqId);
    if (request) request.status = entry.res.statusCode;
  }
}

/** A scratch folder for one test, removed after it. */
export function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-cf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `files` (relative path → content) under `root`. */
export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** A DeployEngine with its state (journal, hash cache, secrets) in `dir`, closed after the test. */
export function engineIn(
  t: { after: (fn: () => Promise<void>) => void },
  dir: string,
): {
  engine: DeployEngine;
  secrets: FileSecretStore;
} {
  const secrets = new FileSecretStore(join(dir, 'state', 'secrets.json'));
  const engine = new DeployEngine({ stateDir: join(dir, 'state'), secrets });
  t.after(() => engine.close());
  return { engine, secrets };
}
