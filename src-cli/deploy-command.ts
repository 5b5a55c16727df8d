import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { DeployError, type DeployOptions, type DeployResult, type DeployRun } from '../src-core/deploy-run.ts';
import { PressCloudClient, type PressCloudTarget } from '../src-core/targets/press-cloud/press-cloud-client.ts';
import type { DeployRef } from '../src-core/targets/press-cloud/press-cloud-requests.ts';
import { deployRefOf, pressCloudTarget } from '../src-core/targets/press-cloud/press-cloud-target.ts';
import {
  MAX_RENDER_TIMEOUT_MS,
  mergeRenderConfig,
  PressConfigError,
  readPressConfig,
} from '../src-core/press-config.ts';
import type { RenderConfig } from '../src-shared/api-types.ts';
import { ALIAS_NAME_PATTERN, DEPLOY_SLUG_PATTERN } from '../src-shared/deploy-names.ts';
import { openEngine, resolveTarget, UsageError, withConnectionOptions, type TargetFlags } from './cli-context.ts';
import { DEFAULT_STATE_DIR } from './cli-defaults.ts';
import {
  cloudflareTargetFor,
  peerTargetOfJob,
  slidelessTargetFor,
  TARGET_NAMES,
  type PeerTargetFlags,
  type TargetName,
} from './deploy-targets.ts';
import { statusLine, summaryLines } from './progress-display.ts';

/** What `deploy` and `resume` share beside the target: how hard to push, how long to wait, how to report. */
interface RunFlags extends TargetFlags {
  json?: boolean;
  concurrency?: number;
  giveUpAfter?: number;
}

interface DeployFlags extends RunFlags, PeerTargetFlags {
  target: TargetName;
  deploy?: string;
  create?: string;
  name?: string;
  route?: string;
  title?: string;
  renderTimeout?: number;
  metadata?: Record<string, string>;
  alias?: string[];
  render?: boolean;
  out?: string;
}

/** What happens once the version is committed: aliases pointed at it, and a PDF printed (press.json, then the flags). */
interface AfterCommit {
  aliases: string[];
  render: { out: string | undefined } | null;
}

type ResumeFlags = RunFlags;

