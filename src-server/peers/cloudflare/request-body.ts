import type { FastifyRequest } from 'fastify';
import { CloudflareError } from './cloudflare-errors.ts';

/** Past this much, a refused body is not worth reading to its end: the connection is cut instead. */
const MAX_DISCARDED_BYTES = 128 * 1024 * 1024;

/**
 * Reads a body the route's parser left unread (multipart routes), up to
 * `limit` bytes. `cutAt`: an injected "reset" fault destroys the connection
 * once that many bytes have arrived, before anything is stored.
 */
export function readRawBody(request: FastifyRequest, limit: number, cutAt = Infinity): Promise<Buffer> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(
      new CloudflareError('body_too_large', `The body is ${declared} bytes; this endpoint takes at most ${limit}.`),
    );
  }
  const body = request.raw;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = (error: Error) => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', stop);
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received >= cutAt) {
        body.socket.destroy();
        stop(new Error('injected fault: connection reset mid-body'));
      } else if (received > limit) {
        stop(new CloudflareError('body_too_large', `The body is over ${limit} bytes, the most this endpoint takes.`));
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      body.off('data', onData);
      body.off('error', stop);
      resolve(Buffer.concat(chunks, received));
    };
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', stop);
    if (cutAt === 0) onData(Buffer.alloc(0));
  });
}

/** Parses a multipart/form-data body (with the platform's own parser); a body it cannot read is `invalid_body`. */
export async function parseMultipart(body: Buffer, contentType: string | undefined): Promise<FormData> {
  if (!contentType || !/^multipart\/form-data\s*;\s*boundary=/i.test(contentType)) {
    throw new CloudflareError('invalid_body', 'Send multipart/form-data (with a boundary).');
  }
  try {
    return await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  } catch (error) {
    throw new CloudflareError('invalid_body', `The multipart body could not be parsed: ${(error as Error).message}`);
  }
}

/**
 * Reads and drops the rest of a body answered before it was read, so the
 * client hears the answer instead of a reset (RFC 9112 §9.6).
 */
export function discardUnreadBody(request: FastifyRequest): void {
  const body = request.raw;
  if (body.complete || body.destroyed) return;
  let discarded = 0;
  body.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BYTES) body.socket.destroy();
  });
  body.resume();
}
