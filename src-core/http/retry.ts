import { formatDuration } from '../../src-shared/units.ts';
import { abortedError, ServiceError } from './service-error.ts';

/** How often and how patiently a failed request is sent again. */
export interface RetryPolicy {
  /** The first backoff ceiling, in ms; it doubles with each retry. */
  baseMs: number;
  /** No backoff ceiling grows beyond this, in ms (a Retry-After may still ask for longer). */
  capMs: number;
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  /**
   * No retry starts once a request has gone this long, in ms, without the
   * server answering anything or a byte moving: the bound on how long a
   * deploy waits for a server that accepts connections but never answers.
   */
  giveUpAfterMs: number;
}

/** Defaults: ceilings 250 ms, 500 ms, 1 s … up to 20 s; 8 attempts; give up after 5 minutes without an answer. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseMs: 250,
  capMs: 20_000,
  maxAttempts: 8,
  giveUpAfterMs: 5 * 60_000,
};

/** Told before each backoff wait, so a UI can say "retrying". */
export interface RetryInfo {
  /** The attempt that just failed, from 1. */
  attempt: number;
  /** How long we wait before the next attempt. */
  delayMs: number;
  error: ServiceError;
  /** Which request, e.g. `PUT blob 3f2a9c01…`. */
  request: string;
  /** The policy's attempts in all, to say "attempt 2 of 8". */
  maxAttempts: number;
}

/** Waits `ms`; rejects with `abortedError(request)` as soon as `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal | undefined, request: string) => Promise<void>;

/** Options of `withRetry`; `random` and `sleep` are injectable so tests need not wait. */
export interface RetryOptions {
  request: string;
  policy?: Partial<RetryPolicy>;
  signal?: AbortSignal | undefined;
  onRetry?: ((info: RetryInfo) => void) | undefined;
  /** When the server last answered or a byte last moved (epoch ms): the give-up clock runs from then, or from the first attempt if later. */
  lastActivityAt?: (() => number) | undefined;
  /** A number in [0, 1); Math.random by default. */
  random?: () => number;
  sleep?: Sleep;
  /** The clock (epoch ms); Date.now by default. */
  now?: () => number;
}

/**
 * Full-jitter backoff (AWS Architecture Blog, "Exponential Backoff and
 * Jitter"): uniform in [0, min(cap, base · 2^retryIndex)]. Jitter over the
 * whole range spreads many clients' retries apart, which a fixed doubling
 * would synchronise; `retryIndex` is 0 before the first retry.
 */
export function backoffDelay(retryIndex: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** retryIndex);
  return Math.floor(random() * ceiling);
}

/** The wait before the next attempt: the jittered backoff, but never less than the server's Retry-After. */
export function retryDelay(
  retryIndex: number,
  retryAfterMs: number | null,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  return Math.max(backoffDelay(retryIndex, policy, random), retryAfterMs ?? 0);
}

/** A Retry-After header (delta-seconds or an HTTP date) in ms from `nowMs`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form starts with a day name; Date.parse alone would take "-3" as a year.
  const date = /^[A-Za-z]/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

/** The real wait: a timer that an abort ends at once. */
export const abortableSleep: Sleep = (ms, signal, request) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(request));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(request));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Runs `operation` until it succeeds, retrying only a `ServiceError` that
 * says `retryable`, at most `maxAttempts` times in all, and never past
 * `giveUpAfterMs` without an answer (that error says so). Any other error
 * (a 4xx, a file that cannot be read) is thrown at once. `operation` gets
 * the attempt number, from 1.
 */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const firstAttemptAt = now();
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw abortedError(options.request);
    try {
      return await operation(attempt);
    } catch (error) {
      if (!(error instanceof ServiceError) || !error.retryable || attempt >= policy.maxAttempts) throw error;
      // An abort that surfaced as some other failure is still the caller's cancel, not a reason to retry.
      if (options.signal?.aborted) throw abortedError(options.request);
      const delayMs = retryDelay(attempt - 1, error.retryAfterMs, policy, options.random);
      const quietSince = Math.max(firstAttemptAt, options.lastActivityAt?.() ?? 0);
      if (now() + delayMs - quietSince >= policy.giveUpAfterMs) throw gaveUp(error, policy.giveUpAfterMs);
      options.onRetry?.({ attempt, delayMs, error, request: options.request, maxAttempts: policy.maxAttempts });
      await sleep(delayMs, options.signal, options.request);
    }
  }
}

/** `error`, said to be the last: the server gave no answer for `giveUpAfterMs`. Still retryable: a later run may find the server back. */
function gaveUp(error: ServiceError, giveUpAfterMs: number): ServiceError {
  return new ServiceError(
    `${error.message} Gave up: no answer from the server for ${formatDuration(giveUpAfterMs / 1000)}.`,
    {
      code: error.code,
      status: error.status,
      retryable: true,
      retryAfterMs: error.retryAfterMs,
      details: error.details,
      cause: error,
    },
  );
}