/** `pressdrop deploy` and `pressdrop resume`. */
export function registerDeployCommands(program: Command): void {
  const withTarget = (command: Command) =>
    withConnectionOptions(command)
      .option('--state-dir <dir>', 'where the resume journal and hash cache live (default: the app-data folder)')
      .option(
        '--concurrency <n>',
        'blob uploads at once (default: 16, adapting up to 64 while more in flight is faster)',
        positiveNumber,
      )
      .option(
        '--give-up-after <duration>',
        'stop (resumably) once the server has not answered for this long, e.g. 90s, 5m, 1h (default 5m)',
        duration,
      )
      .option('--json', 'one JSON event per line on stdout, for CI');

  withTarget(
    program
      .command('deploy')
      .description('Deploy a folder as a new version (resumes its interrupted deploy, if any)')
      .argument('<dir>', 'the folder to deploy')
      .option(
        '--target <service>',
        'press (Press Cloud), slideless (a Slideless presentation) or cloudflare (an assets-only Worker)',
        targetName,
        'press',
      )
      .option('--deploy <id|slug>', 'an existing deploy')
      .option('--create <slug>', 'create a new deploy with this slug')
      .option('--name <name>', 'its name, with --create (default: the slug)')
      .option('--route <path>', "the page a PDF of this version prints (default: press.json's, else /index.html)")
      .option(
        '--title <text>',
        "press: the PDF's title (default: press.json's, else the page's); slideless: the presentation's (default: the folder's name)",
      )
      .option(
        '--render-timeout <duration>',
        "how long a print of this version may take, e.g. 45s (default: press.json's, else 30s)",
        duration,
      )
      .option(
        '--metadata <key=value>',
        "render metadata kept with the version; repeatable (merged over press.json's)",
        keyValue,
      )
      .option(
        '--alias <name>',
        "point this alias at the new version once it is committed; repeatable (instead of press.json's aliases)",
        aliasName,
      )
      .option('--render', 'print the new version to PDF once it is committed, and save it')
      .option('--out <file>', 'with --render: where to save the PDF (default: ./<slug>-<version>.pdf)')
      .option(
        '--presentation <id>',
        "slideless: the presentation to update (default: slideless.json's, else a new one)",
      )
      .option('--entry <path>', 'slideless: the page the presentation opens on (default: index.html)')
      .option('--script <name>', "cloudflare: the Worker (default: the nearest wrangler.json's name)")
      .option('--account <id>', 'cloudflare: the account id (default: CLOUDFLARE_ACCOUNT_ID)')
      .option(
        '--compatibility-date <date>',
        "cloudflare: the Worker's compatibility date (default: wrangler.json's, else today)",
      ),
  ).action(async (dir: string, flags: DeployFlags) => {
    if (flags.target !== 'press') return deployToPeer(dir, flags);
    if (flags.out !== undefined && !flags.render)
      throw new UsageError('--out says where --render saves the PDF: add --render, or leave --out out.');
    if (flags.renderTimeout !== undefined && flags.renderTimeout > MAX_RENDER_TIMEOUT_MS)
      throw new UsageError('--render-timeout: a print may take at most 10 minutes.');
    // press.json is checked before anything is sent: a typo in it must not cost an upload.
    const config = await pressConfigOf(dir);
    const overrides: RenderConfig = {
      ...(flags.route !== undefined && { route: flags.route }),
      ...(flags.title !== undefined && { title: flags.title }),
      ...(flags.renderTimeout !== undefined && { renderTimeoutMs: flags.renderTimeout }),
      ...(flags.metadata !== undefined && { metadata: flags.metadata }),
    };
    const render = mergeRenderConfig(config?.render ?? null, overrides);
    const after: AfterCommit = {
      aliases: flags.alias ?? config?.aliases ?? [],
      render: flags.render ? { out: flags.out === undefined ? undefined : resolve(flags.out) } : null,
    };
    const target = await resolveTarget(flags);
    const deploy = await deployRef(flags, target);
    await runToEnd(
      flags,
      (engine) =>
        engine.deploy({
          ...tuning(flags),
          folder: dir,
          target: pressCloudTarget(target, deploy, render ? { render } : {}),
        }),
      { target, after },
    );
  });

  withTarget(
    program
      .command('resume')
      .description('Continue an interrupted deploy (the newest, or the one given)')
      .argument('[job]', 'a job id, as `pressdrop resume --list` shows')
      .option('--list', 'list interrupted deploys and stop'),
  ).action(async (jobId: string | undefined, flags: ResumeFlags & { list?: boolean }) => {
    if (flags.list) return listResumable(flags);
    let resumed: { target: PressCloudTarget; after: AfterCommit } | undefined;
    await runToEnd(
      flags,
      async (engine) => {
        const job = jobId ?? engine.resumableJobs()[0]?.job.id;
        const stateDir = flags.stateDir ?? DEFAULT_STATE_DIR;
        if (!job) throw new UsageError(`Nothing to resume: no interrupted deploy is recorded in ${stateDir}.`);
        const record = engine.job(job);
        if (!record)
          throw new UsageError(
            `No deploy job ${job} is recorded in ${stateDir}; \`pressdrop resume --list\` shows those there are.`,
          );
        // A Slideless or Cloudflare job: its key from the flags or that service's environment variable.
        if (record.targetKind !== 'press-cloud')
          return engine.resume(job, await peerTargetOfJob(record, flags), tuning(flags));
        const target = await resolveTarget({ ...flags, api: flags.api ?? record.apiUrl });
        // The folder's press.json as it is now: the version is committed with its render config, its aliases pointed.
        const config = await pressConfigOf(record.folder);
        resumed = { target, after: { aliases: config?.aliases ?? [], render: null } };
        const deploy = deployRefOf(record.destination);
        return engine.resume(
          job,
          pressCloudTarget(
            { ...target, apiUrl: record.apiUrl },
            deploy,
            config?.render ? { render: config.render } : {},
          ),
          tuning(flags),
        );
      },
      () => resumed,
    );
  });
}

/** Flags that only a Press Cloud deploy has (its deploys, its aliases, its PDFs). */
const PRESS_ONLY_FLAGS = {
  deploy: '--deploy',
  create: '--create',
  name: '--name',
  route: '--route',
  renderTimeout: '--render-timeout',
  metadata: '--metadata',
  alias: '--alias',
  render: '--render',
  out: '--out',
} as const satisfies Partial<Record<keyof DeployFlags, string>>;

/** `deploy --target slideless|cloudflare`: the same engine, resume and hash cache, to another service. */
async function deployToPeer(dir: string, flags: DeployFlags): Promise<void> {
  const pressOnly = Object.entries(PRESS_ONLY_FLAGS)
    .filter(([name]) => flags[name as keyof DeployFlags] !== undefined)
    .map(([, flag]) => flag);
  if (pressOnly.length > 0)
    throw new UsageError(
      `${pressOnly.join(', ')} ${pressOnly.length === 1 ? 'is' : 'are'} Press Cloud's; --target ${flags.target} does not take ${pressOnly.length === 1 ? 'it' : 'them'}.`,
    );
  const target =
    flags.target === 'slideless' ? await slidelessTargetFor(dir, flags) : await cloudflareTargetFor(dir, flags);
  await runToEnd(
    flags,
    (engine) => engine.deploy({ ...tuning(flags), folder: dir, target }),
    () => undefined,
  );
}

