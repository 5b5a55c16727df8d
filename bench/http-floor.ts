import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { cpuOf } from './process-cpu.ts';

/**
 * The transport's floor on this machine (issue 12): `count` small PUTs from an undici Pool (the
 * client's HTTP library, `concurrency` connections) to a bare `node:http` server that reads each
 * body and answers a small JSON, each side in a process of its own, as `pressdrop deploy` and
 * `pressdrop serve` are. No files, no hashing, no storage, no framework: what 20,000 requests cost
 * before any of our work, so the end-to-end rows can say how far above it they are.
 *
 * `node bench/http-floor.ts serve [delayMs]` and `node bench/http-floor.ts client <url> <count> <concurrency>`
 * are the two processes; `httpFloor` runs both and measures them.
 */

export interface FloorResult {
  seconds: number;
  clientCpu: number;
  serverCpu: number;
}

const SELF = fileURLToPath(import.meta.url);

/** Runs `count` PUTs of 1–8 KiB, `concurrency` at a time, against a bare server answering after `delayMs`. */
export async function httpFloor(count: number, concurrency: number, delayMs = 0): Promise<FloorResult> {
  const server = spawn(process.execPath, [SELF, 'serve', String(delayMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      server.once('exit', (code) => reject(new Error(`http-floor server exited (${code})`)));
    });
    const before = cpuOf(server.pid!);
    const client = spawn(process.execPath, [SELF, 'client', url, String(count), String(concurrency)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    client.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => client.once('exit', resolve));
    if (code !== 0) throw new Error(`http-floor client exited (${code})`);
    const { ms, cpuMs } = JSON.parse(out) as { ms: number; cpuMs: number };
    return { seconds: ms / 1000, clientCpu: cpuMs / 1000, serverCpu: cpuOf(server.pid!) - before };
  } finally {
    server.kill();
  }
}

async function serve(delayMs: number): Promise<void> {
  const server = http.createServer((request, response) => {
    let size = 0;
    request.on('data', (chunk: Buffer) => (size += chunk.length));
    request.on('end', () => {
      const answer = () => {
        response.setHeader('content-type', 'application/json; charset=utf-8');
        response.end(JSON.stringify({ alreadyPresent: false, blob: { sha256: request.url!.slice(-64), size } }));
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  process.stdout.write(`http://127.0.0.1:${port}\n`);
}

async function client(url: string, count: number, concurrency: number): Promise<void> {
  const bodies = Array.from({ length: 64 }, (_, i) => randomBytes(1024 * (1 + (i % 8))));
  const pool = new Pool(url, { connections: concurrency });
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const body = bodies[i % bodies.length]!;
      const response = await pool.request({
        method: 'PUT',
        path: `/v1/blobs/${i.toString(16).padStart(64, '0')}`,
        headers: { 'content-type': 'application/octet-stream' },
        body,
      });
      await response.body.json();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await pool.close();
  process.stdout.write(JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000 }));
}

if (process.argv[1] === SELF) {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'serve') await serve(Number(args[0] ?? 0));
  else if (mode === 'client') await client(args[0]!, Number(args[1]), Number(args[2]));
  else {
    // `node bench/http-floor.ts [count] [concurrency] [delayMs]`: one measure, printed.
    const [count = '20000', concurrency = '64', delayMs = '0'] = process.argv.slice(2);
    const result = await httpFloor(Number(count), Number(concurrency), Number(delayMs));
    console.log(JSON.stringify(result));
  }
}
