import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { PressCloudClient } from '../src-core/targets/press-cloud/press-cloud-client.ts';
import { watchRenderJob } from '../src-core/render-watch.ts';
import type { Deploy, DeployVersion, RenderJob } from '../src-shared/api-types.ts';
import { formatBytes } from '../src-shared/units.ts';
import { UsageError, withClient, withTargetOptions, type TargetFlags } from './cli-context.ts';
import { findDeployOrFail, resolveAlias, resolveVersion } from './version-ref.ts';

interface RenderFlags extends TargetFlags {
  version?: string;
  alias?: string;
  out?: string;
  wait: boolean;
  json?: boolean;
}

/** The exit code of a render job that failed (the page's fault, after its retries), apart from 1 for everything else. */
export const RENDER_FAILED_EXIT_CODE = 3;

/** `pressdrop render`: print a version to PDF on the server, follow the job live, save the PDF. */
export function registerRenderCommand(program: Command): void {
  withTargetOptions(
    program
      .command('render')
      .description('Print a version to PDF on the server and save it (exit 3 when the render fails)')
      .argument('<deploy>', 'deploy id or slug')
      .option('--version <version>', 'version number (3 or #3) or id (default: the newest)')
      .option('--alias <name>', 'the version an alias points at')
      .option('--out <file>', 'where to save the PDF (default: ./<slug>-<version>.pdf)', pdfPath)
      .option('--no-wait', 'queue the job, print it, and return at once'),
  ).action(async (deployRef: string, flags: RenderFlags) => {
    if (flags.version !== undefined && flags.alias !== undefined)
      throw new UsageError('Name the version once: --version or --alias, not both.');
    await withClient(flags, async (client) => {
      const deploy = await findDeployOrFail(client, deployRef);
      const version = await pickVersion(client, deploy, flags);
      if (!flags.wait) {
        const job = await queueRender(client, version.id);
        if (flags.json) process.stdout.write(`${JSON.stringify({ type: 'render', renderJob: job })}\n`);
        else process.stdout.write(`Render job ${job.id} queued for ${deploy.slug} #${version.versionNo}.\n`);
        return;
      }
      process.exitCode = await renderVersion(client, deploy.slug, version, {
        out: flags.out,
        json: flags.json ?? false,
      });
    });
  });
}

/**
 * Prints version `versionNo` of deploy `slug` to PDF and saves it to `out`
 * (default ./<slug>-<versionNo>.pdf), as renderAndSave says; resolves with
 * its exit code. `pressdrop deploy --render` ends this way too.
 */
export async function renderVersion(
  client: PressCloudClient,
  slug: string,
  version: { id: string; versionNo: number },
  options: { out: string | undefined; json: boolean },
): Promise<number> {
  const job = await queueRender(client, version.id);
  return renderAndSave(client, job, {
    label: `${slug} #${version.versionNo}`,
    out: options.out ?? resolve(`${slug}-${version.versionNo}.pdf`),
    json: options.json,
  });
}

/** Queues a PDF of a version, under an Idempotency-Key of its own. */
function queueRender(client: PressCloudClient, versionId: string): Promise<RenderJob> {
  return client.createRenderJob({ deployVersionId: versionId }, `pressdrop-render-${randomUUID()}`);
}

/**
 * Follows a queued job with a live state line (a line per change off a
 * terminal, a `render` event per change with --json) and saves its PDF to
 * `out`. Resolves with the exit code: 0 saved, RENDER_FAILED_EXIT_CODE when
 * the job failed (its reason said), 130 on Ctrl-C (the job goes on).
 */
async function renderAndSave(
  client: PressCloudClient,
  job: RenderJob,
  options: { label: string; out: string; json: boolean },
): Promise<number> {
  const live = !options.json && process.stderr.isTTY;
  const say = (text: string) => (live ? process.stderr.write(`\r\x1b[2K${text}`) : process.stderr.write(`${text}\n`));
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  let ended: RenderJob;
  let countdown: NodeJS.Timeout | undefined;
  try {
    ended = await watchRenderJob(client, job, {
      signal: stop.signal,
      onChange: (current) => {
        clearInterval(countdown);
        if (options.json)
          return void process.stdout.write(`${JSON.stringify({ type: 'render', renderJob: current })}\n`);
        say(`Rendering ${options.label}: ${renderJobWords(current)}`);
        // The retry countdown moves on a terminal; elsewhere one line per state is enough.
        if (live && current.status === 'retry_scheduled')
          countdown = setInterval(() => say(`Rendering ${options.label}: ${renderJobWords(current)}`), 1000);
      },
    });
  } catch (error) {
    if (!stop.signal.aborted) throw error;
    if (live) process.stderr.write('\n');
    process.stderr.write(`Stopped waiting. Render job ${job.id} goes on on the server.\n`);
    return 130;
  } finally {
    clearInterval(countdown);
    process.removeListener('SIGINT', onSigint);
  }
  if (live) process.stderr.write('\n');
  if (ended.status === 'failed') {
    if (options.json) process.stdout.write(`${JSON.stringify({ type: 'render-failed', renderJob: ended })}\n`);
    else
      process.stderr.write(
        `The render of ${options.label} failed after ${ended.attempts} attempt(s): ${ended.error?.message ?? 'no reason given'}\n`,
      );
    return RENDER_FAILED_EXIT_CODE;
  }
  const pdf = await client.getPdf(ended.pdfId!);
  await client.savePdf(pdf.id, options.out);
  if (options.json)
    process.stdout.write(`${JSON.stringify({ type: 'rendered', renderJob: ended, pdf, path: options.out })}\n`);
  else
    process.stdout.write(
      `Saved ${options.out} (${pdf.pageCount} page${pdf.pageCount === 1 ? '' : 's'}, ${formatBytes(pdf.size)}).\n`,
    );
  return 0;
}

/** A render job's state in words, with the retry countdown and the last failure. */
export function renderJobWords(job: RenderJob, now = Date.now()): string {
  switch (job.status) {
    case 'queued':
      return job.attempts === 0 ? 'queued' : `queued again (attempt ${job.attempts + 1} of 3 next)`;
    case 'rendering':
      return job.attempts > 1 ? `rendering (attempt ${job.attempts} of 3)` : 'rendering';
    case 'retry_scheduled': {
      const seconds = Math.max(0, Math.ceil(((job.nextAttemptAt ?? now) - now) / 1000));
      return `retry in ${seconds} s (attempt ${job.attempts} failed: ${job.error?.message ?? 'no reason given'})`;
    }
    case 'succeeded':
      return 'done';
    case 'failed':
      return `failed (${job.error?.message ?? 'no reason given'})`;
  }
}

async function pickVersion(client: PressCloudClient, deploy: Deploy, flags: RenderFlags): Promise<DeployVersion> {
  if (flags.alias !== undefined) return resolveAlias(client, deploy, flags.alias);
  if (flags.version !== undefined) return resolveVersion(client, deploy, flags.version);
  if (!deploy.latestVersion) throw new UsageError(`${deploy.slug} has no versions yet: deploy a folder to it first.`);
  return deploy.latestVersion;
}

function pdfPath(text: string): string {
  if (text.trim() === '') throw new InvalidArgumentError('give a file name, e.g. report.pdf.');
  return resolve(text);
}