function tuning(flags: RunFlags): Pick<DeployOptions, 'concurrency' | 'retry'> {
  return {
    ...(flags.concurrency !== undefined && { concurrency: flags.concurrency }),
    // Without --give-up-after, the engine's own default (DEFAULT_RETRY_POLICY: 5 minutes).
    ...(flags.giveUpAfter !== undefined && { retry: { giveUpAfterMs: flags.giveUpAfter } }),
  };
}

/** `--deploy` by id or slug (a slug is looked up), or `--create`. */
async function deployRef(flags: DeployFlags, target: { apiUrl: string; apiKey: string }): Promise<DeployRef> {
  if ((flags.deploy === undefined) === (flags.create === undefined)) {
    throw new UsageError(
      'Say where to deploy: --deploy <id|slug> for an existing deploy, or --create <slug> for a new one.',
    );
  }
  if (flags.create !== undefined) {
    if (!DEPLOY_SLUG_PATTERN.test(flags.create)) {
      throw new UsageError(
        `--create "${flags.create}": a slug is 1-63 characters of a-z, 0-9 and -, starting with a letter or digit.`,
      );
    }
    return { createDeploy: { slug: flags.create, name: flags.name ?? flags.create } };
  }
  const client = new PressCloudClient(target);
  try {
    const found = await client.findDeploy(flags.deploy!);
    if (!found)
      throw new UsageError(
        `No deploy "${flags.deploy}" on ${target.apiUrl}; see \`pressdrop deploys\`, or create one with --create.`,
      );
    return { deployId: found.id };
  } finally {
    await client.close();
  }
}

/** Runs a deploy to its end with a live display (or JSON lines), Ctrl-C leaving it resumable. */
async function runToEnd(
  flags: { json?: boolean; stateDir?: string },
  start: (engine: ReturnType<typeof openEngine>) => DeployRun | Promise<DeployRun>,
  then:
    | { target: PressCloudTarget; after: AfterCommit }
    | (() => { target: PressCloudTarget; after: AfterCommit } | undefined),
): Promise<void> {
  const engine = openEngine(flags);
  const started = performance.now();
  const live = !flags.json && process.stderr.isTTY;
  let run: DeployRun | undefined;
  let paused = false;
  let timer: NodeJS.Timeout | undefined;
  const onSigint = () => {
    process.once('SIGINT', () => process.exit(130));
    run?.cancel();
  };
  process.once('SIGINT', onSigint);
  try {
    run = await start(engine);
    const current = run;
    // Only --json shows file updates: without it, the run keeps none.
    current.on(
      (event) => {
        if (flags.json) process.stdout.write(`${JSON.stringify(event)}\n`);
        else if (event.type === 'job' && event.resumed)
          process.stderr.write(`Resuming the interrupted deploy of this folder (${event.jobId}).\n`);
        // Said as it happens, in every mode: a server that does not answer must not leave the terminal (or a CI log) silent.
        if (event.type === 'retry') process.stderr.write(`${live ? '\r\x1b[2K' : ''}${event.message}\n`);
        if (event.type === 'paused' || event.type === 'resumed') paused = event.type === 'paused';
      },
      { files: flags.json === true },
    );
    if (live) timer = setInterval(() => process.stderr.write(`\r\x1b[2K${statusLine(current.totals(), paused)}`), 100);
    const result = await current.result;
    if (live) process.stderr.write('\r\x1b[2K');
    if (!flags.json)
      for (const line of summaryLines(result, (performance.now() - started) / 1000)) process.stdout.write(`${line}\n`);
    const next = typeof then === 'function' ? then() : then;
    if (next) process.exitCode = await afterCommit(result, next.target, next.after, flags.json ?? false);
  } catch (error) {
    if (live) process.stderr.write('\r\x1b[2K');
    if (error instanceof DeployError && error.failure.code === 'cancelled') {
      const how = error.resumable
        ? 'Run the same command again, or `pressdrop resume`, to continue where it stopped.'
        : 'Nothing was uploaded yet: run the same command again to deploy.';
      process.stderr.write(`Interrupted. ${how}\n`);
      process.exitCode = 130;
      return;
    }
    if (error instanceof DeployError) {
      const slug =
        error.failure.code === 'deploy_slug_conflict'
          ? ' To add a version to that deploy, use --deploy <slug> instead of --create.'
          : '';
      const hint = error.resumable ? ' (`pressdrop resume` continues it)' : slug;
      throw new UsageError(`${error.message}${hint}`);
    }
    throw error;
  } finally {
    clearInterval(timer);
    process.removeListener('SIGINT', onSigint);
    await engine.close();
  }
}

