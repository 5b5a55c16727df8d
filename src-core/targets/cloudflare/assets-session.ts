import { createHash } from 'node:crypto';
import type { PlannedBlob } from '../../ports.ts';

/** A journaled assets upload session: what it asked for, and what the service confirmed. */
export interface JournaledSession {
  /** Names the session in events (the JWT's `sub`, else a digest of the JWT). */
  id: string;
  /** The plan it was opened for: another manifest needs another session. */
  manifestDigest: string;
  /** When the upload JWT expires (epoch ms, from its `exp`). */
  expiresAt: number;
  buckets: string[][];
  /** Indices of the buckets whose upload the service confirmed. */
  uploaded: number[];
  /** Once the completion JWT is in the SecretStore: when it expires (epoch ms); null before. */
  completedUntil: number | null;
}

/** A Cloudflare job's state in the journal (the adapter's opaque JSON). The JWTs are in the SecretStore. */
export interface CloudflareJobState {
  session: JournaledSession | null;
  /** The last commit sent: the plan, and the `workers/tag` its version carries, to find it if its answer was lost. */
  commit: { manifestDigest: string; tag: string } | null;
}

/** What PressDrop reads from a JWT: it is Cloudflare's to check, ours only to know when to stop using it. */
export interface JwtFacts {
  id: string;
  issuedAt: number | null;
  /** Epoch ms; an unreadable JWT is taken to live Cloudflare's documented hour. */
  expiresAt: number;
}

/** Cloudflare's upload and completion JWTs live one hour. */
const DOCUMENTED_TTL_MS = 60 * 60 * 1000;

/** The facts of a JWT's payload (not verified: the service does that). */
export function jwtFacts(jwt: string, now = Date.now()): JwtFacts {
  const digest = createHash('sha256').update(jwt).digest('hex').slice(0, 16);
  try {
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      sub?: unknown;
      iat?: unknown;
      exp?: unknown;
    };
    return {
      id: typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : digest,
      issuedAt: typeof claims.iat === 'number' ? Math.round(claims.iat * 1000) : null,
      expiresAt: typeof claims.exp === 'number' ? Math.floor(claims.exp * 1000) : now + DOCUMENTED_TTL_MS,
    };
  } catch {
    return { id: digest, issuedAt: null, expiresAt: now + DOCUMENTED_TTL_MS };
  }
}

/** The SecretStore names of a job's JWTs. */
export function jwtNames(jobId: string): { upload: string; completion: string } {
  return { upload: `cloudflare:${jobId}:upload-jwt`, completion: `cloudflare:${jobId}:completion-jwt` };
}

/** The `workers/tag` (at most 25 characters) that marks the version a job commits for one plan. */
export function commitTag(jobId: string, manifestDigest: string): string {
  return `pd-${createHash('sha256').update(`${jobId}\n${manifestDigest}`).digest('hex').slice(0, 22)}`;
}

/** The hashes the session still waits for: those of its buckets not confirmed yet. */
export function waitingHashes(session: JournaledSession): Set<string> {
  if (session.completedUntil !== null) return new Set();
  const done = new Set(session.uploaded);
  return new Set(session.buckets.flatMap((bucket, i) => (done.has(i) ? [] : bucket)));
}

/** One upload of a session: the bucket it is, and whether it carries the whole bucket. */
export interface BucketUnit {
  index: number;
  blobs: PlannedBlob[];
  whole: boolean;
}

/** The session's unconfirmed buckets, each cut to the blobs given (the missing ones), empty ones left out. */
export function bucketUnits(session: JournaledSession, blobs: readonly PlannedBlob[]): BucketUnit[] {
  const byHash = new Map(blobs.map((blob) => [blob.hash, blob]));
  const done = new Set(session.uploaded);
  const units: BucketUnit[] = [];
  for (const [index, bucket] of session.buckets.entries()) {
    if (done.has(index)) continue;
    const unitBlobs = bucket.flatMap((hash) => byHash.get(hash) ?? []);
    if (unitBlobs.length > 0) units.push({ index, blobs: unitBlobs, whole: unitBlobs.length === bucket.length });
  }
  return units;
}
