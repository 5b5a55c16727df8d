import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ACCEPTED_API_KEY_PATTERN } from './ids.ts';
import { writePrivateFile } from './private-file.ts';
import { isProcessAlive } from './server-record.ts';

/** Where the server keeps what, under its data folder. */
export function dataDirLayout(dataDir: string) {
  return {
    database: join(dataDir, 'press-cloud.sqlite'),
    apiKeyFile: join(dataDir, 'api-key'),
    lockFile: join(dataDir, 'server.lock'),
  };
}

// Windows has no POSIX modes: there the folder inherits the user profile's ACL.
const POSIX = process.platform !== 'win32';
// Where it exists, a link planted at a secret's name is refused rather than followed.
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * Creates the data folder for its owner only (0700), or makes an existing
 * one so: it holds the key, the upload tokens' hashes and every deployed
 * file, and other users of the machine have no business reading them.
 */
function prepareDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (!POSIX) return;
  const { mode } = statSync(dataDir);
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(dataDir, 0o700);
  } catch (error) {
    throw new Error(
      `${dataDir} can be read by other users (mode ${octal(mode)}) and cannot be made private (${(error as NodeJS.ErrnoException).code}); use a folder of your own for --data.`,
    );
  }
}

/**
 * Makes `file` exist and be readable by its owner only (0600), without
 * truncating it: SQLite then creates its -wal and -shm files with the same
 * mode, so the database never exists readable by others, not even briefly.
 */
export function makePrivateFile(file: string): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | NO_FOLLOW, 0o600);
  try {
    if (POSIX && (fstatSync(fd).mode & 0o077) !== 0) fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}

/** Tightens `file` to 0600 when it exists (a -wal or -shm an older version left readable). */
export function tightenIfPresent(file: string): void {
  if (!POSIX) return;
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Takes the data folder for this process: one server per folder, since a
 * second would sweep the first one's temp files. A lock left by a killed
 * process (its pid is gone) is taken over. Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  prepareDataDir(dataDir);
  const { lockFile } = dataDirLayout(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockFile, 'utf8'));
      // isProcessAlive says false for what is not a pid (an empty or garbled lock file).
      if (holder !== process.pid && isProcessAlive(holder)) {
        throw new Error(
          `Another server (pid ${holder}) is using ${dataDir}. Stop it, or start this one with another --data folder.`,
        );
      }
      rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`Could not lock ${dataDir}: ${lockFile} keeps reappearing.`);
}

/** The API key this data folder generated for its owner, if it did. */
export function readGeneratedApiKey(dataDir: string): string | null {
  try {
    return readFileSync(dataDirLayout(dataDir).apiKeyFile, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Keeps a generated API key for the folder's owner only (0600), replacing any older one in one rename. */
export function writeGeneratedApiKey(dataDir: string, apiKey: string): void {
  writePrivateFile(dataDirLayout(dataDir).apiKeyFile, `${apiKey}\n`);
}

/** Removes the generated key's file: its key no longer opens anything, so it must not look as if it did. */
export function removeGeneratedApiKey(dataDir: string): void {
  rmSync(dataDirLayout(dataDir).apiKeyFile, { force: true });
}

/**
 * The API key in `file` (`--api-key-file`): one `pcak_…` line. Refused when
 * other users may read or change the file, as ssh refuses such a private
 * key: a key others can read is a key they have, and a key they can write
 * is a key they choose.
 */
export function readApiKeyFile(file: string): string {
  let text: string;
  let mode: number;
  try {
    const fd = openSync(file, constants.O_RDONLY);
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      mode = stats.mode;
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new Error(
      `--api-key-file ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
    );
  }
  if (POSIX && (mode & 0o077) !== 0) {
    throw new Error(
      `--api-key-file ${file}: other users can read or change it (mode ${octal(mode)}); run chmod 600 ${file}.`,
    );
  }
  const key = text.trim();
  if (!ACCEPTED_API_KEY_PATTERN.test(key)) {
    throw new Error(
      `--api-key-file ${file}: it must hold one key, pcak_ followed by at least 16 letters, digits, - or _.`,
    );
  }
  return key;
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}
