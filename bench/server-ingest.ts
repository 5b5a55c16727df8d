import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { makeApiKey, request, spawnServerProcess, type ServerProcess } from '../src-server/testing/test-server.ts';
import { median } from './bench-kit.ts';

/**
 * Server ingest: how fast `pressdrop serve` takes large blobs over loopback
 * (hash, fsync, rename), against copying the same bytes on the same disk with
 * `cat > file` (page cache, no fsync) and `dd conv=fsync` (durable, like the
 * server). Each case runs RUNS times, rounds interleaved; the median counts.
 */

const MiB = 1024 * 1024;
const FILES = 4;
const FILE_MIB = Number(process.env.PRESSDROP_BENCH_FILE_MIB ?? 256);
const RUNS = 3;
const run = promisify(execFile);

interface Blob {
  path: string;
  sha256: string;
  size: number;
}

interface CaseResult {
  name: string;
  seconds: number[];
}

/** Writes FILES files of FILE_MIB random MiB into `dir`, hashing as it goes. */
function makeBlobs(dir: string): Blob[] {
  return Array.from({ length: FILES }, (_, i) => {
    const path = join(dir, `blob-${i}.bin`);
    const hash = createHash('sha256');
    const fd = openSync(path, 'wx');
    try {
      for (let written = 0; written < FILE_MIB; written += 16) {
        const chunk = randomBytes(Math.min(16, FILE_MIB - written) * MiB);
        hash.update(chunk);
        writeSync(fd, chunk);
      }
    } finally {
      closeSync(fd);
    }
    return { path, sha256: hash.digest('hex'), size: FILE_MIB * MiB };
  });
}

/** Seconds one shell loop takes to copy every blob into a fresh folder under `scratch` with `copy` ("$f" source, "$d" folder). */
async function timeShellCopy(blobs: Blob[], scratch: string, copy: string): Promise<number> {
  const dest = mkdtempSync(join(scratch, 'copy-'));
  try {
    const started = performance.now();
    await run('sh', ['-c', `d=$1; shift; for f in "$@"; do ${copy}; done`, 'sh', dest, ...blobs.map((b) => b.path)]);
    return (performance.now() - started) / 1000;
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
}

/** PUTs one blob file to the session as a stream; rejects unless the server answers 200 and stored it anew. */
function putBlob(
  agent: http.Agent,
  baseUrl: string,
  apiKey: string,
  sessionId: string,
  uploadToken: string,
  blob: Blob,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(`/v1/upload-sessions/${sessionId}/blobs/${blob.sha256}`, baseUrl), {
      method: 'PUT',
      agent,
      headers: {
        authorization: `Bearer ${apiKey}`,
        'x-upload-token': uploadToken,
        'content-type': 'application/octet-stream',
        'content-length': blob.size,
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        if (res.statusCode === 200 && JSON.parse(text).alreadyPresent === false) resolve();
        else reject(new Error(`PUT ${basename(blob.path)}: ${res.statusCode} ${text}`));
      });
    });
    req.on('error', reject);
    createReadStream(blob.path, { highWaterMark: MiB }).on('error', reject).pipe(req);
  });
}

/** Seconds a fresh `pressdrop serve` on a data folder under `scratch` takes to ingest every blob, `concurrency` PUTs at a time. */
async function timeServerIngest(blobs: Blob[], scratch: string, concurrency: number): Promise<number> {
  const dataDir = mkdtempSync(join(scratch, 'data-'));
  const apiKey = makeApiKey();
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let server: ServerProcess | null = null;
  try {
    server = await spawnServerProcess(dataDir, ['--api-key', apiKey]);
    const files = blobs.map((b) => ({ path: basename(b.path), sha256: b.sha256, size: b.size }));
    const created = await request(server.url, apiKey, 'POST', '/v1/upload-sessions', {
      json: { createDeploy: { slug: 'bench', name: 'Bench' }, files },
    });
    if (created.status !== 201) throw new Error(`create session: ${created.status} ${JSON.stringify(created.body)}`);
    const { uploadToken } = created.body;
    const sessionId: string = created.body.uploadSession.id;

    const queue = [...blobs];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let blob = queue.shift(); blob; blob = queue.shift())
          await putBlob(agent, server!.url, apiKey, sessionId, uploadToken, blob);
      }),
    );
    const seconds = (performance.now() - started) / 1000;

    const entries = files.map((f) => ({ path: f.path, blobHash: f.sha256, size: f.size }));
    const commit = await request(server.url, apiKey, 'POST', `/v1/upload-sessions/${sessionId}/commit`, {
      json: { entries },
      uploadToken,
    });
    if (commit.status !== 201) throw new Error(`commit: ${commit.status} ${JSON.stringify(commit.body)}`);
    return seconds;
  } finally {
    agent.destroy();
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM');
      const stopped = await Promise.race([
        server.exited,
        new Promise((resolve) => setTimeout(resolve, 10_000, 'timeout')),
      ]);
      if (stopped === 'timeout') server.child.kill('SIGKILL');
      await server.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs the bench in a temp folder (removed after) and returns its markdown report. */
export async function serverIngest(log: (line: string) => void = () => {}): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'pressdrop-bench-'));
  try {
    const sources = join(scratch, 'sources');
    mkdirSync(sources);
    log(`server-ingest: writing ${FILES} × ${FILE_MIB} MiB of random bytes under ${scratch}…`);
    const blobs = makeBlobs(sources);
    const cases: Array<{ name: string; time: () => Promise<number> }> = [
      { name: '`cat > file`', time: () => timeShellCopy(blobs, scratch, 'cat "$f" > "$d/${f##*/}"') },
      {
        name: '`dd bs=4M conv=fsync`',
        time: () => timeShellCopy(blobs, scratch, 'dd if="$f" of="$d/${f##*/}" bs=4M conv=fsync status=none'),
      },
      { name: 'server PUT, concurrency 1', time: () => timeServerIngest(blobs, scratch, 1) },
      { name: 'server PUT, concurrency 4', time: () => timeServerIngest(blobs, scratch, 4) },
    ];
    const results: CaseResult[] = cases.map((c) => ({ name: c.name, seconds: [] }));
    for (let round = 1; round <= RUNS; round++) {
      for (const [i, c] of cases.entries()) {
        const seconds = await c.time();
        results[i]!.seconds.push(seconds);
        log(`server-ingest: round ${round}/${RUNS} ${c.name}: ${seconds.toFixed(2)} s`);
      }
    }
    const totalMiB = FILES * FILE_MIB;
    const catSeconds = median(results[0]!.seconds);
    const rows = results.map((r) => {
      const seconds = median(r.seconds);
      return `| ${r.name} | ${totalMiB} | ${seconds.toFixed(2)} | ${(totalMiB / seconds).toFixed(0)} | ${(seconds / catSeconds).toFixed(2)} |`;
    });
    return [
      `### server-ingest: ${FILES} blobs × ${FILE_MIB} MiB over loopback, median of ${RUNS} runs`,
      '',
      '| case | MiB | seconds | MiB/s | ratio to `cat > file` |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
      `Each run (s): ${results.map((r) => `${r.name} ${r.seconds.map((s) => s.toFixed(2)).join(' / ')}`).join('; ')}.`,
    ].join('\n');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
