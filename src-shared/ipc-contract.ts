/**
 * The renderer-facing API of the desktop app, typed once. Main registers a
 * handler per request name, the preload builds `window.pressdrop` from the
 * channel map, and the renderer calls it; all three read this file, and
 * nothing here imports either side.
 */

/** What the window shows about the running app and its embedded server. */
export interface AppInfo {
  appVersion: string;
  /** The embedded local Press Cloud, e.g. `http://127.0.0.1:51234`. */
  localServerUrl: string;
  /** Where the embedded server keeps its data. */
  localDataDir: string;
}

/** Request name → its payload and its result. */
export interface IpcRequests {
  'app.info': { payload: null; result: AppInfo };
}

/** Every request name and the IPC channel it travels on; `satisfies` makes a missing one a type error. */
export const ipcChannels = {
  'app.info': 'pressdrop:app.info',
} as const satisfies Record<keyof IpcRequests, string>;

/** An error as it crosses IPC: a stable code and a sentence for people. */
export interface IpcError {
  code: string;
  message: string;
}

/** What every handler answers: main never throws across IPC, so the code survives the trip. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** `window.pressdrop`: one method per request. */
export type PressdropApi = {
  [Name in keyof IpcRequests]: (payload: IpcRequests[Name]['payload']) => Promise<IpcResult<IpcRequests[Name]['result']>>;
};
