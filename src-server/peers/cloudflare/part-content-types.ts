/** Longest header block of one part busboy parses (its fixed limit); a longer one fails there, not here. */
const MAX_HEADER_BYTES = 16 * 1024;
const CRLF = 0x0d0a;
const DASHES = 0x2d2d;
const HEADER_END = Buffer.from('\r\n\r\n');
const NOTHING = Buffer.alloc(0);

/**
 * The Content-Type header of each part of a multipart body, in body order.
 *
 * Why this exists beside busboy: busboy reports a part's media type without
 * its parameters (`text/html`, not `text/html; charset=utf-8`; an open issue
 * its author declined, mscdex/busboy#108), and the peer serves each asset
 * with the Content-Type its part carried, as Cloudflare does. So the bytes
 * fed to busboy are also searched for the delimiters busboy splits at (with
 * the native `Buffer#indexOf`), and the Content-Type line of each header
 * block that follows one is kept. It frames nothing and refuses nothing:
 * busboy does both. Each part busboy reports takes the next entry, so a
 * part busboy skipped (no Content-Disposition) shows as one entry too many
 * at the end, which the reader refuses.
 */
export class PartContentTypes {
  readonly #delimiter: Buffer;
  /** Bytes kept from earlier chunks: a delimiter or header block cut by a chunk's end. */
  #pending: Buffer;
  #inHeader = false;
  /** The closing delimiter was read: what follows is the epilogue, which busboy ignores too. */
  #closed = false;
  #found: Array<string | null> = [];
  #taken = 0;

  constructor(boundary: string) {
    this.#delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    // As busboy does: the first delimiter may open the body, so the body is read as if a CRLF came first.
    this.#pending = Buffer.from('\r\n');
  }

  /** Reads the next chunk of the body (before busboy does). */
  push(chunk: Buffer): void {
    if (this.#closed) return;
    const buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    let at = 0;
    for (;;) {
      if (!this.#inHeader) {
        const found = buf.indexOf(this.#delimiter, at);
        if (found === -1) {
          this.#pending = this.#cutDelimiter(buf, at);
          return;
        }
        const after = found + this.#delimiter.length;
        if (buf.length < after + 2) {
          this.#pending = buf.subarray(found);
          return;
        }
        // A delimiter followed by CRLF opens a part; by "--" it closes the body.
        this.#inHeader = buf.readUInt16BE(after) === CRLF;
        if (!this.#inHeader && buf.readUInt16BE(after) === DASHES) {
          this.#closed = true;
          return;
        }
        at = this.#inHeader ? after + 2 : after;
      } else {
        const end = buf.indexOf(HEADER_END, at);
        if (end === -1) {
          // A header block past busboy's limit fails the body there: nothing more is worth keeping.
          const tooLong = buf.length - at > MAX_HEADER_BYTES;
          this.#pending = tooLong ? NOTHING : buf.subarray(at);
          if (tooLong) this.#inHeader = false;
          return;
        }
        this.#found.push(contentTypeLine(buf.toString('latin1', at, end)));
        this.#inHeader = false;
        at = end + HEADER_END.length;
      }
    }
  }

  /**
   * The end of `buf` (from `from` on) when it is the start of a delimiter cut by the chunk's end, else
   * nothing: kept for the next chunk, so that only such a rare chunk is copied to be searched again.
   */
  #cutDelimiter(buf: Buffer, from: number): Buffer {
    const start = Math.max(from, buf.length - this.#delimiter.length + 1);
    // A delimiter has one CR, its first byte: a cut one starts at the last CR of the tail.
    const cr = buf.subarray(start).lastIndexOf(0x0d);
    if (cr === -1) return NOTHING;
    const tail = buf.subarray(start + cr);
    return this.#delimiter.subarray(0, tail.length).equals(tail) ? tail : NOTHING;
  }

  /** The next part's Content-Type header, lowercased (null: it had none). */
  next(): string | null {
    return this.#found[this.#taken++] ?? null;
  }

  /** Whether every part found was reported (taken) by busboy. */
  get allTaken(): boolean {
    return this.#taken === this.#found.length;
  }
}

/** The value of the first Content-Type line of a header block, lowercased, or null. */
function contentTypeLine(block: string): string | null {
  for (const line of block.split('\r\n')) {
    if (/^content-type\s*:/i.test(line))
      return line
        .slice(line.indexOf(':') + 1)
        .trim()
        .toLowerCase();
  }
  return null;
}
