/**
 * The Press Cloud v1 wire types, as `docs/press-cloud-api.md` defines them.
 * Shared by the local server (which produces them) and the upload engine
 * (which consumes them), so the two cannot drift apart silently.
 */

/** One file as the client registers it with an upload session. */
export interface FileDescriptor {
  path: string;
  sha256: string;
  size: number;
  mime?: string;
}

/** One path → blob mapping of a commit, and of a committed version's file list. */
export interface VersionEntry {
  path: string;
  blobHash: string;
  size: number;
  mime: string;
}

/** The entry point and metadata a version is rendered with. */
export interface RenderConfig {
  route?: string;
  title?: string;
  renderTimeoutMs?: number;
  metadata?: Record<string, unknown>;
}

/** `GET /v1/limits`: what a client must check before it uploads anything. */
export interface Limits {
  maxBlobBytes: number;
  maxSessionBytes: number;
  maxFilesPerVersion: number;
  maxMissingBlobsPerCall: number;
  sessionTtlMs: number;
}

/** An immutable, numbered version of a deploy. */
export interface DeployVersion {
  id: string;
  displayId: string;
  deployId: string;
  versionNo: number;
  route: string | null;
  title: string | null;
  status: 'ready';
  createdAt: number;
}

/** `GET /v1/deploy-versions/{id}`: a version with its totals, render config and aliases. */
export interface DeployVersionDetail extends DeployVersion {
  fileCount: number;
  totalBytes: number;
  render: RenderConfig | null;
  aliases: string[];
}

/** An item of `GET /v1/deploys/{id}/versions`: a version with its totals and aliases, so a history list needs no request per row. */
export interface DeployVersionSummary extends DeployVersion {
  fileCount: number;
  totalBytes: number;
  aliases: string[];
}

/** A named site whose versions are deployed one after another. */
export interface Deploy {
  id: string;
  slug: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  versionCount: number;
  latestVersion: DeployVersion | null;
}

/** The states an upload session moves through, as `GET /v1/upload-sessions/{id}` reports them. */
export type UploadSessionStatus = 'open' | 'committed' | 'expired';

/** An upload session: the four-step protocol's unit of work. */
export interface UploadSession {
  id: string;
  status: UploadSessionStatus;
  requestedFileCount: number;
  requestedBytes: number;
  createdAt: number;
  expiresAt: number;
  deployVersionId: string | null;
}

/** A named pointer from a deploy to one of its versions. */
export interface Alias {
  name: string;
  deployId: string;
  deployVersionId: string;
  updatedAt: number;
}

/** A render job's state machine, exactly as seed 002 lists it: `queued → rendering → succeeded`, `→ retry_scheduled → queued → …`, `→ failed`. */
export type RenderJobStatus = 'queued' | 'rendering' | 'retry_scheduled' | 'succeeded' | 'failed';

/** A render job: a deploy version being printed to PDF. */
export interface RenderJob {
  id: string;
  status: RenderJobStatus;
  deployVersionId: string;
  /** Attempts started so far (at most 3). */
  attempts: number;
  createdAt: number;
  updatedAt: number;
  /** When a `retry_scheduled` job is queued again; null otherwise. */
  nextAttemptAt: number | null;
  pdfId: string | null;
  /** Why the last attempt failed (kept while a retry is scheduled; the reason of a `failed` job). */
  error: { code: string; message: string } | null;
}

/** A PDF a render job produced, stored content-addressed like every blob. */
export interface Pdf {
  id: string;
  renderJobId: string;
  deployVersionId: string;
  size: number;
  pageCount: number;
  sha256: string;
  createdAt: number;
}

/** How two versions of a deploy differ, `from` → `to`, each list sorted by path (computed by the client from both file lists). */
export interface VersionDiff {
  added: Array<{ path: string; size: number }>;
  removed: Array<{ path: string; size: number }>;
  /** Same path, other content. */
  changed: Array<{ path: string; sizeBefore: number; sizeAfter: number }>;
  unchangedCount: number;
}

/** One page of a list endpoint; `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The body of every error answer. Some codes add fields (`blobs_missing` adds `missing`). */
export interface ApiErrorBody {
  error: string;
  message: string;
  [extra: string]: unknown;
}

/** `POST /v1/upload-sessions` answer. */
export interface CreateUploadSessionResponse {
  uploadSession: Omit<UploadSession, 'deployVersionId'>;
  uploadToken: string;
}

/** `POST /v1/upload-sessions/{id}/missing-blobs` answer. */
export interface MissingBlobsResponse {
  uploadSessionId: string;
  missingBlobs: { sha256: string }[];
}

/** `PUT /v1/upload-sessions/{id}/blobs/{sha256}` answer. */
export interface PutBlobResponse {
  uploadSessionId: string;
  alreadyPresent: boolean;
  blob: { sha256: string; size: number; mime?: string; r2Key: string };
}
