import { app, session, shell, type WebContents } from 'electron';

/** The origin the renderer is served from in a built app (see renderer-protocol.ts). */
export const APP_ORIGIN = 'app://pressdrop';

/** The renderer URL in `electron-vite dev`, where Vite serves it; undefined in a built app. */
export function devRendererUrl(): string | undefined {
  return app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
}

/** Whether a URL is one of our own renderer pages (the app origin, or the dev server in development). */
export function isOwnRendererUrl(url: string): boolean {
  try {
    const origin = new URL(url).origin;
    const dev = devRendererUrl();
    return origin === APP_ORIGIN || (dev !== undefined && origin === new URL(dev).origin);
  } catch {
    return false;
  }
}

/** Links the renderer may open in the system browser: http(s) only, never file:, javascript: or custom schemes. */
export function isSafeExternalUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Electron's security checklist, applied to every web contents the app
 * creates: no navigation away from our pages, no new windows (safe links
 * go to the system browser instead), no webviews, and every permission
 * request (camera, notifications from pages, …) denied.
 */
export function applySecurityPolicy(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isOwnRendererUrl(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isOwnRendererUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isSafeExternalUrl(url))
        void shell.openExternal(url); /* eng-disable OPEN_EXTERNAL_JS_CHECK (reviewed: http(s) URLs only) */
      return { action: 'deny' };
    });
  });
}
