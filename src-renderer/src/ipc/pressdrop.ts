import type { PressdropApi } from '../../../src-shared/ipc-contract.ts';

declare global {
  interface Window {
    /** Exposed by src-preload; read only here. */
    pressdrop: PressdropApi;
  }
}

/** The bridge to main. The only module of the renderer that reads `window.pressdrop`. */
export const pressdrop: PressdropApi = window.pressdrop;
