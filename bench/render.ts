import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { findChromium } from '../src-server/render/find-chromium.ts';
import { HEADLESS_CHROMIUM_ARGS } from '../src-server/render/pdf-printer.ts';
import { commitSite } from '../src-server/testing/render-fixture.ts';
import { siteFile } from '../src-server/testing/security-fixture.ts';
import { CLI_ENTRY, request, type TestServer } from '../src-server/testing/test-server.ts';
import { loadLine, median, withServer } from './bench-kit.ts';

/**
 * Render and diff: what a user waits for after the commit, as whole
 * processes. (1) A 20-page document printed by `pressdrop serve`'s warm
 * printer (job created → succeeded, polled every 10 ms) against a cold
 * `chromium --headless --print-to-pdf` of the same preview URL. (2) Render
 * jobs per minute, 10 jobs of that document queued at once, with
 * `--render-concurrency 1` and `2`. (3) `pressdrop diff` of two
 * 20,000-file versions: the CLI process's wall time and peak RSS.
 */

const RUNS = 3;
const JOBS = 10;
const DIFF_FILES = Number(process.env.PRESSDROP_BENCH_DIFF_FILES ?? 20_000);
const run = promisify(execFile);

/** A plain 20-page document: a heading and paragraphs per page, `@page` A4. */
function twentyPages() {
  const sections = Array.from(
    { length: 20 },
    (_, i) =>
      `<section><h1>Chapter ${i + 1}</h1>${'<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.</p>'.repeat(12)}</section>`,
  );
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Twenty pages</title><style>@page { size: A4; margin: 20mm } section { break-after: page } section:last-child { break-after: auto }</style></head><body>${sections.join('')}</body></html>`;
  return [siteFile('index.html', html, 'text/html; charset=utf-8')];
}

/** A fresh `pressdrop serve` (bench-kit's) for `work`, as the render fixture's helpers talk to a server. */
function withApi<T>(scratch: string, extraArgs: string[], work: (server: TestServer) => Promise<T>): Promise<T> {
  return withServer(scratch, extraArgs, (proc, apiKey) =>
    work({
      url: proc.url,
      apiKey,
      request: (method: string, path: string, init?: Parameters<TestServer['request']>[2]) =>
        request(proc.url, apiKey, method, path, init),
    } as TestServer),
  );
}

/** Creates a render job and polls it every 10 ms until it succeeds; its wall time in seconds. */
async function renderOnce(server: TestServer, versionId: string): Promise<number> {
  const started = performance.now();
  const created = await server.request('POST', '/v1/render-jobs', { json: { deployVersionId: versionId } });
  for (;;) {
    const job = (await server.request('GET', `/v1/render-jobs/${created.body.renderJob.id}`)).body.renderJob;
    if (job.status === 'succeeded') return (performance.now() - started) / 1000;
    if (job.status === 'failed') throw new Error(`render failed: ${JSON.stringify(job.error)}`);
    await sleep(10);
  }
}

async function warmAgainstCold(chromium: string, scratch: string, log: (line: string) => void): Promise<string[]> {
  return withApi(scratch, [], async (server) => {
    const { versionId } = await commitSite(server, 'twenty', twentyPages());
    const url = `${server.url}/preview/twenty/1/index.html`;
    log('render (1): warming the printer');
    await renderOnce(server, versionId);
    const warm: number[] = [];
    const cold: number[] = [];
    const out = join(scratch, 'cold.pdf');
    const args = [
      ...HEADLESS_CHROMIUM_ARGS,
      '--headless',
      '--no-pdf-header-footer',
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      `--print-to-pdf=${out}`,
      url,
    ];
    for (let round = 0; round < RUNS; round++) {
      warm.push(await renderOnce(server, versionId));
      const started = performance.now();
      await run(chromium, args, { env: { ...process.env, HOME: scratch } });
      cold.push((performance.now() - started) / 1000);
      if (statSync(out).size === 0) throw new Error('chromium printed nothing');
      log(`render (1): round ${round + 1}: warm ${warm.at(-1)!.toFixed(2)} s, cold ${cold.at(-1)!.toFixed(2)} s`);
    }
    return [
      '#### (1) a 20-page document: warm printer against a cold `chromium --headless --print-to-pdf` of the same preview URL',
      '',
      loadLine(),
      '',
      '| case | seconds (median of 3) | ratio |',
      '| --- | ---: | ---: |',
      `| \`chromium --headless --print-to-pdf\` (cold start, the baseline) | ${median(cold).toFixed(2)} | 1.00 |`,
      `| render job on \`pressdrop serve\`, printer warm (created → succeeded) | ${median(warm).toFixed(2)} | **${(median(warm) / median(cold)).toFixed(2)}** |`,
      '',
      `Each run (s): cold ${cold.map((s) => s.toFixed(2)).join(' / ')}; warm ${warm.map((s) => s.toFixed(2)).join(' / ')}. The job's time includes its queueing, the page load through the server, the PDF stored as a blob and the polling.`,
    ];
  });
}

