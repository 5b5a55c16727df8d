import { basename, resolve } from 'node:path';
import type { JobRecord } from '../src-core/deploy-journal.ts';
import type { DeployTarget, TargetKind } from '../src-core/ports.ts';
import { plainHttpProblem } from '../src-shared/api-url.ts';
import { CLOUDFLARE_API_URL, SLIDELESS_API_URL } from '../src-shared/service-urls.ts';
import { UsageError, type TargetFlags } from './cli-context.ts';

// Loaded for a deploy to that service only: a Press Cloud deploy's start does without them.
const slideless = () => import('../src-core/targets/slideless/slideless-target.ts');
const cloudflare = () => import('../src-core/targets/cloudflare/cloudflare-target.ts');

/** `--target`: the services `pressdrop deploy` ships to, as the command line names them. */
export const TARGET_NAMES = ['press', 'slideless', 'cloudflare'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** The port's kind of each name. */
export const TARGET_KINDS: Record<TargetName, TargetKind> = {
  press: 'press-cloud',
  slideless: 'slideless',
  cloudflare: 'cloudflare',
};

/** The flags of the peer targets (Press Cloud's are deploy-command's). */
export interface PeerTargetFlags extends TargetFlags {
  presentation?: string;
  title?: string;
  entry?: string;
  script?: string;
  account?: string;
  compatibilityDate?: string;
}

/** Where each peer target reads its settings when no flag gives them, as that service's own CLI does. */
export const TARGET_ENV = {
  slideless: { url: 'SLIDELESS_API_BASE_URL', key: 'SLIDELESS_API_KEY' },
  cloudflare: { url: 'CLOUDFLARE_API_BASE_URL', key: 'CLOUDFLARE_API_TOKEN', account: 'CLOUDFLARE_ACCOUNT_ID' },
} as const;

/**
 * A Slideless presentation for `folder`: `--presentation`, else the one
 * its slideless.json names (the folder was pushed before: an update), else
 * a new one, titled `--title` or after the folder.
 */
export async function slidelessTargetFor(
  folder: string,
  flags: PeerTargetFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DeployTarget> {
  const apiUrl = baseUrl(flags, env[TARGET_ENV.slideless.url] ?? SLIDELESS_API_URL, TARGET_ENV.slideless.url);
  const apiKey = slidelessKey(flags, env);
  const { readSlidelessJson, slidelessTarget } = await slideless();
  const remembered = flags.presentation === undefined ? await readSlidelessJson(folder, apiUrl) : null;
  const presentationId = flags.presentation ?? remembered?.presentationId;
  return slidelessTarget(
    { apiUrl, apiKey },
    presentationId !== undefined ? { presentationId } : { newPresentation: true },
    {
      // An update keeps the presentation's title unless one is given; a new one is named after the folder.
      ...((flags.title !== undefined || presentationId === undefined) && {
        title: flags.title ?? basename(resolve(folder)),
      }),
      ...(flags.entry !== undefined && { entryPath: flags.entry }),
    },
  );
}

/**
 * An assets-only Worker for `folder`: `--script`/`--account`, else
 * CLOUDFLARE_ACCOUNT_ID and the name the nearest wrangler.json(c) gives,
 * as wrangler reads them.
 */
export async function cloudflareTargetFor(
  folder: string,
  flags: PeerTargetFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DeployTarget> {
  const apiUrl = baseUrl(flags, env[TARGET_ENV.cloudflare.url] ?? CLOUDFLARE_API_URL, TARGET_ENV.cloudflare.url);
  const apiToken = cloudflareToken(flags, env);
  const accountId = flags.account ?? env[TARGET_ENV.cloudflare.account];
  if (!accountId)
    throw new UsageError(
      'Which Cloudflare account? Pass --account <id> or set CLOUDFLARE_ACCOUNT_ID (the dashboard shows it on the Workers page).',
    );
  const { cloudflareTarget, readWranglerConfig } = await cloudflare();
  const config = flags.script === undefined ? await readWranglerConfig(folder) : null;
  const scriptName = flags.script ?? config?.scriptName;
  if (!scriptName)
    throw new UsageError(
      'Which Worker? Pass --script <name>, or deploy from a folder whose wrangler.json names one ("name").',
    );
  const compatibilityDate = flags.compatibilityDate ?? config?.compatibilityDate;
  return cloudflareTarget(
    { apiUrl, apiToken, accountId },
    { scriptName, ...(compatibilityDate !== undefined && { compatibilityDate }) },
  );
}

/** A journaled Slideless or Cloudflare job's target, to resume it with the key the flags or environment give. */
export async function peerTargetOfJob(
  job: JobRecord,
  flags: PeerTargetFlags,
  env = process.env,
): Promise<DeployTarget> {
  if (job.targetKind === 'slideless') {
    const key = slidelessKey(flags, env);
    return (await slideless()).slidelessTargetFromJob(job, key);
  }
  if (job.targetKind === 'cloudflare') {
    const token = cloudflareToken(flags, env);
    return (await cloudflare()).cloudflareTargetFromJob(job, token);
  }
  throw new Error(`Job ${job.id} goes to ${job.targetKind}, not to a peer service.`);
}

function slidelessKey(flags: PeerTargetFlags, env: NodeJS.ProcessEnv): string {
  const key = flags.apiKey ?? env[TARGET_ENV.slideless.key];
  if (!key) throw new UsageError('No Slideless API key: pass --api-key cko_… or set SLIDELESS_API_KEY.');
  return key;
}

function cloudflareToken(flags: PeerTargetFlags, env: NodeJS.ProcessEnv): string {
  const token = flags.apiKey ?? env[TARGET_ENV.cloudflare.key];
  if (!token)
    throw new UsageError(
      'No Cloudflare API token: pass --api-key <token> or set CLOUDFLARE_API_TOKEN (Workers Scripts: Edit).',
    );
  return token;
}

/** `--api` (any target's base URL, e.g. a local peer), else the service's own; plain HTTP off this machine refused. */
function baseUrl(flags: TargetFlags, fallback: string, envName: string): string {
  const apiUrl = (flags.api ?? fallback).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new UsageError(`"${apiUrl}" is not a URL; pass --api http://host:port (or set ${envName}).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--api ${apiUrl}: only http:// and https:// URLs are supported.`);
  const exposure = plainHttpProblem(url.protocol, url.hostname);
  if (exposure && !flags.insecureHttp)
    throw new UsageError(
      `${url.origin} ${exposure}. Use https://, or pass --insecure-http if you accept that (a private test network, say).`,
    );
  return apiUrl;
}
