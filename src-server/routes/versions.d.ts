import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
/** Deploy versions, their file lists, and raw blobs. */
export declare function registerVersionRoutes(app: FastifyInstance, ctx: ServerContext): void;
