import type { Command } from 'commander';
import { diffVersions } from '../src-core/version-diff.ts';
import { formatBytes } from '../src-shared/units.ts';
import { withClient, withTargetOptions, type TargetFlags } from './cli-context.ts';
import { findDeployOrFail, resolveVersion } from './version-ref.ts';

interface DiffFlags extends TargetFlags {
  json?: boolean;
}

/** `pressdrop diff <deploy> <a> <b>`: what changed from one version to another, path by path. */
export function registerDiffCommand(program: Command): void {
  withTargetOptions(
    program
      .command('diff')
      .description('Compare two versions of a deploy: added, removed and changed paths, with sizes')
      .argument('<deploy>', 'deploy id or slug')
      .argument('<from>', 'version number (3 or #3), version id (dv_…) or alias')
      .argument('<to>', 'version number, version id or alias'),
  ).action(async (deployRef: string, fromRef: string, toRef: string, flags: DiffFlags) => {
    await withClient(flags, async (client) => {
      const deploy = await findDeployOrFail(client, deployRef);
      const [from, to] = [await resolveVersion(client, deploy, fromRef), await resolveVersion(client, deploy, toRef)];
      const diff = await diffVersions(client, from.id, to.id);
      const lines: string[] = [];
      if (flags.json) {
        for (const file of diff.added) lines.push(JSON.stringify({ type: 'file', change: 'added', ...file }));
        for (const file of diff.removed) lines.push(JSON.stringify({ type: 'file', change: 'removed', ...file }));
        for (const file of diff.changed) lines.push(JSON.stringify({ type: 'file', change: 'changed', ...file }));
        const counts = {
          added: diff.added.length,
          removed: diff.removed.length,
          changed: diff.changed.length,
          unchanged: diff.unchangedCount,
        };
        lines.push(
          JSON.stringify({
            type: 'diff',
            deployId: deploy.id,
            from: { id: from.id, versionNo: from.versionNo },
            to: { id: to.id, versionNo: to.versionNo },
            ...counts,
          }),
        );
      } else {
        for (const file of diff.added) lines.push(`+ ${file.path}  (${formatBytes(file.size)})`);
        for (const file of diff.removed) lines.push(`- ${file.path}  (${formatBytes(file.size)})`);
        for (const file of diff.changed)
          lines.push(`~ ${file.path}  (${formatBytes(file.sizeBefore)} → ${formatBytes(file.sizeAfter)})`);
        lines.push(
          `${deploy.slug} #${from.versionNo} → #${to.versionNo}: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${diff.unchangedCount} unchanged.`,
        );
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  });
}
