import { unlistedErrorCode } from '../../../src-shared/app-errors.ts';
import { cloudflareErrors, type CloudflareErrorCode } from '../../../src-shared/cloudflare-errors.ts';
import type { HttpFailure } from '../../http/http-transport.ts';
import { ServiceError, isRetryableStatus, type ServiceErrorCode } from '../../http/service-error.ts';

/** How messages name this service. */
export const SERVICE = 'Cloudflare';

/** One item of the envelope's `errors`. */
interface CloudflareErrorItem {
  code: number;
  message: string;
  error_chain?: CloudflareErrorItem[];
}

/**
 * Cloudflare's numeric codes a deploy meets, by meaning. The first ones are
 * the API's own (wrangler's source and users' reports name them); Cloudflare
 * publishes no codes for the assets service, so the 1003xx ones are those of
 * our local peer, the only place they were seen.
 */
const BY_CODE: ReadonlyMap<number, ServiceErrorCode> = new Map<number, ServiceErrorCode>([
  // Authentication error; missing credentials; not this account's; unknown key; bad Authorization header.
  [10000, 'cloudflare_unauthorized'],
  [9106, 'cloudflare_unauthorized'],
  [9109, 'cloudflare_unauthorized'],
  [9103, 'cloudflare_unauthorized'],
  [6003, 'cloudflare_unauthorized'],
  [6111, 'cloudflare_unauthorized'],
  // "Could not route to …, perhaps your object identifier is invalid?": the account id in the URL.
  [7003, 'cloudflare_account_invalid'],
  [7000, 'cloudflare_not_found'],
  [10021, 'cloudflare_invalid_request'],
  [971, 'cloudflare_rate_limited'],
  [10013, 'cloudflare_unavailable'],
  [100301, 'cloudflare_invalid_request'],
  [100302, 'cloudflare_asset_too_large'],
  [100303, 'cloudflare_too_many_files'],
  // An upload or completion JWT refused or expired: a new session fixes it.
  [100304, 'upload_session_expired'],
  [100305, 'upload_session_expired'],
  [100306, 'cloudflare_invalid_request'],
  // What we sent is not what we hashed (the file changed): the engine re-plans.
  [100307, 'blob_hash_mismatch'],
  [100308, 'blob_size_mismatch'],
  [100309, 'cloudflare_invalid_request'],
  [100310, 'upload_session_expired'],
  [100311, 'cloudflare_body_too_large'],
]);

/** A status whose code is not in BY_CODE still has a meaning. */
function byStatus(status: number): CloudflareErrorCode | null {
  if (status === 401 || status === 403) return 'cloudflare_unauthorized';
  if (status === 404) return 'cloudflare_not_found';
  if (status === 413) return 'cloudflare_body_too_large';
  if (status === 429) return 'cloudflare_rate_limited';
  if (status >= 500) return 'cloudflare_unavailable';
  if (status === 400) return 'cloudflare_invalid_request';
  return null;
}

/** The envelope's first error, or null when the body is not Cloudflare's envelope. */
function firstError(body: unknown): CloudflareErrorItem | null {
  if (body === null || typeof body !== 'object') return null;
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return null;
  const first = errors[0] as Partial<CloudflareErrorItem> | null;
  if (!first || typeof first.code !== 'number') return null;
  return { ...first, code: first.code, message: typeof first.message === 'string' ? first.message : '' };
}

/** Cloudflare's words for an error, its error chain included ("Validation failed: name: too long"). */
function said(item: CloudflareErrorItem): string {
  const chain = (item.error_chain ?? []).map((link) => `${link.code} ${link.message}`);
  return chain.length > 0 ? `${item.message} (${chain.join('; ')})` : item.message;
}

/** The sentence PressDrop has for `code`, if any. */
export function wordsFor(code: ServiceErrorCode): string | null {
  return Object.hasOwn(cloudflareErrors, code) ? cloudflareErrors[code as CloudflareErrorCode].message : null;
}

/**
 * A non-2xx answer of Cloudflare's API as a ServiceError: its first error's
 * numeric code named by meaning (BY_CODE, else by status), the message
 * Cloudflare gave (with secrets removed) and PressDrop's sentence for it.
 * A code with no name and an unusual status passes on as `cloudflare_<code>`.
 */
export function cloudflareError(failure: HttpFailure): ServiceError {
  const { request, status, body, retryAfterMs, redact } = failure;
  const retryable = isRetryableStatus(status);
  const item = firstError(body);
  if (!item) {
    const snippet = typeof body === 'string' && body.trim() !== '' ? `: ${redact(body.trim().slice(0, 200))}` : '';
    // A proxy's 502 page is still a reason to retry, and still Cloudflare being unavailable.
    const code: ServiceErrorCode = status >= 500 || status === 429 ? byStatus(status)! : 'bad_response';
    return new ServiceError(
      `${request}: HTTP ${status} without a ${SERVICE} error body${snippet}.${code === 'bad_response' ? '' : ` ${wordsFor(code)}`}`,
      { code, status, retryable, retryAfterMs },
    );
  }
  const code = BY_CODE.get(item.code) ?? byStatus(status) ?? unlistedErrorCode(`cloudflare_${item.code}`);
  const words = wordsFor(code);
  const text = redact(said(item)).replace(/[.\s]+$/, '');
  return new ServiceError(
    `${request} failed: HTTP ${status}, ${SERVICE} error ${item.code}: ${text}.${words ? ` ${words}` : ''}`,
    { code, status, retryable, retryAfterMs, details: { cloudflareCode: item.code } },
  );
}

/** `error`, said again as the engine's `upload_session_expired`: the JWT is no longer good; a new session is. */
export function sessionExpired(error: ServiceError, why: string): ServiceError {
  return new ServiceError(`${error.message} ${why}`, {
    code: 'upload_session_expired',
    status: error.status,
    details: error.details,
    cause: error,
  });
}
