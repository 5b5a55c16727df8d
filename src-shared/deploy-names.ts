/**
 * The naming rules of Press Cloud: which deploy slugs, alias names and file
 * paths the API accepts. The server enforces them; the client checks them
 * before it uploads anything, so a refusal comes early and in words.
 */

/** `POST /v1/deploys` slug rule, from the contract. */
export const DEPLOY_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Longest deploy name (after trimming), in UTF-16 code units; it must not be empty. */
export const MAX_DEPLOY_NAME_LENGTH = 200;

/** Alias names start with a letter, so `/preview/{slug}/{versionNo | alias}` is never ambiguous. */
export const ALIAS_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/** Longest file path a version may hold, in UTF-16 code units. */
export const MAX_PATH_LENGTH = 1024;

/** What is wrong with a version file path, as the end of a sentence ("path … is empty"), or null when it is fine. */
export function deployPathProblem(path: string): string | null {
  if (path.length === 0) return 'is empty';
  if (path.length > MAX_PATH_LENGTH) return `is longer than ${MAX_PATH_LENGTH} characters`;
  if (path.includes('\0')) return 'contains a NUL character';
  if (path.includes('\\')) return 'contains a backslash; separate folders with /';
  if (path.startsWith('/')) return 'is absolute; paths are relative to the deployed folder';
  for (const segment of path.split('/')) {
    if (segment === '') return 'has an empty segment (// or a trailing /)';
    if (segment === '..' || segment === '.') return `has a "${segment}" segment`;
  }
  return null;
}
