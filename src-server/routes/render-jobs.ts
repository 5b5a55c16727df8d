import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { abbreviate } from '../../src-shared/deploy-names.ts';
import { ApiError } from '../api-error.ts';
import type { ServerContext } from '../context.ts';
import type { VersionRow } from '../metadata.ts';
import { decodeCursor, pageSize, toPage } from '../pagination.ts';
import { toPdf, type RenderQueue } from '../render/render-queue.ts';
import { bodyLimits, createRenderJobBody, parseBody } from '../request-schemas.ts';
import { findDeploy } from './deploys.ts';
import { findVersion } from './versions.ts';

type ListQuery = { Querystring: { cursor?: string; limit?: string } };

/**
 * Render jobs and their PDFs. Creating a job queues it (render-queue.ts
 * prints it from the version's preview); a server without a printer checks
 * the body, then answers `501 not_implemented` with what to install.
 */
export function registerRenderJobRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { metadata } = ctx;

  const queue = (): RenderQueue => {
    if (!ctx.renders) throw new ApiError('not_implemented', ctx.renderUnavailable);
    return ctx.renders;
  };

  app.post('/render-jobs', { bodyLimit: bodyLimits(ctx.limits).small }, async (request, reply) => {
    const answered = await ctx.idempotency.answer(request, reply, () => {
      const body = parseBody(createRenderJobBody, request.body);
      let version: VersionRow;
      if ('deployVersionId' in body) {
        version = findVersion(metadata, body.deployVersionId);
      } else {
        const deploy = findDeploy(metadata, body.deployId);
        const alias = metadata.aliasByName(deploy.id, body.alias);
        if (!alias)
          throw new ApiError(
            'alias_not_found',
            `Deploy ${deploy.slug} has no alias ${JSON.stringify(abbreviate(body.alias))}.`,
          );
        version = metadata.versionById(alias.deploy_version_id)!;
      }
      if (version.route === null) {
        throw new ApiError(
          'render_route_not_found',
          `Version ${version.version_no} has no page to print: it holds no index.html, and was committed without render.route.`,
        );
      }
      const renders = queue();
      return () => ({ status: 201, body: { renderJob: renders.insertJob(version.id) } });
    });
    // Committed by now: the queue may start it.
    ctx.renders?.nudge();
    return answered;
  });

  app.get<{ Params: { jobId: string } }>('/render-jobs/:jobId', async (request) => {
    const job = ctx.renders?.job(request.params.jobId);
    if (!job)
      throw new ApiError(
        'render_job_not_found',
        `No render job has the id ${JSON.stringify(abbreviate(request.params.jobId))}.`,
      );
    return { renderJob: job };
  });

  app.get<{ Params: { versionId: string } } & ListQuery>('/deploy-versions/:versionId/render-jobs', async (request) => {
    const version = findVersion(metadata, request.params.versionId);
    const limit = pageSize(request.query.limit);
    const listName = `render-jobs:${version.id}`;
    const before = decodeCursor(listName, request.query.cursor);
    const rows = ctx.renders?.listJobs(version.id, typeof before === 'number' ? before : null, limit + 1) ?? [];
    return toPage(
      rows,
      limit,
      listName,
      (row) => row.seq,
      (row) => row.job,
    );
  });

  const findPdf = (pdfId: string) => {
    const pdf = ctx.renders?.pdf(pdfId);
    if (!pdf) throw new ApiError('pdf_not_found', `No PDF has the id ${JSON.stringify(abbreviate(pdfId))}.`);
    return pdf;
  };

  app.get<{ Params: { pdfId: string } }>('/pdfs/:pdfId', async (request) => ({
    pdf: toPdf(findPdf(request.params.pdfId)),
  }));

  app.get<{ Params: { pdfId: string } }>('/pdfs/:pdfId/content', async (request, reply) => {
    const pdf = findPdf(request.params.pdfId);
    const version = metadata.versionById(pdf.deploy_version_id)!;
    const deploy = metadata.deployById(version.deploy_id)!;
    reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `attachment; filename="${deploy.slug}-${version.version_no}.pdf"`)
      .header('accept-ranges', 'bytes')
      .header('etag', `"${pdf.sha256}"`)
      .header('cache-control', 'private, max-age=31536000, immutable');
    return sendRange(ctx, request, reply, pdf.sha256, pdf.size);
  });
}

/**
 * The blob, or the one byte range asked for (RFC 9110 §14): `206` with
 * Content-Range, `416` when the range lies past the end. Several ranges,
 * or an If-Range that no longer matches, get the whole PDF, as the RFC allows.
 */
function sendRange(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  sha256: string,
  size: number,
): FastifyReply {
  const header = request.headers.range;
  const ifRange = request.headers['if-range'];
  const range =
    typeof header === 'string' && (ifRange === undefined || ifRange === `"${sha256}"`)
      ? parseRange(header, size)
      : null;
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${size}`);
    throw new ApiError(
      'range_not_satisfiable',
      `The range ${JSON.stringify(abbreviate(String(header)))} starts past the end of this ${size}-byte PDF.`,
    );
  }
  if (range === null) return reply.header('content-length', size).send(ctx.blobs.read(sha256));
  return reply
    .code(206)
    .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
    .header('content-length', range.end - range.start + 1)
    .send(ctx.blobs.read(sha256, range));
}

/** One `bytes=` range of a body of `size` bytes, inclusive; null for anything else (the whole body is sent); 'unsatisfiable' past the end. */
function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    // A suffix: the last N bytes.
    const length = Number(match[2]);
    if (length === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end };
}
