import { ipcMain } from 'electron';
import type { z } from 'zod';
import { ipcChannels, type IpcRequests, type IpcResult } from '../src-shared/ipc-contract.ts';
import { ipcPayloadSchemas } from './ipc-schemas.ts';
import { isOwnRendererUrl } from './security.ts';

type Handler<Name extends keyof IpcRequests> = (payload: IpcRequests[Name]['payload']) => Promise<IpcRequests[Name]['result']>;

/**
 * Registers every request's handler, the only way main answers IPC: it
 * refuses senders that are not our own top-level renderer page, validates
 * the payload, and turns any failure into `{ok: false, error}` so the
 * error's code survives the trip to the renderer.
 */
export function registerIpcHandlers(handlers: { [Name in keyof IpcRequests]: Handler<Name> }): void {
  for (const name of Object.keys(ipcChannels) as Array<keyof IpcRequests>) {
    const schema = ipcPayloadSchemas[name] as z.ZodType<unknown>;
    const handler = handlers[name] as (payload: unknown) => Promise<unknown>;
    ipcMain.handle(ipcChannels[name], async (event, rawPayload: unknown): Promise<IpcResult<unknown>> => {
      const frame = event.senderFrame;
      if (!frame || frame.parent !== null || !isOwnRendererUrl(frame.url)) {
        return { ok: false, error: { code: 'forbidden_sender', message: 'This request came from a page that is not PressDrop.' } };
      }
      const parsed = schema.safeParse(rawPayload);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return { ok: false, error: { code: 'invalid_payload', message: `${name}: ${issue ? `${issue.path.join('.') || 'payload'} ${issue.message}` : 'invalid payload'}` } };
      }
      try {
        return { ok: true, value: await handler(parsed.data) };
      } catch (error) {
        return { ok: false, error: toIpcError(error) };
      }
    });
  }
}

/** Any failure as `{code, message}`: the code of an AppError, PressCloudError or DeployError, else internal_error. */
export function toIpcError(error: unknown): { code: string; message: string } {
  if (error instanceof Error) {
    const coded = error as Error & { code?: unknown; failure?: { code: string } };
    const code = coded.failure?.code ?? (typeof coded.code === 'string' ? coded.code : 'internal_error');
    return { code, message: error.message };
  }
  return { code: 'internal_error', message: String(error) };
}
