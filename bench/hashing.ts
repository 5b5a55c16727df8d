import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { HashCache, RACY_WINDOW_MS } from '../src-core/hash-cache.ts';
import { HashPool, hashFolder } from '../src-core/hash-pool.ts';
import { scanFolder } from '../src-core/scan-folder.ts';
import type { ScanOptions } from '../src-core/scan-folder.ts';
import { median } from './bench-kit.ts';

/**
 * Hashing: the engine's scan, hash pool and hash cache against the standard
 * tools on the same files, page cache warm for both sides (one untimed run of
 * each first). (a) large files: HashPool vs `openssl dgst -sha256`, as many
 * processes as the pool has threads; (b) 20,000 small files in nested
 * folders: scanFolder + HashPool vs `find | xargs -P sha256sum`; (c) a
 * re-scan of the unchanged tree with a warm HashCache vs `git status`.
 * Rounds are interleaved; the median of RUNS counts.
 */

const MiB = 1024 * 1024;
const BIG_FILES = 8;
const BIG_MIB = Number(process.env.PRESSDROP_BENCH_BIG_MIB ?? 128);
const SMALL_FILES = 20_000;
const SMALL_MAX_BYTES = 16 * 1024;
const RUNS = 3;
const run = promisify(execFile);

interface Case {
  name: string;
  baseline: string;
  aim: number;
  ours: () => Promise<number>;
  theirs: () => Promise<number>;
  ourSeconds: number[];
  theirSeconds: number[];
}

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

/** BIG_FILES files of BIG_MIB random MiB. */
function writeBigFiles(dir: string): string[] {
  return Array.from({ length: BIG_FILES }, (_, i) => {
    const path = join(dir, `big-${i}.bin`);
    const fd = openSync(path, 'wx');
    try {
      for (let written = 0; written < BIG_MIB; written += 16)
        writeSync(fd, randomBytes(Math.min(16, BIG_MIB - written) * MiB));
    } finally {
      closeSync(fd);
    }
    return path;
  });
}

/** SMALL_FILES random files of 0–16 KiB, 20 per folder, in 20 × 50 nested folders. */
function writeSmallTree(dir: string): void {
  let n = 0;
  for (let a = 0; n < SMALL_FILES; a++) {
    for (let b = 0; b < 50 && n < SMALL_FILES; b++) {
      const folder = join(dir, `section-${a}`, `page-${b}`);
      mkdirSync(folder, { recursive: true });
      for (let c = 0; c < 20 && n < SMALL_FILES; c++, n++)
        writeFileSync(join(folder, `asset-${c}.dat`), randomBytes(Math.floor(Math.random() * (SMALL_MAX_BYTES + 1))));
    }
  }
}

async function measure(c: Case, log: (line: string) => void): Promise<void> {
  await c.ours(); // warm-up: page cache, JIT, git's index
  await c.theirs();
  for (let round = 1; round <= RUNS; round++) {
    c.ourSeconds.push(await c.ours());
    c.theirSeconds.push(await c.theirs());
    log(
      `hashing: round ${round}/${RUNS} ${c.name}: ${c.ourSeconds.at(-1)!.toFixed(3)} s vs ${c.theirSeconds.at(-1)!.toFixed(3)} s`,
    );
  }
}

