import type { FastifyInstance, FastifyRequest } from 'fastify';
import mime from 'mime';
import type { VersionEntry } from '../../src-shared/api-types.ts';
import { abbreviate } from '../../src-shared/deploy-names.ts';
import { mapBounded } from '../../src-shared/map-bounded.ts';
import { ApiError } from '../api-error.ts';
import { BlobRefusedError } from '../blob-store.ts';
import type { ServerContext } from '../context.ts';
import { newId, hashSecret, secretMatches } from '../ids.ts';
import { toDeployVersion, toUploadSession, type SessionRow } from '../metadata.ts';
import type { RegisteredBlob } from '../recent-sessions.ts';
import {
  assertValidPaths,
  bodyLimits,
  type FileDescriptor,
  parseCommitBody,
  parseCreateUploadSessionBody,
  parseMissingBlobsBody,
  sha256Param,
} from '../request-schemas.ts';
import { createDeploy, findDeploy } from './deploys.ts';

/** Blob-store stats in flight at once: 100k at a time would flood the thread pool. */
const STAT_CONCURRENCY = 64;

type SessionParams = { Params: { sessionId: string } };
type BlobParams = { Params: { sessionId: string; sha256: string } };

/** The four steps of the upload protocol, and `GET` of a session; `app` is the authenticated `/v1` scope. */
export function registerUploadSessionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { metadata, limits } = ctx;
  const bodyLimit = bodyLimits(limits);

  // Step 1: register the files, get a session and its upload token.
  app.post('/upload-sessions', { bodyLimit: bodyLimit.session }, (request, reply) =>
    ctx.idempotency.answer(request, reply, () => {
      const body = parseCreateUploadSessionBody(request.body);
      assertValidPaths(
        'files',
        body.files.map((file) => file.path),
      );
      const { blobs, requestedBytes } = registeredBlobs(body.files, limits.maxBlobBytes);
      if (body.files.length > limits.maxFilesPerVersion) {
        throw new ApiError(
          'upload_session_too_large',
          `${body.files.length} files; a version may hold at most ${limits.maxFilesPerVersion}.`,
        );
      }
      if (requestedBytes > limits.maxSessionBytes) {
        throw new ApiError(
          'upload_session_too_large',
          `${requestedBytes} bytes in all; one upload session may hold at most ${limits.maxSessionBytes}.`,
        );
      }
      return () => {
        const now = ctx.now();
        const deploy =
          body.deployId !== undefined
            ? findDeploy(metadata, body.deployId)
            : createDeploy(metadata, body.createDeploy!.slug, body.createDeploy!.name, now);
        const uploadToken = newId('ustk');
        const session: SessionRow = {
          id: newId('us'),
          deploy_id: deploy.id,
          token_hash: hashSecret(uploadToken),
          requested_file_count: body.files.length,
          requested_bytes: requestedBytes,
          created_at: now,
          expires_at: now + (ctx.faults?.expiresEarly() ? ctx.faults.spec.expireAfterMs : limits.sessionTtlMs),
          deploy_version_id: null,
        };
        metadata.insertSession(session, blobs);
        const { deployVersionId: _, ...uploadSession } = toUploadSession(session, now);
        return { status: 201, body: { uploadSession, uploadToken } };
      };
    }),
  );

  // How a client that lost an answer (or resumes later) learns where its session stands.
  app.get<SessionParams>('/upload-sessions/:sessionId', async (request) => ({
    uploadSession: toUploadSession(authorizedSession(ctx, request), ctx.now()),
  }));

  // Step 2: which of these blobs does the store not have yet?
  app.post<SessionParams>(
    '/upload-sessions/:sessionId/missing-blobs',
    { bodyLimit: bodyLimit.missingBlobs },
    async (request) => {
      const session = openSession(ctx, request);
      const { files } = parseMissingBlobsBody(request.body);
      if (files.length > limits.maxMissingBlobsPerCall) {
        throw new ApiError(
          'too_many_files',
          `${files.length} files in one call; ask about at most ${limits.maxMissingBlobsPerCall} at a time.`,
        );
      }
      assertValidPaths(
        'files',
        files.map((file) => file.path),
      );
      const unique = [...new Set(files.map((file) => file.sha256))];
      const sizes = await storedSizes(ctx, unique);
      return {
        uploadSessionId: session.id,
        missingBlobs: unique.filter((sha256) => sizes.get(sha256) === null).map((sha256) => ({ sha256 })),
      };
    },
  );

  // Step 3 lives in its own plugin: it reads the raw body as a stream, whatever its Content-Type.
  app.register(async (blobScope) => {
    blobScope.removeAllContentTypeParsers();
    blobScope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

    blobScope.put<BlobParams>(
      '/upload-sessions/:sessionId/blobs/:sha256',
      { config: { streamedBody: true } },
      async (request) => {
        const session = openSession(ctx, request);
        const sha256 = request.params.sha256;
        if (!sha256Param.safeParse(sha256).success) {
          throw new ApiError('invalid_request', 'The sha256 in the URL must be 64 lowercase hex characters.');
        }
        const registered = metadata.sessionBlob(session.id, sha256);
        if (!registered) {
          throw new ApiError(
            'blob_not_in_session',
            `No file of session ${session.id} has sha256 ${sha256}; register it when creating the session.`,
          );
        }
        const declaredLength =
          request.headers['content-length'] === undefined ? null : Number(request.headers['content-length']);
        if (declaredLength !== null && declaredLength > limits.maxBlobBytes) {
          throw new ApiError(
            'upload_blob_too_large',
            `The body is ${declaredLength} bytes; the limit per blob is ${limits.maxBlobBytes}.`,
          );
        }
        if (declaredLength !== null && declaredLength !== registered.size) {
          throw new ApiError(
            'blob_size_mismatch',
            `Content-Length is ${declaredLength}; the session registered ${registered.size} bytes for this blob.`,
          );
        }
        const answer = (alreadyPresent: boolean) => ({
          uploadSessionId: session.id,
          alreadyPresent,
          blob: { sha256, size: registered.size, mime: registered.mime, r2Key: `cas/${sha256}` },
        });
        // Injected "reset" fault: cut the connection part-way, before the blob can be stored.
        const fault = request.fault;
        const cutAt = fault.kind === 'reset' ? Math.floor(registered.size * fault.afterFraction) : Infinity;
        const cut = () => {
          request.raw.socket.destroy();
          throw new Error('injected fault: connection reset mid-body');
        };
        try {
          if (cutAt === 0) cut();
          const { alreadyPresent } = await ctx.blobs.ingest(
            request.raw,
            { sha256, size: registered.size },
            (received) => {
              if (received >= cutAt) cut();
            },
          );
          return answer(alreadyPresent);
        } catch (error) {
          if (error instanceof BlobRefusedError) {
            throw new ApiError(
              error.reason === 'hash_mismatch' ? 'blob_hash_mismatch' : 'blob_size_mismatch',
              error.message,
            );
          }
          throw error;
        }
      },
    );
  });

  // Step 4: turn the session into the deploy's next immutable version.
  app.post<SessionParams>('/upload-sessions/:sessionId/commit', { bodyLimit: bodyLimit.commit }, (request, reply) => {
    const session = authorizedSession(ctx, request);
    return ctx.idempotency.answer(request, reply, async () => {
      assertOpen(session, ctx.now());
      const body = parseCommitBody(request.body);
      assertValidPaths(
        'entries',
        body.entries.map((entry) => entry.path),
      );
      let totalBytes = 0;
      const entries = body.entries.map((entry): VersionEntry => {
        totalBytes += entry.size;
        return { path: entry.path, blobHash: entry.blobHash, size: entry.size, mime: entry.mime ?? mimeOf(entry.path) };
      });
      if (entries.length > limits.maxFilesPerVersion) {
        throw new ApiError(
          'deploy_commit_policy_limit_exceeded',
          `${entries.length} files; a version may hold at most ${limits.maxFilesPerVersion}.`,
        );
      }
      if (totalBytes > limits.maxSessionBytes) {
        throw new ApiError(
          'deploy_commit_policy_limit_exceeded',
          `${totalBytes} bytes; a version may hold at most ${limits.maxSessionBytes}.`,
        );
      }
      const route = renderRoute(body.render?.route, entries);
      await assertBlobsStored(ctx, entries);
      return () => {
        // Checked again inside the write lock: a twin commit may have landed while we awaited the disk.
        assertOpen(metadata.sessionById(session.id)!, ctx.now());
        const version = metadata.insertVersion(
          {
            id: newId('dv'),
            deploy_id: session.deploy_id,
            upload_session_id: session.id,
            route,
            title: body.render?.title ?? null,
            render_json: body.render ? JSON.stringify({ ...body.render, route }) : null,
            file_count: entries.length,
            total_bytes: totalBytes,
            created_at: ctx.now(),
          },
          entries,
        );
        metadata.markSessionCommitted(session.id, version.id);
        return { status: 201, body: { deployVersion: toDeployVersion(version) } };
      };
    });
  });
}

