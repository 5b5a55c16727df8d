import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import type {
  Alias,
  CreateUploadSessionResponse,
  Deploy,
  DeployVersion,
  DeployVersionDetail,
  DeployVersionSummary,
  FileDescriptor,
  Limits,
  MissingBlobsResponse,
  Page,
  Pdf,
  PutBlobResponse,
  RenderConfig,
  RenderJob,
  UploadSession,
  VersionEntry,
} from '../../../src-shared/api-types.ts';
import { badResponseError as badResponseOf, ServiceError } from '../../http/service-error.ts';
import { httpError } from './press-cloud-error.ts';
import {
  expectFields as expectFieldsOf,
  field as fieldOf,
  seg,
  type Call,
  type JsonText,
} from '../../http/http-transport.ts';
import { HttpService, type HttpServiceOptions } from '../../http/http-service.ts';
import { withRetry, type RetryInfo } from '../../http/retry.ts';

export { ServiceError } from '../../http/service-error.ts';
export type { RetryInfo, RetryPolicy } from '../../http/retry.ts';

/** Which Press Cloud to talk to, and as whom. */
export interface PressCloudTarget {
  /** e.g. `http://127.0.0.1:5480`; a path prefix is kept, `/v1` is added. */
  apiUrl: string;
  /** `pcak_…`; sent only in the Authorization header, never in a message. */
  apiKey: string;
}

/** Tuning of a `PressCloudClient`; every field has a sensible default. */
export type PressCloudClientOptions = HttpServiceOptions;

/** `POST /v1/upload-sessions` body: an existing deploy or one to create, and the files. */
export type CreateUploadSessionBody = ({ deployId: string } | { createDeploy: { slug: string; name: string } }) & {
  files: FileDescriptor[];
};

/** `POST /v1/upload-sessions/{id}/commit` body. */
export interface CommitBody {
  entries: VersionEntry[];
  render?: RenderConfig;
}

/** Options of one blob upload. */
export interface PutBlobOptions {
  signal?: AbortSignal;
  /**
   * Bytes handed to the connection since the last call. A failed attempt
   * reports minus what it had sent before the retry starts over, so the
   * running sum is always the bytes of the attempt in flight, and exactly
   * `size` once the PUT succeeded (also when the server had the blob and
   * answered before reading it all).
   */
  onBytesSent?: (delta: number) => void;
  /** Before each backoff wait of this upload, instead of the client's `onRetry`: the caller knows which files it carries. */
  onRetry?: (info: RetryInfo) => void;
}

const FIND_PAGE_SIZE = 200;
/** How messages name this service. */
const SERVICE = 'Press Cloud';

const field = <T>(body: unknown, name: string, request: string): T => fieldOf<T>(body, name, request, SERVICE);
const expectFields = <T>(body: unknown, names: string[], request: string): T =>
  expectFieldsOf<T>(body, names, request, SERVICE);
const badResponseError = (request: string, status: number, problem: string) =>
  badResponseOf(request, status, problem, SERVICE);

/**
 * The Press Cloud v1 protocol client (docs/press-cloud-api.md): one undici
 * keep-alive pool, retries with full-jitter backoff, a stall timeout instead
 * of a total timeout, and commits that survive a lost answer.
 */
export class PressCloudClient {
  readonly #http: HttpService;

