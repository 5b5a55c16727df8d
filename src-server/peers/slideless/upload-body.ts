import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestFault } from './peer-context.ts';
import { SlidelessError } from './slideless-errors.ts';

/** Largest text field value, in bytes. */
const MAX_FIELD_BYTES = 1024;
/** Most parts in one upload body (it needs five at most). */
const MAX_PARTS = 16;

/** What the upload route does with the parts of its body, in body order. */
export interface UploadPartHandlers {
  /** A text part (one without a filename), whole; may throw to refuse the body. */
  onField(name: string, value: string): void;
  /**
   * A file part (one with a filename): read it to its end. Busboy holds the
   * rest of the body until it is read, so a slow disk slows the reading of
   * the socket instead of filling memory. What it throws refuses the body.
   */
  onFile(file: Readable): Promise<void>;
}

/**
 * Leaves every body of `scope` unread, for the upload route to stream: a
 * multipart/form-data body is read with busboy (`readUploadBody`), and any
 * other is refused by the route in Slideless's words.
 */
export function leaveBodiesUnread(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null, undefined));
  scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
}

/**
 * Reads an upload's multipart/form-data body with busboy, straight from the
 * socket, handing each part to `handlers` as it comes. Resolves once the
 * closing delimiter was read and the file part was read to its end. A body
 * that is not multipart, is malformed or truncated, has a part without a
 * field name, a text field over 1 KiB or more than 16 parts is refused as
 * `invalid-argument`, as soon as that is seen. The body is left unread past
 * a refusal (the error handler drains it); an injected "reset" fault
 * destroys the connection part-way through it.
 */
export function readUploadBody(
  request: FastifyRequest,
  declaredLength: number | null,
  handlers: UploadPartHandlers,
): Promise<void> {
  let parser: busboy.Busboy;
  try {
    // One byte over the field limit, so that a field at the limit is not reported as truncated.
    parser = busboy({ headers: request.headers, limits: { fieldSize: MAX_FIELD_BYTES + 1, parts: MAX_PARTS + 1 } });
  } catch (error) {
    const message = (error as Error).message;
    return Promise.reject(
      new SlidelessError(
        'invalid-argument',
        /boundary/i.test(message)
          ? 'The multipart/form-data Content-Type has no boundary.'
          : 'Send the upload as multipart/form-data.',
      ),
    );
  }
  const body = request.raw;
  const fault = requestFault(request);
  const cutAt =
    fault.kind !== 'reset' ? Infinity : declaredLength === null ? 1 : Math.floor(declaredLength * fault.afterFraction);

  return new Promise((resolve, reject) => {
    let settled = false;
    let received = 0;
    const reading: Array<Promise<void>> = [];
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', fail);
      parser.off('drain', onDrain);
      parser.destroy();
      // The file part's reader stops at the destroyed stream; once it has, its temp file can be thrown away.
      const answer = error instanceof SlidelessError || isInjected(error) ? (error as Error) : refusal(error);
      void Promise.allSettled(reading).then(() => reject(answer));
    };
    const field = (name: string | undefined, value: string, truncated: boolean) => {
      if (!name) throw new SlidelessError('invalid-argument', 'A part has no field name.');
      if (truncated) {
        throw new SlidelessError('invalid-argument', `The field "${name}" is longer than ${MAX_FIELD_BYTES} bytes.`);
      }
      handlers.onField(name, value);
    };

    // busboy's events call these: what a handler throws must reach `fail`, not the event emitter.
    parser.on('field', (name, value, info) => {
      try {
        field(name, value, info.valueTruncated);
      } catch (error) {
        fail(error);
      }
    });
    parser.on('file', (name, file, info) => {
      // Whatever ends the reading early destroys the stream; its error is the parser's too.
      file.on('error', () => {});
      const read =
        info.filename === undefined
          ? // busboy files an application/octet-stream part without a filename; here it is a text field.
            readAsField(file).then(({ value, truncated }) => field(name, value, truncated))
          : name
            ? handlers.onFile(file)
            : Promise.reject(new SlidelessError('invalid-argument', 'A part has no field name.'));
      reading.push(read);
      read.catch(fail);
    });
    parser.on('partsLimit', () =>
      fail(new SlidelessError('invalid-argument', `The body has more than ${MAX_PARTS} parts.`)),
    );
    parser.on('error', fail);
    parser.on('close', () => {
      if (settled) return;
      Promise.all(reading).then(() => {
        if (settled) return;
        settled = true;
        resolve();
      }, fail);
    });

    const onDrain = () => body.resume();
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received >= cutAt) {
        body.socket.destroy();
        fail(new Error('injected fault: connection reset mid-body'));
      } else if (!parser.write(chunk)) {
        body.pause();
      }
    };
    const onEnd = () => parser.end();
    parser.on('drain', onDrain);
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', fail);
    if (cutAt === 0) onData(Buffer.alloc(0));
  });
}

/** A file part without a filename, read as text: at most one byte past the field limit is kept. */
async function readAsField(file: Readable): Promise<{ value: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of file as AsyncIterable<Buffer>) {
    if (size <= MAX_FIELD_BYTES) chunks.push(chunk);
    size += chunk.length;
  }
  return { value: Buffer.concat(chunks).toString('utf8', 0, MAX_FIELD_BYTES), truncated: size > MAX_FIELD_BYTES };
}

function isInjected(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('injected fault');
}

/** busboy's word for a body it cannot read, in the peer's. */
function refusal(error: unknown): SlidelessError {
  const message = error instanceof Error ? error.message : String(error);
  if (/^Unexpected end of (form|file)/.test(message)) {
    return new SlidelessError('invalid-argument', 'The multipart body ends before its closing delimiter.');
  }
  if (/^Malformed part header/.test(message)) {
    return new SlidelessError('invalid-argument', "A part's headers are malformed or longer than 16 KiB.");
  }
  return new SlidelessError('invalid-argument', `The multipart body could not be read: ${message}`);
}
