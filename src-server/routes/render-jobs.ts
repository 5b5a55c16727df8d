import type { FastifyInstance } from 'fastify';
import { ApiError } from '../api-error.ts';
import { createRenderJobBody, parseBody } from '../request-schemas.ts';

/**
 * Render jobs and PDFs. The local server does not render PDFs: creation
 * answers `501 not_implemented`, as the contract allows, after checking the
 * body so a malformed request still learns what is wrong with it.
 */
export function registerRenderJobRoutes(app: FastifyInstance): void {
  app.post('/v1/render-jobs', async (request) => {
    parseBody(createRenderJobBody, request.body);
    throw new ApiError('not_implemented', 'This local Press Cloud does not render PDFs; deploys, versions, aliases and previews work.');
  });
  app.get<{ Params: { jobId: string } }>('/v1/render-jobs/:jobId', async (request) => {
    throw new ApiError('render_job_not_found', `No render job has the id "${request.params.jobId}".`);
  });
  app.get<{ Params: { pdfId: string } }>('/v1/pdfs/:pdfId', async (request) => {
    throw new ApiError('pdf_not_found', `No PDF has the id "${request.params.pdfId}".`);
  });
  app.get<{ Params: { pdfId: string } }>('/v1/pdfs/:pdfId/content', async (request) => {
    throw new ApiError('pdf_not_found', `No PDF has the id "${request.params.pdfId}".`);
  });
}
