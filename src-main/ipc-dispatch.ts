import type { z } from 'zod';
import { isErrorCode, unlistedErrorCode } from '../src-shared/app-errors.ts';
import type { IpcError, IpcRequests, IpcResult } from '../src-shared/ipc-contract.ts';
import { ipcPayloadSchemas } from './ipc-schemas.ts';

/** Every request's handler, as AppController provides them. */
export type IpcHandlers = {
  [Name in keyof IpcRequests]: (payload: IpcRequests[Name]['payload']) => Promise<IpcRequests[Name]['result']>;
};

/**
 * Answers one request: validates the payload with its schema, runs the
 * handler, and turns any failure into `{ok: false, error}` so the error's
 * code survives the trip. No Electron here: the app calls it from ipcMain,
 * the e2e harness from a Playwright binding.
 */
export async function dispatchRequest(
  handlers: IpcHandlers,
  name: keyof IpcRequests,
  rawPayload: unknown,
): Promise<IpcResult<unknown>> {
  const parsed = (ipcPayloadSchemas[name] as z.ZodType<unknown>).safeParse(rawPayload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      error: {
        code: 'invalid_payload',
        message: `${name}: ${issue ? `${issue.path.join('.') || 'payload'} ${issue.message}` : 'invalid payload'}`,
      },
    };
  }
  try {
    return { ok: true, value: await (handlers[name] as (payload: unknown) => Promise<unknown>)(parsed.data) };
  } catch (error) {
    return { ok: false, error: toIpcError(error) };
  }
}

/**
 * Any failure as `{code, message}`: the code of an AppError, ServiceError or DeployError, else internal_error.
 * A code from outside the tables (a newer server's, or a system error's such as EACCES) is passed on as it
 * came: the renderer shows its message.
 */
export function toIpcError(error: unknown): IpcError {
  if (error instanceof Error) {
    const coded = error as Error & { code?: unknown; failure?: { code: string } };
    const code = coded.failure?.code ?? (typeof coded.code === 'string' ? coded.code : 'internal_error');
    return { code: isErrorCode(code) ? code : unlistedErrorCode(code), message: error.message };
  }
  return { code: 'internal_error', message: String(error) };
}
