import type { FastifyInstance, FastifyReply } from 'fastify';
import { abbreviate, isMediaType } from '../../src-shared/deploy-names.ts';
import type { ServerContext } from '../context.ts';
import type { VersionRow } from '../metadata.ts';

type PreviewParams = { Params: { slug: string; ref: string; '*': string } };

/**
 * What every preview answer carries, errors and redirects included. A
 * deployed page is someone's content, not the API's: it runs in an opaque
 * origin (the sandbox), so it can neither call the API as this server's
 * origin nor read another deploy's storage; nothing is sniffed into another
 * type; and since that origin is opaque, the page's own CORS-mode loads
 * (module scripts, web fonts, fetch of its JSON) need `*` to work.
 */
export const PREVIEW_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads',
  'access-control-allow-origin': '*',
} as const;

/**
 * `GET /preview/{slug}/{versionNo | alias}/{path…}`: a version's files with
 * their MIME types, no auth, for "open in browser". A folder path serves its
 * index.html. Answers are plain text, since browsers show them to people.
 * `app` is the `/preview` scope; it is public, and nothing else is.
 */
export function registerPreviewRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { metadata } = ctx;

  app.addHook('onRequest', async (request) => {
    request.access = 'public';
  });
  // onSend runs for every answer of the scope, also one an earlier hook refused (421, 503).
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(PREVIEW_HEADERS);
    return payload;
  });

  const resolveVersion = (slug: string, ref: string): VersionRow | undefined => {
    const deploy = metadata.deployBySlug(slug);
    if (!deploy) return undefined;
    if (/^[1-9]\d{0,15}$/.test(ref)) return metadata.versionByNumber(deploy.id, Number(ref));
    const alias = metadata.aliasByName(deploy.id, ref);
    return alias ? metadata.versionById(alias.deploy_version_id) : undefined;
  };

  const notFound = (reply: FastifyReply, what: string) =>
    reply.code(404).type('text/plain; charset=utf-8').send(`Not found: ${what}\n`);
  const quote = (text: string) => JSON.stringify(abbreviate(text));
  // Built from the route's parameters, never from the request line: an absolute-form target
  // (GET http://elsewhere/preview/…) would otherwise send the browser elsewhere.
  const location = (slug: string, ref: string, path = '') =>
    `/preview/${encodeURIComponent(slug)}/${encodeURIComponent(ref)}/${path.split('/').map(encodeURIComponent).join('/')}`;

  app.setNotFoundHandler((_request, reply) =>
    notFound(reply, 'previews are at /preview/<deploy slug>/<version number or alias>/<path>'),
  );

  // Without the trailing slash, relative links in index.html would resolve one level too high.
  app.get<{ Params: { slug: string; ref: string } }>('/:slug/:ref', async (request, reply) =>
    reply.redirect(location(request.params.slug, request.params.ref), 301),
  );

  app.get<PreviewParams>('/:slug/:ref/*', async (request, reply) => {
    const { slug, ref } = request.params;
    const version = resolveVersion(slug, ref);
    if (!version) return notFound(reply, `deploy ${quote(slug)} has no version or alias ${quote(ref)}`);
    const requested = request.params['*'];
    const path = requested === '' || requested.endsWith('/') ? `${requested}index.html` : requested;
    const file = metadata.versionFile(version.id, path);
    if (!file) {
      if (metadata.versionFile(version.id, `${path}/index.html`))
        return reply.redirect(location(slug, ref, `${path}/`), 301);
      return notFound(reply, `version ${version.version_no} of ${quote(slug)} has no file ${quote(path)}`);
    }
    return (
      reply
        // A type stored before media types were checked could break the header: such a file is served as bytes.
        .header('content-type', isMediaType(file.mime) ? file.mime : 'application/octet-stream')
        .header('content-length', file.size)
        .header('cache-control', 'no-cache')
        .send(ctx.blobs.read(file.blob_sha256))
    );
  });
}
