import { z } from 'zod';
import { abbreviate, isMediaType } from '../../../src-shared/deploy-names.ts';
import { SlidelessError } from './slideless-errors.ts';
import { MAX_PATH_CHARS, MAX_PRECHECK_HASHES, MAX_TITLE_CHARS } from './slideless-limits.ts';

// Bodies are strict objects: an unknown field is refused rather than ignored
// (the docs list every field; a client sending others has a bug worth seeing).

/** 64 lowercase hex characters (precheck-assets: "the sha256 regex"). */
export const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256: 64 lowercase hex characters');
const id = z.string().min(1, 'must not be empty').max(128, 'is longer than any Slideless id');
// It ends up in a Content-Type header when the asset is served.
const contentType = z
  .string()
  .refine(isMediaType, 'must be a media type such as "text/css; charset=utf-8" (type/subtype and ; name=value)');

/** `POST /precheckAssets` body. */
export const precheckBody = z
  .strictObject({
    hashes: z
      .array(sha256)
      .min(1, 'must list at least one hash')
      .max(MAX_PRECHECK_HASHES, `must list at most ${MAX_PRECHECK_HASHES} hashes per call`)
      .refine((hashes) => new Set(hashes).size === hashes.length, 'must not list a hash twice'),
    presentationId: id.optional(),
    sessionId: id.optional(),
  })
  .refine((body) => body.presentationId === undefined || body.sessionId === undefined, {
    message: 'presentationId and sessionId are mutually exclusive',
  });

/** The text fields of an `uploadPresentationAsset` multipart body. */
export const uploadFields = z
  .strictObject({ presentationId: id.optional(), sessionId: id.optional(), sha256, contentType })
  .refine((body) => (body.presentationId === undefined) !== (body.sessionId === undefined), {
    message: 'give exactly one of presentationId and sessionId',
  });

const manifestFile = z.strictObject({
  path: z.string(),
  sha256,
  size: z.number().int('must be a whole number').min(0, 'must not be negative').max(Number.MAX_SAFE_INTEGER),
  contentType,
});

/** `POST /commitPresentationVersion` body (the shape; the rules between fields are checked by the route). */
export const commitBody = z
  .strictObject({
    presentationId: id.optional(),
    sessionId: id.optional(),
    title: z.string().max(MAX_TITLE_CHARS, `must be at most ${MAX_TITLE_CHARS} characters`).optional(),
    entryPath: z.string(),
    files: z.array(manifestFile).min(1, 'must list at least one file'),
    expectedBaseVersion: z.number().int('must be a whole number').positive('must be a version (1 or more)').optional(),
  })
  .refine((body) => (body.presentationId === undefined) !== (body.sessionId === undefined), {
    message: 'give exactly one of presentationId and sessionId',
  });

/** Parses `value` with `schema`, or throws invalid-argument naming the first problem. */
export function parseOrRefuse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  const message =
    value === undefined || value === null ? 'The body must be a JSON object.' : `${where}${issue.message}`;
  throw new SlidelessError('invalid-argument', message);
}

/**
 * Why `path` breaks commit-presentation-version's path rules, or null.
 * Documented: deck-root-relative, no `..` segment, no leading or trailing
 * slash, no backslash, no null byte, at most 512 characters. Where the docs
 * are silent the peer is strict: it also refuses an empty path, empty and
 * `.` segments (`a//b`, `./a`) and control characters.
 */
export function deckPathProblem(path: string): string | null {
  if (path.length === 0) return 'is empty';
  if (path.length > MAX_PATH_CHARS) return `is longer than ${MAX_PATH_CHARS} characters`;
  if (path.includes('\0')) return 'has a null byte';
  if (path.includes('\\')) return 'has a backslash';
  if (/[\u0001-\u001f\u007f]/.test(path)) return 'has a control character';
  if (path.startsWith('/')) return 'starts with a slash (paths are relative to the deck root)';
  if (path.endsWith('/')) return 'ends with a slash';
  for (const segment of path.split('/')) {
    if (segment === '..') return 'has a ".." segment';
    if (segment === '.') return 'has a "." segment';
    if (segment === '') return 'has an empty segment ("//")';
  }
  return null;
}

/** Throws invalid-argument when a path breaks the rules or repeats. */
export function assertDeckPaths(paths: readonly string[]): void {
  const seen = new Set<string>();
  for (const [index, path] of paths.entries()) {
    const problem = deckPathProblem(path);
    if (problem) {
      throw new SlidelessError(
        'invalid-argument',
        `files.${index}.path ${JSON.stringify(abbreviate(path))} ${problem}.`,
      );
    }
    if (seen.has(path)) {
      throw new SlidelessError(
        'invalid-argument',
        `files.${index}.path ${JSON.stringify(abbreviate(path))} is listed twice.`,
      );
    }
    seen.add(path);
  }
}
