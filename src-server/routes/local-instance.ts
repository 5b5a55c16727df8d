import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';

/**
 * `GET /v1/local/instance` → `{instanceId, pid}`: which running server this
 * is. A client that found the server through the record in its data folder
 * (server-record.ts) asks, with the key, before trusting the port: whatever
 * else listens there cannot answer with this instance's id.
 */
export function registerLocalInstanceRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/local/instance', async () => ({ instanceId: ctx.instance.id, pid: ctx.instance.pid }));
}
