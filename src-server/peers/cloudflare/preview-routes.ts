import type { FastifyInstance } from 'fastify';
import { CloudflareError, ok } from './cloudflare-errors.ts';
import { requireApiToken } from './peer-auth.ts';
import { scriptNameOf, type CloudflarePeerContext } from './peer-context.ts';

/**
 * What a client reads back to verify a deploy; not part of Cloudflare's
 * API, which serves a Worker's assets on `<script>.<subdomain>.workers.dev`.
 *
 *   GET /preview/:script/<path>  the live version's asset at /<path>, public
 *                                like a workers.dev URL ("/" and "…/" serve
 *                                index.html), with the Content-Type its upload
 *                                part carried (octet-stream for application/null)
 *   GET /peer/scripts/:script/manifest  (API token) the live version:
 *                                {version_id, number, manifest: {"/path": hash}}
 */
export function registerPreviewRoutes(app: FastifyInstance, ctx: CloudflarePeerContext): void {
  app.get('/preview/:scriptName/*', async (request, reply) => {
    const live = ctx.scripts.liveVersion(scriptNameOf(request));
    const wanted = `/${(request.params as { '*': string })['*']}`;
    const path = wanted.endsWith('/') ? `${wanted}index.html` : wanted;
    const hash = live?.manifest[path];
    const asset = hash === undefined ? null : await ctx.assets.get(hash);
    if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
    return reply
      .header('cache-control', 'no-store')
      .type(asset.contentType ?? 'application/octet-stream')
      .send(asset.bytes);
  });

  app.get('/peer/scripts/:scriptName/manifest', async (request) => {
    requireApiToken(ctx, request);
    const live = ctx.scripts.liveVersion(scriptNameOf(request));
    if (!live) throw new CloudflareError('worker_not_found', 'This Worker has no deployed version.');
    return ok({ script: live.script, version_id: live.id, number: live.number, manifest: live.manifest });
  });
}