/**
 * What a session registers: for each content, the size and MIME type of its first file by path (what
 * a blob PUT answers), and the bytes of all its files. `400 upload_blob_too_large` for a file over the
 * limit, `400 invalid_request` for a content given two sizes.
 */
function registeredBlobs(
  files: readonly FileDescriptor[],
  maxBlobBytes: number,
): { blobs: Map<string, RegisteredBlob>; requestedBytes: number } {
  // One map, kept as the session's registrations (with 20,000 contents, each map of them costs ~10 ms
  // here): each entry notes which file it took, by index, so that it holds on to no path.
  const blobs = new Map<string, RegisteredBlob & { file: number }>();
  let requestedBytes = 0;
  for (let index = 0; index < files.length; index++) {
    const file = files[index]!;
    if (file.size > maxBlobBytes) {
      throw new ApiError(
        'upload_blob_too_large',
        `${JSON.stringify(abbreviate(file.path))} is ${file.size} bytes; the limit per file is ${maxBlobBytes}.`,
        { path: abbreviate(file.path) },
      );
    }
    const first = blobs.get(file.sha256);
    if (first !== undefined && first.size !== file.size) {
      throw new ApiError(
        'invalid_request',
        `sha256 ${file.sha256} is given two sizes (${first.size} and ${file.size}); one content has one size.`,
      );
    }
    if (first === undefined || file.path < files[first.file]!.path) {
      blobs.set(file.sha256, { size: file.size, mime: file.mime ?? mimeOf(file.path), file: index });
    }
    requestedBytes += file.size;
  }
  return { blobs, requestedBytes };
}

