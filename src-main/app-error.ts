import { apiErrors, isApiErrorCode, type ApiErrorCode } from '../src-shared/api-errors.ts';
import { appErrors, type AppErrorCode } from '../src-shared/app-errors.ts';

/** A failure the renderer shows in words; the code says which words: main's own, or an API code main passes on. */
export class AppError extends Error {
  readonly code: AppErrorCode | ApiErrorCode;
  constructor(
    code: AppErrorCode | ApiErrorCode,
    message: string = isApiErrorCode(code) ? apiErrors[code].message : appErrors[code].message,
  ) {
    super(message);
    this.code = code;
  }
}
