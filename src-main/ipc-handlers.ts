import { ipcMain } from 'electron';
import { appErrors } from '../src-shared/app-errors.ts';
import { ipcChannels, type IpcRequests, type IpcResult } from '../src-shared/ipc-contract.ts';
import { dispatchRequest, type IpcHandlers } from './ipc-dispatch.ts';
import { isOwnRendererUrl } from './security.ts';

/**
 * Registers every request's handler with ipcMain, the only way main answers
 * IPC: a sender that is not our own top-level renderer page is refused
 * before its payload is even read.
 */
export function registerIpcHandlers(handlers: IpcHandlers): void {
  for (const name of Object.keys(ipcChannels) as Array<keyof IpcRequests>) {
    ipcMain.handle(ipcChannels[name], async (event, rawPayload: unknown): Promise<IpcResult<unknown>> => {
      const frame = event.senderFrame;
      if (!frame || frame.parent !== null || !isOwnRendererUrl(frame.url)) {
        return {
          ok: false,
          error: { code: 'forbidden_sender', message: appErrors.forbidden_sender.message },
        };
      }
      return dispatchRequest(handlers, name, rawPayload);
    });
  }
}
