import { unlistedErrorCode } from '../../../src-shared/app-errors.ts';
import { isSlidelessErrorCode, slidelessErrors } from '../../../src-shared/slideless-errors.ts';
import type { HttpFailure } from '../../http/http-transport.ts';
import { isRetryableStatus, ServiceError } from '../../http/service-error.ts';

/** Slideless's error envelope: `{success: false, error: {code, message, nextAction?, details?}}` (api-reference/overview). */
interface SlidelessErrorBody {
  code: string;
  message?: unknown;
  nextAction?: unknown;
  details?: unknown;
}

/**
 * A non-2xx Slideless answer as a ServiceError: a listed code keeps its
 * spelling (`not-found`, `conflict`…) and leads with the table's words; an
 * unlisted one (`resource-exhausted`, `unavailable`, `internal`) passes on
 * as it came. 408, 429 and 5xx are retryable, with the server's Retry-After.
 */
export function slidelessError(failure: HttpFailure): ServiceError {
  const { request, status, body, retryAfterMs, redact } = failure;
  const retryable = isRetryableStatus(status);
  const error = errorBodyOf(body);
  if (!error) {
    const snippet = typeof body === 'string' && body.trim() !== '' ? `: ${redact(body.trim().slice(0, 200))}` : '';
    return new ServiceError(`${request}: Slideless answered HTTP ${status} without its error body${snippet}.`, {
      code: 'bad_response',
      status,
      retryable,
      retryAfterMs,
    });
  }
  const said = typeof error.message === 'string' && error.message !== '' ? redact(error.message) : '(no message)';
  const details = {
    ...(error.details !== null && typeof error.details === 'object' ? (error.details as Record<string, unknown>) : {}),
    ...(typeof error.nextAction === 'string' && { nextAction: redact(error.nextAction) }),
  };
  const init = { status, retryable, retryAfterMs, details };
  // The table's sentence first (what to do), then what the service said (which file, which version).
  if (isSlidelessErrorCode(error.code)) {
    const { code } = error;
    return new ServiceError(`${slidelessErrors[code].message} (${request}: HTTP ${status} ${code}: ${said})`, {
      code,
      ...init,
    });
  }
  return new ServiceError(`${request} failed: HTTP ${status} ${error.code}: ${said}`, {
    code: unlistedErrorCode(error.code),
    ...init,
  });
}

/** The error object of a Slideless error body, or null when the body is not one. */
function errorBodyOf(body: unknown): SlidelessErrorBody | null {
  if (body === null || typeof body !== 'object') return null;
  const error = (body as { error?: unknown }).error;
  if (error === null || typeof error !== 'object') return null;
  return typeof (error as { code?: unknown }).code === 'string' ? (error as SlidelessErrorBody) : null;
}

/**
 * An upload session that is gone: Slideless answers 404 not-found for a
 * session that expired (they last an hour) or was used by a commit. The
 * engine's code for it, so the run re-plans with a new session.
 */
export function sessionExpired(request: string, cause: ServiceError): ServiceError {
  return new ServiceError(
    `${request}: the Slideless upload session has expired (sessions last 1 hour); starting a new one.`,
    { code: 'upload_session_expired', status: cause.status, cause },
  );
}

/** True for Slideless's 404 not-found. */
export function isNotFound(error: unknown): error is ServiceError {
  return error instanceof ServiceError && error.code === 'not-found';
}
