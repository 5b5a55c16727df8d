/**
 * The e2e stand-in for src-preload/index.ts: the same createPressdropApi,
 * over a transport made of Playwright bindings instead of ipcRenderer.
 * Bundled for the page by the global setup; runs before the renderer.
 */
import { createPressdropApi } from '../../src-preload/create-api.ts';

type Listener = (payload: unknown) => void;

interface HarnessWindow {
  /** Exposed by Playwright (page.exposeBinding): calls the real main-side handler. */
  __pressdropInvoke(channel: string, payload: unknown): Promise<unknown>;
  /** Called by the harness (page.evaluate) for each main → renderer event. */
  __pressdropEmit?: (channel: string, payload: unknown) => void;
  /** Set by a test: the on-disk path of each File it drops, as Electron's webUtils would give it. */
  __pressdropDropPaths?: Record<string, string>;
  pressdrop?: unknown;
}

const harness = window as unknown as HarnessWindow;
const listeners = new Map<string, Set<Listener>>();
harness.__pressdropEmit = (channel, payload) => listeners.get(channel)?.forEach((listener) => listener(payload));
harness.pressdrop = createPressdropApi({
  invoke: (channel, payload) => harness.__pressdropInvoke(channel, payload),
  on: (channel, listener) => {
    const set = listeners.get(channel) ?? new Set<Listener>();
    listeners.set(channel, set);
    set.add(listener);
    return () => set.delete(listener);
  },
  pathForFile: (file) => (file instanceof File ? (harness.__pressdropDropPaths?.[file.name] ?? '') : ''),
});
