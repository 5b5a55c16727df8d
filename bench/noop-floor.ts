import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { walk } from './noop-floor-bare.js';

/**
 * The no-op re-deploy's protocol on our server (issue 12), beside the bare floors of
 * noop-floor-bare.js:
 *
 * - `node bench/noop-floor.ts protocol <url> <apiKey> <deployId> <manifest.json>`: send the session
 *   and the commit of the tree's manifest (read from a file) to the server, which holds every blob,
 *   and print the milliseconds from the first request to the last answer: the protocol's share, with
 *   no scan, cache, journal or missing-blobs call (and no start-up: that is the scan's already).
 */

export const NOOP_FLOOR = fileURLToPath(import.meta.url);

/** The files of `tree` (its .git left out) as a session registers them, hashed here once; written to `out`. */
export function writeManifest(tree: string, out: string): void {
  const files: Array<{ mime: string; path: string; sha256: string; size: number }> = [];
  for (const path of walk(tree, '', [])) {
    const bytes = readFileSync(join(tree, path));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    files.push({ mime: 'application/octet-stream', path, sha256, size: bytes.length });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  writeFileSync(out, JSON.stringify(files));
}

async function protocol(url: string, apiKey: string, deployId: string, manifest: string): Promise<void> {
  const files = JSON.parse(readFileSync(manifest, 'utf8')) as Array<{
    mime: string;
    path: string;
    sha256: string;
    size: number;
  }>;
  // undici, as the CLI sends (fetch costs a 3 MB body ~0.3 s of CPU more).
  const pool = new Pool(url);
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await pool.request({
      method: 'POST',
      path: `/v1${path}`,
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': randomBytes(8).toString('hex'),
        ...headers,
      },
      body: Buffer.from(JSON.stringify(body)),
    });
    if (response.statusCode !== 201)
      throw new Error(`POST ${path}: ${response.statusCode} ${await response.body.text()}`);
    return (await response.body.json()) as Record<string, unknown>;
  };
  const started = performance.now();
  const { uploadSession, uploadToken } = (await post('/upload-sessions', { deployId, files })) as {
    uploadSession: { id: string };
    uploadToken: string;
  };
  const entries = files.map(({ mime, path, sha256, size }) => ({ blobHash: sha256, mime, path, size }));
  await post(`/upload-sessions/${uploadSession.id}/commit`, { entries }, { 'x-upload-token': uploadToken });
  process.stdout.write(JSON.stringify({ ms: performance.now() - started }));
  await pool.close();
}

if (process.argv[1] === NOOP_FLOOR) {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'protocol') await protocol(args[0]!, args[1]!, args[2]!, args[3]!);
  else throw new Error('usage: node bench/noop-floor.ts protocol <url> <apiKey> <deployId> <manifest.json>');
}
