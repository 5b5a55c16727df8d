import { connect, type Socket } from 'node:net';

/** An HTTP answer read off a raw socket; `json` is the body parsed when it is JSON. */
export interface RawAnswer {
  status: number;
  /** Header names lowercased; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
  // Tests read arbitrary fields of contract bodies.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** A request written byte for byte as given: fetch and node:http would normalise the request line, the Host and repeated headers. */
export interface RawRequest {
  method: string;
  /** The request target exactly as sent: `/%761/deploys`, `http://127.0.0.1/v1/deploys`, `*`… */
  target: string;
  /** Header lines in order; a name may repeat. `Host: 127.0.0.1:<port>` is added unless a host header is given or `host: null`. */
  headers?: Array<[string, string]>;
  /** Lines written as they are after the headers (e.g. one without a colon). */
  extraLines?: string[];
  host?: string | null;
  body?: string | Buffer;
  /** Adds Content-Length for the body (default true). */
  contentLength?: boolean;
  httpVersion?: '1.0' | '1.1';
}

/** The bytes of `request` for a server on `port`. */
export function requestBytes(port: number, request: RawRequest): Buffer {
  const lines = [`${request.method} ${request.target} HTTP/${request.httpVersion ?? '1.1'}`];
  const headers = request.headers ?? [];
  const hasHost = headers.some(([name]) => name.toLowerCase() === 'host');
  if (!hasHost && request.host !== null) lines.push(`Host: ${request.host ?? `127.0.0.1:${port}`}`);
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  lines.push(...(request.extraLines ?? []));
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
  if (request.body !== undefined && request.contentLength !== false) lines.push(`Content-Length: ${body.length}`);
  lines.push('Connection: close');
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** Sends one raw request on a new connection and reads the answer; rejects when the connection ends without one. */
export function rawRequest(port: number, request: RawRequest | Buffer, timeoutMs = 10_000): Promise<RawAnswer> {
  const bytes = Buffer.isBuffer(request) ? request : requestBytes(port, request);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${bytes.toString('latin1', 0, 80)}`));
    }, timeoutMs);
    const method = bytes.toString('latin1', 0, 8).split(' ')[0]!;
    const finish = () => {
      clearTimeout(timer);
      const answer = parseAnswer(Buffer.concat(chunks), method);
      if (answer) resolve(answer);
      else
        reject(
          new Error(`the connection closed without an answer to ${JSON.stringify(bytes.toString('latin1', 0, 80))}`),
        );
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // Answers carry Content-Length or are chunked; once one is whole, we are done even if the server keeps the connection.
      if (parseAnswer(Buffer.concat(chunks), method)) socket.destroy();
    });
    socket.on('close', finish);
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

/** One whole HTTP/1.1 answer at the start of `data` (to a `method` request), or null while it is incomplete. */
export function parseAnswer(data: Buffer, method = 'GET'): RawAnswer | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = data.toString('latin1', 0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
  if (!status) return null;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let rest = data.subarray(end + 4);
  let body: Buffer;
  if (method === 'HEAD' || status === 204 || status === 304) {
    body = Buffer.alloc(0);
  } else if (headers['transfer-encoding'] === 'chunked') {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      if (lineEnd < 0) return null;
      const size = parseInt(rest.toString('latin1', 0, lineEnd), 16);
      if (rest.length < lineEnd + 2 + size + 2) return null;
      if (size === 0) break;
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      rest = rest.subarray(lineEnd + 2 + size + 2);
    }
    body = Buffer.concat(parts);
  } else {
    const length = headers['content-length'] === undefined ? 0 : Number(headers['content-length']);
    if (rest.length < length) return null;
    body = rest.subarray(0, length);
  }
  const text = body.toString('utf8');
  let json: unknown = undefined;
  if ((headers['content-type'] ?? '').includes('application/json') && text !== '') json = JSON.parse(text);
  return { status, headers, body: text, json };
}

/** A raw connection for slow-client tests: what it received, and when the server closed it. */
export interface SlowClient {
  socket: Socket;
  received(): string;
  /** Resolves with the milliseconds from connecting until the server closed the connection. */
  closed: Promise<number>;
}

/** Connects to `port` and resolves once connected; writes nothing (the test decides what and when). */
export function openSlowClient(port: number): Promise<SlowClient> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const closed = new Promise<number>((done) => socket.once('close', () => done(performance.now() - started)));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}
