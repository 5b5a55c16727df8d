import type { ApiErrorCode } from '../../src-shared/api-errors.ts';
import type { CodesOf, EngineErrorCode, PeerServiceErrorCode, UnlistedErrorCode } from '../../src-shared/app-errors.ts';

/** Failures that happen on our side of the wire, beside the contract's codes. */
export type ClientErrorCode = CodesOf<EngineErrorCode, 'network_error' | 'stalled' | 'aborted' | 'bad_response'>;

/**
 * What a ServiceError says went wrong: a Press Cloud contract code, ours, a
 * peer service's code mapped by its adapter, or one a server answered that
 * no table lists.
 */
export type ServiceErrorCode = ApiErrorCode | PeerServiceErrorCode | ClientErrorCode | UnlistedErrorCode;

/** What went wrong with one request to a deploy service (any target), in a form the pipeline can act on. */
export class ServiceError extends Error {
  /** A code of an error table (`ApiErrorCode` and the like), one of `ClientErrorCode`, or a server's unlisted one as it came. */
  readonly code: ServiceErrorCode;
  /** The HTTP status, or null when no answer arrived. */
  readonly status: number | null;
  /** Whether the same request may succeed if sent again. */
  readonly retryable: boolean;
  /** How long the server asked us to wait (Retry-After), or null. */
  readonly retryAfterMs: number | null;
  /** Extra fields of the error body, e.g. `missing` of `blobs_missing`. */
  readonly details: Record<string, unknown>;

  constructor(
    message: string,
    init: {
      code: ServiceErrorCode;
      status?: number | null;
      retryable?: boolean;
      retryAfterMs?: number | null;
      details?: Record<string, unknown>;
      cause?: unknown;
    },
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ServiceError';
    this.code = init.code;
    this.status = init.status ?? null;
    this.retryable = init.retryable ?? false;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.details = init.details ?? {};
  }
}

/** Statuses worth sending again unchanged: timeouts, rate limits and server trouble (but not 501, which will not change). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

// Connection-level failures after which the same request may well go through (undici's RetryHandler list, plus timeouts).
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** The error code of a Node or undici error, looking one `cause` deep (fetch-style wrappers hide it there). */
export function systemErrorCode(error: unknown): string | null {
  for (let current = error, depth = 0; current instanceof Error && depth < 3; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return null;
}

/** A request that got no usable answer because the connection failed. */
export function networkError(request: string, cause: unknown, service: string): ServiceError {
  const code = systemErrorCode(cause);
  const retryable = code !== null && RETRYABLE_NETWORK_CODES.has(code);
  const what = cause instanceof Error ? cause.message : String(cause);
  return new ServiceError(
    `${request}: the connection to ${service} failed (${code ?? 'error'}: ${what})${retryable ? '' : '; not retrying'}.`,
    {
      code: 'network_error',
      retryable,
      cause,
    },
  );
}

/** A request that moved no bytes for `stallMs`. */
export function stalledError(request: string, stallMs: number): ServiceError {
  return new ServiceError(
    `${request}: no bytes moved for ${stallMs} ms, so the request was abandoned (the network or the server stalled).`,
    {
      code: 'stalled',
      retryable: true,
    },
  );
}

/** A request the caller cancelled. */
export function abortedError(request: string): ServiceError {
  return new ServiceError(`${request}: cancelled.`, { code: 'aborted' });
}

/** An answer that is not what the contract promises (not JSON, a field missing). */
export function badResponseError(request: string, status: number, problem: string, service: string): ServiceError {
  return new ServiceError(
    `${request}: the server's answer (HTTP ${status}) is not what the ${service} API promises: ${problem}.`,
    {
      code: 'bad_response',
      status,
      retryable: isRetryableStatus(status),
    },
  );
}
