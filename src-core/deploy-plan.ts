import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import mime from 'mime';
import type { FileDescriptor, Limits, VersionEntry } from '../src-shared/api-types.ts';
import { formatBytes } from '../src-shared/units.ts';
import type { DeployFailure } from '../src-shared/upload-model.ts';
import { mapBounded } from '../src-shared/map-bounded.ts';
import type { ScannedFile } from './scan-folder.ts';

/** One file of the folder, hashed: what the version will hold at `path`. */
export interface PlannedFile {
  path: string;
  absolutePath: string;
  sha256: string;
  size: number;
  mime: string;
  /** As the scan saw it: what a last look before the commit compares with. */
  mtimeNs: bigint;
  ino: bigint;
}

/** One content to upload, with every path that holds it (uploaded once, from the first). */
export interface PlannedBlob {
  sha256: string;
  size: number;
  source: PlannedFile;
  paths: string[];
}

/** The folder as a version: its files, its distinct contents, and a digest that names this exact manifest. */
export interface DeployPlan {
  files: PlannedFile[];
  blobs: PlannedBlob[];
  totalBytes: number;
  manifestDigest: string;
}

/** Builds the plan from hashed files (sorted by path, as the scan gives them). */
export function buildPlan(hashed: ReadonlyArray<{ file: ScannedFile; sha256: string }>): DeployPlan {
  const files = hashed
    .map(({ file, sha256 }) => ({
      path: file.path,
      absolutePath: file.absolutePath,
      sha256,
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
    digest.update(`${file.path}\0${file.sha256}\0${file.size}\n`);
    const blob = blobs.get(file.sha256);
    if (blob) blob.paths.push(file.path);
    else blobs.set(file.sha256, { sha256: file.sha256, size: file.size, source: file, paths: [file.path] });
  }
  return { files, blobs: [...blobs.values()], totalBytes, manifestDigest: digest.digest('hex') };
}

/** The refusal the server would give for this plan, given early and in words; null when it fits. */
export function limitProblem(plan: DeployPlan, limits: Limits): DeployFailure | null {
  if (plan.files.length > limits.maxFilesPerVersion) {
    return {
      code: 'too_many_files',
      message: `The folder has ${plan.files.length} files; this server takes at most ${limits.maxFilesPerVersion} per version. List what need not be deployed in a .pressignore file.`,
    };
  }
  const tooBig = plan.files.filter((file) => file.size > limits.maxBlobBytes);
  if (tooBig.length > 0) {
    return {
      code: 'upload_blob_too_large',
      message: `${tooBig.length} file(s) are over this server's ${formatBytes(limits.maxBlobBytes)} per-file limit, e.g. ${tooBig[0]!.path} (${formatBytes(tooBig[0]!.size)}). Leave them out with .pressignore.`,
      paths: tooBig.map((file) => file.path),
    };
  }
  if (plan.totalBytes > limits.maxSessionBytes) {
    return {
      code: 'upload_session_too_large',
      message: `The folder holds ${formatBytes(plan.totalBytes)}; this server takes at most ${formatBytes(limits.maxSessionBytes)} per version. Leave large files out with .pressignore.`,
    };
  }
  return null;
}

/** Why the version's render route would be refused at commit (it names no file of the folder), before anything is uploaded; null when fine. */
export function renderRouteProblem(plan: DeployPlan, route: string | undefined): DeployFailure | null {
  if (route === undefined) return null;
  const path = route.startsWith('/') ? route.slice(1) : route;
  if (plan.files.some((file) => file.path === path)) return null;
  return {
    code: 'render_route_not_found',
    message: `The render route ${JSON.stringify(route)} names no file of the folder; point it (--route, or render.route in press.json) at the page to print, e.g. /index.html.`,
  };
}

/** The files as the session registers them. */
export function toDescriptors(files: readonly PlannedFile[]): FileDescriptor[] {
  return files.map((file) => ({ path: file.path, sha256: file.sha256, size: file.size, mime: file.mime }));
}

/** The files as the commit maps them. */
export function toEntries(files: readonly PlannedFile[]): VersionEntry[] {
  return files.map((file) => ({ path: file.path, blobHash: file.sha256, size: file.size, mime: file.mime }));
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
