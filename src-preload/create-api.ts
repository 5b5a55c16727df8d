import { ipcChannels, type IpcRequests, type PressdropApi } from '../src-shared/ipc-contract.ts';

/** How the API reaches main: ipcRenderer in Electron, a Playwright binding in the e2e harness. */
export interface IpcTransport {
  invoke(channel: string, payload: unknown): Promise<unknown>;
}

/** Builds `window.pressdrop` from a transport: one method per channel, nothing more. */
export function createPressdropApi(transport: IpcTransport): PressdropApi {
  const api = {} as Record<keyof IpcRequests, (payload: unknown) => Promise<unknown>>;
  for (const [name, channel] of Object.entries(ipcChannels) as Array<[keyof IpcRequests, string]>) {
    api[name] = (payload: unknown) => transport.invoke(channel, payload);
  }
  return api as PressdropApi;
}
