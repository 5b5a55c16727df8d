import type { FastifyInstance } from 'fastify';
import { abbreviate, ALIAS_NAME_PATTERN } from '../../src-shared/deploy-names.ts';
import { ApiError } from '../api-error.ts';
import type { ServerContext } from '../context.ts';
import { inTransaction } from '../database.ts';
import { newId } from '../ids.ts';
import { toAlias, type DeployRow, type Metadata } from '../metadata.ts';
import { decodeCursor, pageSize, toPage } from '../pagination.ts';
import { bodyLimits, createDeployBody, parseBody, putAliasBody } from '../request-schemas.ts';

type DeployParams = { Params: { deployId: string } };
type AliasParams = { Params: { deployId: string; name: string } };
type ListQuery = { Querystring: { cursor?: string; limit?: string } };

/** `GET /v1/limits`, deploys and aliases; `app` is the authenticated `/v1` scope. */
export function registerDeployRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { metadata } = ctx;
  const bodyLimit = bodyLimits(ctx.limits).small;

  app.get('/limits', async () => ctx.limits);

  app.post('/deploys', { bodyLimit }, (request, reply) =>
    ctx.idempotency.answer(request, reply, () => {
      const body = parseBody(createDeployBody, request.body);
      return () => ({
        status: 201,
        body: { deploy: metadata.toDeploy(createDeploy(metadata, body.slug, body.name, ctx.now())) },
      });
    }),
  );

  app.get<ListQuery>('/deploys', async (request) => {
    const limit = pageSize(request.query.limit);
    const before = decodeCursor('deploys', request.query.cursor);
    const rows = metadata.listDeploys(typeof before === 'number' ? before : null, limit + 1);
    return toPage(
      rows,
      limit,
      'deploys',
      (row) => row.seq,
      (row) => metadata.toDeploy(row),
    );
  });

  app.get<DeployParams>('/deploys/:deployId', async (request) => ({
    deploy: metadata.toDeploy(findDeploy(metadata, request.params.deployId)),
  }));

  app.put<AliasParams>('/deploys/:deployId/aliases/:name', { bodyLimit }, async (request) => {
    const deploy = findDeploy(metadata, request.params.deployId);
    const { name } = request.params;
    if (!ALIAS_NAME_PATTERN.test(name)) {
      throw new ApiError(
        'invalid_request',
        'Alias names are 1-63 characters of a-z, 0-9 and -, starting with a letter (so they never look like a version number).',
      );
    }
    const { deployVersionId } = parseBody(putAliasBody, request.body);
    const version = metadata.versionById(deployVersionId);
    if (!version || version.deploy_id !== deploy.id) {
      throw new ApiError('deploy_version_not_found', `Deploy ${deploy.id} has no version ${deployVersionId}.`);
    }
    const alias = inTransaction(metadata.db, () => metadata.upsertAlias(deploy.id, name, version.id, ctx.now()));
    return { alias: toAlias(alias) };
  });

  app.get<DeployParams>('/deploys/:deployId/aliases', async (request) => {
    const deploy = findDeploy(metadata, request.params.deployId);
    return { items: metadata.listAliases(deploy.id).map(toAlias) };
  });

  app.delete<AliasParams>('/deploys/:deployId/aliases/:name', async (request, reply) => {
    const deploy = findDeploy(metadata, request.params.deployId);
    const deleted = inTransaction(metadata.db, () => metadata.deleteAlias(deploy.id, request.params.name));
    if (!deleted)
      throw new ApiError(
        'alias_not_found',
        `Deploy ${deploy.id} has no alias ${JSON.stringify(abbreviate(request.params.name))}.`,
      );
    return reply.code(204).send();
  });
}

/** The deploy with that id, or `404 deploy_not_found`. */
export function findDeploy(metadata: Metadata, deployId: string): DeployRow {
  const deploy = metadata.deployById(deployId);
  if (!deploy) throw new ApiError('deploy_not_found', `No deploy has the id ${JSON.stringify(abbreviate(deployId))}.`);
  return deploy;
}

/** Inserts a deploy, or `409 deploy_slug_conflict`. Call inside a write transaction. */
export function createDeploy(metadata: Metadata, slug: string, name: string, now: number): DeployRow {
  if (metadata.deployBySlug(slug)) {
    throw new ApiError(
      'deploy_slug_conflict',
      `The slug "${slug}" is taken; choose another, or deploy to the existing deploy by its id.`,
    );
  }
  return metadata.insertDeploy(newId('dpl'), slug, name, now);
}
