import { DeployError } from './deploy-error.ts';
import { buildPlan } from './deploy-plan.ts';
import type { HashCache } from './hash-cache.ts';
import { hashFolder, type HashPool } from './hash-pool.ts';
import type { DeployPlan, HashKind } from './ports.ts';
import { scanFolder, type ScanResult } from './scan-folder.ts';
import { FileChangedError } from './verified-file-body.ts';

/** What planFolder needs, and what it tells as it goes. */
export interface PlanFolderOptions {
  pool: HashPool;
  cache: HashCache;
  /** The hash the target names content by. */
  kind: HashKind;
  signal: AbortSignal;
  /** The scan is done: the hash phase starts with these files. */
  onScanned(scan: ScanResult): void;
  onHashed(file: { path: string; size: number }): void;
  onBytes(bytes: number): void;
}

/**
 * Scan → hash → plan: the folder as a version, with its contents hashed the
 * way the target names them. A folder that cannot be deployed as it is
 * (problems, no files, unreadable files) is a DeployError no retry helps,
 * thrown before anything is sent; a file seen changing is a FileChangedError,
 * which the run answers with a new plan.
 */
export async function planFolder(folder: string, options: PlanFolderOptions): Promise<DeployPlan> {
  const { pool, cache, kind, signal } = options;
  const scan = await scanFolder(folder, { signal, pool });
  if (scan.problems.length > 0) {
    const shown = scan.problems.slice(0, 5).map((problem) => problem.message);
    const more = scan.problems.length > 5 ? ` …and ${scan.problems.length - 5} more.` : '';
    throw new DeployError(
      {
        code: 'scan_problems',
        message: `Nothing was uploaded: ${shown.join(' ')}${more}`,
        paths: scan.problems.map((p) => p.path),
      },
      false,
    );
  }
  if (scan.files.length === 0) {
    const ignored =
      scan.ignoredCount > 0 ? ` (${scan.ignoredCount} entries are ignored by .pressignore or by default)` : '';
    throw new DeployError({ code: 'empty_folder', message: `${scan.root} has no files to deploy${ignored}.` }, false);
  }
  options.onScanned(scan);

  const hashed = await hashFolder(scan, cache, pool, {
    kind,
    signal,
    onHashed: (file) => options.onHashed(file),
    onBytes: (bytes) => options.onBytes(bytes),
  });
  const unreadable = hashed.problems.filter((problem) => problem.error.code === 'unreadable');
  if (unreadable.length > 0) {
    throw new DeployError(
      {
        code: 'unreadable_files',
        message: `Nothing was uploaded: ${unreadable
          .map((p) => p.error.message)
          .slice(0, 5)
          .join(' ')}`,
        paths: unreadable.map((p) => p.file.path),
      },
      false,
    );
  }
  if (hashed.problems.length > 0) {
    const first = hashed.problems[0]!;
    // The hash pool's sentence says what changed, and when, on its own.
    throw new FileChangedError(first.file.path, first.error.code, first.error.message);
  }
  return buildPlan(hashed.files, kind);
}
