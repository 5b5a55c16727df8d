import type { PressCloudClient } from '../src-core/targets/press-cloud/press-cloud-client.ts';
import type { Deploy, DeployVersion } from '../src-shared/api-types.ts';
import { ALIAS_NAME_PATTERN, abbreviate } from '../src-shared/deploy-names.ts';
import { UsageError } from './cli-context.ts';

/** A deploy named on the command line by id (`dpl_…`) or slug, or a refusal that says how to find one. */
export async function findDeployOrFail(client: PressCloudClient, ref: string): Promise<Deploy> {
  const deploy = await client.findDeploy(ref);
  if (!deploy)
    throw new UsageError(`No deploy ${JSON.stringify(abbreviate(ref))} here; \`pressdrop deploys\` lists them.`);
  return deploy;
}

/**
 * A version of `deploy` as people name it: its number (`3` or `#3`), its id
 * (`dv_…`), or an alias pointing at it (`production`).
 */
export async function resolveVersion(client: PressCloudClient, deploy: Deploy, ref: string): Promise<DeployVersion> {
  const number = /^#?([1-9]\d{0,15})$/.exec(ref);
  if (number) {
    const wanted = Number(number[1]);
    if (wanted > deploy.versionCount) {
      throw new UsageError(`${deploy.slug} has no version #${wanted}: its newest is #${deploy.versionCount}.`);
    }
    const found = await client.findVersion(deploy.id, wanted);
    if (found) return found;
    throw new UsageError(`${deploy.slug} has no version #${wanted}.`);
  }
  if (ref.startsWith('dv_')) {
    const version = await client.getVersion(ref).catch(() => null);
    if (!version || version.deployId !== deploy.id)
      throw new UsageError(`${deploy.slug} has no version ${JSON.stringify(abbreviate(ref))}.`);
    return version;
  }
  if (ALIAS_NAME_PATTERN.test(ref)) return resolveAlias(client, deploy, ref);
  throw new UsageError(
    `${JSON.stringify(abbreviate(ref))} names no version: give a version number (3 or #3), a version id (dv_…) or an alias.`,
  );
}

/** The version alias `name` of `deploy` points at, or a refusal that lists the aliases it has. */
export async function resolveAlias(client: PressCloudClient, deploy: Deploy, name: string): Promise<DeployVersion> {
  if (!ALIAS_NAME_PATTERN.test(name))
    throw new UsageError(
      `${JSON.stringify(abbreviate(name))} is not an alias name: 1-63 characters of a-z, 0-9 and -, starting with a letter.`,
    );
  const aliases = await client.listAliases(deploy.id);
  const alias = aliases.find((candidate) => candidate.name === name);
  if (!alias) {
    const known =
      aliases.length > 0 ? `its aliases are ${aliases.map((a) => a.name).join(', ')}` : 'it has no aliases yet';
    throw new UsageError(`${deploy.slug} has no alias "${name}" (${known}).`);
  }
  return client.getVersion(alias.deployVersionId);
}
