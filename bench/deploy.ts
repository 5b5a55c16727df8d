import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { DeployEvent, DeployPhase } from '../src-shared/upload-model.ts';
import { curlPutArgs, loadLine, median, withServer } from './bench-kit.ts';
import { RACY_WINDOW_MS } from '../src-core/hash-cache.ts';
import { CLI_ENTRY, request, type ServerProcess } from '../src-server/testing/test-server.ts';

/**
 * Deploy: the `pressdrop deploy` command end to end against a fresh
 * `pressdrop serve` child process on loopback (data folder on the same disk).
 * (1) first deploy of 1 GiB (32 × 32 MiB random + 300 small files), fresh
 * state dir, against `xargs -P8 curl --data-binary` PUTting the same blobs to
 * the same kind of server; (2) re-deploy of 20,000 small files after one
 * changed, warm hash cache: requests the server saw and wall time, against
 * the first deploy of that tree; (3) peak RSS of the CLI uploading one 4 GiB
 * (sparse) file. (1) interleaves its RUNS rounds and (2) re-deploys RUNS
 * times, each taking the median; (2)'s first deploy runs once (a minute).
 */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const env = process.env;
const BIG_FILES = 32;
const BIG_MIB = Number(env.PRESSDROP_BENCH_DEPLOY_MIB ?? 32);
const EXTRA_SMALL_FILES = 300;
const TREE_FILES = Number(env.PRESSDROP_BENCH_TREE_FILES ?? 20_000);
const SMALL_MAX_BYTES = 16 * 1024;
const HUGE_GIB = Number(env.PRESSDROP_BENCH_HUGE_GIB ?? 4);
const CURL_PARALLEL = 8;
/** `--concurrency` for every CLI run; unset, the engine's default. */
const CONCURRENCY = env.PRESSDROP_BENCH_DEPLOY_CONCURRENCY;
const RUNS = 3;
const run = promisify(execFile);

interface SourceFile {
  /** Relative, with `/`: as the CLI's scan names it. */
  path: string;
  absolutePath: string;
  sha256: string;
  size: number;
}

