import type { Command } from 'commander';
import { ALIAS_NAME_PATTERN, abbreviate } from '../src-shared/deploy-names.ts';
import { UsageError, withClient, withTargetOptions, type TargetFlags } from './cli-context.ts';
import { findDeployOrFail, resolveVersion } from './version-ref.ts';

interface AliasFlags extends TargetFlags {
  json?: boolean;
}

/** `pressdrop alias set|ls|rm`: point a deploy's names at its versions (promote, roll back), list and remove them. */
export function registerAliasCommands(program: Command): void {
  const alias = program
    .command('alias')
    .description("Point a deploy's aliases at its versions: promote, roll back, list, remove");

  withTargetOptions(
    alias
      .command('set')
      .description(
        'Point an alias at a version (a new alias, or one moved: promote a new version, or roll back to an older one)',
      )
      .argument('<deploy>', 'deploy id or slug')
      .argument('<name>', 'alias name, e.g. production')
      .argument('<version>', 'version number (3 or #3), version id (dv_…) or another alias'),
  ).action(async (deployRef: string, name: string, versionRef: string, flags: AliasFlags) => {
    assertAliasName(name);
    await withClient(flags, async (client) => {
      const deploy = await findDeployOrFail(client, deployRef);
      const version = await resolveVersion(client, deploy, versionRef);
      const before = (await client.listAliases(deploy.id)).find((existing) => existing.name === name);
      const previous = before ? await client.getVersion(before.deployVersionId) : null;
      const set = await client.setAlias(deploy.id, name, version.id);
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ type: 'alias', alias: set, versionNo: version.versionNo, previousVersionNo: previous?.versionNo ?? null })}\n`,
        );
      } else if (!previous) {
        process.stdout.write(`${name} now points at ${deploy.slug} #${version.versionNo} (new alias).\n`);
      } else if (previous.id === version.id) {
        process.stdout.write(`${name} already pointed at ${deploy.slug} #${version.versionNo}; nothing moved.\n`);
      } else {
        const how = previous.versionNo > version.versionNo ? 'rolled back' : 'promoted';
        process.stdout.write(`${name} ${how}: ${deploy.slug} #${previous.versionNo} → #${version.versionNo}.\n`);
      }
    });
  });

  withTargetOptions(
    alias
      .command('ls')
      .description("A deploy's aliases and the versions they point at")
      .argument('<deploy>', 'deploy id or slug'),
  ).action(async (deployRef: string, flags: AliasFlags) => {
    await withClient(flags, async (client) => {
      const deploy = await findDeployOrFail(client, deployRef);
      const aliases = await client.listAliases(deploy.id);
      const numbers = new Map<string, number>();
      for (const entry of aliases)
        if (!numbers.has(entry.deployVersionId))
          numbers.set(entry.deployVersionId, (await client.getVersion(entry.deployVersionId)).versionNo);
      for (const entry of aliases) {
        const versionNo = numbers.get(entry.deployVersionId)!;
        if (flags.json) process.stdout.write(`${JSON.stringify({ type: 'alias', alias: entry, versionNo })}\n`);
        else
          process.stdout.write(
            `${entry.name.padEnd(24)} #${String(versionNo).padEnd(5)} ${entry.deployVersionId}  since ${new Date(entry.updatedAt).toISOString()}\n`,
          );
      }
      if (aliases.length === 0 && !flags.json)
        process.stdout.write(
          `${deploy.slug} has no aliases. Point one: pressdrop alias set ${deploy.slug} production <version>\n`,
        );
    });
  });

  withTargetOptions(
    alias
      .command('rm')
      .description('Remove an alias (its version stays)')
      .argument('<deploy>', 'deploy id or slug')
      .argument('<name>', 'alias name'),
  ).action(async (deployRef: string, name: string, flags: AliasFlags) => {
    assertAliasName(name);
    await withClient(flags, async (client) => {
      const deploy = await findDeployOrFail(client, deployRef);
      const existing = (await client.listAliases(deploy.id)).find((candidate) => candidate.name === name);
      if (!existing)
        throw new UsageError(
          `${deploy.slug} has no alias "${name}"; \`pressdrop alias ls ${deploy.slug}\` lists them.`,
        );
      await client.deleteAlias(deploy.id, name);
      if (flags.json) process.stdout.write(`${JSON.stringify({ type: 'alias-removed', deployId: deploy.id, name })}\n`);
      else process.stdout.write(`Removed ${name} from ${deploy.slug}; its version is still there.\n`);
    });
  });
}

function assertAliasName(name: string): void {
  if (!ALIAS_NAME_PATTERN.test(name)) {
    throw new UsageError(
      `${JSON.stringify(abbreviate(name))} is not an alias name: 1-63 characters of a-z, 0-9 and -, starting with a letter (so it never looks like a version number).`,
    );
  }
}
