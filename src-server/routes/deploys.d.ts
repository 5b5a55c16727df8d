import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { type DeployRow, type Metadata } from '../metadata.ts';
/** `GET /v1/limits`, deploys and aliases. */
export declare function registerDeployRoutes(app: FastifyInstance, ctx: ServerContext): void;
/** The deploy with that id, or `404 deploy_not_found`. */
export declare function findDeploy(metadata: Metadata, deployId: string): DeployRow;
/** Inserts a deploy, or `409 deploy_slug_conflict`. Call inside a write transaction. */
export declare function createDeploy(metadata: Metadata, slug: string, name: string, now: number): DeployRow;
