import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { ServerProcess } from '../src-server/testing/test-server.ts';
import { buildCli } from '../scripts/build-cli.ts';
import { curlPutArgs, loadLine, median, withServer } from './bench-kit.ts';
import { cpuOf } from './process-cpu.ts';
import { httpFloor, type FloorResult } from './http-floor.ts';
import { NOOP_FLOOR, writeManifest } from './noop-floor.ts';
import { NOOP_FLOOR_BARE } from './noop-floor-bare.js';
import { RESIDENT_NOOP } from './resident-noop.ts';

/**
 * The end-to-end group (issue 12): whole `pressdrop` processes against a
 * `pressdrop serve` of their own, as a user runs them, each row a ratio to a
 * baseline run in the same bench, with both processes' CPU and the CLI's
 * peak RSS (`/usr/bin/time -v`-style, from `/usr/bin/time -f`). Median of
 * RUNS. `node bench/run.ts end-to-end`.
 */

const exec = promisify(execFile);
/** The `pressdrop` users run (package.json's "bin"): the bundle, built by endToEnd from the sources as they are. */
let CLI_ENTRY = '';
/**
 * The Node flags of package.json's bin (its shebang, `#!/usr/bin/env -S node <flags>`): the bench runs
 * the bundle with the pinned Node directly, so it passes them as the shebang would.
 */
const BIN_NODE_FLAGS = binNodeFlags(
  readFileSync(new URL('../src-cli/pressdrop.js', import.meta.url), 'utf8').split('\n')[0]!,
);

/** The flags of a `#!/usr/bin/env -S node <flags>` line; a shebang of another shape stops the bench (it would time other flags). */
function binNodeFlags(shebang: string): string[] {
  const flags = /^#!\/usr\/bin\/env -S node(?<flags>( --[\w-]+(=\S+)?)*)$/.exec(shebang)?.groups?.flags;
  if (flags === undefined)
    throw new Error(`src-cli/pressdrop.js: cannot read the Node flags of its shebang "${shebang}"`);
  return flags.trim().split(' ').filter(Boolean);
}
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const KiB = 1024;
const MiB = 1024 * KiB;

interface Measured {
  seconds: number;
  /** User + system CPU seconds of the process measured. */
  cpu: number;
  maxRssMiB: number;
}

