/**
 * A small streaming reader of `multipart/form-data` (RFC 7578 over RFC 2046).
 * No multipart parser is installed in this repo (neither @fastify/multipart
 * nor busboy), and the upload route must stream the file part to disk rather
 * than buffer it, so this reads the body chunk by chunk, hands the file part
 * on as it arrives (awaiting each write: a slow disk slows the reading), and
 * keeps only small text fields whole. It is strict: anything malformed,
 * truncated or oversized is refused with a MultipartError.
 */

/** Why a body is not acceptable multipart; the route answers invalid-argument with the message. */
export class MultipartError extends Error {}

/** What a reader does with the parts, in body order. */
export interface MultipartHandlers {
  /** A text part (no filename), whole. */
  onField(name: string, value: string): void;
  /** A file part (one with a filename) begins. */
  onFileStart(name: string, fileName: string): Promise<void> | void;
  /** The next bytes of the current file part; may throw to stop reading. */
  onFileData(chunk: Buffer): Promise<void> | void;
  /** The current file part ended (its last byte was handed on). */
  onFileEnd(): Promise<void> | void;
}

/** Limits on what a body may hold besides its file parts. */
export interface MultipartLimits {
  /** Largest text field value, in bytes. */
  maxFieldBytes: number;
  /** Largest header block of one part. */
  maxHeaderBytes: number;
  /** Most parts in one body. */
  maxParts: number;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const BOUNDARY_CHARS = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/** The boundary of a `multipart/form-data` Content-Type, or a MultipartError saying what is wrong with it. */
export function boundaryOf(contentType: string | undefined): string {
  const [type, ...params] = (contentType ?? '').split(';');
  if (type?.trim().toLowerCase() !== 'multipart/form-data') {
    throw new MultipartError('Send the upload as multipart/form-data.');
  }
  for (const param of params) {
    const match = /^\s*boundary=(?:"([^"]*)"|([^\s";]+))\s*$/i.exec(param);
    const boundary = match?.[1] ?? match?.[2];
    if (boundary === undefined) continue;
    if (!BOUNDARY_CHARS.test(boundary)) throw new MultipartError('The multipart boundary is not a valid one.');
    return boundary;
  }
  throw new MultipartError('The multipart/form-data Content-Type has no boundary.');
}

type State = 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'epilogue';

/**
 * Reads `body` as multipart with `boundary`, calling `handlers` for each
 * part. Resolves once the closing delimiter was read; rejects with a
 * MultipartError when the body is malformed or ends early, or with
 * whatever a handler threw.
 */
