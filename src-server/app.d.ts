import { type FastifyInstance } from 'fastify';
import type { ServerContext } from './context.ts';
/** Options of the HTTP layer itself. */
export interface AppOptions {
    /** Log each request (pino, to stdout); secrets are never in what it logs. */
    logRequests: boolean;
}
/**
 * Builds the Fastify app of the local Press Cloud: auth, fault injection,
 * the routes, and one error handler that answers every failure in the
 * contract's shape `{"error", "message"}`.
 */
export declare function buildApp(ctx: ServerContext, options: AppOptions): FastifyInstance;