/** Runs `args` under `/usr/bin/time`: its wall time (spawn to exit), CPU seconds and peak RSS. */
async function timed(args: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<Measured> {
  const out = join(tmpdir(), `pressdrop-time-${randomBytes(6).toString('hex')}`);
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', out, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
      cwd,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${args.join(' ')}: exit ${code}\n${stderr.slice(-2000)}`)),
    );
  });
  const seconds = (performance.now() - started) / 1000;
  const [user, system, rssKiB] = readFileSync(out, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  rmSync(out, { force: true });
  return { seconds, cpu: user! + system!, maxRssMiB: rssKiB! / 1024 };
}

/** Writes `count` random files of `minBytes`–`maxBytes` into `folders` folders under `root`. */
function writeTree(root: string, count: number, minBytes: number, maxBytes: number, folders: number): void {
  for (let i = 0; i < count; i++) {
    const folder = join(root, `section-${i % folders}`);
    mkdirSync(folder, { recursive: true });
    const size = minBytes + Math.floor(Math.random() * (maxBytes - minBytes + 1));
    writeFileSync(join(folder, `file-${i}.dat`), randomBytes(size));
  }
}

/** `pressdrop deploy <tree>` to `server` with `stateDir`, timed; the server's CPU for it too. */
async function deploy(
  server: ServerProcess,
  apiKey: string,
  tree: string,
  stateDir: string,
  slug: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Measured & { serverCpu: number }> {
  const before = cpuOf(server.child.pid!);
  const run = await timed(
    [
      process.execPath,
      ...BIN_NODE_FLAGS,
      CLI_ENTRY,
      'deploy',
      tree,
      '--deploy',
      slug,
      '--api',
      server.url,
      '--api-key',
      apiKey,
      '--state-dir',
      stateDir,
      '--json',
    ],
    env,
  );
  return { ...run, serverCpu: cpuOf(server.child.pid!) - before };
}

/** Creates the deploy `slug` (an empty one) so that every timed run is `--deploy slug`; returns its id. */
async function createDeploy(server: ServerProcess, apiKey: string, slug: string): Promise<string> {
  const response = await fetch(`${server.url}/v1/deploys`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': `bench-${slug}-${randomBytes(4).toString('hex')}`,
    },
    body: JSON.stringify({ slug, name: slug }),
  });
  if (response.status !== 201) throw new Error(`create deploy ${slug}: ${response.status}`);
  return ((await response.json()) as { deploy: { id: string } }).deploy.id;
}

/** The median of each field over `runs`. */
function medianOf<T extends object>(runs: T[]): T {
  const keys = Object.keys(runs[0]!) as Array<keyof T>;
  return Object.fromEntries(keys.map((key) => [key, median(runs.map((run) => run[key] as number))])) as T;
}

const s = (seconds: number) => `${seconds.toFixed(2)} s`;
const ratio = (ours: number, base: number) => `**${(ours / base).toFixed(2)}×**`;

/** The rows on one tree of small files: first deploy, warm no-op, fresh-state re-deploy. */
async function smallTreeRows(scratch: string, log: (line: string) => void): Promise<string[]> {
  const tree = join(scratch, 'small');
  writeTree(tree, 20_000, KiB, 8 * KiB, 200);
  await exec('git', ['init', '-q', tree]);
  // No auto gc: after committing 20,000 objects, git would pack them in the background, during the runs.
  await exec('git', ['-C', tree, 'config', 'gc.auto', '0']);
  await exec('git', ['-C', tree, 'add', '-A']);
  await exec('git', ['-C', tree, '-c', 'user.email=b@b', '-c', 'user.name=b', 'commit', '-qm', 'tree']);
  rmSync(join(tree, '.git', 'COMMIT_EDITMSG'), { force: true });
  // Packed now, once, as a repository's objects are: the cp baseline copies the site, not 20,000 loose objects.
  await exec('git', ['-C', tree, 'gc', '-q', '--prune=now']);
  // A user's site is on disk long before it is deployed: no run competes with the tree's own writeback.
  await exec('sync', []);
  const manifest = join(scratch, 'small-manifest.json');
  writeManifest(tree, manifest);
  const first: Array<Measured & { serverCpu: number }> = [];
  const noop: Measured[] = [];
  const fresh: Measured[] = [];
  const scanFloor: Measured[] = [];
  const protocolFloor: Array<{ seconds: number; serverCpu: number }> = [];
  const bareFloor: Measured[] = [];
  const resident: number[] = [];
  const git: Measured[] = [];
  const sha: Measured[] = [];
  const copy: Measured[] = [];
  for (let i = 0; i < RUNS; i++) {
    await withServer(scratch, [], async (server, apiKey) => {
      const deployId = await createDeploy(server, apiKey, 'small');
      const state = mkdtempSync(join(scratch, 'state-'));
      first.push(await deploy(server, apiKey, tree, state, 'small'));
      noop.push(await deploy(server, apiKey, tree, state, 'small'));
      const { stdout: residentOut } = await exec(process.execPath, [
        RESIDENT_NOOP,
        server.url,
        apiKey,
        deployId,
        tree,
        state,
        '3',
      ]);
      resident.push(median((JSON.parse(residentOut) as { ms: number[] }).ms) / 1000);
      fresh.push(await deploy(server, apiKey, tree, mkdtempSync(join(scratch, 'state-')), 'small'));
      scanFloor.push(await timed([process.execPath, NOOP_FLOOR_BARE, 'scan', tree]));
      const before = cpuOf(server.child.pid!);
      const { stdout } = await exec(process.execPath, [NOOP_FLOOR, 'protocol', server.url, apiKey, deployId, manifest]);
      const { ms } = JSON.parse(stdout) as { ms: number };
      protocolFloor.push({ seconds: ms / 1000, serverCpu: cpuOf(server.child.pid!) - before });
    });
    bareFloor.push(await bareNoop(scratch, tree, manifest));
    git.push(await timed(['git', '-C', tree, 'status', '--porcelain']));
    sha.push(
      await timed([
        'sh',
        '-c',
        `find "${tree}" -path '*/.git' -prune -o -type f -print0 | xargs -0 -P2 sha256sum > /dev/null`,
      ]),
    );
    const dest = join(scratch, `copy-${i}`);
    copy.push(await timed(['sh', '-c', `cp -r "${tree}" "${dest}" && sync`]));
    rmSync(dest, { recursive: true, force: true });
    log(
      `end-to-end small tree ${i + 1}/${RUNS}: first ${s(first.at(-1)!.seconds)}, no-op ${s(noop.at(-1)!.seconds)} (resident ${s(resident.at(-1)!)}, bare floor ${s(bareFloor.at(-1)!.seconds)}), fresh state ${s(fresh.at(-1)!.seconds)}`,
    );
  }
  const f = medianOf(first);
  const n = medianOf(noop);
  const r = medianOf(fresh);
  const g = medianOf(git);
  const h = medianOf(sha);
  const c = medianOf(copy);
  const sf = medianOf(scanFloor);
  const pf = medianOf(protocolFloor);
  const bf = medianOf(bareFloor);
  const rn = median(resident);
  return [
    `| re-deploy of 20,000 files, nothing changed, warm hash cache | ${s(n.seconds)} (CPU ${s(n.cpu)}, ${n.maxRssMiB.toFixed(0)} MiB) | \`git status --porcelain\`, ${s(g.seconds)} | ${ratio(n.seconds, g.seconds)} | ≤ 8× |`,
    `| the same, by an engine that stays up, as the desktop app runs it (no start-up; \`bench/resident-noop.ts\`, median of 3 after a warm-up) | ${s(rn)} | \`git status --porcelain\`, ${s(g.seconds)} | ${ratio(rn, g.seconds)} | |`,
    `| no-op floor, the scan: a bare Node process (plain JavaScript) that lists the tree and lstats each file once (\`bench/noop-floor-bare.js scan\`) | ${s(sf.seconds)} (CPU ${s(sf.cpu)}) | \`git status --porcelain\`, ${s(g.seconds)} | ${ratio(sf.seconds, g.seconds)} | |`,
    `| no-op floor, the protocol: the session and the commit of the same 20,000-entry manifest, from the first request to the last answer, sent by a bare undici client (\`bench/noop-floor.ts protocol\`) | ${s(pf.seconds)} (server CPU ${s(pf.serverCpu)}) | | | |`,
    `| no-op floor, whole: the scan's bare process, which then reads the tree's hashes from one JSON file and sends the session and the commit of the 20,000-entry manifest to a bare \`node:http\` server that parses each body and writes the commit's to one synced file (\`bench/noop-floor-bare.js deploy\`) | ${s(bf.seconds)} (CPU ${s(bf.cpu)}) | \`git status --porcelain\`, ${s(g.seconds)} | ${ratio(bf.seconds, g.seconds)} | |`,
    `| re-deploy of 20,000 files, fresh state dir (every file hashed; the server has every blob) | ${s(r.seconds)} (CPU ${s(r.cpu)}, ${r.maxRssMiB.toFixed(0)} MiB) | \`find … \\| xargs -0 -P2 sha256sum\`, ${s(h.seconds)} | ${ratio(r.seconds, h.seconds)} | ≤ 1.5× |`,
    `| first deploy of 20,000 files of 1–8 KiB | ${s(f.seconds)} (client CPU ${s(f.cpu)}, server CPU ${s(f.serverCpu)}; client peak RSS ${f.maxRssMiB.toFixed(0)} MiB) | \`cp -r\` of the tree then one \`sync\`, ${s(c.seconds)} | ${ratio(f.seconds, c.seconds)} | ≤ 3 s, RSS < 200 MiB |`,
  ];
}

