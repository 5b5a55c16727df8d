import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerContext } from '../context.ts';
import type { VersionRow } from '../metadata.ts';

type PreviewParams = { Params: { slug: string; ref: string; '*': string } };

/**
 * `GET /preview/{slug}/{versionNo | alias}/{path…}`: a version's files with
 * their MIME types, no auth, for "open in browser". A folder path serves its
 * index.html. Answers are plain text, since browsers show them to people.
 */
export function registerPreviewRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { metadata } = ctx;

  const resolveVersion = (slug: string, ref: string): VersionRow | undefined => {
    const deploy = metadata.deployBySlug(slug);
    if (!deploy) return undefined;
    if (/^[1-9]\d{0,15}$/.test(ref)) return metadata.versionByNumber(deploy.id, Number(ref));
    const alias = metadata.aliasByName(deploy.id, ref);
    return alias ? metadata.versionById(alias.deploy_version_id) : undefined;
  };

  const notFound = (reply: FastifyReply, what: string) => reply.code(404).type('text/plain; charset=utf-8').send(`Not found: ${what}\n`);

  // Without the trailing slash, relative links in index.html would resolve one level too high.
  app.get<{ Params: { slug: string; ref: string } }>('/preview/:slug/:ref', async (request, reply) =>
    reply.redirect(`/preview/${encodeURIComponent(request.params.slug)}/${encodeURIComponent(request.params.ref)}/`, 301),
  );

  app.get<PreviewParams>('/preview/:slug/:ref/*', async (request, reply) => {
    const { slug, ref } = request.params;
    const version = resolveVersion(slug, ref);
    if (!version) return notFound(reply, `deploy "${slug}" has no version or alias "${ref}"`);
    const requested = request.params['*'];
    const path = requested === '' || requested.endsWith('/') ? `${requested}index.html` : requested;
    const file = metadata.versionFile(version.id, path);
    if (!file) {
      if (metadata.versionFile(version.id, `${path}/index.html`)) return reply.redirect(`${request.url.split('?')[0]}/`, 301);
      return notFound(reply, `version ${version.version_no} of "${slug}" has no file "${path}"`);
    }
    return reply
      .header('content-type', file.mime)
      .header('content-length', file.size)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache')
      .send(ctx.blobs.read(file.blob_sha256));
  });
}
