import { z } from 'zod';
import { CloudflareError } from './cloudflare-errors.ts';

/** What the manifest says of one file. */
export interface ManifestEntry {
  hash: string;
  size: number;
}

/** `{"/path": {hash, size}}`, as wrangler's buildAssetManifest makes it. */
export type AssetManifest = Record<string, ManifestEntry>;

/** The limits a manifest is held to. */
export interface ManifestLimits {
  /** Bytes one asset may have (Cloudflare: 25 MiB). */
  maxAssetBytes: number;
  /** Files one manifest may list (Cloudflare's free plan: 20,000). */
  maxFiles: number;
}

/** How the missing hashes are grouped into buckets (one upload request each). */
export interface BucketLimits {
  /** Hashes in one bucket. */
  maxBucketFiles: number;
  /** Base64 bytes in one bucket; a larger single file still gets a bucket of its own. */
  maxBucketBytes: number;
}

/** Longest manifest path accepted. */
const MAX_PATH_LENGTH = 4096;

const entrySchema = z.strictObject({
  hash: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters'),
  size: z.number().int('must be a whole number').min(0, 'must not be negative'),
});
const bodySchema = z.strictObject({ manifest: z.record(z.string(), entrySchema) });

/** Why a path is refused, or null when it is a good manifest key. */
function pathProblem(path: string): string | null {
  if (!path.startsWith('/')) return 'must start with "/"';
  if (path.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters`;
  if (path.endsWith('/')) return 'must name a file, not end with "/"';
  // Control characters and backslashes never come out of wrangler's normalizeFilePath.
  if (/[\u0000-\u001f\u007f\\]/.test(path)) return 'must not contain control characters or "\\"';
  const segments = path.slice(1).split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'must not have empty, "." or ".." segments';
  }
  return null;
}

/**
 * Validates an assets-upload-session body and answers its manifest. Every
 * refusal is a CloudflareError naming the first bad field.
 */
export function parseManifestBody(body: unknown, limits: ManifestLimits): AssetManifest {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
    throw new CloudflareError('manifest_invalid', `Invalid manifest: ${where}${issue.message}.`);
  }
  const manifest = parsed.data.manifest;
  const paths = Object.keys(manifest);
  if (paths.length > limits.maxFiles) {
    throw new CloudflareError(
      'manifest_too_many_files',
      `The manifest lists ${paths.length} files; the limit is ${limits.maxFiles}.`,
    );
  }
  for (const path of paths) {
    const problem = pathProblem(path);
    if (problem)
      throw new CloudflareError('manifest_invalid', `Invalid manifest: path ${JSON.stringify(path)} ${problem}.`);
    const { size } = manifest[path]!;
    if (size > limits.maxAssetBytes) {
      throw new CloudflareError(
        'asset_too_large',
        `Asset ${JSON.stringify(path)} is ${size} bytes; the limit per asset is ${limits.maxAssetBytes} bytes.`,
      );
    }
  }
  // Two paths with one hash are one asset: its content and extension are the same.
  const sizeOf = new Map<string, number>();
  for (const path of paths) {
    const { hash, size } = manifest[path]!;
    const known = sizeOf.get(hash);
    if (known !== undefined && known !== size) {
      throw new CloudflareError(
        'manifest_invalid',
        `Invalid manifest: hash ${hash} is listed with sizes ${known} and ${size}.`,
      );
    }
    sizeOf.set(hash, size);
  }
  return manifest;
}

/** Bytes of the base64 text of `size` bytes. */
export function base64Length(size: number): number {
  return Math.ceil(size / 3) * 4;
}

/**
 * Groups the hashes to upload into buckets, in the order given, each within
 * the limits; the real service, too, answers several buckets for a large
 * upload so a client can send a few at a time.
 */
export function planBuckets(hashes: ReadonlyArray<{ hash: string; size: number }>, limits: BucketLimits): string[][] {
  const buckets: string[][] = [];
  let current: string[] = [];
  let currentBytes = 0;
  for (const { hash, size } of hashes) {
    const bytes = base64Length(size);
    if (
      current.length > 0 &&
      (current.length >= limits.maxBucketFiles || currentBytes + bytes > limits.maxBucketBytes)
    ) {
      buckets.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(hash);
    currentBytes += bytes;
  }
  if (current.length > 0) buckets.push(current);
  return buckets;
}