/** Writes `size` random bytes to a new file, returning its sha256. */
function writeRandomFile(absolutePath: string, size: number): string {
  const hash = createHash('sha256');
  const fd = openSync(absolutePath, 'w');
  try {
    for (let written = 0; written < size;) {
      const chunk = randomBytes(Math.min(16 * MiB, size - written));
      hash.update(chunk);
      writeSync(fd, chunk);
      written += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** `count` random files of 0–16 KiB, 20 per folder, 50 folders per section (as in bench/hashing.ts). */
function writeSmallFiles(root: string, prefix: string, count: number): SourceFile[] {
  const files: SourceFile[] = [];
  for (let a = 0; files.length < count; a++) {
    for (let b = 0; b < 50 && files.length < count; b++) {
      const folder = `${prefix}section-${a}/page-${b}`;
      mkdirSync(join(root, folder), { recursive: true });
      for (let c = 0; c < 20 && files.length < count; c++) {
        const path = `${folder}/asset-${c}.dat`;
        const size = Math.floor(Math.random() * (SMALL_MAX_BYTES + 1));
        files.push({ path, absolutePath: join(root, path), size, sha256: writeRandomFile(join(root, path), size) });
      }
    }
  }
  return files;
}

const fixed = (values: number[], digits = 2) => values.map((v) => v.toFixed(digits)).join(' / ');

/** One `pressdrop deploy … --json` as seen from outside. */
interface CliRun {
  /** Spawn to exit, as a user waits for it. */
  seconds: number;
  /** When each phase started and when the commit was answered (the CLI's Date.now(), from its progress events). */
  phaseAt: Partial<Record<DeployPhase | 'committed', number>>;
  /** `/usr/bin/time -v`'s "Maximum resident set size", when run under it. */
  maxRssKiB: number | null;
  /** VmRSS samples of the CLI process, with the bytes sent when taken. */
  samples: Array<{ rssKiB: number; hwmKiB: number; phase: DeployPhase; sentBytes: number }>;
}

/** The kB value of one line of /proc/<pid>/status, or null once the process is gone. */
function procStatus(pid: number): { rssKiB: number; hwmKiB: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM') };
  } catch {
    return null;
  }
}

/** Runs `pressdrop deploy <args> --json` (under `/usr/bin/time -v` with `timeV`, in `env` if given), sampling its memory with `sampleMs`. */
function runDeploy(
  args: string[],
  options: { timeV?: boolean; sampleMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  const cli = [process.execPath, CLI_ENTRY, 'deploy', ...args, '--json'];
  const started = performance.now();
  const spawnOptions = {
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  };
  const child = options.timeV
    ? spawn('/usr/bin/time', ['-v', ...cli], spawnOptions)
    : spawn(cli[0]!, cli.slice(1), spawnOptions);
  const result: CliRun = { seconds: 0, phaseAt: {}, maxRssKiB: null, samples: [] };
  let stdout = '';
  let stderr = '';
  let lastProgressAt = 0;
  let phase: DeployPhase = 'scan';
  let sentBytes = 0;
  let committed = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = stdout.split('\n');
    stdout = lines.pop()!;
    for (const line of lines) {
      const event = JSON.parse(line) as DeployEvent;
      if (event.type === 'progress') {
        lastProgressAt = event.totals.atMs;
        sentBytes = event.totals.sentBytes;
      } else if (event.type === 'phase') {
        // Each phase event follows the progress event its start flushed, stamped with the same moment.
        phase = event.phase;
        result.phaseAt[event.phase] = lastProgressAt;
      } else if (event.type === 'committed') {
        committed = true;
        result.phaseAt.committed = event.totals.atMs;
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // Under `time`, the CLI is time's only child.
  const cliPid = () =>
    options.timeV
      ? Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]) || null
      : child.pid!;
  const sampler =
    options.sampleMs === undefined
      ? undefined
      : setInterval(() => {
          try {
            const pid = cliPid();
            const status = pid ? procStatus(pid) : null;
            if (status) result.samples.push({ ...status, phase, sentBytes });
          } catch {
            // Not started yet, or already gone.
          }
        }, options.sampleMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sampler);
      result.seconds = (performance.now() - started) / 1000;
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      if (rss) result.maxRssKiB = Number(rss[1]);
      if (code !== 0 || !committed)
        reject(
          new Error(`pressdrop deploy ${args.join(' ')}: exit ${code}${committed ? '' : ', no commit'}\n${stderr}`),
        );
      else resolve(result);
    });
  });
}

const between = (run: CliRun, from: DeployPhase, to: DeployPhase | 'committed') =>
  (run.phaseAt[to]! - run.phaseAt[from]!) / 1000;

/** The CLI's flags for a server and a state dir. */
const target = (server: ServerProcess, apiKey: string, stateDir: string) => [
  '--api',
  server.url,
  '--api-key',
  apiKey,
  '--state-dir',
  stateDir,
  ...(CONCURRENCY ? ['--concurrency', CONCURRENCY] : []),
];

// ---- (1) first deploy of 1 GiB vs curl ----

interface FirstDeployTimes {
  total: number;
  /** Start of the scan to the first missing-blobs call: scan, hash, session. */
  prepare: number;
  /** First missing-blobs call to the last PUT answered. */
  upload: number;
}

