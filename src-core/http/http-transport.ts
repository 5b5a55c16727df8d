import { Transform, type Readable } from 'node:stream';
import type { Pool } from 'undici';
import { abortedError, badResponseError, networkError, ServiceError, stalledError } from './service-error.ts';
import { parseRetryAfter } from './retry.ts';

/**
 * A JSON body serialized and encoded once: a 20,000-file manifest is digested (for its idempotency
 * key) and sent as the same UTF-8 bytes, instead of being serialized, or encoded, for each.
 */
export class JsonText<T = unknown> {
  readonly bytes: Buffer;
  /** What `bytes` hold, for the type checker: a call typed for a body of `T` takes this too. */
  declare readonly value: T;

  constructor(value: T) {
    this.bytes = Buffer.from(JSON.stringify(value));
  }
}

/** One request as a client sends it; `request` names it in messages and in `onRetry`. */
export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  request: string;
  json?: unknown;
  /** A 2xx body is written here as it arrives (a PDF), not read as JSON; the attempt resolves with `{}`. */
  download?: { write(chunk: Buffer): Promise<unknown> };
  /**
   * A body of exactly `size` bytes (a file, or a multipart body around one), streamed, or a small one
   * whole; `onBytesSent` follows the wire (a whole body counts as sent when handed to it). Sent as
   * `application/octet-stream` unless `contentType` says otherwise.
   */
  upload?: {
    size: number;
    open: () => Readable | Buffer;
    contentType?: string;
    onBytesSent?: ((delta: number) => void) | undefined;
  };
  /** Headers of this request only (an upload token, an Idempotency-Key); the connection's own go with every request. */
  headers?: Record<string, string>;
  /** Values this request carries that no error message may repeat (an upload token). */
  secrets?: readonly string[];
  signal?: AbortSignal | undefined;
}

/**
 * Where and how `sendOnce` talks: the pool, the path prefix, the headers every request carries (the
 * credential), the stall limit, and the service's own error shape.
 */
export interface Connection {
  pool: Pool;
  basePath: string;
  /** The service as messages name it ("Press Cloud", "Slideless", "Cloudflare"). */
  service: string;
  /** Sent with every request, e.g. `authorization`. */
  headers: Record<string, string>;
  /** Values no error message may repeat: the credential. */
  secrets: readonly string[];
  stallTimeoutMs: number;
  /** The service's error body (parsed JSON, or the text when it is not JSON) as a ServiceError. */
  toError: (failure: HttpFailure) => ServiceError;
  /** Told whenever bytes move, up or down: the server is there. */
  onActivity?: () => void;
}

/** A non-2xx answer, as a service's error mapper reads it. */
export interface HttpFailure {
  request: string;
  status: number;
  body: unknown;
  retryAfterMs: number | null;
  /** Removes the connection's and the request's secrets from text a server echoed. */
  redact: (text: string) => string;
}

/**
 * One attempt: sends `call`, watches for stalls, reads and parses the
 * answer. Resolves with the JSON object of a 2xx answer; rejects with a
 * `ServiceError`, or with the body stream's own error (a file that
 * cannot be read is not the network's fault, and is not retried).
 */
