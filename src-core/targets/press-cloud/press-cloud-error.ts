import { apiErrors, isApiErrorCode } from '../../../src-shared/api-errors.ts';
import { unlistedErrorCode } from '../../../src-shared/app-errors.ts';
import { ServiceError, isRetryableStatus } from '../../http/service-error.ts';

/**
 * Maps a non-2xx answer to an error. `body` is the parsed JSON (or the raw
 * text when it was not JSON); `redact` removes secrets a server might echo.
 */
export function httpError(
  request: string,
  status: number,
  body: unknown,
  retryAfterMs: number | null,
  redact: (text: string) => string,
): ServiceError {
  const retryable = isRetryableStatus(status);
  if (body === null || typeof body !== 'object' || typeof (body as { error?: unknown }).error !== 'string') {
    const snippet = typeof body === 'string' && body.trim() !== '' ? `: ${redact(body.trim().slice(0, 200))}` : '';
    return new ServiceError(
      `${request}: the server answered HTTP ${status} without a Press Cloud error body${snippet}.`,
      {
        code: 'bad_response',
        status,
        retryable,
        retryAfterMs,
      },
    );
  }
  const { error: code, message, ...details } = body as { error: string; message?: unknown };
  const said =
    typeof message === 'string' && message !== ''
      ? message
      : isApiErrorCode(code)
        ? apiErrors[code].message
        : '(no message)';
  return new ServiceError(`${request} failed: HTTP ${status} ${code}: ${redact(said)}`, {
    // A code the table does not list (a newer server's) is passed on as it came: the words fall back to its message.
    code: isApiErrorCode(code) ? code : unlistedErrorCode(code),
    status,
    retryable,
    retryAfterMs,
    details,
  });
}
