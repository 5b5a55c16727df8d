import type { Command } from 'commander';
import { formatBytes } from '../src-shared/units.ts';
import { PressCloudClient } from '../src-core/press-cloud-client.ts';
import { resolveTarget, UsageError, type TargetFlags } from './cli-context.ts';

interface ListFlags extends TargetFlags {
  json?: boolean;
  limit?: string;
}

/** `pressdrop deploys` and `pressdrop versions <deploy>`. */
export function registerListCommands(program: Command): void {
  const withTarget = (command: Command) =>
    command
      .option('--api <url>', 'Press Cloud API URL (default: $PRESS_CLOUD_API, else the local server)')
      .option('--api-key <pcak_…>', 'API key (default: $PRESS_CLOUD_TOKEN, else the local server\'s)')
      .option('--insecure-http', 'allow a plain http:// API URL that is not this machine (the key crosses the network unencrypted)')
      .option('--json', 'one JSON object per line');

  withTarget(program.command('deploys').description('List deploys, newest first')).action(async (flags: ListFlags) => {
    await withClient(flags, async (client) => {
      let cursor: string | undefined;
      let any = false;
      do {
        const page = await client.listDeploys(cursor);
        for (const deploy of page.items) {
          any = true;
          if (flags.json) process.stdout.write(`${JSON.stringify(deploy)}\n`);
          else process.stdout.write(`${deploy.slug.padEnd(24)} ${deploy.id}  ${String(deploy.versionCount).padStart(4)} version(s)  ${deploy.latestVersion ? `latest ${deploy.latestVersion.displayId} ${new Date(deploy.latestVersion.createdAt).toISOString()}` : 'no versions yet'}  ${deploy.name}\n`);
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      if (!any && !flags.json) process.stdout.write('No deploys yet. Create one: pressdrop deploy <dir> --create <slug>\n');
    });
  });

  withTarget(program.command('versions').description("List a deploy's versions, newest first").argument('<deploy>', 'deploy id or slug')).action(async (ref: string, flags: ListFlags) => {
    await withClient(flags, async (client) => {
      const deploy = await client.findDeploy(ref);
      if (!deploy) throw new UsageError(`No deploy "${ref}"; see \`pressdrop deploys\`.`);
      let cursor: string | undefined;
      do {
        const page = await client.listVersions(deploy.id, cursor);
        for (const version of page.items) {
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(version)}\n`);
            continue;
          }
          const detail = await client.getVersion(version.id);
          const aliases = detail.aliases.length ? `  [${detail.aliases.join(', ')}]` : '';
          process.stdout.write(`${version.displayId.padStart(5)}  ${version.id}  ${new Date(version.createdAt).toISOString()}  ${String(detail.fileCount).padStart(6)} files  ${formatBytes(detail.totalBytes).padStart(9)}  ${version.title ?? ''}${aliases}\n`);
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      if (deploy.versionCount === 0 && !flags.json) process.stdout.write(`${deploy.slug} has no versions yet.\n`);
    });
  });
}

async function withClient(flags: ListFlags, work: (client: PressCloudClient) => Promise<void>): Promise<void> {
  const client = new PressCloudClient(await resolveTarget(flags));
  try {
    await work(client);
  } finally {
    await client.close();
  }
}
