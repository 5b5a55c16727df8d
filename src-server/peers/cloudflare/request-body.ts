import busboy from 'busboy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CloudflareError } from './cloudflare-errors.ts';
import { PartContentTypes } from './part-content-types.ts';

/** Past this much, a refused body is not worth reading to its end: the connection is cut instead. */
const MAX_DISCARDED_BYTES = 128 * 1024 * 1024;

/**
 * Leaves every body of `scope` unread, for its handlers to stream: a
 * multipart/form-data body is read part by part with busboy (`readForm`),
 * and any other is left for the handler to refuse in Cloudflare's words.
 */
export function leaveBodiesUnread(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null, undefined));
  scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
}

/** One part of a multipart body, read whole. */
export interface FormPart {
  name: string;
  /** Its bytes, in the pieces they arrived in (not copied into one buffer); a text part's as UTF-8. */
  pieces: Buffer[];
  /** Bytes in `pieces`. */
  size: number;
  /** A file part's (one with a filename) Content-Type as sent, lowercased; null for a text part or none. */
  contentType: string | null;
}

/** How `readForm` reads a body. */
export interface ReadFormOptions {
  /** Most bytes the body may have: more is `body_too_large`. */
  limit: number;
  /** An injected "reset" fault: the connection is destroyed once this many bytes arrived. */
  cutAt?: number;
  /** Each part as it ends, in body order; what it throws refuses the body at once. */
  onPart: (part: FormPart) => void;
}

/**
 * Reads a multipart/form-data body the route left unread (see
 * `leaveBodiesUnread`) with busboy, streamed from the socket: each part is
 * handed to `onPart` as it ends, so a bad part refuses the upload before
 * the rest arrives. Resolves with the number of parts once the closing
 * delimiter was read; a body that is not multipart, malformed, truncated or
 * has a part without a name is `invalid_body`.
 */
export function readForm(request: FastifyRequest, options: ReadFormOptions): Promise<number> {
  const { limit, cutAt = Infinity, onPart } = options;
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(
      new CloudflareError('body_too_large', `The body is ${declared} bytes; this endpoint takes at most ${limit}.`),
    );
  }
  const contentType = request.headers['content-type'] ?? '';
  const boundary = /^multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]+)"|([^\s";]+))/i.exec(contentType);
  if (!boundary) {
    return Promise.reject(new CloudflareError('invalid_body', 'Send multipart/form-data (with a boundary).'));
  }
  const body = request.raw;
  let parser: busboy.Busboy;
  try {
    // A text part may be as large as the body: the body's limit is the one that counts.
    parser = busboy({ headers: request.headers, limits: { fieldSize: limit + 1 } });
  } catch (error) {
    return Promise.reject(
      new CloudflareError('invalid_body', `Send multipart/form-data: ${(error as Error).message}.`),
    );
  }
  const contentTypes = new PartContentTypes(boundary[1] ?? boundary[2]!);

  return new Promise((resolve, reject) => {
    let received = 0;
    let parts = 0;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      // The rest of the body stays unread: the error handler drains it, so the client hears the answer.
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', fail);
      parser.off('drain', onDrain);
      parser.destroy();
      const known =
        error instanceof CloudflareError || (error instanceof Error && error.message.startsWith('injected'));
      reject(
        known
          ? error
          : new CloudflareError('invalid_body', `The multipart body could not be parsed: ${(error as Error).message}`),
      );
    };
    // Called from busboy's events: what onPart throws must reach `fail`, not the event emitter.
    const take = (part: FormPart) => {
      if (settled) return;
      parts += 1;
      onPart(part);
    };
    const nameOf = (name: string | undefined): string => {
      if (name === undefined || name === '') throw new CloudflareError('invalid_body', 'A part has no name.');
      return name;
    };

    parser.on('field', (name, value) => {
      contentTypes.next();
      try {
        const bytes = Buffer.from(value, 'utf8');
        take({ name: nameOf(name), pieces: [bytes], size: bytes.length, contentType: null });
      } catch (error) {
        fail(error);
      }
    });
    parser.on('file', (name, stream, info) => {
      const sent = contentTypes.next();
      const pieces: Buffer[] = [];
      let size = 0;
      // An error here is the parser's too, and reaches `fail` through it.
      stream.on('error', () => {});
      stream.on('data', (chunk: Buffer) => {
        pieces.push(chunk);
        size += chunk.length;
      });
      stream.on('end', () => {
        try {
          take({
            name: nameOf(name),
            pieces,
            size,
            // Without a filename a part is text (busboy files an octet-stream one as a file): no Content-Type.
            contentType: info.filename === undefined ? null : sent,
          });
        } catch (error) {
          fail(error);
        }
      });
    });
    parser.on('error', fail);
    parser.on('close', () => {
      if (settled) return;
      if (!contentTypes.allTaken) {
        fail(new CloudflareError('invalid_body', 'A part has no Content-Disposition: form-data header.'));
        return;
      }
      settled = true;
      resolve(parts);
    });

    const onDrain = () => body.resume();
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received >= cutAt) {
        body.socket.destroy();
        fail(new Error('injected fault: connection reset mid-body'));
      } else if (received > limit) {
        fail(new CloudflareError('body_too_large', `The body is over ${limit} bytes, the most this endpoint takes.`));
      } else {
        contentTypes.push(chunk);
        if (!parser.write(chunk)) body.pause();
      }
    };
    const onEnd = () => {
      body.off('data', onData);
      parser.end();
    };
    parser.on('drain', onDrain);
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', fail);
    if (cutAt === 0) onData(Buffer.alloc(0));
  });
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