export async function readMultipart(
  body: AsyncIterable<Buffer>,
  boundary: string,
  handlers: MultipartHandlers,
  limits: MultipartLimits,
): Promise<void> {
  // Every delimiter, the first included, is read as CRLF "--" boundary: the body is read as if it began with a CRLF.
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let pending: Buffer = CRLF;
  let state = 'preamble' as State;
  let part: { kind: 'field'; name: string; chunks: Buffer[]; bytes: number } | { kind: 'file' } | null = null;
  let parts = 0;

  const emit = async (data: Buffer) => {
    if (data.length === 0 || !part) return;
    if (part.kind === 'file') {
      await handlers.onFileData(data);
      return;
    }
    part.bytes += data.length;
    if (part.bytes > limits.maxFieldBytes) {
      throw new MultipartError(`The field "${part.name}" is longer than ${limits.maxFieldBytes} bytes.`);
    }
    part.chunks.push(data);
  };

  const endPart = async () => {
    if (!part) return;
    if (part.kind === 'file') await handlers.onFileEnd();
    else handlers.onField(part.name, Buffer.concat(part.chunks).toString('utf8'));
    part = null;
  };

  const startPart = async (headerBlock: string) => {
    parts += 1;
    if (parts > limits.maxParts) throw new MultipartError(`The body has more than ${limits.maxParts} parts.`);
    const { name, fileName } = readPartHeaders(headerBlock);
    if (fileName === null) {
      part = { kind: 'field', name, chunks: [], bytes: 0 };
    } else {
      part = { kind: 'file' };
      await handlers.onFileStart(name, fileName);
    }
  };

  // Consumes as much of `pending` as the state allows; answers whether more input is needed.
  const step = async (): Promise<boolean> => {
    switch (state) {
      case 'preamble':
      case 'body': {
        const at = pending.indexOf(delimiter);
        if (at === -1) {
          // Keep a tail that could be the start of a delimiter split across chunks.
          const keep = Math.min(pending.length, delimiter.length - 1);
          if (state === 'body') await emit(pending.subarray(0, pending.length - keep));
          pending = pending.subarray(pending.length - keep);
          return true;
        }
        if (state === 'body') {
          await emit(pending.subarray(0, at));
          await endPart();
        }
        pending = pending.subarray(at + delimiter.length);
        state = 'after-delimiter';
        return false;
      }
      case 'after-delimiter': {
        if (pending.length < 2) return true;
        const next = pending.toString('latin1', 0, 2);
        pending = pending.subarray(2);
        if (next === '--') state = 'epilogue';
        else if (next === '\r\n') state = 'headers';
        else throw new MultipartError('A multipart delimiter is followed by neither CRLF nor "--".');
        return false;
      }
      case 'headers': {
        const at = pending.indexOf(HEADER_END);
        if (at === -1) {
          if (pending.length > limits.maxHeaderBytes) {
            throw new MultipartError(`A part's headers are longer than ${limits.maxHeaderBytes} bytes.`);
          }
          return true;
        }
        if (at > limits.maxHeaderBytes) {
          throw new MultipartError(`A part's headers are longer than ${limits.maxHeaderBytes} bytes.`);
        }
        const headerBlock = pending.toString('utf8', 0, at);
        pending = pending.subarray(at + HEADER_END.length);
        state = 'body';
        await startPart(headerBlock);
        return false;
      }
      case 'epilogue':
        // Whatever follows the closing delimiter is ignored (RFC 2046 §5.1.1).
        pending = Buffer.alloc(0);
        return true;
    }
  };

  for await (const chunk of body) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (!(await step()));
  }
  if (state !== 'epilogue') throw new MultipartError('The multipart body ends before its closing delimiter.');
}

/** The field name and (for a file part) the file name a part's headers give. */
function readPartHeaders(block: string): { name: string; fileName: string | null } {
  let disposition: string | null = null;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`A part has a malformed header line: ${JSON.stringify(line)}.`);
    if (line.slice(0, colon).trim().toLowerCase() === 'content-disposition') {
      if (disposition !== null) throw new MultipartError('A part has two Content-Disposition headers.');
      disposition = line.slice(colon + 1).trim();
    }
  }
  if (disposition === null) throw new MultipartError('A part has no Content-Disposition header.');
  const [type, ...rest] = splitParams(disposition);
  if (type?.toLowerCase() !== 'form-data') throw new MultipartError('A part is not Content-Disposition: form-data.');
  const params = new Map<string, string>();
  for (const param of rest) {
    const match = /^([A-Za-z0-9*_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s";]*))$/.exec(param);
    if (!match) throw new MultipartError(`A part's Content-Disposition has a malformed parameter: ${param}.`);
    params.set(match[1]!.toLowerCase(), match[2]?.replace(/\\(.)/g, '$1') ?? match[3]!);
  }
  const name = params.get('name');
  if (!name) throw new MultipartError('A part has no field name.');
  const fileName = params.get('filename') ?? params.get('filename*') ?? null;
  return { name, fileName };
}

/** Splits a header value at the semicolons outside quoted strings. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char === '\\' && quoted) {
      current += char + (value[i + 1] ?? '');
      i++;
    } else if (char === '"') {
      quoted = !quoted;
      current += char;
    } else if (char === ';' && !quoted) {
      out.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  out.push(current.trim());
  return out;
}
