import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
/** The four steps of the upload protocol, and `GET` of a session. */
export declare function registerUploadSessionRoutes(app: FastifyInstance, ctx: ServerContext): void;
