import { createHash } from 'node:crypto';
import mime from 'mime';
import { formatBytes } from '../src-shared/units.ts';
import type { DeployFailure } from '../src-shared/upload-model.ts';
import type { HashedFile } from './hash-cache.ts';
import { LSTAT_SLOTS, LstatKind } from './hash-worker.ts';
import type { DeployPlan, HashKind, PlannedBlob, PlannedFile, TargetLimits } from './ports.ts';
import { InlineStatPool, type StatPool } from './stat-pool.ts';

/** Builds the plan from files hashed with `hashKind` (sorted by path, as the scan gives them). */
export function buildPlan(hashed: readonly HashedFile[], hashKind: HashKind = 'sha256'): DeployPlan {
  const files = hashed
    .map(({ file, hash }) => ({
      path: file.path,
      absolutePath: file.absolutePath,
      hash,
      size: file.size,
      mime: mimeOf(file.path),
      mtimeNs: file.mtimeNs,
      ino: file.ino,
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const blobs = new Map<string, PlannedBlob>();
  const digest = createHash('sha256');
  // Digested 64 KiB at a time: one update per file was ~60 ms of a 20,000-file plan, this ~30.
  let digesting = '';
  let totalBytes = 0;
  for (const file of files) {
    totalBytes += file.size;
    digesting += `${file.path}\0${file.hash}\0${file.size}\n`;
    if (digesting.length >= 65_536) {
      digest.update(digesting);
      digesting = '';
    }
    const blob = blobs.get(file.hash);
    if (blob) blob.paths.push(file.path);
    else blobs.set(file.hash, { hash: file.hash, size: file.size, source: file, paths: [file.path] });
  }
  digest.update(digesting);
  return { hashKind, files, blobs: [...blobs.values()], totalBytes, manifestDigest: digest.digest('hex') };
}

const DEFAULT_MIME = 'application/octet-stream';
/** mime's answer per extension (lower-cased), asked once each: a 20,000-file plan has a handful (~50 ms less). */
const mimeByExtension = new Map<string, string>();

/**
 * The media type of a path, as mime.getType names it. For a name with a dot after its first
 * character, that answer depends only on the extension, so it is remembered by extension; other
 * names ("README", ".htaccess") go to mime each time.
 */
export function mimeOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return mime.getType(path) ?? DEFAULT_MIME;
  const extension = name.slice(dot + 1).toLowerCase();
  let type = mimeByExtension.get(extension);
  if (type === undefined) {
    type = mime.getType(path) ?? DEFAULT_MIME;
    mimeByExtension.set(extension, type);
  }
  return type;
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
export async function firstChangedFile(
  files: readonly PlannedFile[],
  stats: StatPool = new InlineStatPool(),
): Promise<PlannedFile | null> {
  // lstat, in the scan's packed batches: a file's absolutePath is the file itself (a followed
  // symlink's is its target's real path), so a path that now lstats as anything else has changed.
  const packed = await stats.lstatMany(files.map((file) => file.absolutePath));
  const changed = files.findIndex((file, i) => {
    const at = i * LSTAT_SLOTS;
    return (
      packed[at] !== LstatKind.file ||
      packed[at + 1] !== BigInt(file.size) ||
      packed[at + 2] !== file.mtimeNs ||
      packed[at + 3] !== file.ino
    );
  });
  return files[changed] ?? null;
}
