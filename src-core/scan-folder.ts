import { setMaxListeners } from 'node:events';
import * as fs from 'node:fs';
import type { Dirent } from 'node:fs';
import { access, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getSystemErrorName } from 'node:util';
import { fdir } from 'fdir';
import type { FSLike } from 'fdir';
import ignore from 'ignore';
import type { Ignore } from 'ignore';
import type { CodesOf, EngineErrorCode } from '../src-shared/app-errors.ts';
import { abbreviate, deployPathProblem } from '../src-shared/deploy-names.ts';
import { PRESS_CONFIG } from './press-config.ts';
import { InlineStatPool, type StatPool } from './stat-pool.ts';
import { LSTAT_SLOTS, LstatKind } from './hash-worker.ts';

/** One regular file of a scanned folder, with the metadata the hash cache keys on. */
export interface ScannedFile {
  /** POSIX, relative to the scanned root, Unicode NFC: the path the version will hold. */
  path: string;
  /** Where to read it (for a followed symlink: the target's real path). */
  absolutePath: string;
  size: number;
  mtimeNs: bigint;
  ino: bigint;
  dev: bigint;
}

/** Why an entry of the folder will not be deployed. */
export type ScanProblemKind =
  'unreadable' | 'symlink_outside' | 'symlink_loop' | 'invalid_name' | 'duplicate_name' | 'not_regular_file';

/** An entry the scan left out, with a sentence saying which one and what to do. */
export interface ScanProblem {
  kind: ScanProblemKind;
  path: string;
  message: string;
}

/** What a folder holds to deploy. */
export interface ScanResult {
  /** The real path of the scanned folder. */
  root: string;
  /** Sorted by path, in code-point order (the server's order). */
  files: ScannedFile[];
  totalBytes: number;
  /** Entries left out by .pressignore and the built-in rules (an ignored folder counts once). */
  ignoredCount: number;
  problems: ScanProblem[];
}

/** What made the scanned folder itself unusable. */
export type ScanErrorCode = CodesOf<
  EngineErrorCode,
  'folder_not_found' | 'not_a_directory' | 'unreadable_root' | 'unreadable_pressignore'
>;

/** Thrown when the folder itself cannot be scanned (problems with entries inside it are ScanProblems instead). */
export class ScanError extends Error {
  readonly code: ScanErrorCode;
  constructor(code: ScanErrorCode, message: string) {
    super(message);
    this.name = 'ScanError';
    this.code = code;
  }
}

/** Options of scanFolder. */
export interface ScanOptions {
  signal?: AbortSignal;
  /** Called now and then (at most every 100 ms, and once at the end) with the number of files seen so far. */
  onProgress?: (filesSeen: number) => void;
  /**
   * Where to lstat: with a pool (the HashPool), batches are stat'ed on its
   * threads while the crawl goes on (~1.2× faster here on 2 cores, and no
   * lstat on the main thread); without, on the main thread in slices that
   * yield. A pool busy hashing makes the scan wait its turn.
   */
  pool?: StatPool;
}

/** The ignore file read from the scanned folder's root; gitignore syntax; never deployed itself (nor is press.json, the deploy settings). */
export const PRESSIGNORE = '.pressignore';

// The Slideless CLI's record of the presentation a folder was pushed to (PressDrop writes it too): state, not
// content, so never deployed from the root, as the Slideless CLI never uploads it (its default ignores).
const SLIDELESS_JSON = 'slideless.json';
// A Worker's own configuration at the root of the folder deployed as its assets (`assets.directory: "."`):
// settings, maybe with names of secrets, never meant to be served.
const WRANGLER_CONFIGS = ['wrangler.json', 'wrangler.jsonc', 'wrangler.toml'];
/** Files of the folder's root that configure or record deploys: never deployed themselves. */
const ROOT_STATE_FILES = new Set([PRESSIGNORE, PRESS_CONFIG, SLIDELESS_JSON, ...WRANGLER_CONFIGS]);

// Names never deployed wherever they are: OS litter, and git's folder (and
// the `.git` file a worktree or submodule has instead).
const IGNORED_FILE_NAMES = new Set(['.DS_Store', 'Thumbs.db', '.git']);
const IGNORED_DIR_NAMES = new Set(['.git']);

