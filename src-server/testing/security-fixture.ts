import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { rawRequest, type RawAnswer, type RawRequest } from './raw-http.ts';
import { blobsOnDisk } from './stored-blobs.ts';
import {
  makeApiKey,
  makeDataDir,
  request,
  spawnServerProcess,
  type TestRequestInit,
  type TestResponse,
  within,
} from './test-server.ts';

/** A `pressdrop serve` child process for hostile requests: its port, key and data folder, with ways to talk to it. */
export interface HostileTarget {
  url: string;
  port: number;
  apiKey: string;
  dataDir: string;
  output(): string;
  /** A request as a well-behaved client sends it (fetch, with the key unless `auth: false`). */
  request(method: string, path: string, init?: TestRequestInit): Promise<TestResponse>;
  /** A request written byte for byte. */
  raw(request: RawRequest, timeoutMs?: number): Promise<RawAnswer>;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its data folder. */
  stop(): Promise<void>;
}

/** Starts `pressdrop serve --api-key <new key> ...extraArgs` on a fresh data folder; `stop()` it when done. */
export async function startHostileTarget(extraArgs: string[] = []): Promise<HostileTarget> {
  const dataDir = makeDataDir();
  const apiKey = makeApiKey();
  const proc = await within(
    spawnServerProcess(dataDir, ['--api-key', apiKey, ...extraArgs]),
    20_000,
    'pressdrop serve to listen',
  );
  const stop = async () => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGTERM');
      await within(proc.exited, 10_000, 'the server to stop on SIGTERM').catch(() => proc.child.kill('SIGKILL'));
    }
    await proc.exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  const port = Number(new URL(proc.url).port);
  return {
    url: proc.url,
    port,
    apiKey,
    dataDir,
    output: () => proc.output(),
    request: (method, path, init) => request(proc.url, apiKey, method, path, init),
    raw: (req, timeoutMs) => rawRequest(port, req, timeoutMs),
    stop,
  };
}

/** The Authorization header of `target`'s key. */
export const bearer = (target: { apiKey: string }): [string, string] => ['Authorization', `Bearer ${target.apiKey}`];

/** What is stored: a digest of every table's rows, the blobs under blobs/ (in packs or files of their own), and the files in tmp/. */
export interface StoreSnapshot {
  tables: Record<string, string>;
  blobs: string[];
  tmpFiles: string[];
}

/** Reads the data folder of a running server (the database is in WAL mode, so a reader never disturbs it). */
export function storeSnapshot(dataDir: string): StoreSnapshot {
  const db = new DatabaseSync(join(dataDir, 'press-cloud.sqlite'), { readOnly: true });
  try {
    const names = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>
    ).map((row) => row.name);
    const tables: Record<string, string> = {};
    for (const name of names) {
      const rows = db.prepare(`SELECT * FROM "${name}" ORDER BY 1, 2`).all();
      tables[name] = `${rows.length} rows, ${createHash('sha256')
        .update(
          JSON.stringify(rows, (_key, value: unknown) =>
            value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value,
          ),
        )
        .digest('hex')
        .slice(0, 16)}`;
    }
    return {
      tables,
      blobs: blobsOnDisk(dataDir)
        .map((blob) => `${blob.sha256} in ${relative(dataDir, blob.file)}`)
        .sort(),
      tmpFiles: listFiles(join(dataDir, 'tmp')),
    };
  } finally {
    db.close();
  }
}

function listFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : [];
}

/** Fails unless nothing stored changed since `before`. */
export function assertNothingStored(dataDir: string, before: StoreSnapshot, what: string): void {
  assert.deepEqual(storeSnapshot(dataDir), before, `${what} changed what is stored`);
}

const sha256hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** A file as the tests deploy it. */
export interface SiteFile {
  path: string;
  bytes: Buffer;
  sha256: string;
  mime: string;
}

/** A file with its hash, from its text or bytes. */
export function siteFile(path: string, content: string | Buffer, mime: string): SiteFile {
  const bytes = Buffer.from(content);
  return { path, bytes, sha256: sha256hex(bytes), mime };
}

/** What `seedTarget` made: a deploy with a committed version and an alias, and an open session with its token. */
export interface Seeded {
  deployId: string;
  slug: string;
  versionId: string;
  committedSessionId: string;
  committedToken: string;
  openSessionId: string;
  openToken: string;
  /** A blob the open session registered and nobody uploaded. */
  pending: SiteFile;
  files: SiteFile[];
}

const expectStatus = (res: TestResponse, status: number) => assert.equal(res.status, status, JSON.stringify(res.body));

/**
 * Uploads `files` as the next version of a deploy (by id, or created with the
 * session) through the whole protocol, with `render` in the commit when given:
 * the committed session, its token, and the version.
 */
export async function uploadVersion(
  target: Pick<HostileTarget, 'request'>,
  deploy: { deployId: string } | { createDeploy: { slug: string; name: string } },
  files: SiteFile[],
  render?: Record<string, unknown>,
): Promise<{ sessionId: string; token: string; version: { id: string; deployId: string; versionNo: number } }> {
  const created = await target.request('POST', '/v1/upload-sessions', {
    json: {
      ...deploy,
      files: files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.bytes.length, mime: f.mime })),
    },
  });
  expectStatus(created, 201);
  const sessionId = created.body.uploadSession.id as string;
  const token = created.body.uploadToken as string;
  for (const f of files)
    expectStatus(
      await target.request('PUT', `/v1/upload-sessions/${sessionId}/blobs/${f.sha256}`, {
        uploadToken: token,
        raw: f.bytes,
      }),
      200,
    );
  const committed = await target.request('POST', `/v1/upload-sessions/${sessionId}/commit`, {
    uploadToken: token,
    json: {
      entries: files.map((f) => ({ path: f.path, blobHash: f.sha256, size: f.bytes.length, mime: f.mime })),
      ...(render && { render }),
    },
  });
  expectStatus(committed, 201);
  return { sessionId, token, version: committed.body.deployVersion };
}

/** Deploys `files` as version 1 of a new deploy `slug` (alias "live") and opens a second session that registers one more file. */
export async function seedTarget(
  target: Pick<HostileTarget, 'request'>,
  slug: string,
  files: SiteFile[],
): Promise<Seeded> {
  const committed = await uploadVersion(target, { createDeploy: { slug, name: slug } }, files);
  const { deployId, id: versionId } = committed.version;
  expectStatus(
    await target.request('PUT', `/v1/deploys/${deployId}/aliases/live`, { json: { deployVersionId: versionId } }),
    200,
  );
  const pending = siteFile('pending.txt', `pending of ${slug}`, 'text/plain');
  const open = await target.request('POST', '/v1/upload-sessions', {
    json: { deployId, files: [{ path: pending.path, sha256: pending.sha256, size: pending.bytes.length }] },
  });
  expectStatus(open, 201);
  return {
    deployId,
    slug,
    versionId,
    committedSessionId: committed.sessionId,
    committedToken: committed.token,
    openSessionId: open.body.uploadSession.id,
    openToken: open.body.uploadToken,
    pending,
    files,
  };
}
