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

const sessionRefinement = [
  (body: { deployId?: string | undefined; createDeploy?: unknown }) =>
    (body.deployId === undefined) !== (body.createDeploy === undefined),
  { message: 'give exactly one of deployId (an existing deploy) and createDeploy {slug, name}' },
] as const;

const sessionTarget = z.object({
  deployId: z.string().min(1).max(100).optional(),
  createDeploy: createDeployBody.optional(),
});

/** `POST /v1/upload-sessions` body: exactly one of deployId and createDeploy. */
export const createUploadSessionBody = sessionTarget
  .extend({ files: z.array(fileDescriptor).min(1, 'must list at least one file') })
  .refine(...sessionRefinement);

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

// The same bodies with their file lists taken as they are: what the parse functions below hand to
// zod once the lists passed the plain checks (so zod copies no 20,000 objects).
const sessionShell = sessionTarget.extend({ files: z.unknown() }).refine(...sessionRefinement);
const missingBlobsShell = missingBlobsBody.extend({ files: z.unknown() });
const commitShell = commitBody.extend({ entries: z.unknown() });

/** A file of a session or missing-blobs body, as the schema gives it. */
export type FileDescriptor = z.infer<typeof fileDescriptor>;
/** A commit body's entry, as the schema gives it (without its unknown keys). */
export type CommitEntry = z.infer<typeof commitBody>['entries'][number];

/**
 * `POST /v1/upload-sessions` body: as `parseBody(createUploadSessionBody, …)` gives it, with the same
 * refusals. Zod takes ~17 ms over 20,000 files; a list whose every file is plainly valid is checked
 * by a loop instead (~2 ms), and zod checks the rest of the body. Otherwise zod checks all of it, so
 * a refusal names the same first issue as ever. The files are the body's own objects: read only
 * their schema's fields.
 */
export function parseCreateUploadSessionBody(input: unknown): z.infer<typeof createUploadSessionBody> {
  const files = fieldOf(input, 'files');
  if (!isDescriptorList(files, 'sha256', 1)) return parseBody(createUploadSessionBody, input);
  return { ...parseBody(sessionShell, input), files };
}

/** `POST /v1/upload-sessions/{id}/missing-blobs` body, as `parseCreateUploadSessionBody` does it. */
export function parseMissingBlobsBody(input: unknown): z.infer<typeof missingBlobsBody> {
  const files = fieldOf(input, 'files');
  if (!isDescriptorList(files, 'sha256', 0)) return parseBody(missingBlobsBody, input);
  return { ...parseBody(missingBlobsShell, input), files };
}

/** `POST /v1/upload-sessions/{id}/commit` body, as `parseCreateUploadSessionBody` does it. */
export function parseCommitBody(input: unknown): z.infer<typeof commitBody> {
  const entries = fieldOf(input, 'entries');
  if (!isDescriptorList(entries, 'blobHash', 1)) return parseBody(commitBody, input);
  return { ...parseBody(commitShell, input), entries };
}

function fieldOf(input: unknown, key: string): unknown {
  return input !== null && typeof input === 'object' && !Array.isArray(input)
    ? (input as Record<string, unknown>)[key]
    : undefined;
}

/**
 * Whether `list` is an array of at least `min` objects that `fileDescriptor` (with its hash under
 * `hashKey`) would take as they are: true only when zod would find no issue in it.
 */
function isDescriptorList<HashKey extends 'sha256' | 'blobHash'>(
  list: unknown,
  hashKey: HashKey,
  min: number,
): list is Array<{ path: string; size: number; mime?: string } & Record<HashKey, string>> {
  if (!Array.isArray(list) || list.length < min) return false;
  for (const item of list as unknown[]) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return false;
    const { path, size, mime } = item as Record<string, unknown>;
    if (typeof path !== 'string' || !isSha256((item as Record<string, unknown>)[hashKey])) return false;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return false;
    if (mime !== undefined && (typeof mime !== 'string' || !isKnownMediaType(mime))) return false;
  }
  return true;
}

/** What `sha256` accepts: 64 lowercase hex characters (a loop: the regex costs ~7 ms per 20,000). */
function isSha256(value: unknown): boolean {
  if (typeof value !== 'string' || value.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

// Media types found valid lately: a deploy's files have a few dozen between them.
const validMediaTypes = new Set<string>();

function isKnownMediaType(mime: string): boolean {
  if (validMediaTypes.has(mime)) return true;
  if (!isMediaType(mime)) return false;
  if (validMediaTypes.size >= 256) validMediaTypes.clear();
  validMediaTypes.add(mime);
  return true;
}

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