async function jobsPerMinute(scratch: string, log: (line: string) => void): Promise<string[]> {
  const rows: string[] = [];
  const perMinute: number[] = [];
  for (const concurrency of [1, 2]) {
    const rate = await withApi(scratch, ['--render-concurrency', String(concurrency)], async (server) => {
      const { versionId } = await commitSite(server, 'twenty', twentyPages());
      await renderOnce(server, versionId);
      const started = performance.now();
      const jobs = await Promise.all(
        Array.from(
          { length: JOBS },
          async () =>
            (await server.request('POST', '/v1/render-jobs', { json: { deployVersionId: versionId } })).body.renderJob
              .id as string,
        ),
      );
      for (const id of jobs) {
        for (;;) {
          const job = (await server.request('GET', `/v1/render-jobs/${id}`)).body.renderJob;
          if (job.status === 'succeeded') break;
          if (job.status === 'failed') throw new Error(`render failed: ${JSON.stringify(job.error)}`);
          await sleep(20);
        }
      }
      return JOBS / ((performance.now() - started) / 60_000);
    });
    perMinute.push(rate);
    log(`render (2): concurrency ${concurrency}: ${rate.toFixed(1)} jobs/min`);
    rows.push(
      `| \`--render-concurrency ${concurrency}\` | ${rate.toFixed(1)} | ${(rate / perMinute[0]!).toFixed(2)} |`,
    );
  }
  return [
    '#### (2) render jobs per minute: 10 jobs of the 20-page document queued at once, printer warm',
    '',
    loadLine(),
    '',
    '| server | jobs per minute | ratio to concurrency 1 |',
    '| --- | ---: | ---: |',
    ...rows,
  ];
}

async function diffOfTwoVersions(scratch: string, log: (line: string) => void): Promise<string[]> {
  return withApi(scratch, [], async (server) => {
    // 20,000 paths over a few blobs: the versions are what matters, not the bytes.
    const blobs = ['a', 'b', 'c', 'd'].map((text) => siteFile(`${text}.txt`, text.repeat(100), 'text/plain'));
    const deploy = await server.request('POST', '/v1/deploys', { json: { slug: 'big', name: 'big' } });
    const deployId = deploy.body.deploy.id as string;
    const version = async (pick: (i: number) => number | null) => {
      const files = [];
      for (let i = 0; i < DIFF_FILES + 500; i++) {
        const blob = pick(i);
        if (blob !== null)
          files.push({
            path: `dir-${String(i % 200).padStart(3, '0')}/file-${String(i).padStart(5, '0')}.txt`,
            sha256: blobs[blob]!.sha256,
            size: 100,
            mime: 'text/plain',
          });
      }
      const session = await server.request('POST', '/v1/upload-sessions', { json: { deployId, files } });
      const { id } = session.body.uploadSession;
      const token = session.body.uploadToken;
      for (const blob of blobs)
        await server.request('PUT', `/v1/upload-sessions/${id}/blobs/${blob.sha256}`, {
          uploadToken: token,
          raw: blob.bytes,
        });
      const committed = await server.request('POST', `/v1/upload-sessions/${id}/commit`, {
        uploadToken: token,
        json: { entries: files.map((f) => ({ path: f.path, blobHash: f.sha256, size: f.size, mime: f.mime })) },
      });
      if (committed.status !== 201) throw new Error(JSON.stringify(committed.body));
    };
    // #1: files 0..19,999; #2: 500 removed, 500 added, 1,000 changed.
    await version((i) => (i < DIFF_FILES ? i % 2 : null));
    await version((i) => (i < 500 ? null : i < 1_500 ? 2 : i < DIFF_FILES + 500 ? i % 2 : null));
    const seconds: number[] = [];
    const rss: number[] = [];
    let summary = '';
    for (let round = 0; round < RUNS; round++) {
      const started = performance.now();
      const { stdout, stderr } = await run(
        '/usr/bin/time',
        [
          '-f',
          '%M',
          process.execPath,
          CLI_ENTRY,
          'diff',
          'big',
          '1',
          '2',
          '--api',
          server.url,
          '--api-key',
          server.apiKey,
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      seconds.push((performance.now() - started) / 1000);
      rss.push(Number(stderr.trim().split('\n').at(-1)) / 1024);
      summary = stdout.trim().split('\n').at(-1)!;
      log(`render (3): diff round ${round + 1}: ${seconds.at(-1)!.toFixed(2)} s, ${rss.at(-1)!.toFixed(0)} MiB`);
    }
    return [
      `#### (3) \`pressdrop diff\` of two ${DIFF_FILES.toLocaleString('en')}-file versions (CLI process, start-up included)`,
      '',
      loadLine(),
      '',
      '| case | seconds (median of 3) | peak RSS (MiB) |',
      '| --- | ---: | ---: |',
      `| \`pressdrop diff big 1 2\` | ${median(seconds).toFixed(2)} | ${median(rss).toFixed(0)} |`,
      '',
      `It printed: \`${summary}\` (${Math.ceil(DIFF_FILES / 200) * 2}+ file-list pages of 200 fetched, both versions at once).`,
    ];
  });
}

/** Runs the render bench (a temp folder, removed after) and returns its markdown report. */
export async function render(log: (line: string) => void = () => {}): Promise<string> {
  const chromium = await findChromium();
  if (!chromium) return '### render\n\nSkipped: no Chromium (see scripts/ensure-test-tools.ts).';
  const scratch = mkdtempSync(join(tmpdir(), 'pressdrop-bench-render-'));
  try {
    const sections = [
      await warmAgainstCold(chromium, scratch, log),
      await jobsPerMinute(scratch, log),
      await diffOfTwoVersions(scratch, log),
    ];
    return [
      '### render: printing versions to PDF, and comparing versions, as whole processes',
      '',
      `Chromium: \`${chromium}\`, the same binary for the printer and the baseline.`,
      '',
      ...sections.flatMap((s) => [...s, '']),
    ]
      .join('\n')
      .trimEnd();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
