import type { IncomingMessage, ServerOptions as HttpServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './api-error.ts';

/**
 * How long a client may take. Headers and JSON bodies have a total time;
 * a blob body has none (4 GiB take what they take), only a stall time: it
 * is cut when none of its bytes arrive for that long.
 */
export interface Timeouts {
  /** A request's headers must all arrive within this (Node's headersTimeout), counted from its first byte or the connection. */
  headersMs: number;
  /** A JSON (or any non-blob) body must arrive in full within this, counted from its headers. */
  bodyMs: number;
  /** A blob body is cut when no byte of it arrives for this long. */
  stallMs: number;
}

/** Timeouts of `pressdrop serve` and the app's embedded server: a silent or trickling client is cut within seconds. */
export const DEFAULT_TIMEOUTS: Timeouts = { headersMs: 8_000, bodyMs: 10_000, stallMs: 10_000 };

/**
 * Node's HTTP server options for these timeouts. Node looks for expired
 * headers only every `connectionsCheckingInterval` (30 s unless told), so
 * that interval is a fraction of the headers timeout. Requests without a
 * Host are let through, to be answered 421 like any other foreign Host.
 */
export function httpServerOptions(timeouts: Timeouts): HttpServerOptions {
  return {
    headersTimeout: timeouts.headersMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(timeouts.headersMs / 4))),
    requireHostHeader: false,
  };
}

/**
 * Arms the body's clock for one request that declares a body: a deadline
 * for the whole body, or for a streamed body (blob uploads) a stall timer
 * that only bytes not moving can fire. Either cuts the connection.
 */
export function guardBodyTime(request: FastifyRequest, timeouts: Timeouts): void {
  const { headers } = request;
  const declaresBody =
    headers['transfer-encoding'] !== undefined ||
    (headers['content-length'] !== undefined && headers['content-length'] !== '0');
  if (!declaresBody) return;
  const body: IncomingMessage = request.raw;
  const socket = body.socket;
  if (request.routeOptions.config.streamedBody === true) {
    // The socket's idle timer is refreshed by every byte the parser takes; 'timeout' reaches the request only while its body is incomplete.
    body.setTimeout(timeouts.stallMs, () => {
      // Bytes wait for us (a slow disk holds the upload back): the client is not the one stalling.
      if (body.readableLength > 0 || socket.isPaused()) return void socket.setTimeout(timeouts.stallMs);
      // After a busy spell of this process, timers run before the poll phase reads what arrived meanwhile:
      // decide after that phase (setImmediate), so bytes that came while we were busy still count.
      const readBefore = socket.bytesRead;
      setImmediate(() => {
        if (socket.destroyed || body.complete) return;
        if (socket.bytesRead > readBefore || body.readableLength > 0 || socket.isPaused())
          socket.setTimeout(timeouts.stallMs);
        else socket.destroy();
      });
    });
    body.once('end', () => {
      // Only our timer is cleared: once the answer is sent, Node may have set the keep-alive one.
      if (!socket.destroyed && socket.timeout === timeouts.stallMs) socket.setTimeout(0);
    });
    return;
  }
  const deadline = setTimeout(() => socket.destroy(), timeouts.bodyMs);
  const clear = () => clearTimeout(deadline);
  body.once('end', clear);
  body.once('close', clear);
}

/** Headers a request may carry once only: a second copy would be read differently by different parsers (or by us and a proxy). */
const SINGLETON_HEADERS = new Set([
  'host',
  'authorization',
  'x-upload-token',
  'idempotency-key',
  'content-type',
  'content-length',
  'transfer-encoding',
]);

/** `400 invalid_request` when a header that must be single is repeated (Node would silently keep the first copy). */
export function refuseRepeatedHeaders(request: FastifyRequest): void {
  const raw = request.raw.rawHeaders;
  const seen = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!SINGLETON_HEADERS.has(name)) continue;
    if (seen.has(name))
      throw new ApiError('invalid_request', `The ${name} header appears more than once; send it once.`);
    seen.add(name);
  }
}

/** A `host[:port]` as the Host header and --allow-host spell it, lowercased; null when it is not one. */
function parseHostPort(text: string): { host: string; port: string | null } | null {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)(?::(\d{1,5}))?$/.exec(text.toLowerCase());
  if (!match) return null;
  const port = match[2] ?? null;
  if (port !== null && (Number(port) < 1 || Number(port) > 65535)) return null;
  return { host: match[1]!, port };
}

/**
 * The Host names this server answers to (DNS rebinding: a web page can make
 * a browser send requests to 127.0.0.1 under its own name, and only the
 * Host header tells). Its own loopback names with the port it listens on,
 * its listening address when that is not a wildcard, and the names
 * `--allow-host` adds for people behind a proxy (with a port, exactly; a
 * bare name, with any port).
 */
export class HostAllowList {
  readonly #extra: ReadonlyArray<{ host: string; port: string | null }>;
  readonly #listenHost: string;
  #exact = new Set<string>();

  /** Throws an Error naming a malformed `--allow-host` entry. */
  constructor(allowedHosts: readonly string[], listenHost: string) {
    this.#extra = allowedHosts.map((entry) => {
      const parsed = parseHostPort(entry.trim());
      if (!parsed)
        throw new Error(
          `--allow-host ${JSON.stringify(entry)}: give a host name or address, optionally with :port (e.g. pressdrop.example.com or [fd00::5]:8443).`,
        );
      return parsed;
    });
    this.#listenHost = listenHost.toLowerCase();
  }

  /** Fixes the port, once the server listens. */
  bind(port: number): void {
    const names = ['127.0.0.1', 'localhost', '[::1]'];
    const own = this.#listenHost.includes(':') ? `[${this.#listenHost}]` : this.#listenHost;
    if (!['0.0.0.0', '[::]', '[::0]'].includes(own)) names.push(own);
    this.#exact = new Set(names.map((name) => `${name}:${port}`));
  }

  /** `421 misdirected_request` unless the request's one Host header names this server. */
  check(request: FastifyRequest): void {
    const header = request.headers.host;
    // The usual case, its own name spelt as it spells it, needs no parse (the pattern costs ~10 µs a request).
    if (header !== undefined && this.#exact.has(header)) return;
    const parsed = typeof header === 'string' ? parseHostPort(header) : null;
    const allowed =
      parsed !== null &&
      (this.#exact.has(`${parsed.host}:${parsed.port ?? ''}`) ||
        this.#extra.some((entry) => entry.host === parsed.host && (entry.port === null || entry.port === parsed.port)));
    if (!allowed) {
      throw new ApiError(
        'misdirected_request',
        header === undefined
          ? 'The request has no Host header; this server answers only requests addressed to it.'
          : 'This server answers only requests addressed to its own address (127.0.0.1, localhost or [::1] with its port); start it with --allow-host <name> to add a name.',
      );
    }
  }
}

/**
 * Answers what Node's parser refused before any route saw it (malformed
 * request line or headers, oversized headers) in the contract's shape, and
 * cuts a connection whose headers timed out without a word: that client is
 * not listening.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    socket.destroy();
    return;
  }
  const message =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'The request headers are larger than this server accepts (16 KiB).'
      : `The request is not valid HTTP/1.1 (${error.code ?? 'parse error'}).`;
  const body = JSON.stringify(new ApiError('invalid_request', message).toBody());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