export async function sendOnce(connection: Connection, call: Call, signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) throw abortedError(call.request);
  // Opened first: a small file is read (and checked) here, and a FileChangedError leaves no timer behind.
  const opened = call.upload?.open();
  if (Buffer.isBuffer(opened) && opened.length !== call.upload!.size)
    throw new Error(`${call.request}: the body is ${opened.length} bytes, not the ${call.upload!.size} announced.`);
  const controller = new AbortController();
  let stalled = false;
  // A stall timer, not a total timeout: every byte that moves, up or down, restarts it.
  const timer = setTimeout(() => {
    stalled = true;
    controller.abort();
  }, connection.stallTimeoutMs);
  const touch = () => {
    timer.refresh();
    connection.onActivity?.();
  };
  const onAbort = () => controller.abort();
  signal.addEventListener('abort', onAbort, { once: true });

  const headers: Record<string, string> = { accept: 'application/json', ...connection.headers, ...call.headers };
  let body: string | Buffer | Readable | undefined;
  if (call.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = call.json instanceof JsonText ? call.json.bytes : JSON.stringify(call.json);
  }
  let source: Readable | undefined;
  let counter: Transform | undefined;
  let sent = 0;
  let settled = false;
  let bodyError: Error | undefined;
  if (call.upload) {
    const { size, onBytesSent } = call.upload;
    headers['content-type'] = call.upload.contentType ?? 'application/octet-stream';
    headers['content-length'] = String(size);
    if (Buffer.isBuffer(opened)) {
      body = opened;
      sent = size;
      onBytesSent?.(size);
    } else if (opened) {
      source = opened;
      // Counts what undici pulls; undici pulls only as the socket drains, so the count follows the wire.
      counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          // After the answer (e.g. an early "alreadyPresent"), bytes still piped in are not sent: don't count them.
          if (settled) return done();
          sent += chunk.length;
          if (sent > size) {
            bodyError = new Error(
              `${call.request}: the file grew while it was uploaded (more than the ${size} bytes it was hashed at); scan it again.`,
            );
            return done(bodyError);
          }
          touch();
          onBytesSent?.(chunk.length);
          done(null, chunk);
        },
        flush(done) {
          if (sent < size)
            bodyError = new Error(
              `${call.request}: the file shrank while it was uploaded (${sent} of ${size} bytes); scan it again.`,
            );
          done(bodyError);
        },
      });
      const destination = counter;
      opened.once('error', (error) => {
        bodyError ??= error;
        destination.destroy(error);
      });
      body = opened.pipe(counter);
    }
  }

  try {
    const response = await connection.pool.request({
      method: call.method,
      path: connection.basePath + call.path,
      headers,
      body,
      signal: controller.signal,
    });
    touch();
    const into = call.download && response.statusCode >= 200 && response.statusCode < 300 ? call.download : null;
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) {
      if (into) await into.write(chunk as Buffer);
      else chunks.push(chunk as Buffer);
      touch();
    }
    if (into) {
      settled = true;
      return {};
    }
    const parsed = parseAnswer(
      connection,
      call,
      response.statusCode,
      response.headers,
      Buffer.concat(chunks).toString('utf8'),
    );
    settled = true;
    // A server that has the blob may answer before reading it all: the rest counts as done, so the sum is the size.
    if (call.upload && sent < call.upload.size) call.upload.onBytesSent?.(call.upload.size - sent);
    return parsed;
  } catch (error) {
    settled = true;
    // What failed first decides what the caller is told; undici's own error then only says "aborted".
    const failure = stalled
      ? stalledError(call.request, connection.stallTimeoutMs)
      : signal.aborted
        ? abortedError(call.request)
        : bodyError !== undefined
          ? bodyError
          : error instanceof ServiceError
            ? error
            : networkError(call.request, error, connection.service);
    if (sent > 0) call.upload?.onBytesSent?.(-sent);
    throw failure;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    source?.destroy();
    counter?.destroy();
  }
}

function parseAnswer(
  connection: Connection,
  call: Call,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  text: string,
): unknown {
  const type = String(headers['content-type'] ?? '');
  let parsed: unknown = text;
  if (type.includes('application/json') && text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      if (status < 300) throw badResponseError(call.request, status, 'the body is not valid JSON', connection.service);
    }
  }
  if (status === 204) return {};
  if (status >= 200 && status < 300) {
    if (parsed === null || typeof parsed !== 'object')
      throw badResponseError(call.request, status, 'expected a JSON object', connection.service);
    return parsed;
  }
  const retryAfter = headers['retry-after'];
  const secrets = [...connection.secrets, ...(call.secrets ?? [])].filter((secret) => secret !== '');
  const redact = (message: string) => secrets.reduce((text, secret) => text.split(secret).join('[redacted]'), message);
  throw connection.toError({
    request: call.request,
    status,
    body: parsed,
    retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter),
    redact,
  });
}

/** A path segment, escaped. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** `body[name]`, which the contract says is an object. */
export function field<T>(body: unknown, name: string, request: string, service: string): T {
  const value = (body as Record<string, unknown>)[name];
  if (value === null || typeof value !== 'object')
    throw badResponseError(request, 200, `"${name}" is missing`, service);
  return value as T;
}

/** `body` as `T`, once it is checked to have the named fields. */
export function expectFields<T>(body: unknown, names: string[], request: string, service: string): T {
  const missing = names.filter((name) => !Object.hasOwn(body as object, name));
  if (missing.length > 0)
    throw badResponseError(request, 200, `${missing.map((name) => `"${name}"`).join(', ')} missing`, service);
  return body as T;
}

/**
 * At most `size` requests in flight. The stall timer must not run while a
 * request merely waits its turn in undici's queue, so the client waits
 * here, for a free connection, before `sendOnce` starts the timer.
 */
export class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  /** Resolves with a release function once a slot is free; rejects with `aborted` if `signal` aborts first. */
  acquire(signal: AbortSignal, request: string): Promise<() => void> {
    if (signal.aborted) return Promise.reject(abortedError(request));
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve(release);
      };
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(grant), 1);
        reject(abortedError(request));
      };
      this.#waiting.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
