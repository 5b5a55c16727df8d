import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { apiErrors } from '../src-shared/api-errors.ts';
import { abbreviate } from '../src-shared/deploy-names.ts';
import { ApiError } from './api-error.ts';
import type { ServerContext } from './context.ts';
import type { FaultDecision, FaultInjector } from './faults.ts';
import { hashSecret } from './ids.ts';
import {
  answerClientError,
  guardBodyTime,
  type HostAllowList,
  httpServerOptions,
  refuseRepeatedHeaders,
  type Timeouts,
} from './perimeter.ts';
import { bodyLimits, MAX_JSON_DEPTH, nestsDeeperThan } from './request-schemas.ts';
import { registerDeployRoutes } from './routes/deploys.ts';
import { registerLocalInstanceRoutes } from './routes/local-instance.ts';
import { PREVIEW_HEADERS, registerPreviewRoutes } from './routes/preview.ts';
import { registerRenderJobRoutes } from './routes/render-jobs.ts';
import { registerUploadSessionRoutes } from './routes/upload-sessions.ts';
import { registerVersionRoutes } from './routes/versions.ts';

/** Options of the HTTP layer itself. */
export interface AppOptions {
  /** Log each request (pino, to stdout); secrets are never in what it logs. */
  logRequests: boolean;
  /** The Host names it answers to. */
  hosts: HostAllowList;
  timeouts: Timeouts;
}

/** A route as registered: its method and URL pattern (e.g. `GET /v1/deploys/:deployId`). */
export interface RouteEntry {
  method: string;
  url: string;
}

const NO_FAULT: FaultDecision = { kind: 'none' };

/**
 * Builds the Fastify app of the local Press Cloud. Who may do what is
 * decided by the route that will handle a request, never by the request
 * line: the `/v1` routes live in one scope whose hook demands the key, the
 * `/preview` scope declares itself public, and whatever is neither (a 404,
 * a route added elsewhere one day) must show the key too. Every failure is
 * answered in the contract's shape `{"error", "message"}`.
 */
export function buildApp(
  ctx: ServerContext,
  options: AppOptions,
): { app: FastifyInstance; routes: readonly RouteEntry[] } {
  const app = Fastify({
    logger: options.logRequests ? { level: 'info' } : false,
    // Routes that take bodies say how large theirs may be (request-schemas.ts, bodyLimits); the rest get the smallest.
    bodyLimit: bodyLimits(ctx.limits).small,
    forceCloseConnections: 'idle',
    // Answered below instead, in the contract's shape.
    return503OnClosing: false,
    routerOptions: { maxParamLength: 2048 },
    http: httpServerOptions(options.timeouts),
    clientErrorHandler: answerClientError,
    // Undecodable percent-escapes and overlong parameters never reach a route, nor its hooks.
    frameworkErrors: (error, request, reply) =>
      answerFrameworkError(
        options.hosts,
        error,
        request as unknown as FastifyRequest,
        reply as unknown as FastifyReply,
      ),
  });

  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });

  app.decorateRequest('access', 'none');
  app.decorateRequest('apiKeyId', '');
  app.decorateRequest('apiKeySecret', '');
  app.decorateRequest('fault', null as never);
  app.decorateRequest('jsonBytes', null);

  // Fastify's own JSON parser, as fastify runs it (the body decoded whole), keeping the bytes for
  // the idempotency fingerprint, which hashes a body in canonical form as it came.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, bytes: Buffer, done) => {
    request.jsonBytes = bytes;
    return parseJson(request, bytes.toString('utf8'), done);
  });

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  // Hooks take fastify's callback form where they have nothing to wait for: no promise and no
  // microtask per hook per request (a 20,000-file deploy makes 20,000 PUTs). A throw is still an error answer.

  // The perimeter, for every request whatever its route.
  app.addHook('onRequest', (request, _reply, done) => {
    request.fault = NO_FAULT;
    guardBodyTime(request, options.timeouts);
    refuseRepeatedHeaders(request);
    options.hosts.check(request);
    if (closing) throw new ApiError('service_unavailable', 'The server is shutting down; retry in a moment.');
    done();
  });

  // Deny by default: a request no scope let in must show the key before its body is read.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    if (request.access === 'none') authenticate(ctx, request);
    done(null, payload);
  });

  // JSON.parse takes any depth; the code after it (zod, the idempotency fingerprint) recurses.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body !== null && typeof request.body === 'object' && nestsDeeperThan(request.body, MAX_JSON_DEPTH)) {
      throw new ApiError('invalid_request', `The body nests arrays and objects more than ${MAX_JSON_DEPTH} deep.`);
    }
    done();
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    // A "drop" fault: the work is done, the answer is lost on the way.
    // (An answer to a URL the router could not read comes before any hook set the fault.)
    if ((request.fault as FaultDecision | null)?.kind === 'drop') request.raw.socket?.destroy();
    done(null, payload);
  });

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => sendError(error, request, reply));
  // Outside /v1 and /preview there is nothing, and (past deny by default) only key holders learn it.
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send(new ApiError('not_found').toBody());
  });

  app.register(
    async (api) => {
      api.addHook('onRequest', (request, reply, done) => {
        // Without --faults, nothing to wait for: every blob PUT passes here.
        if (!ctx.faults) {
          authenticate(ctx, request);
          done();
          return;
        }
        injectFaults(ctx.faults, request, reply)
          .then(() => {
            if (!reply.sent) authenticate(ctx, request);
          })
          .then(() => done(), done);
      });
      api.setNotFoundHandler((request, reply) => {
        reply
          .code(404)
          .send(
            new ApiError(
              'not_found',
              `No endpoint ${request.method} ${JSON.stringify(abbreviate(request.url.split('?')[0]!))}.`,
            ).toBody(),
          );
      });
      registerDeployRoutes(api, ctx);
      registerUploadSessionRoutes(api, ctx);
      registerVersionRoutes(api, ctx);
      registerRenderJobRoutes(api, ctx);
      registerLocalInstanceRoutes(api, ctx);
    },
    { prefix: '/v1' },
  );
  app.register(async (preview) => registerPreviewRoutes(preview, ctx), { prefix: '/preview' });
  return { app, routes };
}