/** Runs the bench in a temp folder (removed after) and returns its markdown report. */
export async function hashing(log: (line: string) => void = () => {}): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'pressdrop-bench-'));
  const threads = availableParallelism();
  // Created once, as the app and the CLI keep one: its threads' start-up is timed apart.
  const poolStarted = performance.now();
  const pool = new HashPool({ threads });
  await pool.hashFiles([]);
  await Promise.all(Array.from({ length: threads }, () => pool.lstatMany([tmpdir()])));
  const poolStartSeconds = (performance.now() - poolStarted) / 1000;
  const cache = HashCache.open(join(scratch, 'state', 'hash-cache.sqlite'));
  try {
    const bigDir = join(scratch, 'big');
    const tree = join(scratch, 'tree');
    mkdirSync(bigDir);
    mkdirSync(tree);
    log(`hashing: writing ${BIG_FILES} × ${BIG_MIB} MiB and ${SMALL_FILES} small files under ${scratch}…`);
    const bigPaths = writeBigFiles(bigDir);
    writeSmallTree(tree);
    const writtenAt = Date.now();
    const bigScan = await scanFolder(bigDir);
    const lanes = Array.from({ length: threads }, (_, lane) => bigPaths.filter((_, i) => i % threads === lane));
    const sh = (script: string, ...args: string[]) => run('sh', ['-c', script, 'sh', ...args], { maxBuffer: 64 * MiB });

    const cases: Case[] = [
      {
        name: `${BIG_FILES} × ${BIG_MIB} MiB random`,
        baseline: `\`openssl dgst -sha256\`, ${threads} processes`,
        aim: 1.1,
        ours: () => seconds(() => pool.hashFiles(bigScan.files)),
        theirs: () => seconds(() => Promise.all(lanes.map((files) => run('openssl', ['dgst', '-sha256', ...files])))),
      },
      {
        name: `${SMALL_FILES} files of 0–16 KiB, scan + hash`,
        baseline: `\`find -type f -print0 \\| xargs -0 -P${threads} sha256sum\``, // \| keeps the table's columns
        aim: 1.0,
        ours: () => seconds(async () => pool.hashFiles((await scanFolder(tree, { pool })).files)),
        theirs: () =>
          seconds(() =>
            sh(
              `find "$1" -path "$1/.git" -prune -o -type f -print0 | xargs -0 -P${threads} sha256sum > /dev/null`,
              tree,
            ),
          ),
      },
    ].map((c) => ({ ...c, ourSeconds: [], theirSeconds: [] }));
    for (const c of cases.slice(0, 2)) await measure(c, log);

    log('hashing: git init + add + commit, filling the hash cache (untimed)…');
    await run('git', ['init', '-q'], { cwd: tree });
    await run('git', ['add', '-A'], { cwd: tree });
    await run(
      'git',
      ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', 'commit', '-q', '-m', 'tree'],
      { cwd: tree },
    );
    // The racy-git rule: only files written RACY_WINDOW_MS before hashing are cached.
    await sleep(Math.max(0, writtenAt + RACY_WINDOW_MS + 200 - Date.now()));
    await hashFolder(await scanFolder(tree, { pool }), cache, pool);
    const rescan = (where: string, options: ScanOptions): Case => ({
      name: `re-scan of the ${SMALL_FILES} files, warm hash cache, lstat on ${where}`,
      baseline: '`git status --porcelain`',
      aim: 2,
      ours: () =>
        seconds(async () => {
          const result = await hashFolder(await scanFolder(tree, options), cache, pool);
          if (result.cacheHits !== SMALL_FILES)
            throw new Error(`re-scan: ${result.cacheHits} cache hits of ${SMALL_FILES}`);
        }),
      theirs: () => seconds(() => run('git', ['status', '--porcelain'], { cwd: tree })),
      ourSeconds: [],
      theirSeconds: [],
    });
    for (const c of [rescan('the pool', { pool }), rescan('the main thread', {})]) {
      await measure(c, log);
      cases.push(c);
    }

    const rows = cases.map((c) => {
      const ours = median(c.ourSeconds);
      const theirs = median(c.theirSeconds);
      const ratio = ours / theirs;
      return `| ${c.name} | ${ours.toFixed(3)} | ${c.baseline} | ${theirs.toFixed(3)} | ${ratio.toFixed(2)} | ≤ ${c.aim} ${ratio <= c.aim ? '✓' : '✗'} |`;
    });
    return [
      `### hashing: ${threads} hash threads, page cache warm for both sides, median of ${RUNS} runs`,
      '',
      '| case | PressDrop (s) | baseline | baseline (s) | ratio | aim |',
      '| --- | ---: | --- | ---: | ---: | --- |',
      ...rows,
      '',
      `The pool (${threads} threads) is created once, as the app keeps one; its start-up, not timed above, took ${poolStartSeconds.toFixed(3)} s.`,
      '',
      `Each run (s), PressDrop vs baseline: ${cases.map((c) => `${c.name}: ${c.ourSeconds.map((s, i) => `${s.toFixed(3)}/${c.theirSeconds[i]!.toFixed(3)}`).join(', ')}`).join('; ')}.`,
    ].join('\n');
  } finally {
    cache.close();
    await pool.destroy();
    rmSync(scratch, { recursive: true, force: true });
  }
}