/** The session named in the URL, if the request carries its upload token: else 404 or 401. */
function authorizedSession(ctx: ServerContext, request: FastifyRequest<SessionParams>): SessionRow {
  const session = ctx.metadata.sessionById(request.params.sessionId);
  if (!session)
    throw new ApiError(
      'upload_session_not_found',
      `No upload session has the id ${JSON.stringify(abbreviate(request.params.sessionId))}.`,
    );
  const token = request.headers['x-upload-token'];
  if (typeof token !== 'string' || !secretMatches(token, session.token_hash)) {
    throw new ApiError(
      'upload_token_invalid',
      `Send the uploadToken returned when session ${session.id} was created, as X-Upload-Token.`,
    );
  }
  return session;
}

/** An authorized session that still takes uploads: else 409 committed or 410 expired. */
function openSession(ctx: ServerContext, request: FastifyRequest<SessionParams>): SessionRow {
  const session = authorizedSession(ctx, request);
  assertOpen(session, ctx.now());
  return session;
}

function assertOpen(session: SessionRow, now: number): void {
  const { status } = toUploadSession(session, now);
  if (status === 'committed') {
    throw new ApiError(
      'upload_session_committed',
      `Session ${session.id} is already committed as version ${session.deploy_version_id}; create a new session to deploy again.`,
    );
  }
  if (status === 'expired') {
    throw new ApiError(
      'upload_session_expired',
      `Session ${session.id} expired at ${new Date(session.expires_at).toISOString()}; create a new session (blobs already uploaded are kept).`,
    );
  }
}

/** The version's render route: the one asked for (which must name an entry), else /index.html when there is one. */
function renderRoute(requested: string | undefined, entries: readonly VersionEntry[]): string | null {
  const has = (path: string) => entries.some((entry) => entry.path === path);
  if (requested === undefined) return has('index.html') ? '/index.html' : null;
  const route = requested.startsWith('/') ? requested : `/${requested}`;
  if (!has(route.slice(1))) {
    throw new ApiError(
      'render_route_not_found',
      `render.route ${JSON.stringify(abbreviate(requested))} names no file of this version.`,
    );
  }
  return route;
}

/** `409 blobs_missing` with the list of what is not stored; `400 blob_size_mismatch` when an entry's size is not its blob's. */
async function assertBlobsStored(ctx: ServerContext, entries: readonly VersionEntry[]): Promise<void> {
  // One look per entry at the sizes the store knows (every blob, on a re-deploy); only the others wait for the disk.
  let unknown: Set<string> | null = null;
  let firstMismatch = -1;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const size = ctx.blobs.knownSize(entry.blobHash);
    if (size === undefined) (unknown ??= new Set()).add(entry.blobHash);
    else if (size !== entry.size && firstMismatch < 0) firstMismatch = i;
  }
  const asked = unknown === null ? null : await storedSizes(ctx, [...unknown]);
  const sizeOf = (sha256: string) => asked?.get(sha256) ?? ctx.blobs.knownSize(sha256);
  if (asked !== null) {
    const missing = [...asked].filter(([, size]) => size === null).map(([sha256]) => sha256);
    if (missing.length > 0) {
      throw new ApiError(
        'blobs_missing',
        `${missing.length} blob(s) are not uploaded yet; upload them, then commit again.`,
        { missing },
      );
    }
    firstMismatch = entries.findIndex((entry) => sizeOf(entry.blobHash) !== entry.size);
  }
  if (firstMismatch >= 0) {
    const entry = entries[firstMismatch]!;
    throw new ApiError(
      'blob_size_mismatch',
      `${JSON.stringify(abbreviate(entry.path))} says ${entry.size} bytes; blob ${entry.blobHash} is ${sizeOf(entry.blobHash)}.`,
    );
  }
}

/** The stored size of each blob (null: not stored): from the store's memory, the rest from the disk. */
async function storedSizes(ctx: ServerContext, hashes: readonly string[]): Promise<Map<string, number | null>> {
  const sizes = new Map<string, number | null>();
  const unknown: string[] = [];
  for (const sha256 of hashes) {
    const size = ctx.blobs.knownSize(sha256);
    if (size === undefined) unknown.push(sha256);
    else sizes.set(sha256, size);
  }
  const asked = await mapBounded(unknown, STAT_CONCURRENCY, (sha256) => ctx.blobs.sizeOf(sha256));
  unknown.forEach((sha256, i) => sizes.set(sha256, asked[i] ?? null));
  return sizes;
}

/** The MIME type of a path by its extension, for files registered without one. */
function mimeOf(path: string): string {
  return mime.getType(path) ?? 'application/octet-stream';
}
