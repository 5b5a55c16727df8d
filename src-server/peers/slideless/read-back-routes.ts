import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ownedPresentation, type PeerContext, requestOwner, shareUrlOf } from './peer-context.ts';
import { ok, SlidelessError } from './slideless-errors.ts';

/**
 * PEER-ONLY routes, not part of Slideless's API: what a client (or a test)
 * reads back to verify a deploy. `GET /presentations/{id}` needs the API
 * key and answers the latest version's manifest (the shape of Slideless's
 * getPresentationVersion, plus currentVersion and shareUrl).
 */
export function registerManifestRoute(app: FastifyInstance, ctx: PeerContext): void {
  app.get<{ Params: { presentationId: string } }>('/presentations/:presentationId', (request) => {
    const presentation = ownedPresentation(ctx, request.params.presentationId, requestOwner(request));
    const latest = ctx.store.version(presentation.id, presentation.currentVersion)!;
    return ok({
      presentationId: presentation.id,
      currentVersion: presentation.currentVersion,
      tokenId: presentation.tokenId,
      shareUrl: shareUrlOf(ctx, presentation),
      ...latest,
    });
  });
}

/**
 * PEER-ONLY: `GET /p/{id}/{path}?token=…` serves the committed bytes of
 * `path` in the latest version, with the committed contentType and
 * `ETag: "<sha256>"` (as Slideless's viewer does); an empty path serves
 * the entry file. Token-gated like Slideless's viewer, and 404 for every
 * refusal (unknown deck, wrong token, no such file), as Slideless answers
 * "generically … to prevent enumeration".
 */
export function registerViewerRoute(app: FastifyInstance, ctx: PeerContext): void {
  app.get<{ Params: { presentationId: string; '*': string }; Querystring: { token?: string } }>(
    '/p/:presentationId/*',
    async (request, reply) => {
      const notFound = new SlidelessError('not-found', 'No such presentation file, or the token does not open it.');
      const presentation = ctx.store.presentation(request.params.presentationId);
      const token = typeof request.query.token === 'string' ? request.query.token : '';
      if (!presentation || !sameSecret(token, presentation.token)) throw notFound;
      const latest = ctx.store.version(presentation.id, presentation.currentVersion)!;
      const path = request.params['*'] === '' ? latest.entryPath : request.params['*'];
      const file = latest.files.find((entry) => entry.path === path);
      if (!file) throw notFound;
      return reply
        .header('content-type', file.contentType)
        .header('content-length', String(file.size))
        .header('etag', `"${file.sha256}"`)
        .header('x-content-type-options', 'nosniff')
        .send(ctx.blobs.read(file.sha256));
    },
  );
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
