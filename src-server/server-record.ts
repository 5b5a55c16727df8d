import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from './private-file.ts';

/**
 * What a running local server says of itself in its data folder, so that a
 * client on this machine finds that server, and only it: the pid that holds
 * the port, the port, and a random instance id that the server also answers
 * on `GET /v1/local/instance` (with the key). A client that trusted
 * "whatever listens on 127.0.0.1:5480" would hand the key to any process
 * that took the port first.
 */
export interface ServerRecord {
  pid: number;
  port: number;
  url: string;
  instanceId: string;
  startedAt: number;
}

/** The record's file in a data folder. */
export function serverRecordPath(dataDir: string): string {
  return join(dataDir, 'server.json');
}

/** Writes the record for the owner only (0600), through a temp file with an unpredictable name, so a reader never sees half of it. */
export function writeServerRecord(dataDir: string, record: ServerRecord): void {
  writePrivateFile(serverRecordPath(dataDir), JSON.stringify(record));
}

/** The record in `dataDir`, or null when there is none or it is not one (a crash mid-write cannot leave half of it). */
export function readServerRecord(dataDir: string): ServerRecord | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(serverRecordPath(dataDir), 'utf8'));
  } catch {
    return null;
  }
  const record = parsed as Partial<ServerRecord> | null;
  const valid =
    record !== null &&
    typeof record === 'object' &&
    // pid 0 and -1 would make process.kill signal a whole group, or everything: "alive".
    Number.isSafeInteger(record.pid) &&
    record.pid! > 0 &&
    Number.isSafeInteger(record.port) &&
    record.port! > 0 &&
    record.port! < 65536 &&
    typeof record.url === 'string' &&
    typeof record.instanceId === 'string' &&
    typeof record.startedAt === 'number';
  return valid ? (record as ServerRecord) : null;
}

/** Removes the record when it is still this instance's (a newer server on the folder keeps its own). */
export function removeServerRecord(dataDir: string, instanceId: string): void {
  if (readServerRecord(dataDir)?.instanceId === instanceId) rmSync(serverRecordPath(dataDir), { force: true });
}

/** Whether a process with this pid exists (EPERM: it exists, and is someone else's). */
export function isProcessAlive(pid: number): boolean {
  // kill(0) and kill(-n) address process groups, and would say "alive" for any of them.
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
