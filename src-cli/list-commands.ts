import type { Command } from 'commander';
import { formatBytes } from '../src-shared/units.ts';
import { UsageError, withClient, withTargetOptions, type TargetFlags } from './cli-context.ts';

interface ListFlags extends TargetFlags {
  json?: boolean;
  limit?: string;
}

/** `pressdrop deploys` and `pressdrop versions <deploy>`. */
export function registerListCommands(program: Command): void {
  withTargetOptions(program.command('deploys').description('List deploys, newest first')).action(
    async (flags: ListFlags) => {
      await withClient(flags, async (client) => {
        let cursor: string | undefined;
        let any = false;
        do {
          const page = await client.listDeploys(cursor);
          for (const deploy of page.items) {
            any = true;
            if (flags.json) process.stdout.write(`${JSON.stringify(deploy)}\n`);
            else
              process.stdout.write(
                `${deploy.slug.padEnd(24)} ${deploy.id}  ${String(deploy.versionCount).padStart(4)} version(s)  ${deploy.latestVersion ? `latest ${deploy.latestVersion.displayId} ${new Date(deploy.latestVersion.createdAt).toISOString()}` : 'no versions yet'}  ${deploy.name}\n`,
              );
          }
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        if (!any && !flags.json)
          process.stdout.write('No deploys yet. Create one: pressdrop deploy <dir> --create <slug>\n');
      });
    },
  );

  withTargetOptions(
    program
      .command('versions')
      .description("List a deploy's versions, newest first")
      .argument('<deploy>', 'deploy id or slug'),
  ).action(async (ref: string, flags: ListFlags) => {
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
          const aliases = version.aliases.length ? `  [${version.aliases.join(', ')}]` : '';
          process.stdout.write(
            `${version.displayId.padStart(5)}  ${version.id}  ${new Date(version.createdAt).toISOString()}  ${String(version.fileCount).padStart(6)} files  ${formatBytes(version.totalBytes).padStart(9)}  ${version.title ?? ''}${aliases}\n`,
          );
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      if (deploy.versionCount === 0 && !flags.json) process.stdout.write(`${deploy.slug} has no versions yet.\n`);
    });
  });
}
