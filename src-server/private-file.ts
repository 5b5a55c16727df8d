import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Writes `file` (0600) through a temp file with an unpredictable name
 * opened with O_EXCL, fsynced, then renamed over it: a reader sees the old
 * or the new content, and a file or link planted at the temp name is never
 * written through.
 */
export function writePrivateFile(file: string, content: string): void {
  const temp = join(dirname(file), `.${randomBytes(9).toString('base64url')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, file);
}