  constructor(target: PressCloudTarget, options: PressCloudClientOptions = {}) {
    this.#http = new HttpService(
      {
        baseUrl: target.apiUrl,
        service: SERVICE,
        headers: { authorization: `Bearer ${target.apiKey}` },
        secrets: [target.apiKey],
        toError: (failure) =>
          httpError(failure.request, failure.status, failure.body, failure.retryAfterMs, failure.redact),
      },
      options,
    );
  }

  /** `GET /v1/limits`: read before uploading, to fail early with a clear message. */
  async limits(): Promise<Limits> {
    const body = await this.#http.call({ method: 'GET', path: '/v1/limits', request: 'GET limits' });
    return expectFields<Limits>(
      body,
      ['maxBlobBytes', 'maxSessionBytes', 'maxFilesPerVersion', 'maxMissingBlobsPerCall', 'sessionTtlMs'],
      'GET limits',
    );
  }

  /** One page of deploys, newest first. */
  async listDeploys(cursor?: string): Promise<Page<Deploy>> {
    return this.#page<Deploy>('/v1/deploys', 'GET deploys', cursor);
  }

  /** One deploy by id; `deploy_not_found` when unknown. */
  async getDeploy(deployId: string): Promise<Deploy> {
    const request = `GET deploy ${deployId}`;
    return field<Deploy>(
      await this.#http.call({ method: 'GET', path: `/v1/deploys/${seg(deployId)}`, request }),
      'deploy',
      request,
    );
  }

  /** A deploy by id (`dpl_…`) or by slug, or null when there is none. */
  async findDeploy(idOrSlug: string): Promise<Deploy | null> {
    if (idOrSlug.startsWith('dpl_')) {
      try {
        return await this.getDeploy(idOrSlug);
      } catch (error) {
        if (error instanceof ServiceError && error.code === 'deploy_not_found') return null;
        throw error;
      }
    }
    // The contract has no lookup by slug.
    return this.#find<Deploy>('/v1/deploys', 'GET deploys', (deploy) => deploy.slug === idOrSlug);
  }

  /** `POST /v1/deploys`; a retry with the same key gets the first answer back. */
  async createDeploy(slug: string, name: string, idempotencyKey: string): Promise<Deploy> {
    const request = `POST deploy "${slug}"`;
    const body = await this.#http.call({
      method: 'POST',
      path: '/v1/deploys',
      request,
      json: { slug, name },
      headers: { 'idempotency-key': idempotencyKey },
    });
    return field<Deploy>(body, 'deploy', request);
  }

  /** Step 1: register the files; the answer holds the session's upload token (a secret). */
  async createUploadSession(
    body: CreateUploadSessionBody | JsonText<CreateUploadSessionBody>,
    idempotencyKey: string,
  ): Promise<CreateUploadSessionResponse> {
    const request = 'POST upload session';
    const answer = await this.#http.call({
      method: 'POST',
      path: '/v1/upload-sessions',
      request,
      json: body,
      headers: { 'idempotency-key': idempotencyKey },
    });
    field(answer, 'uploadSession', request);
    return expectFields<CreateUploadSessionResponse>(answer, ['uploadToken'], request);
  }

  /** Where a session stands (`open`, `committed` with its version id, or `expired`). */
  async getUploadSession(sessionId: string, uploadToken: string): Promise<UploadSession> {
    const call = this.#getSessionCall(sessionId, uploadToken);
    return field<UploadSession>(await this.#http.call(call), 'uploadSession', call.request);
  }

  /** Step 2: the sha256s of `files` not yet stored (at most `maxMissingBlobsPerCall` files per call). */
  async missingBlobs(sessionId: string, uploadToken: string, files: FileDescriptor[]): Promise<string[]> {
    const request = `POST missing-blobs of session ${sessionId}`;
    const body = await this.#http.call({
      method: 'POST',
      path: `/v1/upload-sessions/${seg(sessionId)}/missing-blobs`,
      request,
      json: { files },
      headers: { 'x-upload-token': uploadToken },
      secrets: [uploadToken],
    });
    const { missingBlobs } = expectFields<MissingBlobsResponse>(body, ['missingBlobs'], request);
    if (!Array.isArray(missingBlobs)) throw badResponseError(request, 200, '"missingBlobs" is not a list');
    return missingBlobs.map((blob) => blob.sha256);
  }

  /**
   * Step 3: sends one blob, streamed (or a small one whole). `openBody` is called
   * for every attempt, so a retry reads the file again from its start; nothing is
   * held in memory between attempts.
   */
  async putBlob(
    sessionId: string,
    uploadToken: string,
    blob: { sha256: string; size: number },
    openBody: () => Readable | Buffer,
    options: PutBlobOptions = {},
  ): Promise<PutBlobResponse> {
    const request = `PUT blob ${blob.sha256.slice(0, 12)}…`;
    if (!Number.isSafeInteger(blob.size) || blob.size < 0)
      throw new RangeError(`${request}: size must be a whole number of bytes, not ${blob.size}.`);
    const body = await this.#http.call(
      {
        method: 'PUT',
        path: `/v1/upload-sessions/${seg(sessionId)}/blobs/${seg(blob.sha256)}`,
        request,
        upload: { size: blob.size, open: openBody, onBytesSent: options.onBytesSent },
        headers: { 'x-upload-token': uploadToken },
        secrets: [uploadToken],
        signal: options.signal,
      },
      options.onRetry,
    );
    field(body, 'blob', request);
    return expectFields<PutBlobResponse>(body, ['alreadyPresent'], request);
  }

  /**
   * Step 4: the deploy's next version. If an answer is lost (the connection
   * fails after the commit was sent), each retry first asks the session: a
   * committed session yields its version instead of a second commit; so
   * does a `409 upload_session_committed` to a retry.
   */
  async commit(
    sessionId: string,
    uploadToken: string,
    body: CommitBody | JsonText<CommitBody>,
    idempotencyKey: string,
  ): Promise<DeployVersion> {
    const request = `POST commit of session ${sessionId}`;
    const call: Call = {
      method: 'POST',
      path: `/v1/upload-sessions/${seg(sessionId)}/commit`,
      request,
      json: body,
      headers: { 'x-upload-token': uploadToken, 'idempotency-key': idempotencyKey },
      secrets: [uploadToken],
    };
    return withRetry(async (attempt) => {
      // Only a retry can follow a commit that landed: the first attempt has nothing to recover.
      const recovered = attempt > 1 ? await this.#committedVersion(sessionId, uploadToken) : null;
      if (recovered) return recovered;
      try {
        return field<DeployVersion>(await this.#http.send(call), 'deployVersion', request);
      } catch (error) {
        if (attempt > 1 && error instanceof ServiceError && error.code === 'upload_session_committed') {
          const committed = await this.#committedVersion(sessionId, uploadToken);
          if (committed) return committed;
        }
        throw error;
      }
    }, this.#http.retryOptions(request));
  }

  /** One page of a deploy's versions, newest first, each with its totals and aliases. */
  async listVersions(deployId: string, cursor?: string): Promise<Page<DeployVersionSummary>> {
    return this.#page<DeployVersionSummary>(
      `/v1/deploys/${seg(deployId)}/versions`,
      `GET versions of ${deployId}`,
      cursor,
    );
  }

  /** Version `versionNo` of a deploy (with its totals and aliases), or null when it has none of that number. */
  async findVersion(deployId: string, versionNo: number): Promise<DeployVersionSummary | null> {
    // The contract has no lookup by number.
    return this.#find<DeployVersionSummary>(
      `/v1/deploys/${seg(deployId)}/versions`,
      `GET versions of ${deployId}`,
      (version) => version.versionNo === versionNo,
    );
  }

  /** One version with its totals, render config and aliases. */
  async getVersion(versionId: string): Promise<DeployVersionDetail> {
    return field<DeployVersionDetail>(
      await this.#http.call(this.#getVersionCall(versionId)),
      'deployVersion',
      `GET version ${versionId}`,
    );
  }

  /** One page of a version's files, sorted by path (`limit` per page, at most 200; the server's default otherwise). */
  async listVersionFiles(versionId: string, cursor?: string, limit?: number): Promise<Page<VersionEntry>> {
    return this.#page<VersionEntry>(
      `/v1/deploy-versions/${seg(versionId)}/files`,
      `GET files of ${versionId}`,
      cursor,
      limit,
    );
  }

  /** Points alias `name` of a deploy at one of its versions (a new alias, or one moved: promote, roll back). */
  async setAlias(deployId: string, name: string, versionId: string): Promise<Alias> {
    const request = `PUT alias ${name} of ${deployId}`;
    return field<Alias>(
      await this.#http.call({
        method: 'PUT',
        path: `/v1/deploys/${seg(deployId)}/aliases/${seg(name)}`,
        request,
        json: { deployVersionId: versionId },
      }),
      'alias',
      request,
    );
  }

  /** A deploy's aliases, by name. */
  async listAliases(deployId: string): Promise<Alias[]> {
    const request = `GET aliases of ${deployId}`;
    const { items } = expectFields<{ items: Alias[] }>(
      await this.#http.call({ method: 'GET', path: `/v1/deploys/${seg(deployId)}/aliases`, request }),
      ['items'],
      request,
    );
    return items;
  }

  /** Removes an alias; `alias_not_found` when it has none of that name. */
  async deleteAlias(deployId: string, name: string): Promise<void> {
    await this.#http.call({
      method: 'DELETE',
      path: `/v1/deploys/${seg(deployId)}/aliases/${seg(name)}`,
      request: `DELETE alias ${name} of ${deployId}`,
    });
  }

  /** Queues a PDF of a version (or of what an alias points at); a retry with the same key gets the first job back. */
  async createRenderJob(
    of: { deployVersionId: string } | { deployId: string; alias: string },
    idempotencyKey: string,
  ): Promise<RenderJob> {
    const request = 'POST render job';
    return field<RenderJob>(
      await this.#http.call({
        method: 'POST',
        path: '/v1/render-jobs',
        request,
        json: of,
        headers: { 'idempotency-key': idempotencyKey },
      }),
      'renderJob',
      request,
    );
  }

  /** A render job as it stands. */
  async getRenderJob(jobId: string): Promise<RenderJob> {
    const request = `GET render job ${jobId}`;
    return field<RenderJob>(
      await this.#http.call({ method: 'GET', path: `/v1/render-jobs/${seg(jobId)}`, request }),
      'renderJob',
      request,
    );
  }

  /** One page of a version's render jobs, newest first. */
  async listRenderJobs(versionId: string, cursor?: string): Promise<Page<RenderJob>> {
    return this.#page<RenderJob>(
      `/v1/deploy-versions/${seg(versionId)}/render-jobs`,
      `GET render jobs of ${versionId}`,
      cursor,
    );
  }

  /** A PDF's facts (size, pages, sha256). */
  async getPdf(pdfId: string): Promise<Pdf> {
    const request = `GET pdf ${pdfId}`;
    return field<Pdf>(
      await this.#http.call({ method: 'GET', path: `/v1/pdfs/${seg(pdfId)}`, request }),
      'pdf',
      request,
    );
  }

  /**
   * Downloads a PDF to `path`: written to a temp file beside it, synced, then
   * renamed into place, so `path` is never half a PDF. Resolves with its size.
   */
  async savePdf(pdfId: string, path: string): Promise<number> {
    const request = `GET pdf ${pdfId} content`;
    const temp = `${path}.${randomBytes(6).toString('hex')}.part`;
    const file = await open(temp, 'wx', 0o644);
    try {
      const size = await withRetry(async () => {
        // Each attempt starts the file over.
        await file.truncate(0);
        let written = 0;
        await this.#http.send({
          method: 'GET',
          path: `/v1/pdfs/${seg(pdfId)}/content`,
          request,
          download: {
            write: async (chunk) => void (written += (await file.write(chunk, 0, chunk.length, written)).bytesWritten),
          },
        });
        return written;
      }, this.#http.retryOptions(request));
      await file.sync();
      await file.close();
      await rename(temp, path);
      return size;
    } catch (error) {
      await file.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw error;
    }
  }

  /** Closes the connections; requests still in flight or waiting to retry end with `aborted`. Safe to call twice. */
  async close(): Promise<void> {
    await this.#http.close();
  }

  /**
   * The version a session was committed as, or null while it is not
   * committed. Each request is retried on its own: were the two only tried
   * once per commit attempt, a recovery would need both to get through the
   * same attempt, and on a bad enough network every attempt could fail.
   */
  async #committedVersion(sessionId: string, uploadToken: string): Promise<DeployVersion | null> {
    const session = field<UploadSession>(
      await this.#http.call(this.#getSessionCall(sessionId, uploadToken)),
      'uploadSession',
      `GET upload session ${sessionId}`,
    );
    if (session.status !== 'committed' || session.deployVersionId === null) return null;
    const { id, displayId, deployId, versionNo, route, title, status, createdAt } = field<DeployVersionDetail>(
      await this.#http.call(this.#getVersionCall(session.deployVersionId)),
      'deployVersion',
      `GET version ${session.deployVersionId}`,
    );
    return { id, displayId, deployId, versionNo, route, title, status, createdAt };
  }

  #getSessionCall(sessionId: string, uploadToken: string): Call {
    return {
      method: 'GET',
      path: `/v1/upload-sessions/${seg(sessionId)}`,
      request: `GET upload session ${sessionId}`,
      headers: { 'x-upload-token': uploadToken },
      secrets: [uploadToken],
    };
  }

  #getVersionCall(versionId: string): Call {
    return { method: 'GET', path: `/v1/deploy-versions/${seg(versionId)}`, request: `GET version ${versionId}` };
  }

  /** The first item of a list that `match`es, walking its pages (200 a time, the most the server gives); null if none does. */
  async #find<T>(path: string, request: string, match: (item: T) => boolean): Promise<T | null> {
    let cursor: string | undefined;
    do {
      const page = await this.#page<T>(path, request, cursor, FIND_PAGE_SIZE);
      const found = page.items.find(match);
      if (found) return found;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return null;
  }

  async #page<T>(path: string, request: string, cursor?: string, limit?: number): Promise<Page<T>> {
    const query = new URLSearchParams();
    if (cursor !== undefined) query.set('cursor', cursor);
    if (limit !== undefined) query.set('limit', String(limit));
    const body = await this.#http.call({
      method: 'GET',
      path: query.size > 0 ? `${path}?${query.toString()}` : path,
      request,
    });
    const page = expectFields<Page<T>>(body, ['items', 'nextCursor'], request);
    if (!Array.isArray(page.items) || (page.nextCursor !== null && typeof page.nextCursor !== 'string')) {
      throw badResponseError(request, 200, 'not a page of {"items": [...], "nextCursor"}');
    }
    return page;
  }
}