/**
 * The whole no-op at its floor: `bench/noop-floor-bare.js deploy` (start, scan, the hashes from one
 * file, the session and the commit) timed as a process, against that file's bare server.
 */
async function bareNoop(scratch: string, tree: string, manifest: string): Promise<Measured> {
  const data = mkdtempSync(join(scratch, 'bare-server-'));
  const server = spawn(process.execPath, [NOOP_FLOOR_BARE, 'serve', data], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      server.once('exit', (code) => reject(new Error(`the bare no-op server exited (${code})`)));
    });
    return await timed([process.execPath, NOOP_FLOOR_BARE, 'deploy', tree, manifest, url]);
  } finally {
    server.kill();
    rmSync(data, { recursive: true, force: true });
  }
}

/** First deploys of 5,000 × 4 KiB, and of 2,000 × 2 KiB to a server 20 ms away. */
async function manyFilesRows(scratch: string, log: (line: string) => void): Promise<string[]> {
  const five = join(scratch, 'five');
  writeTree(five, 5_000, 4 * KiB, 4 * KiB, 50);
  const two = join(scratch, 'two');
  writeTree(two, 2_000, 2 * KiB, 2 * KiB, 20);
  await exec('sync', []);
  const fiveRuns: Array<Measured & { serverCpu: number }> = [];
  const remote: Measured[] = [];
  for (let i = 0; i < RUNS; i++) {
    await withServer(scratch, [], async (server, apiKey) => {
      await createDeploy(server, apiKey, 'five');
      fiveRuns.push(await deploy(server, apiKey, five, mkdtempSync(join(scratch, 'state-')), 'five'));
    });
    await withServer(scratch, ['--faults', 'latency=20'], async (server, apiKey) => {
      await createDeploy(server, apiKey, 'two');
      remote.push(await deploy(server, apiKey, two, mkdtempSync(join(scratch, 'state-')), 'two'));
    });
    log(
      `end-to-end ${i + 1}/${RUNS}: 5,000 files ${s(fiveRuns.at(-1)!.seconds)}, 2,000 files 20 ms away ${s(remote.at(-1)!.seconds)}`,
    );
  }
  const f = medianOf(fiveRuns);
  const r = medianOf(remote);
  // limits, session, 2 missing-blobs calls, 2,000 PUTs, commit; 16 uploads in flight (the issue's
  // baseline, the old fixed limit); at the adaptive limit's 128, an eighth of it.
  const floor = ((2_000 + 5) * 0.02) / 16;
  return [
    `| first deploy of 5,000 files of 4 KiB | ${s(f.seconds)} (client CPU ${s(f.cpu)}, server CPU ${s(f.serverCpu)}; client peak RSS ${f.maxRssMiB.toFixed(0)} MiB) | | | |`,
    `| first deploy of 2,000 files of 2 KiB, server with \`--faults latency=20\` | ${s(r.seconds)} | requests × 20 ms ÷ 16 in flight, ${s(floor)} (÷ 128: ${s(floor / 8)}) | ${ratio(r.seconds, floor)} | ≤ 1.2 s |`,
  ];
}

