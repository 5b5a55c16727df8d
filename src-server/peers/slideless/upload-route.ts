import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingBlob } from './asset-blobs.ts';
import { boundaryOf, MultipartError, readMultipart } from './multipart-stream.ts';
import { liveSession, ownedPresentation, type PeerContext, requestFault, requestOwner } from './peer-context.ts';
import { ok, SlidelessError } from './slideless-errors.ts';
import { parseOrRefuse, uploadFields } from './slideless-schemas.ts';

/** The text fields an upload may carry (api-reference/upload-asset, "Multipart fields"). */
const FIELD_NAMES = new Set(['presentationId', 'sessionId', 'sha256', 'contentType']);

/** Room for the multipart framing around the file: a body longer than the cap plus this cannot fit. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * `POST /uploadPresentationAsset` (api-reference/upload-asset): one blob as
 * multipart/form-data, streamed to a temp file while it is hashed, stored
 * under its SHA-256 only when that matches the declared `sha256`, and
 * recorded in the target presentation's (or session's) store. The fields
 * are order-independent, so the target and hash are checked once the body
 * is read (the target also as soon as the file part begins, when its id
 * came first, so an upload to a wrong target is refused early).
 */
export function registerUploadRoute(app: FastifyInstance, ctx: PeerContext): void {
  // Its own scope: the body is read as a stream by the route, whatever its Content-Type says.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    scope.post('/uploadPresentationAsset', async (request) => upload(ctx, request));
  });
}

async function upload(ctx: PeerContext, request: FastifyRequest) {
  const owner = requestOwner(request);
  const boundary = multipartBoundary(request);
  const declaredLength =
    request.headers['content-length'] === undefined ? null : Number(request.headers['content-length']);
  if (declaredLength !== null && declaredLength > ctx.limits.maxFileBytes + MULTIPART_OVERHEAD_BYTES) {
    throw tooLarge(ctx, declaredLength);
  }
  const fields = new Map<string, string>();
  const targetOf = () => {
    const presentationId = fields.get('presentationId');
    const sessionId = fields.get('sessionId');
    if (presentationId !== undefined && sessionId !== undefined) {
      throw new SlidelessError('invalid-argument', 'give exactly one of presentationId and sessionId');
    }
    if (presentationId !== undefined) return ownedPresentation(ctx, presentationId, owner).id;
    if (sessionId !== undefined) return liveSession(ctx, sessionId, owner).presentationId;
    return null;
  };
  let incoming: IncomingBlob | null = null;
  let fileParts = 0;
  try {
    await readMultipart(
      bodyWithFaults(request, declaredLength),
      boundary,
      {
        onField(name, value) {
          if (!FIELD_NAMES.has(name)) {
            throw new SlidelessError(
              'invalid-argument',
              `Unknown field ${JSON.stringify(name)}; a text field is one of ${[...FIELD_NAMES].join(', ')}.`,
            );
          }
          if (fields.has(name)) throw new SlidelessError('invalid-argument', `The field ${name} is given twice.`);
          fields.set(name, value);
        },
        async onFileStart() {
          fileParts += 1;
          if (fileParts > 1) throw new SlidelessError('invalid-argument', 'Send one file part per upload.');
          targetOf();
          incoming = await ctx.blobs.newIncoming();
        },
        async onFileData(chunk) {
          const blob = incoming!;
          if (blob.size + chunk.length > ctx.limits.maxFileBytes) throw tooLarge(ctx, blob.size + chunk.length);
          await blob.write(chunk);
        },
        onFileEnd() {},
      },
      { maxFieldBytes: 1024, maxHeaderBytes: 8 * 1024, maxParts: 16 },
    );
    const declared = parseOrRefuse(uploadFields, Object.fromEntries(fields));
    const namespace = targetOf()!;
    const blob = incoming as IncomingBlob | null;
    if (!blob) throw new SlidelessError('invalid-argument', 'The body has no file part (a part with a filename).');
    const { sha256, size } = await blob.finish();
    if (sha256 !== declared.sha256) {
      throw new SlidelessError(
        'hash-mismatch',
        `The uploaded bytes hash to ${sha256}, not to the declared ${declared.sha256}.`,
        {
          details: { declared: declared.sha256, actual: sha256, size },
        },
      );
    }
    await blob.keepAs(sha256);
    incoming = null;
    const added = ctx.store.addAsset(namespace, sha256, { size, contentType: declared.contentType });
    // "size: 0 indicates the blob was already present — upload was skipped (idempotent)."
    return ok({ sha256, size: added ? size : 0 });
  } catch (error) {
    await (incoming as IncomingBlob | null)?.discard();
    if (error instanceof MultipartError) throw new SlidelessError('invalid-argument', error.message);
    throw error;
  }
}

function multipartBoundary(request: FastifyRequest): string {
  try {
    return boundaryOf(request.headers['content-type']);
  } catch (error) {
    if (error instanceof MultipartError) throw new SlidelessError('invalid-argument', error.message);
    throw error;
  }
}

function tooLarge(ctx: PeerContext, bytes: number): SlidelessError {
  return new SlidelessError(
    'payload-too-large',
    `The file is over the per-file cap of ${ctx.limits.maxFileBytes} bytes (${bytes} bytes or more).`,
    { details: { maxFileBytes: ctx.limits.maxFileBytes } },
  );
}

/**
 * The request body, chunk by chunk, left undestroyed when reading stops
 * early (so a refusal can still be answered on the connection); an
 * injected "reset" fault destroys the connection part-way through it.
 */
async function* bodyWithFaults(request: FastifyRequest, declaredLength: number | null): AsyncGenerator<Buffer> {
  const fault = requestFault(request);
  const cutAt =
    fault.kind !== 'reset' ? Infinity : declaredLength === null ? 1 : Math.floor(declaredLength * fault.afterFraction);
  const cut = () => {
    request.raw.socket.destroy();
    return new Error('injected fault: connection reset mid-body');
  };
  if (cutAt === 0) throw cut();
  let received = 0;
  for await (const chunk of request.raw.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received >= cutAt) throw cut();
    yield chunk;
  }
}
