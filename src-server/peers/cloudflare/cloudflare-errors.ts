/**
 * The peer's one error table, in Cloudflare's v4 envelope
 * (`{success: false, errors: [{code, message}], messages: [], result: null}`).
 *
 * The first group are codes the real API is known to send (they appear in
 * wrangler's source and in users' reports). Cloudflare does not publish the
 * assets service's own codes, so the second group (6-digit, like the
 * Workers codes wrangler names in its error-codes.ts) are this peer's
 * choice: one code per way a request can be wrong, so a client test can
 * tell them apart.
 */
export const cloudflareErrors = {
  missing_credentials: {
    status: 400,
    code: 9106,
    message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers',
  },
  invalid_request_headers: { status: 400, code: 6003, message: 'Invalid request headers' },
  authentication_error: { status: 403, code: 10000, message: 'Authentication error' },
  unauthorized_account: { status: 403, code: 9109, message: 'Unauthorized to access requested resource' },
  could_not_route: {
    status: 400,
    code: 7003,
    message: 'Could not route to the URL: the object identifier is invalid.',
  },
  no_route: { status: 404, code: 7000, message: 'No route for that URI' },
  worker_not_found: { status: 404, code: 10007, message: 'This Worker does not exist on your account.' },
  service_not_found: { status: 404, code: 10090, message: 'This Worker does not exist on your account.' },
  validation_error: { status: 400, code: 10021, message: 'The request did not validate.' },
  rate_limited: { status: 429, code: 971, message: 'Please wait and consider throttling your request speed' },
  internal_error: { status: 500, code: 10013, message: 'An unknown error has occurred.' },
  service_unavailable: { status: 503, code: 10013, message: 'The service is temporarily unavailable.' },

  // The peer's own codes for the assets service.
  manifest_invalid: { status: 400, code: 100301, message: 'The manifest is not valid.' },
  asset_too_large: { status: 400, code: 100302, message: 'An asset is larger than 25 MiB.' },
  manifest_too_many_files: { status: 400, code: 100303, message: 'The manifest lists too many files.' },
  upload_token_invalid: { status: 401, code: 100304, message: 'The upload token is not valid.' },
  upload_token_expired: { status: 401, code: 100305, message: 'Expired JWT' },
  asset_not_in_session: { status: 400, code: 100306, message: 'That hash is not in this upload session.' },
  asset_hash_mismatch: { status: 400, code: 100307, message: 'The content does not match its hash.' },
  asset_size_mismatch: { status: 400, code: 100308, message: 'The content is not the size the manifest says.' },
  invalid_body: { status: 400, code: 100309, message: 'The request body could not be read.' },
  assets_token_invalid: { status: 400, code: 100310, message: 'The assets completion token is not valid.' },
  body_too_large: { status: 413, code: 100311, message: 'The request body is too large.' },
} as const satisfies Record<string, { status: number; code: number; message: string }>;

/** A key of the error table. */
export type CloudflareErrorKind = keyof typeof cloudflareErrors;

/** One entry of Cloudflare's `errors` array. */
export interface CloudflareErrorItem {
  code: number;
  message: string;
  error_chain?: CloudflareErrorItem[];
}

/** An error the peer answers with: a kind from the table, an optional sentence, an optional error chain. */
export class CloudflareError extends Error {
  readonly kind: CloudflareErrorKind;
  readonly status: number;
  readonly code: number;
  readonly chain: CloudflareErrorItem[];

  constructor(kind: CloudflareErrorKind, message?: string, chain: CloudflareErrorItem[] = []) {
    const entry = cloudflareErrors[kind];
    super(message ?? entry.message);
    this.kind = kind;
    this.status = entry.status;
    this.code = entry.code;
    this.chain = chain;
  }

  /** The envelope Cloudflare answers a failure with. */
  toBody(): CloudflareEnvelope<null> {
    const item: CloudflareErrorItem = { code: this.code, message: this.message };
    if (this.chain.length > 0) item.error_chain = this.chain;
    return { success: false, errors: [item], messages: [], result: null };
  }
}

/** Cloudflare's v4 response envelope. */
export interface CloudflareEnvelope<T> {
  success: boolean;
  errors: CloudflareErrorItem[];
  messages: unknown[];
  result: T;
}

/** A success in the envelope. */
export function ok<T>(result: T): CloudflareEnvelope<T> {
  return { success: true, errors: [], messages: [], result };
}
