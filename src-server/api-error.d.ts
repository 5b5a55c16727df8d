import { type ApiErrorCode } from '../src-shared/api-errors.ts';
/** An error the API answers with: a code from the shared table, a sentence, and any extra body fields. */
export declare class ApiError extends Error {
    readonly code: ApiErrorCode;
    readonly status: number;
    readonly extra: Record<string, unknown>;
    constructor(code: ApiErrorCode, message?: string, extra?: Record<string, unknown>);
    /** The contract's error body: `{"error", "message", …extra}`. */
    toBody(): Record<string, unknown>;
}
