import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingBlob } from './asset-blobs.ts';
import { liveSession, ownedPresentation, type PeerContext, requestOwner } from './peer-context.ts';
import { ok, SlidelessError } from './slideless-errors.ts';
import { parseOrRefuse, uploadFields } from './slideless-schemas.ts';
import { leaveBodiesUnread, readUploadBody } from './upload-body.ts';

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
    leaveBodiesUnread(scope);
    scope.post('/uploadPresentationAsset', async (request) => upload(ctx, request));
  });
}

async function upload(ctx: PeerContext, request: FastifyRequest) {
  const owner = requestOwner(request);
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
    await readUploadBody(request, declaredLength, {
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
      async onFile(file) {
        fileParts += 1;
        if (fileParts > 1) throw new SlidelessError('invalid-argument', 'Send one file part per upload.');
        targetOf();
        const blob = await ctx.blobs.newIncoming();
        incoming = blob;
        // Each chunk is written before the next is read: the file is streamed to disk, never held whole.
        for await (const chunk of file as AsyncIterable<Buffer>) {
          if (blob.size + chunk.length > ctx.limits.maxFileBytes) throw tooLarge(ctx, blob.size + chunk.length);
          await blob.write(chunk);
        }
      },
    });
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
