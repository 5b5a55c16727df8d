/**
 * Render jobs in real Chromium: the local Press Cloud prints a version from
 * its own preview, and poppler-utils (pdfinfo, pdftotext, pdffonts) read
 * the PDF the way a person would check it.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { RenderJob, RenderJobStatus } from '../src-shared/api-types.ts';
import { commitSite, FIXTURE_FONT_NAME, inspectPdf, pageThat, threePageDocument } from './testing/render-fixture.ts';
import { rmSync } from 'node:fs';
import {
  makeApiKey,
  makeDataDir,
  request,
  spawnServerProcess,
  startTestServer,
  within,
  type ServerProcess,
  type TestServer,
} from './testing/test-server.ts';
import type { ServerOptions } from './server.ts';

/** What the helpers need of a server: its URL, key, and requests with the key. */
type Api = Pick<TestServer, 'url' | 'apiKey' | 'request'>;

/** A real local Press Cloud with the default printer (headless Chromium), its retries fast. */
async function renderServer(t: TestContext, overrides: Partial<ServerOptions> = {}): Promise<TestServer> {
  const server = await startTestServer({ render: { retryDelaysMs: [150, 150] }, ...overrides });
  t.after(() => server.close());
  return server;
}

/** The job's states as polled until it ends, each change once, and the job as it ended. */
async function followJob(
  server: Api,
  jobId: string,
  timeoutMs = 60_000,
): Promise<{ seen: RenderJobStatus[]; job: RenderJob }> {
  const seen: RenderJobStatus[] = [];
  let job: RenderJob | undefined;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    job = (await server.request('GET', `/v1/render-jobs/${jobId}`)).body.renderJob as RenderJob;
    if (seen.at(-1) !== job.status) seen.push(job.status);
    if (job.status === 'succeeded' || job.status === 'failed') return { seen, job };
    if (Date.now() > deadline)
      assert.fail(`render job ${jobId} still ${job.status} after ${timeoutMs} ms (seen ${seen.join(' → ')})`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The seed's transitions: every step from one polled state to the next is one the queue may take (polling may skip the instant ones). */
function assertSeedTransitions(seen: RenderJobStatus[]): void {
  const next: Record<RenderJobStatus, RenderJobStatus[]> = {
    queued: ['rendering', 'retry_scheduled', 'succeeded', 'failed'],
    rendering: ['succeeded', 'retry_scheduled', 'failed', 'queued'],
    retry_scheduled: ['queued', 'rendering', 'failed', 'succeeded', 'retry_scheduled'],
    succeeded: [],
    failed: [],
  };
  for (let i = 1; i < seen.length; i++)
    assert.ok(
      next[seen[i - 1]!].includes(seen[i]!),
      `${seen[i - 1]} → ${seen[i]} is not a transition of seed 002 (${seen.join(' → ')})`,
    );
}

async function createJob(server: Api, body: unknown, idempotencyKey?: string): Promise<RenderJob> {
  const answer = await server.request('POST', '/v1/render-jobs', {
    json: body,
    ...(idempotencyKey && { headers: { 'idempotency-key': idempotencyKey } }),
  });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.renderJob as RenderJob;
}

async function pdfBytes(
  server: Api,
  pdfId: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(new URL(`/v1/pdfs/${pdfId}/content`, server.url), {
    headers: { authorization: `Bearer ${server.apiKey}`, ...headers },
  });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

test(
  'a three-page document with @page and a web font prints as the contract says: its pages, size, fonts, text and Title',
  { timeout: 90_000 },
  async (t) => {
    const server = await renderServer(t);
    const { versionId } = await commitSite(server, 'handbook', threePageDocument(), {
      title: 'Team Handbook',
      renderTimeoutMs: 20_000,
    });
    const created = await createJob(server, { deployVersionId: versionId });
    assert.deepEqual(
      { ...created, id: '', createdAt: 0, updatedAt: 0 },
      {
        id: '',
        status: 'queued',
        deployVersionId: versionId,
        attempts: 0,
        createdAt: 0,
        updatedAt: 0,
        nextAttemptAt: null,
        pdfId: null,
        error: null,
      },
    );

    const { seen, job } = await followJob(server, created.id);
    assertSeedTransitions(seen);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.equal(job.attempts, 1);
    const pdf = (await server.request('GET', `/v1/pdfs/${job.pdfId}`)).body.pdf;
    assert.deepEqual(
      { renderJobId: pdf.renderJobId, deployVersionId: pdf.deployVersionId, pageCount: pdf.pageCount },
      { renderJobId: job.id, deployVersionId: versionId, pageCount: 3 },
    );

    const content = await pdfBytes(server, job.pdfId!);
    assert.equal(content.status, 200);
    assert.equal(content.headers.get('content-type'), 'application/pdf');
    assert.equal(content.headers.get('content-disposition'), 'attachment; filename="handbook-1.pdf"');
    assert.equal(content.bytes.length, pdf.size);
    const report = inspectPdf(content.bytes);
    assert.equal(report.pages, 3);
    assert.equal(report.title, 'Team Handbook');
    // A5 is 148 × 210 mm: 419.5 × 595.3 pt, whatever margins the page asks for.
    assert.ok(
      Math.abs(report.pageSize[0] - 419.5) < 1 && Math.abs(report.pageSize[1] - 595.3) < 1,
      `page size ${report.pageSize.join(' × ')} pt`,
    );
    assert.ok(report.fonts.includes(FIXTURE_FONT_NAME), `the web font is embedded (fonts: ${report.fonts.join(', ')})`);
    const pages = report.text.split('\f');
    assert.match(pages[0]!, /Chapter one/);
    assert.match(pages[1]!, /Chapter two/);
    assert.match(pages[2]!, /Chapter three[\s\S]*Built by the page before it was ready\./);
  },
);

test('PDF content supports byte ranges, and a range past the end is 416', { timeout: 90_000 }, async (t) => {
  const server = await renderServer(t);
  const { versionId } = await commitSite(server, 'ranges', pageThat('window.pressReady = Promise.resolve();'));
  const { job } = await followJob(server, (await createJob(server, { deployVersionId: versionId })).id);
  const whole = await pdfBytes(server, job.pdfId!);
  assert.equal(whole.headers.get('accept-ranges'), 'bytes');
  const first = await pdfBytes(server, job.pdfId!, { range: 'bytes=0-99' });
  assert.equal(first.status, 206);
  assert.equal(first.headers.get('content-range'), `bytes 0-99/${whole.bytes.length}`);
  assert.deepEqual(first.bytes, whole.bytes.subarray(0, 100));
  const tail = await pdfBytes(server, job.pdfId!, { range: 'bytes=-16' });
  assert.equal(tail.status, 206);
  assert.deepEqual(tail.bytes, whole.bytes.subarray(-16));
  const past = await pdfBytes(server, job.pdfId!, { range: `bytes=${whole.bytes.length}-` });
  assert.equal(past.status, 416);
  assert.equal(past.headers.get('content-range'), `bytes */${whole.bytes.length}`);
  assert.equal(JSON.parse(past.bytes.toString()).error, 'range_not_satisfiable');
});

test(
  'a page that throws goes through retry_scheduled to failed, with its reason, after 3 attempts',
  { timeout: 90_000 },
  async (t) => {
    const server = await renderServer(t);
    const { versionId } = await commitSite(
      server,
      'throws',
      pageThat("throw new Error('the chart library failed to load');"),
    );
    const { seen, job } = await followJob(server, (await createJob(server, { deployVersionId: versionId })).id);
    assertSeedTransitions(seen);
    assert.ok(seen.includes('retry_scheduled'), seen.join(' → '));
    assert.equal(job.status, 'failed');
    assert.equal(job.attempts, 3);
    assert.equal(job.pdfId, null);
    assert.equal(job.error?.code, 'render_page_error');
    assert.match(job.error.message, /the chart library failed to load/);
  },
);

test(
  'a page that never becomes ready fails with render_timeout after its renderTimeoutMs, three times',
  { timeout: 90_000 },
  async (t) => {
    const server = await renderServer(t);
    const { versionId } = await commitSite(server, 'never', pageThat('window.pressReady = new Promise(() => {});'), {
      renderTimeoutMs: 800,
    });
    const { seen, job } = await followJob(server, (await createJob(server, { deployVersionId: versionId })).id);
    assertSeedTransitions(seen);
    assert.equal(job.status, 'failed');
    assert.equal(job.attempts, 3);
    assert.deepEqual(job.error, { code: 'render_timeout', message: 'The page was not ready to print within 800 ms.' });
  },
);

test(
  'a browser killed mid-render is render_crashed: retried in a new browser each time, then failed with that reason',
  { timeout: 120_000 },
  async (t) => {
    const server = await renderServer(t);
    const { versionId } = await commitSite(server, 'crash', pageThat('window.pressReady = new Promise(() => {});'), {
      renderTimeoutMs: 60_000,
    });
    const created = await createJob(server, { deployVersionId: versionId });
    for (let attempt = 1; attempt <= 3; attempt++) {
      let job: RenderJob | undefined;
      await waitUntil(async () => {
        job = (await server.request('GET', `/v1/render-jobs/${created.id}`)).body.renderJob as RenderJob;
        return job.status === 'rendering' && job.attempts === attempt && chromiumChildren().length > 0;
      }, `attempt ${attempt} to be rendering`);
      execFileSync('kill', ['-9', ...chromiumChildren().map(String)]);
    }
    const { job } = await followJob(server, created.id);
    assert.equal(job.status, 'failed');
    assert.equal(job.attempts, 3);
    assert.equal(job.error?.code, 'render_crashed');
  },
);

test(
  'a repeated Idempotency-Key creates one job; a version lists its jobs newest first; an alias names a version to render',
  { timeout: 90_000 },
  async (t) => {
    const server = await renderServer(t);
    const { deployId, versionId } = await commitSite(
      server,
      'idem',
      pageThat('window.pressReady = Promise.resolve();'),
    );
    const first = await createJob(server, { deployVersionId: versionId }, 'print-v1');
    const again = await createJob(server, { deployVersionId: versionId }, 'print-v1');
    assert.equal(again.id, first.id);
    assert.equal(
      (
        await server.request('PUT', `/v1/deploys/${deployId}/aliases/production`, {
          json: { deployVersionId: versionId },
        })
      ).status,
      200,
    );
    const byAlias = await createJob(server, { deployId, alias: 'production' });
    assert.equal(byAlias.deployVersionId, versionId);
    const unknown = await server.request('POST', '/v1/render-jobs', { json: { deployId, alias: 'staging' } });
    assert.deepEqual([unknown.status, unknown.body.error], [404, 'alias_not_found']);
    const listed = await server.request('GET', `/v1/deploy-versions/${versionId}/render-jobs?limit=1`);
    assert.deepEqual(
      listed.body.items.map((job: RenderJob) => job.id),
      [byAlias.id],
    );
    const rest = await server.request(
      'GET',
      `/v1/deploy-versions/${versionId}/render-jobs?cursor=${listed.body.nextCursor}`,
    );
    assert.deepEqual(
      rest.body.items.map((job: RenderJob) => job.id),
      [first.id],
    );
    assert.equal(rest.body.nextCursor, null);
    await followJob(server, byAlias.id);
  },
);

/** Chromium processes this test process started (the printer's browser). */
function chromiumChildren(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-f', 'chrom'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A `pressdrop serve` child on `dataDir` (so it can be killed like a real server), with a TestServer-like `request`. */
async function serveProcess(
  t: TestContext,
  dataDir: string,
  apiKey: string,
  extraArgs: string[] = [],
): Promise<ServerProcess & Api> {
  const proc = await within(
    spawnServerProcess(dataDir, ['--api-key', apiKey, ...extraArgs]),
    20_000,
    'pressdrop serve to listen',
  );
  t.after(async () => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await proc.exited;
  });
  return { ...proc, apiKey, request: (method, path, init) => request(proc.url, apiKey, method, path, init) };
}

test(
  'a server killed mid-render queues the job again when it starts, and finishes it',
  { timeout: 120_000 },
  async (t) => {
    const dataDir = makeDataDir();
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const apiKey = makeApiKey();
    const first = await serveProcess(t, dataDir, apiKey);
    // Ready a second after each load: time enough to kill the server while it prints.
    const { versionId } = await commitSite(
      first,
      'restart',
      pageThat('window.pressReady = new Promise((resolve) => setTimeout(resolve, 1000));'),
    );
    const created = await createJob(first, { deployVersionId: versionId });
    await waitUntil(
      async () => (await first.request('GET', `/v1/render-jobs/${created.id}`)).body.renderJob.status === 'rendering',
      'the job to be rendering',
    );
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await serveProcess(t, dataDir, apiKey);
    const { seen, job } = await followJob(second, created.id);
    assert.equal(job.status, 'succeeded', `${seen.join(' → ')} ${JSON.stringify(job.error)}`);
    assert.equal(job.attempts, 2, 'the interrupted attempt counts, and one more printed it');
    assert.equal(inspectPdf((await pdfBytes(second, job.pdfId!)).bytes).pages, 1);
  },
);

test(
  '--render-concurrency 2 prints two jobs at once; the default prints one at a time',
  { timeout: 120_000 },
  async (t) => {
    const dataDir = makeDataDir();
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const apiKey = makeApiKey();
    const slow = pageThat('window.pressReady = new Promise((resolve) => setTimeout(resolve, 800));');
    for (const [concurrency, expected] of [
      [1, 1],
      [2, 2],
    ] as const) {
      const server = await serveProcess(
        t,
        dataDir,
        apiKey,
        concurrency === 1 ? [] : ['--render-concurrency', String(concurrency)],
      );
      const { versionId } = await commitSite(server, `wide-${concurrency}`, slow);
      const jobs = [
        await createJob(server, { deployVersionId: versionId }),
        await createJob(server, { deployVersionId: versionId }),
      ];
      let most = 0;
      await waitUntil(
        async () => {
          const states = await Promise.all(
            jobs.map(
              async (job) =>
                (await server.request('GET', `/v1/render-jobs/${job.id}`)).body.renderJob.status as RenderJobStatus,
            ),
          );
          most = Math.max(most, states.filter((state) => state === 'rendering').length);
          return states.every((state) => state === 'succeeded');
        },
        `both jobs of concurrency ${concurrency} to succeed`,
        60_000,
      );
      assert.equal(most, expected, `at most ${expected} rendering at once with concurrency ${concurrency}`);
      server.child.kill('SIGTERM');
      await server.exited;
    }
  },
);
