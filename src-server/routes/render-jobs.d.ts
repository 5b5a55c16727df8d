import type { FastifyInstance } from 'fastify';
/**
 * Render jobs and PDFs. The local server does not render PDFs: creation
 * answers `501 not_implemented`, as the contract allows, after checking the
 * body so a malformed request still learns what is wrong with it.
 */
export declare function registerRenderJobRoutes(app: FastifyInstance): void;
