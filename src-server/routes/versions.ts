import type { FastifyInstance } from 'fastify';
import { abbreviate } from '../../src-shared/deploy-names.ts';
import { ApiError } from '../api-error.ts';
import type { ServerContext } from '../context.ts';
import { toVersionEntry, toVersionSummary, type Metadata, type VersionRow } from '../metadata.ts';
import { decodeCursor, pageSize, toPage } from '../pagination.ts';
import { sha256Param } from '../request-schemas.ts';
import { findDeploy } from './deploys.ts';

type ListQuery = { Querystring: { cursor?: string; limit?: string } };

/** Deploy versions, their file lists, and raw blobs. */
export function registerVersionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { metadata } = ctx;

  app.get<{ Params: { deployId: string } } & ListQuery>('/deploys/:deployId/versions', async (request) => {
    const deploy = findDeploy(metadata, request.params.deployId);
    const limit = pageSize(request.query.limit);
    const listName = `versions:${deploy.id}`;
    const before = decodeCursor(listName, request.query.cursor);
    const rows = metadata.listVersions(deploy.id, typeof before === 'number' ? before : null, limit + 1);
    const aliases = metadata.aliasNamesByVersion(deploy.id);
    return toPage(
      rows,
      limit,
      listName,
      (row) => row.version_no,
      (row) => toVersionSummary(row, aliases.get(row.id) ?? []),
    );
  });

  app.get<{ Params: { versionId: string } }>('/deploy-versions/:versionId', async (request) => ({
    deployVersion: metadata.toVersionDetail(findVersion(metadata, request.params.versionId)),
  }));

  app.get<{ Params: { versionId: string } } & ListQuery>('/deploy-versions/:versionId/files', async (request) => {
    const version = findVersion(metadata, request.params.versionId);
    const limit = pageSize(request.query.limit);
    const listName = `files:${version.id}`;
    const after = decodeCursor(listName, request.query.cursor);
    const rows = metadata.listVersionFiles(version.id, typeof after === 'string' ? after : null, limit + 1);
    return toPage(rows, limit, listName, (row) => row.path, toVersionEntry);
  });

  app.get<{ Params: { sha256: string } }>('/blobs/:sha256', async (request, reply) => {
    const { sha256 } = request.params;
    if (!sha256Param.safeParse(sha256).success) {
      throw new ApiError('invalid_request', 'The sha256 in the URL must be 64 lowercase hex characters.');
    }
    const size = await ctx.blobs.sizeOf(sha256);
    if (size === null) throw new ApiError('blob_not_found', `No blob with sha256 ${sha256} is stored.`);
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-length', size)
      .send(ctx.blobs.read(sha256));
  });
}

/** The version with that id, or `404 deploy_version_not_found`. */
export function findVersion(metadata: Metadata, versionId: string): VersionRow {
  const version = metadata.versionById(versionId);
  if (!version)
    throw new ApiError(
      'deploy_version_not_found',
      `No deploy version has the id ${JSON.stringify(abbreviate(versionId))}.`,
    );
  return version;
}
