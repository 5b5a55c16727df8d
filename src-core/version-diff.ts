import type { VersionDiff, VersionEntry } from '../src-shared/api-types.ts';

/** What a diff needs of a Press Cloud client: a version's file list, a page at a time. */
export interface VersionFileSource {
  listVersionFiles(
    versionId: string,
    cursor?: string,
    limit?: number,
  ): Promise<{ items: VersionEntry[]; nextCursor: string | null }>;
}

/**
 * The files that differ between two versions, `from` → `to`: added,
 * removed and changed (other content, by blob hash), each sorted by path,
 * and how many are the same. Both file lists are walked at once, a page at
 * a time; only path, size and hash of each file are kept.
 */
export async function diffVersions(
  client: VersionFileSource,
  fromVersionId: string,
  toVersionId: string,
): Promise<VersionDiff> {
  const [from, to] = await Promise.all([fileIndex(client, fromVersionId), fileIndex(client, toVersionId)]);
  const diff: VersionDiff = { added: [], removed: [], changed: [], unchangedCount: 0 };
  for (const [path, before] of from) {
    const after = to.get(path);
    if (!after) diff.removed.push({ path, size: before.size });
    else if (after.hash !== before.hash) diff.changed.push({ path, sizeBefore: before.size, sizeAfter: after.size });
    else diff.unchangedCount++;
  }
  for (const [path, after] of to) if (!from.has(path)) diff.added.push({ path, size: after.size });
  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  diff.added.sort(byPath);
  diff.removed.sort(byPath);
  diff.changed.sort(byPath);
  return diff;
}

/** The most files a page of the contract's lists holds: 20,000 files are 100 requests a version. */
const FILES_PER_PAGE = 200;

async function fileIndex(
  client: VersionFileSource,
  versionId: string,
): Promise<Map<string, { size: number; hash: string }>> {
  const index = new Map<string, { size: number; hash: string }>();
  let cursor: string | undefined;
  do {
    const page = await client.listVersionFiles(versionId, cursor, FILES_PER_PAGE);
    for (const entry of page.items) index.set(entry.path, { size: entry.size, hash: entry.blobHash });
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return index;
}
