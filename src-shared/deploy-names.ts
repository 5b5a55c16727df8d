/**
 * The naming rules of Press Cloud: which deploy slugs, alias names, file
 * paths and media types the API accepts. The server enforces them; the
 * client checks them before it uploads anything, so a refusal comes early
 * and in words.
 */

/** `POST /v1/deploys` slug rule, from the contract. */
export const DEPLOY_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Longest deploy name (after trimming), in UTF-16 code units; it must not be empty. */
export const MAX_DEPLOY_NAME_LENGTH = 200;

/** Alias names start with a letter, so `/preview/{slug}/{versionNo | alias}` is never ambiguous. */
export const ALIAS_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/** Longest file path a version may hold, in UTF-8 bytes (the contract's "Path and MIME rules"). */
export const MAX_PATH_BYTES = 1024;

/** Longest segment (folder or file name) of a path, in UTF-8 bytes: what common file systems allow. */
export const MAX_SEGMENT_BYTES = 255;

/** Longest media type, in characters (all of them ASCII). */
export const MAX_MEDIA_TYPE_LENGTH = 255;

// C0 and C1 controls, DEL included: they break terminals, logs and HTTP headers.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
// Bidirectional controls make a name display as another one ("gpj.exe" shown as "exe.jpg").
const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
// In u-mode a surrogate half matches only when it is unpaired: such a string has no UTF-8 form,
// so it would be stored as U+FFFD and two different paths could become one.
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/** The length of `text` in UTF-8 bytes, without TextEncoder (src-shared has no DOM or Node types). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/**
 * What is wrong with a version file path, as the end of a sentence ("path …
 * is empty"), or null when it is fine. The contract's rules in order: the
 * first that applies is the one reported. Repeats are the caller's check
 * (they need the other paths).
 */
export function deployPathProblem(path: string): string | null {
  if (path.length === 0) return 'is empty';
  if (LONE_SURROGATE.test(path)) return 'is not valid Unicode (it has a lone surrogate)';
  const bytes = utf8ByteLength(path);
  if (bytes > MAX_PATH_BYTES) return `is ${bytes} bytes long in UTF-8; the limit is ${MAX_PATH_BYTES}`;
  if (CONTROL.test(path)) return 'contains a control character (U+0000-U+001F or U+007F-U+009F)';
  if (BIDI_CONTROL.test(path))
    return 'contains a bidirectional control character, which makes a name display as another';
  if (path.includes('\\')) return 'contains a backslash; separate folders with /';
  if (path.startsWith('/')) return 'is absolute; paths are relative to the deployed folder';
  if (path.endsWith('/')) return 'ends with /; name a file, not a folder';
  for (const segment of path.split('/')) {
    if (segment === '') return 'has an empty segment (//)';
    if (segment === '..' || segment === '.') return `has a "${segment}" segment`;
    const segmentBytes = utf8ByteLength(segment);
    if (segmentBytes > MAX_SEGMENT_BYTES)
      return `has a segment of ${segmentBytes} bytes in UTF-8; the limit is ${MAX_SEGMENT_BYTES}`;
  }
  if (path.normalize('NFC') !== path)
    return 'is not in Unicode NFC; normalise names read from disk before sending them';
  return null;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]|\\\\[\\x20-\\x7e])*"';

/**
 * A media type as the contract accepts it: `type/subtype` with optional
 * `; name=value` parameters (a value may be a quoted string), in visible
 * ASCII with spaces only around the semicolons. No CR, LF or other control:
 * the value ends up in a `Content-Type` header.
 */
export const MEDIA_TYPE_PATTERN = new RegExp(`^${TOKEN}/${TOKEN}(?: *; *${TOKEN}=(?:${TOKEN}|${QUOTED}))*$`);

/** Whether `mime` is a media type the contract accepts. */
export function isMediaType(mime: string): boolean {
  return mime.length <= MAX_MEDIA_TYPE_LENGTH && MEDIA_TYPE_PATTERN.test(mime);
}

/**
 * A path (or any long text) short enough to quote in a message: its first
 * 60 and last 40 characters around "…" when it is longer than 120. A
 * refusal of a 4 KiB path should not repeat all of it.
 */
export function abbreviate(text: string): string {
  const chars = Array.from(text);
  if (chars.length <= 120) return text;
  return `${chars.slice(0, 60).join('')}…${chars.slice(-40).join('')}`;
}