/**
 * The transport's floor (bench/http-floor.ts): the PUTs of the first-deploy rows alone, from undici
 * to a bare `node:http` server, each in its own process, with no files, hashes or storage; on
 * loopback, and with each answer 20 ms late (128 in flight, the adaptive limit's ceiling).
 */
async function transportFloorRows(log: (line: string) => void): Promise<string[]> {
  const loopback: FloorResult[] = [];
  const remote: FloorResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    loopback.push(await httpFloor(20_000, 128));
    remote.push(await httpFloor(2_005, 128, 20));
    log(
      `end-to-end ${i + 1}/${RUNS}: transport floor ${s(loopback.at(-1)!.seconds)}, 20 ms away ${s(remote.at(-1)!.seconds)}`,
    );
  }
  const l = medianOf(loopback);
  const r = medianOf(remote);
  const ideal = (2_005 * 0.02) / 128;
  return [
    `| transport floor: 20,000 PUTs of 1–8 KiB, undici (128 connections) to a bare \`node:http\` server, each its own process; no files, hashes or storage | ${s(l.seconds)} (client CPU ${s(l.clientCpu)}, server CPU ${s(l.serverCpu)}) | | | |`,
    `| transport floor, answers 20 ms late: 2,005 requests, 128 in flight | ${s(r.seconds)} (client CPU ${s(r.clientCpu)}, server CPU ${s(r.serverCpu)}) | requests × 20 ms ÷ 128, ${s(ideal)} | ${ratio(r.seconds, ideal)} | |`,
  ];
}

/**
 * The pipeline a shell script would run for the same first deploy: two `openssl dgst -sha256`
 * processes hash the 8 files, then (the session registered with those hashes) 8 `curl` PUTs in
 * parallel, then the commit, all timed; the deploy is created before. Its wall time, its processes'
 * CPU (openssl's and curl's) and the server's.
 */