/** A URL the router could not read, in the contract's shape, after the Host check every answer gets; it may be a preview's, so it has their headers. */
function answerFrameworkError(
  hosts: HostAllowList,
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  reply.headers(PREVIEW_HEADERS);
  try {
    hosts.check(request);
  } catch (refusal) {
    if (!(refusal instanceof ApiError)) throw refusal;
    reply.code(refusal.status).send(refusal.toBody());
    return;
  }
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A part of the URL is longer than this server accepts (2048 characters).'
      : 'The URL is not valid: it has a malformed percent-escape.';
  reply.code(400).send(new ApiError('invalid_request', message).toBody());
}

/** Fault injection (`--faults`), for /v1 routes only; a mid-body reset only where the route streams its body. */
async function injectFaults(faults: FaultInjector, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const delay = faults.latencyMs();
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  request.fault = faults.decide(request.routeOptions.config.streamedBody === true);
  if (request.fault.kind === 'unavailable') {
    discardUnreadBody(request);
    reply.code(503).send(new ApiError('service_unavailable', 'Injected fault: service unavailable.').toBody());
  } else if (request.fault.kind === 'rate_limited') {
    discardUnreadBody(request);
    reply
      .code(429)
      .header('retry-after', String(request.fault.retryAfterSeconds))
      .send(
        new ApiError(
          'rate_limited',
          `Injected fault: rate limited; retry after ${request.fault.retryAfterSeconds} s.`,
        ).toBody(),
      );
  } else if (request.fault.kind === 'stall') {
    // Never answered: Fastify lets go of the request, and its socket closes when the client gives up.
    reply.hijack();
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
  request.access = 'key';
  request.apiKeyId = apiKeyId;
  request.apiKeySecret = match[1]!;
}

/** Fastify's own failures (bad JSON, body too large, wrong media type) in the contract's words. */
function toApiError(error: FastifyError | ApiError): ApiError {
  if (error instanceof ApiError) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(
        'invalid_request',
        `The request body is larger than this server accepts for this operation (${error.message.replace(/^.*?: /, '')}).`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(
        'invalid_request',
        'Unsupported Content-Type: send application/json (blob uploads: application/octet-stream).',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('invalid_request', 'The body is empty; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('invalid_request', `The body is not valid JSON: ${error.message}`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('invalid_request', 'The body is not as long as its Content-Length says.');
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
    process.stderr.write(
      `internal error on ${request.method} ${request.routeOptions.url ?? '(no route)'}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  if (clientGone || reply.sent) return;
  // Fastify asks to close after a body over its limit; we read the rest instead (below), so the client can hear us.
  if (!request.raw.complete) reply.removeHeader('connection');
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
