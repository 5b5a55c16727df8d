import {
  ipcChannels,
  ipcEventChannels,
  PRELOAD_ONLY_REQUESTS,
  type FolderCheck,
  type IpcEvents,
  type IpcRequests,
  type IpcResult,
  type PressdropApi,
} from '../src-shared/ipc-contract.ts';

/** How the API reaches main: ipcRenderer in Electron, Playwright bindings in the e2e harness. */
export interface IpcTransport {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  /** Subscribes to a main → renderer channel; returns the unsubscribe function. */
  on(channel: string, listener: (payload: unknown) => void): () => void;
  /** The on-disk path of a dropped File (Electron's webUtils.getPathForFile); '' when it has none. */
  pathForFile(file: unknown): string;
}

/** Builds `window.pressdrop` from a transport: one method per page request, nothing more. */
export function createPressdropApi(transport: IpcTransport): PressdropApi {
  const api: Record<string, unknown> = {};
  const preloadOnly: ReadonlyArray<string> = PRELOAD_ONLY_REQUESTS;
  for (const [name, channel] of Object.entries(ipcChannels) as Array<[keyof IpcRequests, string]>) {
    if (!preloadOnly.includes(name)) api[name] = (payload: unknown) => transport.invoke(channel, payload);
  }
  api.on = (name: keyof IpcEvents, listener: (payload: unknown) => void) =>
    transport.on(ipcEventChannels[name], listener);
  // The path is read here, from the File itself: the page hands over a File, never a path.
  api.dropFolder = (file: unknown) =>
    transport.invoke(ipcChannels['folder.dropped'], { path: transport.pathForFile(file) }) as Promise<
      IpcResult<FolderCheck>
    >;
  return api as PressdropApi;
}
