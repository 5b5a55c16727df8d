import { z } from 'zod';
import { DEPLOY_SLUG_PATTERN, deployPathProblem, MAX_DEPLOY_NAME_LENGTH } from '../src-shared/deploy-names.ts';
import { ApiError } from './api-error.ts';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256: 64 lowercase hex characters');
const byteSize = z.number().int('must be a whole number').min(0, 'must not be negative').max(Number.MAX_SAFE_INTEGER);
const mime = z.string().min(1).max(255);
const slug = z.string().regex(DEPLOY_SLUG_PATTERN, 'must be 1-63 characters of a-z, 0-9 and -, starting with a letter or digit');
const deployName = z.string().trim().min(1, 'must not be empty').max(MAX_DEPLOY_NAME_LENGTH);

const fileDescriptor = z.object({ path: z.string(), sha256, size: byteSize, mime: mime.optional() });

/** `POST /v1/deploys` body. */
export const createDeployBody = z.object({ slug, name: deployName });

/** `POST /v1/upload-sessions` body: exactly one of deployId and createDeploy. */
export const createUploadSessionBody = z
  .object({
    deployId: z.string().min(1).max(100).optional(),
    createDeploy: createDeployBody.optional(),
    files: z.array(fileDescriptor).min(1, 'must list at least one file'),
  })
  .refine((body) => (body.deployId === undefined) !== (body.createDeploy === undefined), {
    message: 'give exactly one of deployId (an existing deploy) and createDeploy {slug, name}',
  });

/** `POST /v1/upload-sessions/{id}/missing-blobs` body. */
export const missingBlobsBody = z.object({ files: z.array(fileDescriptor) });

const renderConfig = z.object({
  route: z.string().min(1).max(1100).optional(),
  title: z.string().max(500).optional(),
  renderTimeoutMs: z.number().int().positive().max(600_000).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** `POST /v1/upload-sessions/{id}/commit` body. */
export const commitBody = z.object({
  entries: z.array(z.object({ path: z.string(), blobHash: sha256, size: byteSize, mime: mime.optional() })).min(1, 'must list at least one file'),
  render: renderConfig.optional(),
});

/** `PUT /v1/deploys/{id}/aliases/{name}` body. */
export const putAliasBody = z.object({ deployVersionId: z.string().min(1).max(100) });

/** `POST /v1/render-jobs` body. */
export const createRenderJobBody = z.union([
  z.object({ deployVersionId: z.string().min(1) }),
  z.object({ deployId: z.string().min(1), alias: z.string().min(1) }),
]);

/** A sha256 in a URL path. */
export const sha256Param = sha256;

/** Parses `input` with `schema`, or throws `400 invalid_request` naming the first bad field. */
export function parseBody<T>(schema: z.ZodType<T>, input: unknown): T {
  if (input === undefined || input === null) {
    throw new ApiError('invalid_request', 'The request needs a JSON body (Content-Type: application/json).');
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : 'body';
  throw new ApiError('invalid_request', `${field}: ${issue.message}`);
}

/** Throws `400 invalid_path` unless every path is valid and none repeats. */
export function assertValidPaths(paths: Iterable<string>): void {
  const seen = new Set<string>();
  for (const path of paths) {
    const problem = deployPathProblem(path);
    if (problem) throw new ApiError('invalid_path', `Path ${JSON.stringify(path)} ${problem}.`, { path });
    if (seen.has(path)) throw new ApiError('invalid_path', `Path ${JSON.stringify(path)} appears more than once.`, { path });
    seen.add(path);
  }
}
