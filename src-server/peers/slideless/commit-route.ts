import type { FastifyInstance } from 'fastify';
import { liveSession, ownedPresentation, type PeerContext, requestOwner, shareUrlOf } from './peer-context.ts';
import { ok, SlidelessError } from './slideless-errors.ts';
import { MAX_JSON_BODY_BYTES } from './slideless-limits.ts';
import { assertDeckPaths, commitBody, parseOrRefuse } from './slideless-schemas.ts';
import type { ManifestFile, Presentation } from './slideless-store.ts';

const isHtmlPath = (path: string) => /\.html?$/i.test(path);

/**
 * `POST /commitPresentationVersion` (api-reference/commit-presentation-version):
 * writes the manifest as the presentation's next immutable version. On a
 * session it creates the presentation (version 1, with its "default"
 * token) and ends the session; on a presentationId it bumps the version,
 * refusing with 409 conflict when `expectedBaseVersion` is not the current
 * one. Checks in order: body, target, plan caps, conflict, blobs.
 */
export function registerCommitRoute(app: FastifyInstance, ctx: PeerContext): void {
  app.post('/commitPresentationVersion', { bodyLimit: MAX_JSON_BODY_BYTES }, (request) => {
    const owner = requestOwner(request);
    const body = parseOrRefuse(commitBody, request.body);
    const isNew = body.sessionId !== undefined;
    if (isNew && (body.title === undefined || body.title.trim() === '')) {
      throw new SlidelessError('invalid-argument', 'title: required (1–255 characters) for a new presentation.');
    }
    if (isNew && body.expectedBaseVersion !== undefined) {
      // The docs give expectedBaseVersion for updates only; a new presentation has no base.
      throw new SlidelessError(
        'invalid-argument',
        'expectedBaseVersion: only an update (presentationId) has a base version.',
      );
    }
    assertDeckPaths(body.files.map((file) => file.path));
    if (!body.files.some((file) => file.path === body.entryPath)) {
      throw new SlidelessError(
        'invalid-argument',
        `entryPath ${JSON.stringify(body.entryPath)} is not one of files[].path.`,
      );
    }
    // "The entry HTML file": the peer reads it strictly, as a .html or .htm path.
    if (!isHtmlPath(body.entryPath)) {
      throw new SlidelessError(
        'invalid-argument',
        `entryPath ${JSON.stringify(body.entryPath)} is not an HTML file (.html or .htm).`,
      );
    }

    const session = isNew ? liveSession(ctx, body.sessionId!, owner) : null;
    const presentationId = session ? session.presentationId : ownedPresentation(ctx, body.presentationId!, owner).id;
    assertWithinCaps(ctx, body.files);
    const assertBase = (current: Presentation | null) => {
      if (body.expectedBaseVersion !== undefined && current && current.currentVersion !== body.expectedBaseVersion) {
        throw new SlidelessError(
          'conflict',
          `Server is at version ${current.currentVersion}, client expected ${body.expectedBaseVersion}.`,
          {
            nextAction: `Remote has a newer version (v${current.currentVersion}). Pull to sync, or commit without expectedBaseVersion to overwrite.`,
            details: { serverVersion: current.currentVersion, expectedBaseVersion: body.expectedBaseVersion },
          },
        );
      }
    };
    assertBase(ctx.store.presentation(presentationId));
    assertBlobsStored(ctx, presentationId, body.files);

    const committed = ctx.store.commit({
      presentationId,
      owner,
      title: body.title ?? null,
      entryPath: body.entryPath,
      files: body.files,
      sessionId: session?.id ?? null,
      nowMs: ctx.now(),
      check: assertBase,
    });
    const shareUrl = shareUrlOf(ctx, committed);
    return ok(
      isNew
        ? {
            presentationId,
            version: committed.currentVersion,
            tokenId: committed.tokenId,
            token: committed.token,
            shareUrl,
            role: 'owner',
          }
        : { presentationId, version: committed.currentVersion, shareUrl, role: 'owner' },
    );
  });
}

/** The plan caps on a manifest: file count (400 too-many-files), then per-file, HTML and total bytes (413). */
function assertWithinCaps(ctx: PeerContext, files: readonly ManifestFile[]): void {
  const { limits } = ctx;
  if (files.length > limits.maxFiles) {
    throw new SlidelessError('too-many-files', `${files.length} files; the plan allows at most ${limits.maxFiles}.`, {
      details: { files: files.length, maxFiles: limits.maxFiles },
    });
  }
  let total = 0;
  for (const file of files) {
    const cap = isHtmlPath(file.path) ? Math.min(limits.maxHtmlBytes, limits.maxFileBytes) : limits.maxFileBytes;
    if (file.size > cap) {
      throw new SlidelessError('payload-too-large', `${file.path} is ${file.size} bytes; the cap for it is ${cap}.`, {
        details: { path: file.path, size: file.size, cap },
      });
    }
    total += file.size;
  }
  if (total > limits.maxTotalBytes) {
    throw new SlidelessError(
      'payload-too-large',
      `The deck is ${total} bytes; the plan allows at most ${limits.maxTotalBytes}.`,
      {
        details: { totalBytes: total, maxTotalBytes: limits.maxTotalBytes },
      },
    );
  }
}

/**
 * Every sha256 of the manifest must be in the presentation's store (400
 * blobs-missing, `details.missing` listing them), and, where the docs are
 * silent, the peer also refuses a size that differs from the stored
 * blob's (invalid-argument): the manifest would describe other bytes.
 */
function assertBlobsStored(ctx: PeerContext, namespace: string, files: readonly ManifestFile[]): void {
  const missing = new Set<string>();
  for (const file of files) {
    const asset = ctx.store.asset(namespace, file.sha256);
    if (!asset) {
      missing.add(file.sha256);
    } else if (asset.size !== file.size) {
      throw new SlidelessError(
        'invalid-argument',
        `${file.path}: size ${file.size} differs from the ${asset.size} bytes uploaded for ${file.sha256}.`,
      );
    }
  }
  if (missing.size > 0) {
    throw new SlidelessError('blobs-missing', `${missing.size} referenced blob(s) are not uploaded.`, {
      details: { missing: [...missing] },
    });
  }
}
