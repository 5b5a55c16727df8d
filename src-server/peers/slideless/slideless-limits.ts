/** The caps a Slideless plan puts on uploads and manifests. */
export interface SlidelessLimits {
  /** Largest single blob (upload) or manifest entry (commit). */
  maxFileBytes: number;
  /** Largest sum of `files[].size` in one manifest. */
  maxTotalBytes: number;
  /** Most entries in one manifest. */
  maxFiles: number;
  /** Largest `.html`/`.htm` manifest entry. */
  maxHtmlBytes: number;
}

/** The plans docs.slideless.ai lists (concepts/presentations, "Size and file-count caps"). */
export type SlidelessPlan = 'free' | 'starter' | 'pro' | 'business' | 'enterprise';

// The docs say "MB" and "GB" without saying which; the strict (smaller) reading is decimal.
const MB = 1_000_000;
const GB = 1_000_000_000;

/** Each plan's caps, as documented. */
export const PLAN_LIMITS: Readonly<Record<SlidelessPlan, SlidelessLimits>> = {
  free: { maxFileBytes: 50 * MB, maxTotalBytes: 250 * MB, maxFiles: 500, maxHtmlBytes: 10 * MB },
  starter: { maxFileBytes: 100 * MB, maxTotalBytes: 500 * MB, maxFiles: 1000, maxHtmlBytes: 10 * MB },
  pro: { maxFileBytes: 250 * MB, maxTotalBytes: 2 * GB, maxFiles: 2000, maxHtmlBytes: 20 * MB },
  business: { maxFileBytes: 500 * MB, maxTotalBytes: 5 * GB, maxFiles: 5000, maxHtmlBytes: 20 * MB },
  enterprise: { maxFileBytes: 1 * GB, maxTotalBytes: 20 * GB, maxFiles: 10000, maxHtmlBytes: 50 * MB },
};

/** Most hashes in one precheck call (api-reference/precheck-assets). */
export const MAX_PRECHECK_HASHES = 2000;

/** How long a new-presentation upload session lives (api-reference/precheck-assets: "auto-expire after 1 hour"). */
export const SESSION_TTL_MS = 60 * 60 * 1000;

/** Longest manifest path (api-reference/commit-presentation-version, "Path rules"). */
export const MAX_PATH_CHARS = 512;

/** Title length on commit (api-reference/commit-presentation-version: "1–255 chars"). */
export const MAX_TITLE_CHARS = 255;

/** Largest JSON body: Cloud Functions refuse requests over 10 MB, and the overview's 413 row says the same. */
export const MAX_JSON_BODY_BYTES = 10 * MB;
