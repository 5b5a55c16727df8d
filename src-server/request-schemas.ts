import { z } from 'zod';
import type { Limits } from '../src-shared/api-types.ts';
import {
  abbreviate,
  DEPLOY_SLUG_PATTERN,
  deployPathProblem,
  isMediaType,
  MAX_DEPLOY_NAME_LENGTH,
} from '../src-shared/deploy-names.ts';
import { ApiError } from './api-error.ts';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256: 64 lowercase hex characters');
const byteSize = z.number().int('must be a whole number').min(0, 'must not be negative').max(Number.MAX_SAFE_INTEGER);
// It ends up in a Content-Type header: a CR or LF here would be a header of its own (or a 500 at every GET).
const mime = z
  .string()
  .max(255)
  .refine(
    isMediaType,
    'must be a media type such as "text/html; charset=utf-8": type/subtype and optional ; name=value parameters, in visible ASCII',
  );
const slug = z
  .string()
  .regex(DEPLOY_SLUG_PATTERN, 'must be 1-63 characters of a-z, 0-9 and -, starting with a letter or digit');
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
  entries: z
    .array(z.object({ path: z.string(), blobHash: sha256, size: byteSize, mime: mime.optional() }))
    .min(1, 'must list at least one file'),
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

// Valid paths seen lately, each with the number of the last check that saw it. A deploy sends its
// paths three times (session, missing-blobs, commit) and a re-deploy sends the same ones again: checking
// 20,000 known paths takes ~6 ms this way, ~25 ms by the rules and a new set of names per check (the
// mark finds repeats). Bounded by characters; emptied before a check, never during one.
const lastCheckOfValidPath = new Map<string, number>();
const MAX_VALID_PATH_CHARS = 4_000_000;
let validPathChars = 0;
let checks = 0;

/**
 * Throws `400 invalid_path` unless every path is valid and none repeats,
 * naming the first bad entry (`field[index].path`) and quoting its path
 * abbreviated: a refusal of a 4 KiB path does not repeat all of it.
 */
export function assertValidPaths(field: string, paths: readonly string[]): void {
  if (validPathChars > MAX_VALID_PATH_CHARS) {
    lastCheckOfValidPath.clear();
    validPathChars = 0;
  }
  const check = ++checks;
  for (let index = 0; index < paths.length; index++) {
    const path = paths[index]!;
    const last = lastCheckOfValidPath.get(path);
    // Paths are NFC by now, so equal names are equal strings.
    const problem = last === undefined ? deployPathProblem(path) : last === check ? 'appears more than once' : null;
    if (problem) {
      const shown = abbreviate(path);
      throw new ApiError('invalid_path', `${field}[${index}].path ${JSON.stringify(shown)} ${problem}.`, {
        path: shown,
        index,
      });
    }
    if (last === undefined) validPathChars += path.length;
    lastCheckOfValidPath.set(path, check);
  }
}

/** Deepest nesting of arrays and objects a JSON body may have: ours are 4 deep, with room for render.metadata. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `value` nests arrays and objects deeper than `maxDepth`. The walk recurses at most
 * `maxDepth` + 1 calls deep, so no body can overflow the stack; it allocates nothing (a 20,000-file
 * body is 40,000 objects and arrays to look into).
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  return value !== null && typeof value === 'object' && nestsAtLeast(value, maxDepth + 1);
}

/** Whether `node` (an array or object) nests `levels` deep or more, itself counted. */
function nestsAtLeast(node: object, levels: number): boolean {
  if (levels <= 1) return true;
  if (Array.isArray(node)) {
    for (const child of node as unknown[]) {
      if (child !== null && typeof child === 'object' && nestsAtLeast(child, levels - 1)) return true;
    }
    return false;
  }
  // for…in: a parsed body's objects inherit no enumerable key, and it builds no array of values.
  for (const key in node) {
    const child = (node as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object' && nestsAtLeast(child, levels - 1)) return true;
  }
  return false;
}

// A file descriptor or version entry at the contract's limits: a 1024-byte path, a
// 255-character mime, the sha256, the largest size and the field names, with some room.
const ENTRY_BYTES = 1536;
const SMALL_BODY_BYTES = 16 * 1024;

/**
 * The body limit of each JSON route, sized to what it must carry at this
 * server's limits: kilobytes for a deploy or an alias, one descriptor per
 * file for missing-blobs, a session and a commit. Larger is `400
 * invalid_request`, as the contract's error table has no 413.
 */
export function bodyLimits(limits: Limits) {
  return {
    small: SMALL_BODY_BYTES,
    missingBlobs: SMALL_BODY_BYTES + limits.maxMissingBlobsPerCall * ENTRY_BYTES,
    session: SMALL_BODY_BYTES + limits.maxFilesPerVersion * ENTRY_BYTES,
    // render.title and render.metadata ride along with the entries.
    commit: 4 * SMALL_BODY_BYTES + limits.maxFilesPerVersion * ENTRY_BYTES,
  };
}
