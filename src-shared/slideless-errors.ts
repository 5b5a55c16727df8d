/**
 * Slideless's error codes (docs.slideless.ai, API reference), as its
 * adapter (src-core/targets/slideless) passes them on: the code as the
 * service spells it, its HTTP status, and the sentence a user can act on
 * (the renderer and the CLI show it). Codes that mean what an engine code
 * means (an expired session) are mapped to that code instead.
 */
export const slidelessErrors = {
  'invalid-argument': {
    status: 400,
    message:
      'Slideless refused the deck as it is (the detail says what: the entry page, a path, the title). Change that and deploy again.',
  },
  unauthenticated: {
    status: 401,
    message: 'Slideless did not accept the API key. Check the key (cko_… or cka_…), or make a new one.',
  },
  'permission-denied': {
    status: 403,
    message:
      'This Slideless key may not change that presentation: it needs presentations:write, and the presentation must be yours.',
  },
  'not-found': {
    status: 404,
    message: 'Slideless has no such presentation. Check the presentation id, or deploy without one to make a new one.',
  },
  'hash-mismatch': {
    status: 400,
    message: 'A file changed while it was uploading. Wait until nothing writes to the folder, then try again.',
  },
  'payload-too-large': {
    status: 413,
    message: 'A file or the deck is larger than your Slideless plan accepts. Leave large files out with .pressignore.',
  },
  'too-many-files': {
    status: 400,
    message: 'The deck has more files than your Slideless plan accepts. Leave files out with .pressignore.',
  },
  'blobs-missing': {
    status: 400,
    message: 'Slideless is missing files the version needs; deploy again and PressDrop sends them.',
  },
  conflict: {
    status: 409,
    message: 'The presentation changed since this deploy started (someone pushed a newer version). Deploy again.',
  },
} as const satisfies Record<string, { status: number; message: string }>;

/** A Slideless error code PressDrop has words for. */
export type SlidelessErrorCode = keyof typeof slidelessErrors;

/** True when `code` is one of Slideless's listed codes. */
export function isSlidelessErrorCode(code: string): code is SlidelessErrorCode {
  return Object.hasOwn(slidelessErrors, code);
}
