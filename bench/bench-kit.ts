import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeApiKey, spawnServerProcess, type ServerProcess } from '../src-server/testing/test-server.ts';

/** What the benches share: the median of their runs, the machine's load for the report, and a fresh server. */

/** The median of `values` (the upper one of an even count). */
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The machine's load before a case, for the report: this 2-core VM is shared. */
export const loadLine = () =>
  `Load average before the case: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}.`;

/** A fresh `pressdrop serve` on a new data folder under `scratch` for `work`; stopped and its folder removed after. */
export async function withServer<T>(
  scratch: string,
  extraArgs: string[],
  work: (server: ServerProcess, apiKey: string) => Promise<T>,
): Promise<T> {
  const dataDir = mkdtempSync(join(scratch, 'data-'));
  const apiKey = makeApiKey();
  let server: ServerProcess | null = null;
  try {
    server = await spawnServerProcess(dataDir, ['--api-key', apiKey, ...extraArgs]);
    return await work(server, apiKey);
  } finally {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM');
      const stopped = await Promise.race([server.exited, sleep(10_000, 'timeout')]);
      if (stopped === 'timeout') server.child.kill('SIGKILL');
      await server.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * curl's arguments for one blob PUT of the upload workflow (seed 001), up to its body and URL: the
 * baseline the deploy benches time against. `Expect:` is off, so a body is sent without waiting for
 * a 100-continue.
 */
export function curlPutArgs(apiKey: string, uploadToken: string): string[] {
  return [
    'curl',
    '-sS',
    '-f',
    '-o',
    '/dev/null',
    '-X',
    'PUT',
    '-H',
    `authorization: Bearer ${apiKey}`,
    '-H',
    `x-upload-token: ${uploadToken}`,
    '-H',
    'content-type: application/octet-stream',
    '-H',
    'expect:',
  ];
}
