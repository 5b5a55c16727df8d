import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ownerOf } from './slideless-ids.ts';
import { type PeerContext, requestFault, setRequestFault, setRequestOwner } from './peer-context.ts';
import { SlidelessError } from './slideless-errors.ts';

// Slideless keys are `cko_…` (organisation) or `cka_…` (admin); the docs do not give the alphabet after the prefix.
const BEARER = /^Bearer (ck[oa]_[A-Za-z0-9_-]{1,256})$/;

/** Whether `key` has the shape of a Slideless API key. */
export function isSlidelessKeyShape(key: string): boolean {
  return BEARER.test(`Bearer ${key}`);
}

/** Checks `Authorization: Bearer cko_…|cka_…` against the keys the peer accepts; 401 unauthenticated otherwise. */
export function authenticate(ctx: PeerContext, request: FastifyRequest): void {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  if (!match) {
    throw new SlidelessError('unauthenticated', 'Send your API key as "Authorization: Bearer cko_…" (or cka_…).');
  }
  const owner = ownerOf(match[1]!);
  if (!ctx.acceptedOwners.has(owner)) throw new SlidelessError('unauthenticated', 'Invalid or missing API key.');
  setRequestOwner(request, owner);
}

/**
 * Fault injection (`faults`), for the three Slideless routes, applied as
 * src-server/app.ts applies it to /v1: latency first, then one draw per
 * request; 503 and 429 are answered here, a reset is left to the upload
 * route (the only one that streams its body) and a drop to `dropIfFaulted`.
 */
export async function injectFaults(
  ctx: PeerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  streamedBody: boolean,
): Promise<void> {
  if (!ctx.faults) return;
  const delay = ctx.faults.latencyMs();
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  const fault = ctx.faults.decide(streamedBody);
  setRequestFault(request, fault);
  if (fault.kind === 'unavailable') {
    discardUnreadBody(request);
    const error = new SlidelessError('unavailable', 'Injected fault: service unavailable.');
    await reply.code(error.status).send(error.toBody());
  } else if (fault.kind === 'rate_limited') {
    discardUnreadBody(request);
    const error = new SlidelessError(
      'resource-exhausted',
      `Injected fault: rate limited; retry after ${fault.retryAfterSeconds} s.`,
    );
    await reply.code(error.status).header('retry-after', String(fault.retryAfterSeconds)).send(error.toBody());
  } else if (fault.kind === 'stall') {
    reply.hijack(); // never answered (see src-server/app.ts)
  }
}

/** A "drop" fault: the request was handled, and its answer is lost on the way (the connection is destroyed). */
export function dropIfFaulted(request: FastifyRequest): void {
  if (requestFault(request).kind === 'drop') request.raw.socket?.destroy();
}

/** Fastify's own failures (bad JSON, body too large, wrong media type) in Slideless's words. */
function toSlidelessError(error: FastifyError | SlidelessError): SlidelessError {
  if (error instanceof SlidelessError) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SlidelessError('payload-too-large', 'The request body is larger than the 10 MB the API accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new SlidelessError('invalid-argument', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new SlidelessError('invalid-argument', 'The body is empty; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new SlidelessError('invalid-argument', 'The body is not as long as its Content-Length says.');
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return new SlidelessError('invalid-argument', `The body is not valid JSON: ${error.message}`);
  }
  return new SlidelessError('internal');
}

/** The peer's error handler: every failure in Slideless's envelope, unless the client is gone. */
export function sendError(error: FastifyError | SlidelessError, request: FastifyRequest, reply: FastifyReply): void {
  const refusal = toSlidelessError(error);
  // IncomingMessage.destroyed is also true once a body was read to its end; only the socket says the client is gone.
  const clientGone = request.raw.socket?.destroyed ?? true;
  if (refusal.code === 'internal' && !clientGone) {
    process.stderr.write(`slideless peer: internal error on ${request.method} ${request.url}: ${String(error)}\n`);
  }
  if (clientGone || reply.sent) return;
  if (!request.raw.complete) reply.removeHeader('connection');
  discardUnreadBody(request);
  void reply.code(refusal.status).send(refusal.toBody());
}

/** Past this much, a refused body is not worth reading to its end: the connection is cut instead. */
const MAX_DISCARDED_BYTES = 64 * 1024 * 1024;

/**
 * Reads and drops the rest of a body answered before it was read, so the
 * client hears the answer instead of a reset (closing over unread bytes
 * makes the kernel reset the connection, RFC 9112 §9.6).
 */
export function discardUnreadBody(request: FastifyRequest): void {
  const body = request.raw;
  if (body.complete || body.listenerCount('data') > 0) return;
  let discarded = 0;
  body.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BYTES) body.socket.destroy();
  });
  body.resume();
}
