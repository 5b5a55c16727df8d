import { ipcChannels, ipcEventChannels, type IpcEvents, type IpcRequests, type PressdropApi } from '../src-shared/ipc-contract.ts';

/** How the API reaches main: ipcRenderer in Electron, Playwright bindings in the e2e harness. */
export interface IpcTransport {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  /** Subscribes to a main → renderer channel; returns the unsubscribe function. */
  on(channel: string, listener: (payload: unknown) => void): () => void;
  pathForFile(file: unknown): string;
}

/** Builds `window.pressdrop` from a transport: one method per channel, nothing more. */
export function createPressdropApi(transport: IpcTransport): PressdropApi {
  const api: Record<string, unknown> = {};
  for (const [name, channel] of Object.entries(ipcChannels) as Array<[keyof IpcRequests, string]>) {
    api[name] = (payload: unknown) => transport.invoke(channel, payload);
  }
  api.on = (name: keyof IpcEvents, listener: (payload: unknown) => void) => transport.on(ipcEventChannels[name], listener);
  api.pathForFile = (file: unknown) => transport.pathForFile(file);
  return api as PressdropApi;
}