// Entries are lstat'ed in batches, sent off as the crawl finds them: on the
// pool's threads when there is one, in parallel and off the main thread;
// else on this thread (InlineStatPool).
const STAT_BATCH = 1024;
const PROGRESS_EVERY_MS = 100;

const NON_ASCII = /[\u0080-\uffff]/;
const SURROGATE = /[\ud800-\udfff]/;

/** NFC, skipping the ICU call for the common ASCII path. */
const nfc = (s: string) => (NON_ASCII.test(s) ? s.normalize('NFC') : s);
const join = (prefix: string, rel: string) => (prefix === '' ? rel : `${prefix}/${rel}`);
const isAncestorOrSelf = (dir: string, path: string) =>
  path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
const errorCode = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code ?? 'unknown';

/** An entry the crawl reported, before its lstat. */
interface Candidate {
  /** The logical path as on disk (not yet NFC), under the root or under the symlink that led here. */
  logical: string;
  absolutePath: string;
  /**
   * Real folders on the logical path to here: the root, then for each symlink followed, the
   * link's parent and its target. A folder link whose target contains any of them is a loop.
   */
  stack: readonly string[];
}

/** Lists a folder's regular files, symlinks resolved inside it, everything else reported as problems. */
export async function scanFolder(root: string, options: ScanOptions = {}): Promise<ScanResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  // One internal signal for the pool's tasks: piscina adds a listener per task, and the
  // caller's signal would warn about dozens of them.
  const cancel = new AbortController();
  setMaxListeners(0, cancel.signal);
  const forward = () => cancel.abort(signal?.reason);
  signal?.addEventListener('abort', forward, { once: true });
  try {
    const rootReal = await usableRoot(root);
    const rules = await readPressignore(rootReal);
    const scanner = new Scanner(rootReal, rules, options, cancel.signal);
    await scanner.walk(rootReal, '', [rootReal], '');
    return scanner.result();
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  } finally {
    signal?.removeEventListener('abort', forward);
  }
}

async function usableRoot(root: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(root);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EACCES' || code === 'EPERM')
      throw new ScanError(
        'unreadable_root',
        `The folder "${root}" cannot be reached (permission denied); check its permissions and try again.`,
      );
    if (code === 'ENOTDIR')
      throw new ScanError(
        'not_a_directory',
        `"${root}" is not a folder; pick the folder that holds the files to deploy.`,
      );
    throw new ScanError(
      'folder_not_found',
      `The folder "${root}" does not exist; check the path or pick the folder again.`,
    );
  }
  if (!(await stat(real)).isDirectory())
    throw new ScanError(
      'not_a_directory',
      `"${root}" is a file, not a folder; pick the folder that holds the files to deploy.`,
    );
  try {
    await access(real, fs.constants.R_OK | fs.constants.X_OK);
  } catch {
    throw new ScanError(
      'unreadable_root',
      `The folder "${root}" cannot be read (permission denied); give yourself read access to it and try again.`,
    );
  }
  return real;
}

