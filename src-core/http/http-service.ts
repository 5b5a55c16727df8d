import { Pool } from 'undici';
import { sendOnce, Slots, type Call, type Connection, type HttpFailure } from './http-transport.ts';
import { DEFAULT_RETRY_POLICY, withRetry, type RetryInfo, type RetryOptions, type RetryPolicy } from './retry.ts';
import type { ServiceError } from './service-error.ts';

/** Which service to talk to, and as whom. */
export interface ServiceIdentity {
  /** The base URL; a path prefix is kept (each call's path is added to it). */
  baseUrl: string;
  /** The service as messages name it ("Press Cloud", "Slideless", "Cloudflare"). */
  service: string;
  /** Sent with every request: the credential. */
  headers: Record<string, string>;
  /** Values no error message may repeat. */
  secrets: readonly string[];
  /** The service's error body as a ServiceError (its codes, its retryable statuses). */
  toError: (failure: HttpFailure) => ServiceError;
}

/** Tuning of an HttpService; every field has a sensible default. */
export interface HttpServiceOptions {
  /** Keep-alive connections to the server (default 8): the ceiling of parallel uploads. */
  connections?: number;
  /** A request that moves no bytes, up or down, for this long is abandoned as `stalled` (default 30 000; at most a third of `retry.giveUpAfterMs`, so that deadline holds three tries). */
  stallTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Called before each backoff wait, e.g. to show "retrying". */
  onRetry?: (info: RetryInfo) => void;
}

const DEFAULT_CONNECTIONS = 8;
const DEFAULT_STALL_TIMEOUT_MS = 30_000;

/**
 * What every target's protocol client shares: one undici keep-alive pool,
 * a slot per connection (the stall timer runs only once a request is on
 * the wire), retries with full-jitter backoff that honour Retry-After, a
 * stall timeout instead of a total timeout, and a close that ends requests
 * in flight and backoff waits.
 */
export class HttpService {
  readonly service: string;
  readonly #connection: Connection;
  readonly #slots: Slots;
  readonly #retry: Partial<RetryPolicy>;
  readonly #onRetry: ((info: RetryInfo) => void) | undefined;
  // Aborted by close(): ends backoff waits and requests in flight.
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;
  readonly #joined = new WeakMap<AbortSignal, AbortSignal>();
  /** When bytes last moved on any request: a server that answers something is not given up on. */
  #lastActivityAt = 0;

  constructor(identity: ServiceIdentity, options: HttpServiceOptions = {}) {
    const url = new URL(identity.baseUrl);
    this.service = identity.service;
    this.#retry = options.retry ?? {};
    this.#onRetry = options.onRetry;
    const connections = options.connections ?? DEFAULT_CONNECTIONS;
    this.#slots = new Slots(connections);
    const pool = new Pool(url.origin, {
      connections,
      // HTTP/2 where the server offers it in TLS's ALPN: each connection carries many requests at
      // once, where HTTP/1.1 carries one at a time.
      allowH2: url.protocol === 'https:',
      // undici's own timers would cut a multi-gigabyte upload or a slow commit;
      // sendOnce's stall watch ends only requests on which nothing moves.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    const giveUpAfterMs = this.#retry.giveUpAfterMs ?? DEFAULT_RETRY_POLICY.giveUpAfterMs;
    this.#connection = {
      pool,
      basePath: url.pathname.replace(/\/+$/, ''),
      service: identity.service,
      headers: identity.headers,
      secrets: identity.secrets,
      toError: identity.toError,
      stallTimeoutMs: Math.max(
        1,
        Math.min(options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, Math.floor(giveUpAfterMs / 3)),
      ),
      onActivity: () => (this.#lastActivityAt = Date.now()),
    };
  }

  /** Sends `call` with retries; `onRetry` (default: the service's) hears each backoff wait. */
  async call(call: Call, onRetry = this.#onRetry): Promise<unknown> {
    return withRetry(() => this.send(call), this.retryOptions(call.request, call.signal, onRetry));
  }

  /** One attempt, once a connection is free; ended early by the caller's signal or by close(). */
  async send(call: Call): Promise<unknown> {
    const signal = this.#signal(call.signal);
    const release = await this.#slots.acquire(signal, call.request);
    try {
      return await sendOnce(this.#connection, call, signal);
    } finally {
      release();
    }
  }

  /** How `withRetry` retries a request of this service: for a loop of the caller's own (a commit that checks first). */
  retryOptions(request: string, signal?: AbortSignal, onRetry = this.#onRetry): RetryOptions {
    return {
      request,
      policy: this.#retry,
      signal: this.#signal(signal),
      ...(onRetry && { onRetry }),
      lastActivityAt: () => this.#lastActivityAt,
    };
  }

  /** Closes the connections; requests still in flight or waiting to retry end with `aborted`. Safe to call twice. */
  async close(): Promise<void> {
    this.#closing.abort();
    this.#closed ??= this.#connection.pool.close();
    await this.#closed;
  }

  /** The caller's signal joined with close()'s, made once per caller's signal (a call's retries and attempts share it). */
  #signal(signal: AbortSignal | undefined): AbortSignal {
    if (!signal) return this.#closing.signal;
    let joined = this.#joined.get(signal);
    if (!joined) this.#joined.set(signal, (joined = AbortSignal.any([signal, this.#closing.signal])));
    return joined;
  }
}
