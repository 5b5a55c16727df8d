import type { IpcError, IpcResult, PressdropApi } from '../../../src-shared/ipc-contract.ts';

declare global {
  interface Window {
    /** Exposed by src-preload; read only here. */
    pressdrop: PressdropApi;
  }
}

/** The bridge to main. The only module of the renderer that reads `window.pressdrop`. */
export const pressdrop: PressdropApi = window.pressdrop;

/** Thrown when main answers `{ok: false}`: keeps the error's code for the UI to word. */
export class PressdropError extends Error {
  readonly code: IpcError['code'];
  constructor(code: IpcError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** The value of an IPC answer, or a PressdropError. */
export function unwrap<T>(result: IpcResult<T>): T {
  if (result.ok) return result.value;
  throw new PressdropError(result.error.code, result.error.message);
}