/** The folder's press.json, or a one-line refusal that names what is wrong in it. */
async function pressConfigOf(folder: string) {
  try {
    return await readPressConfig(folder);
  } catch (error) {
    if (error instanceof PressConfigError) throw new UsageError(`${error.message} Nothing was uploaded.`);
    throw error;
  }
}

/**
 * Once the version is committed: points the aliases at it, then prints it
 * when asked. Resolves with the exit code (0, or the render's). The version
 * stays committed whatever happens here, and an error says so.
 */
async function afterCommit(
  result: DeployResult,
  target: PressCloudTarget,
  after: AfterCommit,
  json: boolean,
): Promise<number> {
  if (after.aliases.length === 0 && !after.render) return 0;
  const { deployVersion } = result;
  const client = new PressCloudClient(target);
  try {
    for (const name of after.aliases) {
      try {
        const alias = await client.setAlias(deployVersion.deployId, name, deployVersion.id);
        if (json)
          process.stdout.write(`${JSON.stringify({ type: 'alias', alias, versionNo: deployVersion.versionNo })}\n`);
        else process.stdout.write(`  ${name} now points at ${deployVersion.displayId}.\n`);
      } catch (error) {
        throw new UsageError(
          `${deployVersion.displayId} is committed, but pointing ${name} at it failed: ${error instanceof Error ? error.message : String(error)} Point it with: pressdrop alias set ${deployVersion.deployId} ${name} ${deployVersion.versionNo}`,
        );
      }
    }
    if (!after.render) return 0;
    // The run asked for the slug already (for the preview URL); asked again only if that answer was lost.
    const slug = result.slug ?? (await client.getDeploy(deployVersion.deployId)).slug;
    // Loaded for --render only.
    const { renderVersion } = await import('./render-command.ts');
    return await renderVersion(client, slug, deployVersion, { out: after.render.out, json });
  } finally {
    await client.close();
  }
}

function listResumable(flags: ResumeFlags): void {
  const engine = openEngine(flags);
  try {
    const jobs = engine.resumableJobs();
    if (flags.json) {
      for (const { job, progress } of jobs)
        process.stdout.write(
          `${JSON.stringify({ jobId: job.id, folder: job.folder, target: job.targetKind, apiUrl: job.apiUrl, destination: job.destination.name, status: job.status, progress, error: job.error })}\n`,
        );
      return;
    }
    if (jobs.length === 0) return void process.stdout.write('No interrupted deploys.\n');
    for (const { job, progress } of jobs) {
      const done = progress.bytes > 0 ? Math.floor((progress.storedBytes / progress.bytes) * 100) : 0;
      process.stdout.write(
        `${job.id}  ${job.status.padEnd(11)} ${done}% stored  ${job.folder} → ${job.destination.name} on ${job.apiUrl} (${job.targetKind})${job.error ? `\n    ${job.error}` : ''}\n`,
      );
    }
  } finally {
    void engine.close();
  }
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, min: 60_000, h: 3_600_000 };

/** `90`, `90s`, `1.5m`, `5min`, `1h` or `500ms` → milliseconds (a bare number is seconds). */
function duration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?$/.exec(text.trim());
  const ms = match ? Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? 's'] ?? Number.NaN) : Number.NaN;
  if (!(ms >= 1_000))
    throw new InvalidArgumentError('expected a duration of at least a second, such as 90s, 5m or 1h.');
  return ms;
}

/** `--metadata key=value`, gathered into one object. */
function keyValue(text: string, previous: Record<string, string> | undefined): Record<string, string> {
  const at = text.indexOf('=');
  if (at < 1) throw new InvalidArgumentError('expected key=value, e.g. --metadata buildId=1234.');
  return { ...previous, [text.slice(0, at)]: text.slice(at + 1) };
}

/** `--alias name`, gathered; checked as the server checks alias names. */
function aliasName(text: string, previous: string[] | undefined): string[] {
  if (!ALIAS_NAME_PATTERN.test(text))
    throw new InvalidArgumentError('an alias is 1-63 characters of a-z, 0-9 and -, starting with a letter.');
  return [...new Set([...(previous ?? []), text])];
}

function positiveNumber(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
}

function targetName(text: string): TargetName {
  if (!(TARGET_NAMES as readonly string[]).includes(text))
    throw new InvalidArgumentError(`expected one of ${TARGET_NAMES.join(', ')}.`);
  return text as TargetName;
}