async function opensslCurlPipeline(server: ServerProcess, apiKey: string, tree: string, slug: string) {
  const auth = { authorization: `Bearer ${apiKey}` };
  const before = cpuOf(server.child.pid!);
  const started = performance.now();
  const hashed = await timed([
    'sh',
    '-c',
    `ls "${tree}"/*.bin | xargs -P2 -n4 openssl dgst -sha256 -r > "${tree}.sums"`,
  ]);
  const files = readFileSync(`${tree}.sums`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [sha256, star] = line.split(' ');
      const absolutePath = star!.replace(/^\*/, '');
      return { path: absolutePath.slice(tree.length + 1), sha256: sha256!, size: 128 * MiB, absolutePath };
    });
  const session = await fetch(`${server.url}/v1/upload-sessions`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': randomBytes(8).toString('hex') },
    body: JSON.stringify({
      createDeploy: { slug, name: slug },
      files: files.map(({ path, sha256, size }) => ({ path, sha256, size, mime: 'application/octet-stream' })),
    }),
  });
  const { uploadSession, uploadToken } = (await session.json()) as {
    uploadSession: { id: string };
    uploadToken: string;
  };
  const put = (file: (typeof files)[number]) =>
    timed([
      ...curlPutArgs(apiKey, uploadToken),
      '--data-binary',
      `@${file.absolutePath}`,
      `${server.url}/v1/upload-sessions/${uploadSession.id}/blobs/${file.sha256}`,
    ]);
  const puts = await Promise.all(files.map(put));
  const commit = await fetch(`${server.url}/v1/upload-sessions/${uploadSession.id}/commit`, {
    method: 'POST',
    headers: {
      ...auth,
      'x-upload-token': uploadToken,
      'content-type': 'application/json',
      'idempotency-key': randomBytes(8).toString('hex'),
    },
    body: JSON.stringify({
      entries: files.map(({ path, sha256, size }) => ({
        path,
        blobHash: sha256,
        size,
        mime: 'application/octet-stream',
      })),
    }),
  });
  if (commit.status !== 201) throw new Error(`pipeline commit: ${commit.status} ${await commit.text()}`);
  return {
    seconds: (performance.now() - started) / 1000,
    cpu: hashed.cpu + puts.reduce((sum, one) => sum + one.cpu, 0),
    serverCpu: cpuOf(server.child.pid!) - before,
  };
}

/** 8 × 128 MiB: a fresh-state re-deploy (the server has the blobs) against two `openssl dgst` processes. */
async function bigFilesRows(scratch: string, log: (line: string) => void): Promise<string[]> {
  const tree = join(scratch, 'big');
  mkdirSync(tree);
  for (let i = 0; i < 8; i++) {
    const file = join(tree, `part-${i}.bin`);
    await exec('sh', ['-c', `head -c ${128 * MiB} /dev/urandom > "${file}"`]);
  }
  await exec('sync', []);
  const first: Array<Measured & { serverCpu: number }> = [];
  const fresh: Measured[] = [];
  const openssl: Measured[] = [];
  const pipeline: Array<{ seconds: number; cpu: number; serverCpu: number }> = [];
  for (let i = 0; i < RUNS; i++) {
    await withServer(scratch, [], async (server, apiKey) => {
      await createDeploy(server, apiKey, 'big');
      first.push(await deploy(server, apiKey, tree, mkdtempSync(join(scratch, 'state-')), 'big'));
      fresh.push(await deploy(server, apiKey, tree, mkdtempSync(join(scratch, 'state-')), 'big'));
    });
    await withServer(scratch, [], async (server, apiKey) => {
      pipeline.push(await opensslCurlPipeline(server, apiKey, tree, 'pipeline'));
    });
    openssl.push(await timed(['sh', '-c', `ls "${tree}"/*.bin | xargs -P2 -n4 openssl dgst -sha256 > /dev/null`]));
    log(
      `end-to-end 8 × 128 MiB ${i + 1}/${RUNS}: first ${s(first.at(-1)!.seconds)}, fresh state ${s(fresh.at(-1)!.seconds)}, openssl ${s(openssl.at(-1)!.seconds)}, openssl + curl ${s(pipeline.at(-1)!.seconds)}`,
    );
  }
  const f = medianOf(first);
  const r = medianOf(fresh);
  const o = medianOf(openssl);
  const p = medianOf(pipeline);
  return [
    `| re-deploy of 8 × 128 MiB, fresh state dir, the server has the blobs | ${s(r.seconds)} (CPU ${s(r.cpu)}) | 2 parallel \`openssl dgst -sha256\`, ${s(o.seconds)} | ${ratio(r.seconds, o.seconds)} | ≤ 1.1× |`,
    `| first deploy of 8 × 128 MiB | ${s(f.seconds)} (client CPU ${s(f.cpu)}, server CPU ${s(f.serverCpu)}; client peak RSS ${f.maxRssMiB.toFixed(0)} MiB) | \`openssl\` ×2, then the session, \`curl\` ×8 PUTs at once and the commit: ${s(p.seconds)} (CPU ${s(p.cpu)}, server CPU ${s(p.serverCpu)}) | ${ratio(f.seconds, p.seconds)} | ≤ 0.9× |`,
  ];
}

