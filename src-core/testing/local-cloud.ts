import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PressCloudClient, type PressCloudClientOptions } from '../targets/press-cloud/press-cloud-client.ts';

// The real local Press Cloud, as `pressdrop serve` runs it: its own process, real HTTP, a real SQLite file.
// (Spawned rather than imported from src-server/testing: src-core's tsconfig and lint rule forbid that import.)
const CLI_ENTRY = fileURLToPath(new URL('../../src-cli/bin.js', import.meta.url));
/** Retries in milliseconds, not seconds: tests wait for faults, not for backoff. */
export const FAST_RETRY = { baseMs: 1, capMs: 10 };

/** A running local Press Cloud process and ways to talk to it. */
export interface Cloud {
  url: string;
  apiKey: string;
  client(options?: PressCloudClientOptions, apiUrl?: string): PressCloudClient;
  /** `GET /v1/blobs/{sha}`: what the server stored. */
  blob(sha256: string): Promise<Buffer>;
}

/** Starts `pressdrop serve` (extra flags in `args`) for one test; stopped and its data removed after it. */
export async function startCloud(t: { after: (fn: () => Promise<void>) => void }, ...args: string[]): Promise<Cloud> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pressdrop-client-'));
  const apiKey = `pcak_test${randomBytes(18).toString('base64url')}`;
  const child = spawn(
    process.execPath,
    [CLI_ENTRY, 'serve', '--port', '0', '--data', dataDir, '--api-key', apiKey, ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  const clients: PressCloudClient[] = [];
  t.after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    void exited.then(() => reject(new Error(`pressdrop serve ended before listening: ${output}`)));
  });
  return {
    url,
    apiKey,
    client(options = {}, apiUrl = url) {
      const client = new PressCloudClient({ apiUrl, apiKey }, { retry: FAST_RETRY, ...options });
      clients.push(client);
      return client;
    },
    async blob(sha256) {
      const response = await fetch(`${url}/v1/blobs/${sha256}`, { headers: { authorization: `Bearer ${apiKey}` } });
      assert.equal(response.status, 200);
      return Buffer.from(await response.arrayBuffer());
    },
  };
}
