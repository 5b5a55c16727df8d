import type { Command } from 'commander';
import type { TargetCapabilities } from '../src-core/ports.ts';
import { resolveTarget, UsageError, withConnectionOptions, type TargetFlags } from './cli-context.ts';
import { CLOUDFLARE_API_URL, SLIDELESS_API_URL } from '../src-shared/service-urls.ts';
import { TARGET_ENV, TARGET_KINDS, type TargetName } from './deploy-targets.ts';

/** What `pressdrop targets` says of one service: where it is, whether a key is at hand (never the key), what it can do. */
interface TargetReport {
  target: TargetName;
  apiUrl: string | null;
  /** Where the key comes from, or null when none is configured. */
  key: string | null;
  /** What is missing before `deploy --target` can run, in words; null when nothing is. */
  missing: string | null;
  capabilities: TargetCapabilities;
}

/** What each service offers besides deploying: what the CLI's other commands (deploys, versions, alias, render) need. */
const CAPABILITIES: Record<TargetName, TargetCapabilities> = {
  press: { versions: true, aliases: true, render: true },
  slideless: { versions: false, aliases: false, render: false },
  cloudflare: { versions: false, aliases: false, render: false },
};

/** `pressdrop targets`: the services a deploy can go to from here, as the flags and environment configure them. */
export function registerTargetsCommand(program: Command): void {
  withConnectionOptions(
    program
      .command('targets')
      .description('List the services `deploy --target` can ship to from here, and how each is configured')
      .option('--json', 'one JSON object per target'),
  ).action(async (flags: TargetFlags & { json?: boolean }) => {
    const reports = [await pressReport(flags), slidelessReport(), cloudflareReport()];
    if (flags.json) {
      for (const report of reports)
        process.stdout.write(`${JSON.stringify({ ...report, kind: TARGET_KINDS[report.target] })}\n`);
      return;
    }
    for (const report of reports) {
      const can = Object.entries(report.capabilities)
        .filter(([, yes]) => yes)
        .map(([what]) => what);
      process.stdout.write(
        `${report.target.padEnd(11)}${report.apiUrl ?? '(no server)'}\n` +
          `           key: ${report.key ?? 'none'}; ${can.length > 0 ? `deploy, ${can.join(', ')}` : 'deploy only'}\n` +
          (report.missing ? `           ${report.missing}\n` : ''),
      );
    }
  });
}

async function pressReport(flags: TargetFlags): Promise<TargetReport> {
  try {
    const { apiUrl } = await resolveTarget(flags);
    const key =
      flags.apiKey !== undefined
        ? '--api-key'
        : process.env.PRESS_CLOUD_TOKEN !== undefined
          ? 'PRESS_CLOUD_TOKEN'
          : "the local server's";
    return { target: 'press', apiUrl, key, missing: null, capabilities: CAPABILITIES.press };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return { target: 'press', apiUrl: null, key: null, missing: error.message, capabilities: CAPABILITIES.press };
  }
}

function slidelessReport(env = process.env): TargetReport {
  const { url, key } = TARGET_ENV.slideless;
  const hasKey = env[key] !== undefined && env[key] !== '';
  return {
    target: 'slideless',
    apiUrl: env[url] ?? SLIDELESS_API_URL,
    key: hasKey ? key : null,
    missing: hasKey ? null : `Set ${key} (or pass --api-key to deploy).`,
    capabilities: CAPABILITIES.slideless,
  };
}

function cloudflareReport(env = process.env): TargetReport {
  const { url, key, account } = TARGET_ENV.cloudflare;
  const lacking = [key, account].filter((name) => env[name] === undefined || env[name] === '');
  return {
    target: 'cloudflare',
    apiUrl: env[url] ?? CLOUDFLARE_API_URL,
    key: lacking.includes(key) ? null : key,
    missing: lacking.length > 0 ? `Set ${lacking.join(' and ')} (or pass --api-key and --account to deploy).` : null,
    capabilities: CAPABILITIES.cloudflare,
  };
}
