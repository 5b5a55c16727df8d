import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import type { z } from 'zod';
import { ipcChannels, type IpcRequests, type IpcResult } from '../src-shared/ipc-contract.ts';
import { isOwnRendererUrl } from './security.ts';

/**
 * Registers the handler of one request, the only way main answers IPC: it
 * refuses senders that are not our own top-level renderer page, validates
 * the payload with `schema`, and turns any failure into `{ok: false, error}`
 * so the error code survives the trip to the renderer.
 */
export function handleRequest<Name extends keyof IpcRequests>(
  name: Name,
  schema: z.ZodType<IpcRequests[Name]['payload']>,
  handler: (payload: IpcRequests[Name]['payload'], event: IpcMainInvokeEvent) => Promise<IpcRequests[Name]['result']>,
): void {
  ipcMain.handle(ipcChannels[name], async (event, rawPayload: unknown): Promise<IpcResult<IpcRequests[Name]['result']>> => {
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null || !isOwnRendererUrl(frame.url)) {
      return { ok: false, error: { code: 'forbidden_sender', message: 'This request came from a page that is not PressDrop.' } };
    }
    const parsed = schema.safeParse(rawPayload);
    if (!parsed.success) {
      return { ok: false, error: { code: 'invalid_payload', message: `${name}: ${parsed.error.issues[0]?.message ?? 'invalid payload'}` } };
    }
    try {
      return { ok: true, value: await handler(parsed.data, event) };
    } catch (error) {
      return { ok: false, error: { code: 'internal_error', message: error instanceof Error ? error.message : String(error) } };
    }
  });
}
