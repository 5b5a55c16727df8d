import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startCloudflarePeer } from '../src-server/peers/cloudflare/cloudflare-peer.ts';
import type { PeerRequest } from '../src-server/peers/peer-options.ts';
import { loadLine, median } from './bench-kit.ts';

/**
 * `pressdrop deploy --target cloudflare` against the real `wrangler deploy`
 * (a devDependency), the same folder to the same strict local peer of
 * Cloudflare's API, both as whole processes the way users run them (start-up
 * included, under `/usr/bin/time -v` for peak RSS). First deploy: a fresh
 * peer, a fresh state folder (no hash cache); no-op: the same folder again,
 * every asset already stored (our hash cache warm, as on a developer's or CI
 * runner's second deploy).
 */

const CLI_ENTRY = fileURLToPath(new URL('../src-cli/bin.js', import.meta.url));
const WRANGLER = fileURLToPath(new URL('../node_modules/.bin/wrangler', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SMALL_FILES = 2_000;
const SMALL_BYTES = 2 * 1024;
const LARGE_FILES = 4;
const LARGE_BYTES = 8 * 1024 * 1024;
const TOKEN = 'bench-token-'.padEnd(40, 'x');
const WORKER = 'bench-site';

interface ProcessRun {
  seconds: number;
  maxRssKiB: number;
  requests: number;
}

/** Runs `args` under `/usr/bin/time -v` in `cwd` with `env`; its wall time and peak RSS, and the peer requests it made. */
function timed(args: string[], cwd: string, env: NodeJS.ProcessEnv, requests: PeerRequest[]): Promise<ProcessRun> {
  const before = requests.length;
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-v', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`${args.slice(1, 3).join(' ')} exited ${code}:\n${output.slice(-3000)}`));
      const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(output)?.[1] ?? NaN);
      resolve({ seconds, maxRssKiB: rss, requests: requests.length - before });
    });
  });
}

/** The bench's project: `public/` with the files, and a wrangler.json for an assets-only Worker. */
function writeProject(root: string): string {
  const assets = join(root, 'public');
  for (let i = 0; i < SMALL_FILES; i++) {
    const dir = join(assets, `d${i % 20}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.${['html', 'css', 'js', 'txt'][i % 4]}`), randomBytes(SMALL_BYTES));
  }
  for (let i = 0; i < LARGE_FILES; i++) writeFileSync(join(assets, `large-${i}.bin`), randomBytes(LARGE_BYTES));
  writeFileSync(
    join(root, 'wrangler.json'),
    JSON.stringify({ name: WORKER, compatibility_date: '2026-11-01', assets: { directory: './public' } }),
  );
  return assets;
}

/** What wrangler gets: the peer, the token, and everything it writes kept in `home`, with telemetry and the update check off. */
function wranglerEnv(home: string, apiUrl: string, accountId: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    TMPDIR: join(home, 'tmp'),
    CI: '1',
    NO_COLOR: '1',
    CLOUDFLARE_API_BASE_URL: apiUrl,
    CLOUDFLARE_API_TOKEN: TOKEN,
    CLOUDFLARE_ACCOUNT_ID: accountId,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
    WRANGLER_HIDE_BANNER: 'true',
  };
}

type Tool = 'pressdrop' | 'wrangler';

/** One first deploy and one no-op of `tool`, on a fresh peer. */
async function pair(tool: Tool, project: string, scratch: string): Promise<{ first: ProcessRun; noop: ProcessRun }> {
  const dataDir = mkdtempSync(join(scratch, 'peer-'));
  const peer = await startCloudflarePeer({ dataDir, port: 0, apiKey: TOKEN });
  try {
    const home = mkdtempSync(join(scratch, 'home-'));
    mkdirSync(join(home, 'tmp'));
    const env = wranglerEnv(home, peer.url, peer.accountId);
    const args =
      tool === 'wrangler'
        ? [process.execPath, WRANGLER, 'deploy']
        : [
            process.execPath,
            CLI_ENTRY,
            'deploy',
            join(project, 'public'),
            '--target',
            'cloudflare',
            '--api',
            peer.url,
            '--state-dir',
            join(home, 'state'),
          ];
    // Both read the token and account from the environment, and the Worker's name from wrangler.json.
    const first = await timed(args, project, env, peer.requests);
    const noop = await timed(args, project, env, peer.requests);
    return { first, noop };
  } finally {
    await peer.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `node bench/run.ts wrangler`: the report's section. */
export async function wrangler(log: (line: string) => void = () => {}): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'pressdrop-bench-wrangler-'));
  try {
    const project = join(scratch, 'project');
    writeProject(project);
    const runs: Record<Tool, Array<{ first: ProcessRun; noop: ProcessRun }>> = { pressdrop: [], wrangler: [] };
    const load = loadLine();
    for (let i = 0; i < RUNS; i++) {
      // Alternated, so a change in the machine's load falls on both.
      for (const tool of ['wrangler', 'pressdrop'] as const) {
        const run = await pair(tool, project, scratch);
        log(
          `wrangler bench ${i + 1}/${RUNS} ${tool}: first ${run.first.seconds.toFixed(2)} s, no-op ${run.noop.seconds.toFixed(2)} s`,
        );
        runs[tool].push(run);
      }
    }
    const row = (label: string, pick: (run: { first: ProcessRun; noop: ProcessRun }) => ProcessRun) => {
      const ours = runs.pressdrop.map(pick);
      const theirs = runs.wrangler.map(pick);
      const s = (list: ProcessRun[]) => median(list.map((run) => run.seconds));
      const mb = (list: ProcessRun[]) => median(list.map((run) => run.maxRssKiB)) / 1024;
      const req = (list: ProcessRun[]) => median(list.map((run) => run.requests));
      return `| ${label} | ${s(ours).toFixed(2)} s | ${s(theirs).toFixed(2)} s | **${(s(ours) / s(theirs)).toFixed(2)}×** | ${req(ours)} / ${req(theirs)} | ${mb(ours).toFixed(0)} / ${mb(theirs).toFixed(0)} MB |`;
    };
    return [
      '## Cloudflare: `pressdrop deploy --target cloudflare` vs `wrangler deploy`',
      '',
      `The same folder (${SMALL_FILES} files of ${SMALL_BYTES / 1024} KiB and ${LARGE_FILES} of ${LARGE_BYTES / 1024 / 1024} MiB, random bytes) as an assets-only Worker, to a fresh strict local peer of Cloudflare's API (src-server/peers/cloudflare) each time; whole processes under \`/usr/bin/time -v\`, start-up included; median of ${RUNS}, the two tools alternated. First deploy: nothing stored, and our state folder new (no hash cache). No-op: the same command again, every asset stored. wrangler ${wranglerVersion()}.`,
      '',
      load,
      '',
      '| case | pressdrop | wrangler | ratio | requests (ours / wrangler) | peak RSS (ours / wrangler) |',
      '|---|---|---|---|---|---|',
      row('first deploy', (run) => run.first),
      row('no-op re-deploy', (run) => run.noop),
    ].join('\n');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function wranglerVersion(): string {
  const manifest = new URL('../node_modules/wrangler/package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}
