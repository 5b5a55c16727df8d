import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { apiErrors } from '../src-shared/api-errors.ts';
import { ApiError } from './api-error.ts';
import type { ServerContext } from './context.ts';
import { hashSecret } from './ids.ts';
import { registerDeployRoutes } from './routes/deploys.ts';
import { registerPreviewRoutes } from './routes/preview.ts';
import { registerRenderJobRoutes } from './routes/render-jobs.ts';
import { registerUploadSessionRoutes } from './routes/upload-sessions.ts';
import { registerVersionRoutes } from './routes/versions.ts';

/** Options of the HTTP layer itself. */
export interface AppOptions {
  /** Log each request (pino, to stdout); secrets are never in what it logs. */
  logRequests: boolean;
}

/**
 * Builds the Fastify app of the local Press Cloud: auth, fault injection,
 * the routes, and one error handler that answers every failure in the
 * contract's shape `{"error", "message"}`.
 */
export function buildApp(ctx: ServerContext, options: AppOptions): FastifyInstance {
  const app = Fastify({
    logger: options.logRequests ? { level: 'info' } : false,
    // A session of maxFilesPerVersion descriptors must fit; each is well under 1.2 KiB.
    bodyLimit: 1024 * 1024 + ctx.limits.maxFilesPerVersion * 1200,
    forceCloseConnections: 'idle',
    // Answered below instead, in the contract's shape.
    return503OnClosing: false,
    routerOptions: { maxParamLength: 2048 },
  });

  app.decorateRequest('apiKeyId', '');
  app.decorateRequest('apiKeySecret', '');
  app.decorateRequest('fault', null as never);

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  app.addHook('onRequest', async (request, reply) => {
    if (closing) throw new ApiError('service_unavailable', 'The server is shutting down; retry in a moment.');
    if (!request.url.startsWith('/v1/')) {
      request.fault = { kind: 'none' };
      return;
    }
    await injectFaults(ctx, request, reply);
    if (reply.sent) return;
    authenticate(ctx, request);
  });

  app.addHook('onSend', async (request) => {
    // A "drop" fault: the work is done, the answer is lost on the way.
    if (request.fault.kind === 'drop') request.raw.socket?.destroy();
  });

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(new ApiError('not_found', `No endpoint ${request.method} ${request.url.split('?')[0]}.`).toBody());
  });

  registerDeployRoutes(app, ctx);
  registerUploadSessionRoutes(app, ctx);
  registerVersionRoutes(app, ctx);
  registerRenderJobRoutes(app);
  registerPreviewRoutes(app, ctx);
  return app;
}

async function injectFaults(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!ctx.faults) {
    request.fault = { kind: 'none' };
    return;
  }
  const delay = ctx.faults.latencyMs();
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  request.fault = ctx.faults.decide(request.method === 'PUT' && request.url.includes('/blobs/'));
  if (request.fault.kind === 'unavailable') {
    discardUnreadBody(request);
    reply.code(503).send(new ApiError('service_unavailable', 'Injected fault: service unavailable.').toBody());
  } else if (request.fault.kind === 'rate_limited') {
    discardUnreadBody(request);
    reply
      .code(429)
      .header('retry-after', String(request.fault.retryAfterSeconds))
      .send(new ApiError('rate_limited', `Injected fault: rate limited; retry after ${request.fault.retryAfterSeconds} s.`).toBody());
  }
}

function authenticate(ctx: ServerContext, request: FastifyRequest): void {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer (pcak_[A-Za-z0-9_-]{1,200})$/.exec(header) : null;
  if (!match) {
    throw new ApiError('unauthorized', 'Send your API key as "Authorization: Bearer pcak_…".');
  }
  const apiKeyId = ctx.metadata.apiKeyIdByHash(hashSecret(match[1]!));
  if (!apiKeyId) throw new ApiError('unauthorized', 'That API key is not valid for this server.');
  request.apiKeyId = apiKeyId;
  request.apiKeySecret = match[1]!;
}

/** Fastify's own failures (bad JSON, body too large, wrong media type) in the contract's words. */
function toApiError(error: FastifyError | ApiError): ApiError {
  if (error instanceof ApiError) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('invalid_request', `The request body is larger than this server accepts (${error.message.replace(/^.*?: /, '')}).`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('invalid_request', 'Unsupported Content-Type: send application/json (blob uploads: application/octet-stream).');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('invalid_request', 'The body is empty; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('invalid_request', `The body is not valid JSON: ${error.message}`);
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return new ApiError('invalid_request', `The body is not valid JSON: ${error.message}`);
  }
  return new ApiError('internal_error');
}

function sendError(error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply): void {
  const apiError = toApiError(error);
  // IncomingMessage.destroyed is also true once a body was read to its end; only the socket says the client is gone.
  const clientGone = request.raw.socket?.destroyed ?? true;
  if (apiError.code === 'internal_error' && !clientGone) {
    process.stderr.write(`internal error on ${request.method} ${request.url.split('?')[0]}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  if (clientGone || reply.sent) return;
  discardUnreadBody(request);
  reply.code(apiErrors[apiError.code].status).send(apiError.toBody());
}

/** Past this much, a body we refused is not worth reading to its end: the connection is cut instead. */
const MAX_DISCARDED_BYTES = 64 * 1024 * 1024;

/**
 * Reads and drops the rest of a body we answered before reading. Closing
 * the connection over unread bytes would make the kernel reset it, and the
 * client would see a broken pipe instead of our answer (RFC 9112 §9.6).
 */
function discardUnreadBody(request: FastifyRequest): void {
  const body = request.raw;
  if (body.complete || body.listenerCount('data') > 0) return;
  let discarded = 0;
  body.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BYTES) body.socket.destroy();
  });
  body.resume();
}
