import type { FastifyInstance } from 'fastify';
import { liveSession, ownedPresentation, type PeerContext, requestOwner } from './peer-context.ts';
import { ok } from './slideless-errors.ts';
import { MAX_JSON_BODY_BYTES, SESSION_TTL_MS } from './slideless-limits.ts';
import { parseOrRefuse, precheckBody } from './slideless-schemas.ts';

/**
 * `POST /precheckAssets` (api-reference/precheck-assets): which of the
 * hashes the presentation's blob store lacks. Without presentationId or
 * sessionId it opens a session and reserves a presentation id; with
 * sessionId it continues that session; with presentationId it checks the
 * committed presentation's store (owner only).
 */
export function registerPrecheckRoute(app: FastifyInstance, ctx: PeerContext): void {
  app.post('/precheckAssets', { bodyLimit: MAX_JSON_BODY_BYTES }, (request) => {
    const owner = requestOwner(request);
    const body = parseOrRefuse(precheckBody, request.body);
    const missingIn = (namespace: string) => body.hashes.filter((hash) => !ctx.store.asset(namespace, hash));

    if (body.presentationId !== undefined) {
      const presentation = ownedPresentation(ctx, body.presentationId, owner);
      return ok({ missing: missingIn(presentation.id) });
    }
    // The session keeps the lifetime it got when opened: later prechecks do not extend it (the docs do not say they do).
    const session =
      body.sessionId !== undefined
        ? liveSession(ctx, body.sessionId, owner)
        : ctx.store.openSession(owner, ctx.now(), sessionLifetimeMs(ctx));
    return ok({
      missing: missingIn(session.presentationId),
      sessionId: session.id,
      presentationId: session.presentationId,
    });
  });
}

/** One hour, unless the `expire` fault makes this session expire early. */
function sessionLifetimeMs(ctx: PeerContext): number {
  return ctx.faults?.expiresEarly() ? ctx.faults.spec.expireAfterMs : SESSION_TTL_MS;
}
