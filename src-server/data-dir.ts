import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Where the server keeps what, under its data folder. */
export function dataDirLayout(dataDir: string) {
  return {
    database: join(dataDir, 'press-cloud.sqlite'),
    apiKeyFile: join(dataDir, 'api-key'),
    lockFile: join(dataDir, 'server.lock'),
  };
}

/**
 * Takes the data folder for this process: one server per folder, since a
 * second would sweep the first one's temp files. A lock left by a killed
 * process (its pid is gone) is taken over. Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const { lockFile } = dataDirLayout(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockFile, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new Error(`Another server (pid ${holder}) is using ${dataDir}. Stop it, or start this one with another --data folder.`);
      }
      rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`Could not lock ${dataDir}: ${lockFile} keeps reappearing.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The API key this data folder generated for its owner, if it did. */
export function readGeneratedApiKey(dataDir: string): string | null {
  try {
    return readFileSync(dataDirLayout(dataDir).apiKeyFile, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Keeps a generated API key for the folder's owner only (mode 0600). */
export function writeGeneratedApiKey(dataDir: string, apiKey: string): void {
  writeFileSync(dataDirLayout(dataDir).apiKeyFile, `${apiKey}\n`, { mode: 0o600, flag: 'wx' });
}
