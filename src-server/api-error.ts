import { apiErrors, type ApiErrorCode } from '../src-shared/api-errors.ts';

/** An error the API answers with: a code from the shared table, a sentence, and any extra body fields. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly extra: Record<string, unknown>;

  constructor(code: ApiErrorCode, message: string = apiErrors[code].message, extra: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.status = apiErrors[code].status;
    this.extra = extra;
  }

  /** The contract's error body: `{"error", "message", …extra}`. */
  toBody(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.extra };
  }
}