async function readPressignore(rootReal: string): Promise<Ignore | null> {
  let text: string;
  try {
    text = await readFile(`${rootReal}/${PRESSIGNORE}`, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    // Deploying without the rules could publish what the user meant to keep out: stop instead.
    throw new ScanError(
      'unreadable_pressignore',
      `The ${PRESSIGNORE} file of "${rootReal}" cannot be read (${errorCode(error)}); fix or remove it, then deploy again.`,
    );
  }
  // Case-sensitive where filesystems usually are, as git's core.ignoreCase defaults.
  return ignore({ ignorecase: process.platform === 'darwin' || process.platform === 'win32' }).add(text);
}

class Scanner {
  readonly #rootReal: string;
  readonly #rules: Ignore | null;
  readonly #signal: AbortSignal;
  readonly #onProgress: ((filesSeen: number) => void) | undefined;
  readonly #pool: StatPool;
  readonly #files: ScannedFile[] = [];
  readonly #problems: ScanProblem[] = [];
  /** On-disk names of files whose path NFC changed, to name both sides of a duplicate. */
  readonly #onDisk = new Map<ScannedFile, string>();
  #ignoredCount = 0;
  #filesSeen = 0;
  #lastProgressAt = 0;

  constructor(rootReal: string, rules: Ignore | null, options: ScanOptions, signal: AbortSignal) {
    this.#rootReal = rootReal;
    this.#rules = rules;
    this.#signal = signal;
    this.#onProgress = options.onProgress;
    this.#pool = options.pool ?? new InlineStatPool();
  }

  /** Crawls one real folder (the root, or a symlinked folder inside it, at `realRel`) whose entries appear under `prefix`. */
  async walk(realDir: string, prefix: string, stack: readonly string[], realRel: string): Promise<void> {
    const links: Candidate[] = [];
    const stated: Array<Promise<void>> = [];
    let batch: Candidate[] = [];
    const flush = () => {
      if (batch.length === 0) return;
      const done = this.#stat(batch, links);
      done.catch(() => {}); // awaited below; this only keeps an early abort from going unhandled
      stated.push(done);
      batch = [];
    };
    await this.#crawl(realDir, prefix, stack, realRel, (candidate) => {
      batch.push(candidate);
      if (batch.length === STAT_BATCH) flush();
    });
    flush();
    await Promise.all(stated);
    for (const link of links) await this.#followLink(link);
  }

  result(): ScanResult {
    this.#onProgress?.(this.#filesSeen);
    const files = sortByPath(this.#files);
    const unique: ScannedFile[] = [];
    for (let i = 0; i < files.length;) {
      let j = i + 1;
      while (j < files.length && files[j]!.path === files[i]!.path) j++;
      if (j === i + 1) unique.push(files[i]!);
      else this.#duplicate(files.slice(i, j));
      i = j;
    }
    const totalBytes = unique.reduce((sum, file) => sum + file.size, 0);
    // Batches come back in any order: sort the problems too, so a scan always reads the same.
    const problems = this.#problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { root: this.#rootReal, files: unique, totalBytes, ignoredCount: this.#ignoredCount, problems };
  }

  /**
   * Crawls with fdir, handing each entry that is not ignored to `found` as soon as its folder is
   * read. Under a symlink, the rules apply to both paths, the link's and the real one: ignored
   * content stays home whichever path leads to it.
   */
  async #crawl(
    realDir: string,
    prefix: string,
    stack: readonly string[],
    realRel: string,
    found: (candidate: Candidate) => void,
  ): Promise<void> {
    const dirPrefix = realDir.endsWith('/') ? realDir : `${realDir}/`;
    const atRoot = prefix === '';
    const ignored = (rel: string, dir: boolean) =>
      this.#ignored(join(prefix, rel), dir) || (!atRoot && this.#ignored(join(realRel, rel), dir));
    await new fdir({ fs: this.#fsFor(dirPrefix, prefix, ignored), suppressErrors: true })
      .withRelativePaths()
      .withPathSeparator('/')
      .withAbortSignal(this.#signal)
      // Pruned here, an ignored folder is never read.
      .exclude((_name, dirPath) => this.#count(ignored(dirPath.slice(dirPrefix.length, -1), true)))
      // Files (and symlinks) go straight to the lstat batches; fdir keeps no list of its own.
      .filter((rel) => {
        if (!this.#count((atRoot && ROOT_STATE_FILES.has(rel)) || ignored(rel, false)))
          found({ logical: join(prefix, rel), absolutePath: dirPrefix + rel, stack });
        return false;
      })
      .crawl(realDir)
      .withPromise();
    this.#signal.throwIfAborted();
  }

  /**
   * fdir reports neither FIFOs nor sockets nor devices, nor which folder failed
   * to read: its readdir goes through this wrapper, which sees every entry's
   * type (from the dirent, no extra syscall) and every folder's error.
   */
  #fsFor(dirPrefix: string, prefix: string, ignored: (rel: string, dir: boolean) => boolean): FSLike {
    const readdir = (
      path: string,
      _options: unknown,
      callback: (error: NodeJS.ErrnoException | null, entries: Dirent[]) => void,
    ) => {
      fs.readdir(path, { withFileTypes: true }, (error, entries) => {
        const rel = path.slice(dirPrefix.length).replace(/\/$/, '');
        if (error) {
          this.#unreadableDir(join(prefix, rel), error);
          return callback(error, []);
        }
        for (const entry of entries) {
          if (entry.isFile() || entry.isSymbolicLink()) this.#filesSeen++;
          else if (!entry.isDirectory()) {
            const entryRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
            if (!this.#count(ignored(entryRel, false))) this.#special(join(prefix, entryRel));
          }
        }
        this.#progress();
        callback(null, entries);
      });
    };
    return { ...fs, readdir: readdir as unknown as typeof fs.readdir };
  }

  #progress(): void {
    if (!this.#onProgress || performance.now() - this.#lastProgressAt < PROGRESS_EVERY_MS) return;
    this.#lastProgressAt = performance.now();
    this.#onProgress(this.#filesSeen);
  }

  /** Whether the built-in names or .pressignore leave `path` out (the rules also match its parent folders). */
  #ignored(path: string, dir: boolean): boolean {
    if ((dir ? IGNORED_DIR_NAMES : IGNORED_FILE_NAMES).has(path.slice(path.lastIndexOf('/') + 1))) return true;
    try {
      return this.#rules?.ignores(dir ? `${nfc(path)}/` : nfc(path)) ?? false;
    } catch {
      return false; // a name the ignore package refuses to match (e.g. "..."): no rule can name it
    }
  }

  #count(ignored: boolean): boolean {
    if (ignored) this.#ignoredCount++;
    return ignored;
  }

  async #stat(candidates: Candidate[], links: Candidate[]): Promise<void> {
    const packed = await this.#pool.lstatMany(
      candidates.map((c) => c.absolutePath),
      { signal: this.#signal },
    );
    candidates.forEach((candidate, i) => this.#classify(candidate, packed, i, links));
  }

  /** Files a candidate by its packed lstat (slot `i`): a regular file is kept, a symlink goes to `links` to follow later. */
  #classify(candidate: Candidate, packed: BigInt64Array, i: number, links: Candidate[]): void {
    const at = i * LSTAT_SLOTS;
    switch (packed[at]) {
      case LstatKind.file:
        return this.#accept(
          candidate.logical,
          candidate.absolutePath,
          packed[at + 1]!,
          packed[at + 2]!,
          packed[at + 3]!,
          packed[at + 4]!,
        );
      case LstatKind.symlink:
        return void links.push(candidate);
      case LstatKind.directory:
        return; // replaced by a folder since the crawl read its parent
      case LstatKind.other:
        return this.#special(candidate.logical);
      case LstatKind.missing:
        // Gone since the crawl, or a name that is not UTF-8 (Node decodes it with U+FFFD, so the path cannot be opened).
        if (candidate.logical.includes('\ufffd')) this.#invalid(nfc(candidate.logical), 'is not valid UTF-8');
        return;
      default: {
        const path = nfc(candidate.logical);
        const code = errnoName(Number(packed[at + 1]));
        const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code;
        return this.#problem(
          'unreadable',
          path,
          `"${path}" cannot be read (${why}); give yourself access to it or list it in ${PRESSIGNORE}.`,
        );
      }
    }
  }

  async #followLink(link: Candidate): Promise<void> {
    const path = nfc(link.logical);
    let target: string;
    try {
      target = await realpath(link.absolutePath);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ELOOP')
        return this.#problem(
          'symlink_loop',
          path,
          `"${path}" is a symbolic link that leads back to itself; remove it or list it in ${PRESSIGNORE}.`,
        );
      const to = await readlink(link.absolutePath).catch(() => '?');
      return this.#problem(
        'unreadable',
        path,
        `"${path}" is a symbolic link to "${to}", which ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}; fix or remove the link, or list it in ${PRESSIGNORE}.`,
      );
    }
    if (!isAncestorOrSelf(this.#rootReal, target)) {
      return this.#problem(
        'symlink_outside',
        path,
        `"${path}" is a symbolic link to "${target}", outside the folder being deployed; copy what it points to into the folder, or remove the link.`,
      );
    }
    const stats = await stat(target, { bigint: true }).catch((error: unknown) =>
      error instanceof Error ? error : new Error(String(error)),
    );
    if (stats instanceof Error)
      return this.#problem(
        'unreadable',
        path,
        `"${path}" is a symbolic link whose target cannot be read (${errorCode(stats)}); fix the link or list it in ${PRESSIGNORE}.`,
      );
    // What is ignored where it really is stays home, even when a link leads to it.
    const targetRel = target.slice(this.#rootReal.length + 1);
    const segments = targetRel.split('/');
    if (
      segments.slice(0, -1).some((name) => IGNORED_DIR_NAMES.has(name)) ||
      (targetRel !== '' && this.#ignored(targetRel, stats.isDirectory()))
    )
      return void this.#count(true);
    if (stats.isFile()) return this.#accept(link.logical, target, stats.size, stats.mtimeNs, stats.ino, stats.dev);
    if (!stats.isDirectory()) return this.#special(link.logical);
    // A loop: the target holds the link itself, or a folder crawled on the way here through other links.
    const parent = dirname(link.absolutePath);
    if (isAncestorOrSelf(target, parent) || link.stack.some((dir) => isAncestorOrSelf(target, dir))) {
      const shown =
        target === this.#rootReal ? 'the deployed folder itself' : `"${target.slice(this.#rootReal.length + 1)}"`;
      return this.#problem(
        'symlink_loop',
        path,
        `"${path}" is a symbolic link to ${shown}, which contains it, so following it would never end; remove the link or list it in ${PRESSIGNORE}.`,
      );
    }
    await this.walk(target, link.logical, [...link.stack, parent, target], targetRel);
  }

  #accept(logical: string, absolutePath: string, size: bigint, mtimeNs: bigint, ino: bigint, dev: bigint): void {
    const path = nfc(logical);
    const problem = deployPathProblem(path);
    if (problem) return this.#invalid(path, problem);
    // Inode and device numbers are unsigned; a packed batch holds them signed.
    const file: ScannedFile = {
      path,
      absolutePath,
      size: Number(size),
      mtimeNs,
      ino: ino < 0n ? BigInt.asUintN(64, ino) : ino,
      dev: dev < 0n ? BigInt.asUintN(64, dev) : dev,
    };
    if (path !== logical) this.#onDisk.set(file, logical);
    this.#files.push(file);
  }

  #special(logical: string): void {
    const path = nfc(logical);
    this.#problem(
      'not_regular_file',
      path,
      `"${path}" is not a regular file (a pipe, socket or device) and cannot be uploaded; remove it or list it in ${PRESSIGNORE}.`,
    );
  }

  #unreadableDir(logical: string, error: NodeJS.ErrnoException): void {
    if (error.code === 'ENOENT') return; // removed while we crawled: nothing left to deploy there
    const path = nfc(logical) || '.';
    const why = error.code === 'EACCES' || error.code === 'EPERM' ? 'permission denied' : (error.code ?? error.message);
    this.#problem(
      'unreadable',
      path,
      `The folder "${path}" cannot be read (${why}), so none of its files will be deployed; give yourself read access to it or list it in ${PRESSIGNORE}.`,
    );
  }

  #invalid(path: string, problem: string): void {
    this.#problem(
      'invalid_name',
      path,
      `${JSON.stringify(abbreviate(path))} cannot be deployed: its path ${problem}. Rename it, or list it in ${PRESSIGNORE}.`,
    );
  }

  #duplicate(files: ScannedFile[]): void {
    const names = files.map((f) => JSON.stringify(this.#onDisk.get(f) ?? f.path)).join(' and ');
    const path = files[0]!.path;
    this.#problem(
      'duplicate_name',
      path,
      `${names} are both named "${path}" once their names are normalized (Unicode NFC), and a version holds one file per path; rename or remove one of them.`,
    );
  }

  #problem(kind: ScanProblemKind, path: string, message: string): void {
    this.#problems.push({ kind, path, message });
  }
}

/** 'EACCES' for -13: the name of an errno, as Node's errors carry it. */
function errnoName(errno: number): string {
  return errno < 0 ? getSystemErrorName(errno) : `error ${errno}`;
}

/** Sorts in code-point order (UTF-8 byte order), which differs from JS string order only around surrogate pairs. */
function sortByPath(files: ScannedFile[]): ScannedFile[] {
  const byUnits = files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (!byUnits.some((f) => SURROGATE.test(f.path))) return byUnits;
  const keys = new Map(byUnits.map((f) => [f, Buffer.from(f.path)]));
  return byUnits.sort((a, b) => Buffer.compare(keys.get(a)!, keys.get(b)!));
}
