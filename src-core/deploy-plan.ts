import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import mime from 'mime';
import { formatBytes } from '../src-shared/units.ts';
import type { DeployFailure } from '../src-shared/upload-model.ts';
import { mapBounded } from '../src-shared/map-bounded.ts';
import type { HashedFile } from './hash-cache.ts';
import type { DeployPlan, HashKind, PlannedBlob, PlannedFile, TargetLimits } from './ports.ts';

/** Builds the plan from files hashed with `hashKind` (sorted by path, as the scan gives them). */
export function buildPlan(hashed: readonly HashedFile[], hashKind: HashKind = 'sha256'): DeployPlan {
  const files = hashed
    .map(({ file, hash }) => ({
      path: file.path,
      absolutePath: file.absolutePath,
      hash,
      size: file.size,
      mime: mime.getType(file.path) ?? 'application/octet-stream',
      mtimeNs: file.mtimeNs,
      ino: file.ino,
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const blobs = new Map<string, PlannedBlob>();
  const digest = createHash('sha256');
  let totalBytes = 0;
  for (const file of files) {
    totalBytes += file.size;
    digest.update(`${file.path}\0${file.hash}\0${file.size}\n`);
    const blob = blobs.get(file.hash);
    if (blob) blob.paths.push(file.path);
    else blobs.set(file.hash, { hash: file.hash, size: file.size, source: file, paths: [file.path] });
  }
  return { hashKind, files, blobs: [...blobs.values()], totalBytes, manifestDigest: digest.digest('hex') };
}

/** The refusal the service would give for this plan, given early and in words; null when it fits. */
export function limitProblem(plan: DeployPlan, limits: TargetLimits): DeployFailure | null {
  if (plan.files.length > limits.maxFiles) {
    return {
      code: 'too_many_files',
      message: `The folder has ${plan.files.length} files; this server takes at most ${limits.maxFiles} per version. List what need not be deployed in a .pressignore file.`,
    };
  }
  const tooBig = plan.files.filter((file) => file.size > limits.maxFileBytes);
  if (tooBig.length > 0) {
    return {
      code: 'upload_blob_too_large',
      message: `${tooBig.length} file(s) are over this server's ${formatBytes(limits.maxFileBytes)} per-file limit, e.g. ${tooBig[0]!.path} (${formatBytes(tooBig[0]!.size)}). Leave them out with .pressignore.`,
      paths: tooBig.map((file) => file.path),
    };
  }
  if (plan.totalBytes > limits.maxTotalBytes) {
    return {
      code: 'upload_session_too_large',
      message: `The folder holds ${formatBytes(plan.totalBytes)}; this server takes at most ${formatBytes(limits.maxTotalBytes)} per version. Leave large files out with .pressignore.`,
    };
  }
  return null;
}

/**
 * The first file whose size, mtime or inode is no longer what the scan saw
 * (or that is gone), or null. A last look before the commit: a file changed
 * after its upload would otherwise be committed as it was uploaded.
 */
export async function firstChangedFile(files: readonly PlannedFile[]): Promise<PlannedFile | null> {
  const changed = await mapBounded(files, 64, async (file) => {
    // stat, not lstat: a followed symlink's scan record is its target's.
    const now = await stat(file.absolutePath, { bigint: true }).catch(() => null);
    return !now || now.size !== BigInt(file.size) || now.mtimeNs !== file.mtimeNs || now.ino !== file.ino;
  });
  return files[changed.indexOf(true)] ?? null;
}