async function timePressdrop(tree: string, scratch: string): Promise<FirstDeployTimes> {
  const stateDir = mkdtempSync(join(scratch, 'state-'));
  try {
    return await withServer(scratch, [], async (server, apiKey) => {
      const cli = await runDeploy([tree, '--create', 'bench', ...target(server, apiKey, stateDir)]);
      return { total: cli.seconds, prepare: between(cli, 'scan', 'check'), upload: between(cli, 'check', 'commit') };
    });
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Seconds `xargs -P8 curl` takes to PUT the missing blobs; the session, missing-blobs calls and commit are untimed. */
async function timeCurl(files: SourceFile[], scratch: string): Promise<number> {
  return withServer(scratch, [], async (server, apiKey) => {
    const descriptors = files.map(({ path, sha256, size }) => ({ path, sha256, size }));
    const created = await request(server.url, apiKey, 'POST', '/v1/upload-sessions', {
      json: { createDeploy: { slug: 'bench', name: 'bench' }, files: descriptors },
    });
    if (created.status !== 201) throw new Error(`create session: ${created.status} ${JSON.stringify(created.body)}`);
    const { uploadToken } = created.body as { uploadToken: string };
    const sessionId = (created.body as { uploadSession: { id: string } }).uploadSession.id;
    const missing = new Set<string>();
    for (let i = 0; i < descriptors.length; i += 1000) {
      const answer = await request(server.url, apiKey, 'POST', `/v1/upload-sessions/${sessionId}/missing-blobs`, {
        json: { files: descriptors.slice(i, i + 1000) },
        uploadToken,
      });
      if (answer.status !== 200) throw new Error(`missing-blobs: ${answer.status} ${JSON.stringify(answer.body)}`);
      for (const blob of (answer.body as { missingBlobs: Array<{ sha256: string }> }).missingBlobs)
        missing.add(blob.sha256);
    }
    const bySha = new Map(files.map((file) => [file.sha256, file]));
    const argsFile = join(scratch, 'curl-args');
    // Three arguments per blob, one a line: --data-binary @file URL.
    writeFileSync(
      argsFile,
      [...missing]
        .map(
          (sha) =>
            `--data-binary\n@${bySha.get(sha)!.absolutePath}\n${server.url}/v1/upload-sessions/${sessionId}/blobs/${sha}\n`,
        )
        .join(''),
    );
    const curl = curlPutArgs(apiKey, uploadToken);
    const started = performance.now();
    await run('xargs', ['-a', argsFile, '-d', '\\n', `-P${CURL_PARALLEL}`, '-n3', ...curl]);
    const seconds = (performance.now() - started) / 1000;
    rmSync(argsFile);
    const entries = files.map((file) => ({ path: file.path, blobHash: file.sha256, size: file.size }));
    const commit = await request(server.url, apiKey, 'POST', `/v1/upload-sessions/${sessionId}/commit`, {
      json: { entries },
      uploadToken,
    });
    if (commit.status !== 201) throw new Error(`commit after curl: ${commit.status} ${JSON.stringify(commit.body)}`);
    return seconds;
  });
}

async function firstDeployCase(scratch: string, log: (line: string) => void): Promise<string[]> {
  const tree = join(scratch, 'site-big');
  mkdirSync(join(tree, 'media'), { recursive: true });
  log(`deploy: writing ${BIG_FILES} × ${BIG_MIB} MiB and ${EXTRA_SMALL_FILES} small files…`);
  const files = Array.from({ length: BIG_FILES }, (_, i): SourceFile => {
    const path = `media/video-${i}.bin`;
    return {
      path,
      absolutePath: join(tree, path),
      size: BIG_MIB * MiB,
      sha256: writeRandomFile(join(tree, path), BIG_MIB * MiB),
    };
  });
  files.push(...writeSmallFiles(tree, 'pages/', EXTRA_SMALL_FILES));
  await run('sync');
  const totalMiB = files.reduce((sum, file) => sum + file.size, 0) / MiB;
  const load = loadLine();
  const ours: FirstDeployTimes[] = [];
  const theirs: number[] = [];
  for (let round = 1; round <= RUNS; round++) {
    ours.push(await timePressdrop(tree, scratch));
    theirs.push(await timeCurl(files, scratch));
    const o = ours.at(-1)!;
    log(
      `deploy: round ${round}/${RUNS} first deploy: pressdrop ${o.total.toFixed(2)} s (upload ${o.upload.toFixed(2)} s) vs curl ${theirs.at(-1)!.toFixed(2)} s`,
    );
  }
  rmSync(tree, { recursive: true, force: true });
  const curl = median(theirs);
  const row = (name: string, seconds: number, aim: string) =>
    `| ${name} | ${seconds.toFixed(2)} | ${(totalMiB / seconds).toFixed(0)} | ${(seconds / curl).toFixed(2)} | ${aim} |`;
  const total = median(ours.map((o) => o.total));
  const upload = median(ours.map((o) => o.upload));
  return [
    `#### (1) first deploy of ${(totalMiB / 1024).toFixed(2)} GiB (${BIG_FILES} × ${BIG_MIB} MiB random + ${EXTRA_SMALL_FILES} files of 0–16 KiB), fresh server and state dir, median of ${RUNS}`,
    '',
    '| case | seconds | MiB/s | ratio to curl | aim |',
    '| --- | ---: | ---: | ---: | --- |',
    row(
      '`pressdrop deploy`, whole command (Node start, scan, hash, session, upload, commit)',
      total,
      `≤ 1.1 ${total / curl <= 1.1 ? '✓' : '✗'}`,
    ),
    row(
      '`pressdrop deploy`, upload part (first missing-blobs call → last PUT answered)',
      upload,
      `≤ 1.1 ${upload / curl <= 1.1 ? '✓' : '✗'}`,
    ),
    `| \`xargs -P${CURL_PARALLEL} curl -X PUT --data-binary @file\` (PUTs only) | ${curl.toFixed(2)} | ${(totalMiB / curl).toFixed(0)} | 1.00 | baseline |`,
    '',
    `Each run (s): pressdrop whole ${fixed(ours.map((o) => o.total))}; of which scan + hash + session ${fixed(ours.map((o) => o.prepare))}, upload ${fixed(ours.map((o) => o.upload))}; curl ${fixed(theirs)}. ${load}`,
  ];
}

// ---- (2) re-deploy after one changed file in 20,000 ----

/** `METHOD /route` of each request in `--log-requests` lines, ids replaced by placeholders. */
function countRequests(logText: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of logText.split('\n')) {
    if (!line.includes('"incoming request"')) continue;
    const { req } = JSON.parse(line) as { req: { method: string; url: string } };
    const route = req.url
      .split('?')[0]!
      .replace(/\/us_[^/]+/, '/{session}')
      .replace(/\/blobs\/[0-9a-f]{64}/, '/blobs/{sha256}')
      .replace(/\/(dpl|dv)_[^/]+/, (_, kind: string) => `/{${kind}}`);
    const key = `${req.method} ${route}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The server's log since `from`, once every request in it has completed (the pipe may lag the CLI's exit). */
async function logSince(server: ServerProcess, from: number): Promise<string> {
  for (let waited = 0; ; waited += 20) {
    const text = server.output().slice(from);
    const incoming = text.split('"incoming request"').length;
    if (incoming === text.split('"request completed"').length || waited > 5_000) return text;
    await sleep(20);
  }
}

async function redeployCase(scratch: string, log: (line: string) => void): Promise<string[]> {
  const tree = join(scratch, 'site-small');
  log(`deploy: writing ${TREE_FILES} files of 0–16 KiB…`);
  const files = writeSmallFiles(tree, '', TREE_FILES);
  await run('sync');
  // The racy-git rule: the hash cache keeps only files written RACY_WINDOW_MS before they were hashed.
  await sleep(RACY_WINDOW_MS + 200);
  const load = loadLine();
  const stateDir = mkdtempSync(join(scratch, 'state-'));
  let first = 0;
  let firstCounts = new Map<string, number>();
  const again: number[] = [];
  const againCounts: Array<Map<string, number>> = [];
  try {
    await withServer(scratch, ['--log-requests'], async (server, apiKey) => {
      let mark = server.output().length;
      first = (await runDeploy([tree, '--create', 'site', ...target(server, apiKey, stateDir)])).seconds;
      firstCounts = countRequests(await logSince(server, mark));
      log(`deploy: first deploy of ${TREE_FILES} files: ${first.toFixed(2)} s`);
      for (let round = 1; round <= RUNS; round++) {
        // One file in TREE_FILES changes (a different one each round); the others are hash-cache hits.
        const changed = files[(round * 997) % files.length]!;
        writeRandomFile(changed.absolutePath, changed.size + 1);
        mark = server.output().length;
        again.push((await runDeploy([tree, '--deploy', 'site', ...target(server, apiKey, stateDir)])).seconds);
        againCounts.push(countRequests(await logSince(server, mark)));
        log(`deploy: round ${round}/${RUNS} re-deploy after 1 changed file: ${again.at(-1)!.toFixed(2)} s`);
      }
    });
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(tree, { recursive: true, force: true });
  }
  const routes = [...new Set([...firstCounts.keys(), ...againCounts.flatMap((counts) => [...counts.keys()])])];
  const sum = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
  const sameEachRound = againCounts.every((counts) =>
    routes.every((route) => counts.get(route) === againCounts[0]!.get(route)),
  );
  const second = median(again);
  return [
    `#### (2) ${TREE_FILES} files of 0–16 KiB: first deploy, then re-deploys after one changed file (same state dir: warm hash cache)`,
    '',
    '| case | seconds | requests | ratio to first deploy |',
    '| --- | ---: | ---: | ---: |',
    `| first deploy (fresh server and state dir), 1 run | ${first.toFixed(2)} | ${sum(firstCounts)} | 1.00 |`,
    `| re-deploy after 1 changed file, median of ${RUNS} | ${second.toFixed(2)} | ${sum(againCounts[0]!)} | ${(second / first).toFixed(3)} |`,
    '',
    'Requests the server logged (`--log-requests`, its "incoming request" lines), by method and route:',
    '',
    '| request | first deploy | re-deploy |',
    '| --- | ---: | ---: |',
    ...routes.map((route) => `| \`${route}\` | ${firstCounts.get(route) ?? 0} | ${againCounts[0]!.get(route) ?? 0} |`),
    '',
    `Re-deploy runs (s): ${fixed(again)}.${sameEachRound ? ' Each re-deploy made the same requests.' : ` Re-deploy requests per run: ${againCounts.map(sum).join(' / ')}.`} ${load}`,
  ];
}

// ---- (3) peak memory uploading one 4 GiB file ----

async function peakMemoryCase(scratch: string, log: (line: string) => void): Promise<string[]> {
  const title = `#### (3) peak memory of the CLI uploading one ${HUGE_GIB} GiB file (sparse), fresh server and state dir`;
  const { bavail, bsize } = statfsSync(scratch);
  // The source is sparse; the server's copy is not.
  if (bavail * bsize < (HUGE_GIB + 4) * GiB)
    return [title, '', `Skipped: ${((bavail * bsize) / GiB).toFixed(1)} GiB free in ${scratch}.`];
  const dir = join(scratch, 'site-huge');
  mkdirSync(dir);
  const fd = openSync(join(dir, 'huge.bin'), 'w');
  ftruncateSync(fd, HUGE_GIB * GiB);
  closeSync(fd);
  const timeV = existsSync('/usr/bin/time');
  log(`deploy: uploading one ${HUGE_GIB} GiB sparse file${timeV ? ' under /usr/bin/time -v' : ''}…`);
  const stateDir = mkdtempSync(join(scratch, 'state-'));
  const firstStateDir = mkdtempSync(join(scratch, 'state-'));
  // The CLI keeps Node's compile cache (src-cli/bin.js): a run after the first loads its modules
  // already stripped and compiled. Every CLI run here uses one cache folder of its own, empty at
  // first: the first deploy is the first run after an install or a change, and fills it; the
  // measured deploy and `--help` then run as every later run does.
  const cacheDir = mkdtempSync(join(scratch, 'compile-cache-'));
  const cliEnv: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: cacheDir };
  try {
    const first = await withServer(scratch, [], (server, apiKey) =>
      runDeploy([dir, '--create', 'huge', ...target(server, apiKey, firstStateDir)], {
        timeV,
        sampleMs: 100,
        env: cliEnv,
      }),
    );
    // The floor: the CLI with its modules loaded (undici, commander, SQLite…) and nothing run.
    const help = timeV
      ? await run('/usr/bin/time', ['-v', process.execPath, CLI_ENTRY, '--help'], { env: cliEnv }).catch(
          (error: { stderr?: string }) => ({ stderr: error.stderr ?? '' }),
        )
      : null;
    const helpKiB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(help?.stderr ?? '')?.[1] ?? NaN);
    const load = loadLine();
    const cli = await withServer(scratch, [], (server, apiKey) =>
      runDeploy([dir, '--create', 'huge', ...target(server, apiKey, stateDir)], { timeV, sampleMs: 100, env: cliEnv }),
    );
    const peakOf = (run: CliRun) => run.maxRssKiB ?? Math.max(...run.samples.map((s) => s.hwmKiB));
    const mib = (kib: number) => (kib / 1024).toFixed(0);
    const maxOf = (samples: CliRun['samples']) =>
      samples.length === 0 ? NaN : Math.max(...samples.map((s) => s.rssKiB));
    const uploading = cli.samples.filter((s) => s.phase === 'upload');
    const half = (HUGE_GIB * GiB) / 2;
    const peak = peakOf(cli);
    const firstPeak = peakOf(first);
    const upload = between(cli, 'check', 'commit');
    return [
      title,
      '',
      '| measure | MiB |',
      '| --- | ---: |',
      `| max RSS of the CLI process (${cli.maxRssKiB === null ? 'VmHWM' : '`/usr/bin/time -v`'}), aim < 200 | ${mib(peak)} ${peak < 200 * 1024 ? '✓' : '✗'} |`,
      `| the same, first run after an install or a change (empty compile cache; run before, to its own fresh server and state dir) | ${mib(firstPeak)} ${firstPeak < 200 * 1024 ? '✓' : '✗'} |`,
      `| \`pressdrop --help\` (modules loaded, nothing run), for scale | ${mib(helpKiB)} |`,
      `| RSS while scanning and hashing (max of ${cli.samples.filter((s) => s.phase === 'scan' || s.phase === 'hash').length} samples) | ${mib(maxOf(cli.samples.filter((s) => s.phase === 'scan' || s.phase === 'hash')))} |`,
      `| RSS while uploading the first ${HUGE_GIB / 2} GiB (max of samples every 100 ms) | ${mib(maxOf(uploading.filter((s) => s.sentBytes < half)))} |`,
      `| RSS while uploading the last ${HUGE_GIB / 2} GiB (max of samples every 100 ms) | ${mib(maxOf(uploading.filter((s) => s.sentBytes >= half)))} |`,
      '',
      `Whole command ${cli.seconds.toFixed(1)} s; hash ${between(cli, 'hash', 'check').toFixed(1)} s; upload ${upload.toFixed(1)} s (${((HUGE_GIB * 1024) / upload).toFixed(0)} MiB/s). ${load}`,
    ];
  } finally {
    for (const folder of [stateDir, firstStateDir, cacheDir, dir]) rmSync(folder, { recursive: true, force: true });
  }
}

/** Runs the bench in a temp folder (removed after) and returns its markdown report. */
export async function deploy(log: (line: string) => void = () => {}): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'pressdrop-bench-'));
  try {
    const only = (env.PRESSDROP_BENCH_DEPLOY_CASES ?? '1,2,3').split(',');
    const sections: string[][] = [];
    if (only.includes('1')) sections.push(await firstDeployCase(scratch, log));
    if (only.includes('2')) sections.push(await redeployCase(scratch, log));
    if (only.includes('3')) sections.push(await peakMemoryCase(scratch, log));
    return [
      `### deploy: \`pressdrop deploy\` (CLI child process) to a fresh \`pressdrop serve\` child process over loopback, data on the same disk`,
      '',
      ...sections.flatMap((s) => [...s, '']),
    ]
      .join('\n')
      .trimEnd();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
