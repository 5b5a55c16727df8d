import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { PeerRequest } from '../peer-options.ts';
import { ASSETS_UPLOAD_ROUTE, registerAssetRoutes } from './asset-routes.ts';
import { CloudflareError } from './cloudflare-errors.ts';
import { requireAccount, requireApiToken } from './peer-auth.ts';
import type { CloudflarePeerContext } from './peer-context.ts';
import { dropIfFaulted, injectFaults } from './peer-faults.ts';
import { registerPreviewRoutes } from './preview-routes.ts';
import { discardUnreadBody } from './request-body.ts';
import { registerScriptRoutes } from './script-routes.ts';

/** The base path of Cloudflare's API: the peer's `url` ends with it, as CLOUDFLARE_API_BASE_URL does. */
export const API_PREFIX = '/client/v4';

/**
 * Builds the peer's Fastify app. Every `/client/v4` request meets the
 * faults first, then must show the API token (the assets upload shows
 * its session JWT instead, checked by its handler), then the account in
 * its URL must be the peer's; a path nothing answers is 7000, but only
 * to a token holder. Every answer is in Cloudflare's envelope, and each
 * one is pushed onto `requests`.
 */
export function buildCloudflareApp(
  ctx: CloudflarePeerContext,
  options: { logRequests: boolean; requests: PeerRequest[] },
): FastifyInstance {
  const app = Fastify({
    logger: options.logRequests ? { level: 'info' } : false,
    bodyLimit: 1024 * 1024,
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    routerOptions: { maxParamLength: 4096 },
  });

  app.addHook('onResponse', async (request, reply) => {
    // A dropped or reset request was not answered: it is not counted.
    if (!reply.raw.writableFinished) return;
    options.requests.push({ method: request.method, path: request.url.split('?')[0]!, status: reply.statusCode });
  });
  app.setErrorHandler((error: FastifyError | CloudflareError, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((_request, reply) => {
    const error = new CloudflareError('no_route');
    reply.code(error.status).send(error.toBody());
  });

  app.register(
    async (api) => {
      const uploadRoute = `${API_PREFIX}${ASSETS_UPLOAD_ROUTE}`;
      api.addHook('onRequest', async (request, reply) => {
        const isUpload = request.routeOptions.url === uploadRoute;
        await injectFaults(ctx.faults, request, reply, isUpload);
        if (reply.sent) return;
        if (!isUpload) requireApiToken(ctx, request);
        requireAccount(ctx, request);
      });
      api.addHook('onSend', async (request, _reply, payload) => {
        dropIfFaulted(request);
        return payload;
      });
      api.setNotFoundHandler((request, reply) => {
        requireApiToken(ctx, request);
        const error = new CloudflareError('no_route');
        reply.code(error.status).send(error.toBody());
      });
      registerAssetRoutes(api, ctx);
      registerScriptRoutes(api, ctx);
    },
    { prefix: API_PREFIX },
  );
  app.register(async (preview) => registerPreviewRoutes(preview, ctx));
  return app;
}

/** Fastify's own failures (bad JSON, body too large, wrong media type) in Cloudflare's envelope. */
function toCloudflareError(error: FastifyError | CloudflareError): CloudflareError {
  if (error instanceof CloudflareError) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CloudflareError('body_too_large', `The body is larger than this endpoint takes: ${error.message}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new CloudflareError('invalid_body', 'Unsupported Content-Type: send application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new CloudflareError('invalid_body', 'The body is empty; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new CloudflareError('invalid_body', `The body is not valid JSON: ${error.message}`);
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return new CloudflareError('invalid_body', `The body could not be read: ${error.message}`);
  }
  return new CloudflareError('internal_error');
}

function sendError(error: FastifyError | CloudflareError, request: FastifyRequest, reply: FastifyReply): void {
  const answer = toCloudflareError(error);
  const clientGone = request.raw.socket?.destroyed ?? true;
  if (answer.kind === 'internal_error' && !clientGone) {
    process.stderr.write(
      `cloudflare peer: internal error on ${request.method} ${request.routeOptions.url ?? '(no route)'}: ${
        error instanceof Error ? (error.stack ?? error.message) : String(error)
      }\n`,
    );
  }
  if (clientGone || reply.sent) return;
  // Fastify asks to close after a body over its limit; the rest is read instead, so the client hears the answer.
  if (!request.raw.complete) reply.removeHeader('connection');
  discardUnreadBody(request);
  reply.code(answer.status).send(answer.toBody());
}
