import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
/**
 * `GET /preview/{slug}/{versionNo | alias}/{path…}`: a version's files with
 * their MIME types, no auth, for "open in browser". A folder path serves its
 * index.html. Answers are plain text, since browsers show them to people.
 */
export declare function registerPreviewRoutes(app: FastifyInstance, ctx: ServerContext): void;
