import type { FastifyInstance } from 'fastify';
import { abbreviate } from '../../src-shared/deploy-names.ts';
import { ApiError } from '../api-error.ts';
import type { ServerContext } from '../context.ts';
import { bodyLimits, createRenderJobBody, parseBody } from '../request-schemas.ts';

/**
 * Render jobs and PDFs. The local server does not render PDFs: creation
 * answers `501 not_implemented`, as the contract allows, after checking the
 * body so a malformed request still learns what is wrong with it.
 */
export function registerRenderJobRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/render-jobs', { bodyLimit: bodyLimits(ctx.limits).small }, async (request) => {
    parseBody(createRenderJobBody, request.body);
    throw new ApiError('not_implemented', 'This local Press Cloud does not render PDFs; deploys, versions, aliases and previews work.');
  });
  app.get<{ Params: { jobId: string } }>('/render-jobs/:jobId', async (request) => {
    throw new ApiError('render_job_not_found', `No render job has the id ${JSON.stringify(abbreviate(request.params.jobId))}.`);
  });
  app.get<{ Params: { pdfId: string } }>('/pdfs/:pdfId', async (request) => {
    throw new ApiError('pdf_not_found', `No PDF has the id ${JSON.stringify(abbreviate(request.params.pdfId))}.`);
  });
  app.get<{ Params: { pdfId: string } }>('/pdfs/:pdfId/content', async (request) => {
    throw new ApiError('pdf_not_found', `No PDF has the id ${JSON.stringify(abbreviate(request.params.pdfId))}.`);
  });
}
