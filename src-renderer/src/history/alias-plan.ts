/**
 * What pointing an alias at a version would do, worked out before anything
 * is sent: a new alias, a move (a promotion, or a roll back to an older
 * version) that needs the user's yes, or nothing at all. Pure, so the
 * dialog's words are tested in Node.
 */
import { ALIAS_NAME_PATTERN } from '../../../src-shared/deploy-names.ts';
import type { AliasView } from '../../../src-shared/ipc-contract.ts';
import type { VersionRef } from '../store/places.ts';

/** The outcome of pointing `name` at the target. */
export type AliasPlan =
  | { kind: 'invalid'; problem: string }
  | { kind: 'new'; name: string; action: string }
  | { kind: 'move'; name: string; from: AliasView; rollBack: boolean; question: string; action: string }
  | { kind: 'already'; name: string; message: string };

/** What is wrong with an alias name, or null: the API's rule, in words. */
export function aliasNameProblem(name: string): string | null {
  if (name === '') return 'Choose an alias, or type the name of a new one.';
  if (ALIAS_NAME_PATTERN.test(name)) return null;
  if (/^[^a-z]/.test(name)) return 'An alias starts with a lowercase letter (a-z).';
  if (name.length > 63) return 'An alias has at most 63 characters.';
  return 'Use lowercase letters, digits and hyphens only.';
}

/** The version number as the dialog names it: "#3", or "another version" when it could not be read. */
export function versionName(versionNo: number | null): string {
  return versionNo === null ? 'another version' : `#${versionNo}`;
}

/** What pointing `name` at `target` does, given the deploy's aliases as the window last read them. */
export function planAlias(name: string, aliases: readonly AliasView[], target: VersionRef): AliasPlan {
  const problem = aliasNameProblem(name);
  if (problem) return { kind: 'invalid', problem };
  const current = aliases.find((alias) => alias.name === name);
  if (!current) return { kind: 'new', name, action: `Point ${name} to #${target.versionNo}` };
  if (current.deployVersionId === target.id)
    return { kind: 'already', name, message: `${name} already points to #${target.versionNo}.` };
  const rollBack = current.versionNo !== null && current.versionNo > target.versionNo;
  return {
    kind: 'move',
    name,
    from: current,
    rollBack,
    question: `Move ${name} from ${versionName(current.versionNo)} to #${target.versionNo}?`,
    action: rollBack ? `Roll ${name} back to #${target.versionNo}` : `Move ${name} to #${target.versionNo}`,
  };
}
