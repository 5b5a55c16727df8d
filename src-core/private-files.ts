import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, parse, resolve } from 'node:path';

// The state folder holds upload tokens and a record of what was deployed from where: its owner's
// only. Modes are POSIX; on Windows the calls below change nothing and the folder's ACL decides.
const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;
const STICKY = 0o1000;

/**
 * Creates `dir` (and missing parents) as its owner's only (0700), and
 * tightens it to 0700 if it already exists wider. A folder other users are
 * meant to share (sticky, like /tmp), the home folder or a filesystem root
 * is refused rather than changed under them.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const stats = statSync(dir);
  if (!stats.isDirectory())
    throw new Error(`${dir} is not a folder; PressDrop keeps its state in a folder of its own.`);
  if (process.platform === 'win32' || (stats.mode & 0o077) === 0) return;
  const full = resolve(dir);
  if ((stats.mode & STICKY) !== 0 || full === resolve(homedir()) || full === parse(full).root) {
    throw new Error(
      `${dir} is shared with other users (mode ${(stats.mode & 0o7777).toString(8)}), so PressDrop will not keep upload tokens in it; use a folder of its own, e.g. ${resolve(full, 'pressdrop-state')}.`,
    );
  }
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * Creates `file` empty and 0600 if it does not exist, and tightens it (and
 * each existing file of `companions`) to 0600 if wider. For a SQLite file,
 * created this way before SQLite opens it: SQLite gives its -wal, -shm and
 * -journal files the mode of the database file.
 */
export function ensurePrivateFile(file: string, companions: readonly string[] = []): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const path of [file, ...companions]) {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats && process.platform !== 'win32' && (stats.mode & 0o077) !== 0)
      chmodSync(path, stats.mode & PRIVATE_FILE_MODE);
  }
}

/** SQLite's files beside a database file: what `ensurePrivateFile` must tighten with it. */
export function sqliteCompanions(file: string): string[] {
  return [`${file}-wal`, `${file}-shm`, `${file}-journal`];
}

/**
 * Replaces `file` with `data` as one step: written to a temp file beside it
 * with an unpredictable name, opened with O_EXCL (so nothing planted at
 * that name, a link least of all, is written through) and mode 0600,
 * flushed to disk, then renamed over `file`. A crash leaves the old file or
 * the new one, never half of one.
 */
export async function replacePrivateFile(file: string, data: string): Promise<void> {
  mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  const temp = `${file}.${randomBytes(12).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', PRIVATE_FILE_MODE);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
