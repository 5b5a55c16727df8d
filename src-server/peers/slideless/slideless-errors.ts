/**
 * The error table of the Slideless peer: every code the peer answers with,
 * its HTTP status and a default sentence. Codes and statuses are the ones
 * docs.slideless.ai lists per endpoint (see README.md); `unavailable` and
 * `resource-exhausted` are the injected 503 and 429, named in the same
 * Firebase-style vocabulary because Slideless documents neither.
 */
export const slidelessErrors = {
  'invalid-argument': { status: 400, message: 'The request is missing a field or has one of the wrong shape.' },
  'hash-mismatch': { status: 400, message: 'The uploaded bytes do not hash to the declared sha256.' },
  'blobs-missing': { status: 400, message: 'One or more referenced sha256 hashes are not uploaded.' },
  'too-many-files': { status: 400, message: "The manifest lists more files than the plan's cap." },
  unauthenticated: { status: 401, message: 'Invalid or missing API key.' },
  'permission-denied': { status: 403, message: 'This API key does not own that presentation.' },
  'not-found': { status: 404, message: 'Not found.' },
  'method-not-allowed': { status: 405, message: 'Wrong HTTP method.' },
  conflict: { status: 409, message: 'The presentation has moved past the expected base version.' },
  'payload-too-large': { status: 413, message: "The upload exceeds the plan's cap." },
  'resource-exhausted': { status: 429, message: 'Too many requests; retry later.' },
  internal: { status: 500, message: 'Internal error; retry with backoff.' },
  unavailable: { status: 503, message: 'The service is unavailable; retry later.' },
} as const satisfies Record<string, { status: number; message: string }>;

/** A code of the peer's error table. */
export type SlidelessErrorCode = keyof typeof slidelessErrors;

/** What an error body may carry besides code and message (Slideless's `nextAction` and `details`). */
export interface SlidelessErrorExtras {
  nextAction?: string;
  details?: Record<string, unknown>;
}

/** An error the peer answers with, in Slideless's envelope. */
export class SlidelessError extends Error {
  readonly code: SlidelessErrorCode;
  readonly status: number;
  readonly extras: SlidelessErrorExtras;

  constructor(
    code: SlidelessErrorCode,
    message: string = slidelessErrors[code].message,
    extras: SlidelessErrorExtras = {},
  ) {
    super(message);
    this.code = code;
    this.status = slidelessErrors[code].status;
    this.extras = extras;
  }

  /** `{success: false, error: {code, message, nextAction?, details?}}`, the shape of every Slideless error. */
  toBody(): { success: false; error: { code: SlidelessErrorCode; message: string } & SlidelessErrorExtras } {
    return { success: false, error: { code: this.code, message: this.message, ...this.extras } };
  }
}

/** The success envelope: `{success: true, data}`. */
export function ok<T>(data: T): { success: true; data: T } {
  return { success: true, data };
}
