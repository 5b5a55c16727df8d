/**
 * The error table of the Press Cloud HTTP boundary: every machine code the
 * API answers with, its HTTP status, and a default sentence. The server
 * answers only codes from this table; the client maps only these to words.
 * `api-errors.test.ts` keeps it in step with `docs/press-cloud-api.md`.
 */
export const apiErrors = {
  // 400: the request itself is wrong; retrying it unchanged cannot help.
  invalid_request: { status: 400, message: 'The request is not valid.' },
  invalid_path: { status: 400, message: 'A file path is not valid.' },
  upload_session_too_large: { status: 400, message: 'The upload is larger than the session limit.' },
  upload_blob_too_large: { status: 400, message: 'The file is larger than the per-file limit.' },
  blob_hash_mismatch: { status: 400, message: 'The uploaded bytes do not hash to the sha256 in the URL.' },
  blob_size_mismatch: { status: 400, message: 'The uploaded bytes are not the size the session registered.' },
  too_many_files: { status: 400, message: 'Too many files in one call.' },
  deploy_commit_policy_limit_exceeded: { status: 400, message: 'The version exceeds the file-count or byte limit.' },
  render_route_not_found: { status: 400, message: 'The render route names no file of the version.' },
  // 401: who is asking is unknown.
  unauthorized: { status: 401, message: 'A valid API key is required: Authorization: Bearer pcak_…' },
  upload_token_invalid: {
    status: 401,
    message: "The X-Upload-Token header is missing or is not this session's token.",
  },
  // 421: the request was meant for another server (its Host is not this server's own address).
  misdirected_request: {
    status: 421,
    message: 'This server answers only requests addressed to it (Host: 127.0.0.1, localhost or [::1] with its port).',
  },
  // 404: what was named does not exist.
  not_found: { status: 404, message: 'No such endpoint.' },
  deploy_not_found: { status: 404, message: 'The specified deploy does not exist.' },
  deploy_version_not_found: { status: 404, message: 'The specified deploy version does not exist.' },
  upload_session_not_found: { status: 404, message: 'The specified upload session does not exist.' },
  blob_not_found: { status: 404, message: 'No blob with that sha256 is stored.' },
  alias_not_found: { status: 404, message: 'The deploy has no alias of that name.' },
  render_job_not_found: { status: 404, message: 'The specified render job does not exist.' },
  pdf_not_found: { status: 404, message: 'The specified PDF does not exist.' },
  // 409: the request conflicts with what is already there.
  deploy_slug_conflict: { status: 409, message: 'A deploy with that slug already exists.' },
  blob_not_in_session: { status: 409, message: 'The sha256 matches no file registered in this upload session.' },
  upload_session_committed: { status: 409, message: 'The upload session is already committed.' },
  blobs_missing: { status: 409, message: 'Some entries name blobs that are not uploaded yet.' },
  idempotency_key_conflict: { status: 409, message: 'This Idempotency-Key was already used with a different request.' },
  // 410: it existed, and its time is over.
  upload_session_expired: { status: 410, message: 'The upload session has expired; create a new one.' },
  // 416: the byte range asked for lies past the end.
  range_not_satisfiable: { status: 416, message: 'The requested byte range starts past the end of the content.' },
  // 429 and 5xx: worth retrying.
  rate_limited: { status: 429, message: 'Too many requests; retry after the Retry-After delay.' },
  internal_error: { status: 500, message: 'The server failed unexpectedly.' },
  not_implemented: { status: 501, message: 'This server does not implement that operation.' },
  service_unavailable: { status: 503, message: 'The service is temporarily unavailable; retry shortly.' },
} as const satisfies Record<string, { status: number; message: string }>;

/** A machine code the API may answer with. */
export type ApiErrorCode = keyof typeof apiErrors;

/** True when `code` is one of the table's codes. */
export function isApiErrorCode(code: string): code is ApiErrorCode {
  return Object.hasOwn(apiErrors, code);
}

/**
 * Why a render job's attempt failed: the job's `error.code`. These cross the
 * HTTP boundary inside a render job (a 200 answer), never as an error answer,
 * so they have no status; the contract names them in its render-job section,
 * and the server's render queue sets them (PrintFailure). The contract says
 * "codes such as", so a job from another Press Cloud may carry others.
 */
export const renderJobErrors = {
  render_timeout: { message: 'The page was not ready to print in time.' },
  render_page_error: { message: 'The page failed while it was printed.' },
  render_crashed: { message: 'The browser that prints stopped unexpectedly.' },
} as const satisfies Record<string, { message: string }>;

/** A code a render job's attempt may fail with. */
export type RenderJobErrorCode = keyof typeof renderJobErrors;
