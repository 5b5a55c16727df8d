import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseManifestBody, planBuckets } from './asset-manifest.ts';
import { loadAssetHasher } from './asset-hash.ts';
import { decodeCanonicalBase64 } from './canonical-base64.ts';
import { CloudflareError, ok } from './cloudflare-errors.ts';
import { faultOf } from './peer-faults.ts';
import { requireUploadSession } from './peer-auth.ts';
import { scriptNameOf, type CloudflarePeerContext } from './peer-context.ts';
import type { ReceivedAsset } from './asset-store.ts';
import { leaveBodiesUnread, readForm } from './request-body.ts';
import { TOKEN_TTL_MS, type UploadSession } from './upload-sessions.ts';

/** The upload route, authenticated by the session's JWT instead of the API token. */
export const ASSETS_UPLOAD_ROUTE = '/accounts/:accountId/workers/assets/upload';

/** Largest manifest body: 20,000 entries with long paths fit well within it. */
const MANIFEST_BODY_LIMIT = 32 * 1024 * 1024;

/**
 * The direct-upload routes of Workers static assets: open a session with a
 * manifest (POST …/assets-upload-session), then upload the buckets it asks
 * for (POST …/workers/assets/upload?base64=true).
 */
export function registerAssetRoutes(api: FastifyInstance, ctx: CloudflarePeerContext): void {
  api.post(
    '/accounts/:accountId/workers/scripts/:scriptName/assets-upload-session',
    { bodyLimit: MANIFEST_BODY_LIMIT },
    async (request) => {
      const scriptName = scriptNameOf(request);
      const manifest = parseManifestBody(request.body, ctx.limits);
      // Each asset once, in manifest order, and only those the account lacks.
      const sizes = new Map<string, number>();
      for (const { hash, size } of Object.values(manifest)) sizes.set(hash, size);
      const stored = ctx.assets.stored(sizes.keys());
      const missing = [...sizes].filter(([hash]) => !stored.has(hash)).map(([hash, size]) => ({ hash, size }));
      const buckets = planBuckets(missing, ctx.limits);
      // The expire fault shortens whatever token this answers: the upload token, or the completion token when nothing is missing.
      const ttlMs = ctx.faults?.expiresEarly() ? ctx.faults.spec.expireAfterMs : TOKEN_TTL_MS;
      const { jwt } = ctx.sessions.open({ accountId: ctx.accountId, scriptName, manifest, buckets, ttlMs });
      return ok({ jwt, buckets });
    },
  );

  // Multipart bodies are read by the handler itself, so a fault can cut one part-way.
  api.register(async (multipart) => {
    leaveBodiesUnread(multipart);
    multipart.post(ASSETS_UPLOAD_ROUTE, async (request, reply) => {
      const session = requireUploadSession(ctx, request);
      if ((request.query as { base64?: string }).base64 !== 'true') {
        throw new CloudflareError('invalid_body', 'Send the contents base64-encoded, with ?base64=true.');
      }
      const completion = await receiveBucket(ctx, session, request);
      if (completion === null) return reply.code(202).send(ok({}));
      return reply.code(201).send(ok({ jwt: completion }));
    });
  });
}

/**
 * Checks every part of one upload as it arrives (each hash in the session's
 * buckets, its content canonical base64 of the manifest's size whose asset
 * hash is the part's name), then stores them all: a bad part stores nothing.
 */
async function receiveBucket(
  ctx: CloudflarePeerContext,
  session: UploadSession,
  request: FastifyRequest,
): Promise<string | null> {
  const limit = Math.ceil(ctx.limits.maxBucketBytes * 1.25) + 1024 * 1024;
  const fault = faultOf(request);
  const declared = Number(request.headers['content-length'] ?? 0);
  const cutAt = fault.kind === 'reset' ? Math.floor(declared * fault.afterFraction) : Infinity;
  const hashOf = await loadAssetHasher();

  const accepted: ReceivedAsset[] = [];
  const seen = new Set<string>();
  await readForm(request, {
    limit,
    cutAt,
    onPart({ name: hash, pieces, size: length, contentType }) {
      const wanted = session.wanted.get(hash);
      if (!wanted) {
        throw new CloudflareError(
          'asset_not_in_session',
          `Part ${JSON.stringify(hash.slice(0, 80))} is not the hash of an asset this session asked for.`,
        );
      }
      if (seen.has(hash)) throw new CloudflareError('invalid_body', `Part ${hash} appears twice.`);
      seen.add(hash);
      const bytes = decodeCanonicalBase64(pieces, length);
      if (bytes === null) {
        throw new CloudflareError('invalid_body', `Part ${hash} is not canonical base64 (padded, no line breaks).`);
      }
      if (bytes.length !== wanted.size) {
        throw new CloudflareError(
          'asset_size_mismatch',
          `Part ${hash} decodes to ${bytes.length} bytes; the manifest says ${wanted.size}.`,
        );
      }
      const actual = hashOf(pieces, wanted.extension);
      if (actual !== hash) throw new CloudflareError('asset_hash_mismatch', `Part ${hash} hashes to ${actual}.`);
      // `application/null` means serve none (Cloudflare's convention).
      accepted.push({
        hash,
        bytes,
        contentType: contentType === '' || contentType === 'application/null' ? null : contentType,
      });
    },
  });
  if (accepted.length === 0) throw new CloudflareError('invalid_body', 'The upload has no parts.');
  await ctx.assets.putMany(accepted);
  return ctx.sessions.received(
    session,
    accepted.map((asset) => asset.hash),
  );
}