/** Peak memory of a first deploy of one 4 GiB file (sparse: the disk holds the server's copy only). Once: a minute. */
async function hugeFileRow(scratch: string, log: (line: string) => void): Promise<string[]> {
  const gib = Number(process.env.PRESSDROP_BENCH_HUGE_GIB ?? 4);
  const tree = join(scratch, 'huge');
  mkdirSync(tree);
  await exec('truncate', ['-s', `${gib}G`, join(tree, 'huge.bin')]);
  const run = await withServer(scratch, [], async (server, apiKey) => {
    await createDeploy(server, apiKey, 'huge');
    return deploy(server, apiKey, tree, mkdtempSync(join(scratch, 'state-')), 'huge');
  });
  rmSync(tree, { recursive: true, force: true });
  log(`end-to-end one ${gib} GiB file: ${s(run.seconds)}, ${run.maxRssMiB.toFixed(0)} MiB`);
  return [
    `| first deploy of one ${gib} GiB file (once) | ${s(run.seconds)} (client CPU ${s(run.cpu)}, server CPU ${s(run.serverCpu)}; client peak RSS ${run.maxRssMiB.toFixed(0)} MiB) | | | RSS < 200 MiB |`,
  ];
}

/** Start-up: `pressdrop --version` and a 1-file re-deploy, with an empty and a warm compile cache. */
async function coldStartRows(scratch: string, log: (line: string) => void): Promise<string[]> {
  const tree = join(scratch, 'one');
  mkdirSync(tree);
  writeFileSync(join(tree, 'index.html'), '<h1>one</h1>');
  // The 4 GiB row before this one leaves gigabytes to write back (and free): timed during that,
  // these sub-second runs took 50-60% longer.
  await exec('sync', []);
  const version = { empty: [] as Measured[], warm: [] as Measured[] };
  const oneFile = { empty: [] as Measured[], warm: [] as Measured[] };
  await withServer(scratch, [], async (server, apiKey) => {
    await createDeploy(server, apiKey, 'one');
    const state = mkdtempSync(join(scratch, 'state-'));
    await deploy(server, apiKey, tree, state, 'one');
    for (let i = 0; i < RUNS; i++) {
      const cache = mkdtempSync(join(scratch, 'compile-cache-'));
      const env = { ...process.env, NODE_COMPILE_CACHE: cache };
      version.empty.push(await timed([process.execPath, ...BIN_NODE_FLAGS, CLI_ENTRY, '--version'], env));
      version.warm.push(await timed([process.execPath, ...BIN_NODE_FLAGS, CLI_ENTRY, '--version'], env));
      const other = mkdtempSync(join(scratch, 'compile-cache-'));
      const deployEnv = { ...process.env, NODE_COMPILE_CACHE: other };
      oneFile.empty.push(await deploy(server, apiKey, tree, state, 'one', deployEnv));
      oneFile.warm.push(await deploy(server, apiKey, tree, state, 'one', deployEnv));
    }
  });
  log('end-to-end: start-up measured');
  const row = (label: string, runs: Measured[]) => {
    const m = medianOf(runs);
    return `| ${label} | ${s(m.seconds)} (${m.maxRssMiB.toFixed(0)} MiB) | | | |`;
  };
  return [
    row('`pressdrop --version`, empty compile cache', version.empty),
    row('`pressdrop --version`, warm compile cache', version.warm),
    row('re-deploy of a 1-file folder, empty compile cache', oneFile.empty),
    row('re-deploy of a 1-file folder, warm compile cache (aim ≤ 0.12 s)', oneFile.warm),
  ];
}

/** `node bench/run.ts end-to-end`: the report's section. */
export async function endToEnd(log: (line: string) => void = () => {}): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'pressdrop-bench-e2e-'));
  try {
    CLI_ENTRY = await buildCli(join(scratch, 'cli'));
    const load = loadLine();
    const rows = [
      ...(await smallTreeRows(scratch, log)),
      ...(await manyFilesRows(scratch, log)),
      ...(await transportFloorRows(log)),
      ...(await bigFilesRows(scratch, log)),
      ...(await hugeFileRow(scratch, log)),
      ...(await coldStartRows(scratch, log)),
    ];
    return [
      '## End to end: whole `pressdrop` processes against `pressdrop serve`',
      '',
      `Each row: the CLI as its own process (start-up included) against a fresh \`pressdrop serve\` process on loopback, median of ${RUNS}; CPU and peak RSS from \`/usr/bin/time\`, the server's CPU from its /proc stat; the baseline is run in the same bench. ${load}`,
      '',
      '| case (whole CLI process, wall time) | pressdrop | baseline in the same run | ratio | aim (issue 12) |',
      '|---|---|---|---|---|',
      ...rows,
    ].join('\n');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
