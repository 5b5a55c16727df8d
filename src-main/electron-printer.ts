import { BrowserWindow, session, type Session, type WebContents } from 'electron';
import {
  PrintFailure,
  readyScript,
  withinPrintTimeout,
  type PdfPrinter,
  type PrintRequest,
} from '../src-server/render/pdf-printer.ts';

/** The partition print windows load in: in memory (no `persist:`), apart from the app's own session. */
const PRINT_PARTITION = 'pressdrop-print';

/**
 * The embedded server's printer: Electron's own Chromium, so the app needs
 * no second browser. Each print loads the page in a hidden, sandboxed
 * window with no preload, in a session of its own that may load only the
 * page's origin (the server's preview), then `webContents.printToPDF` with
 * the page's CSS `@page` size. Uncaught page errors come from the DevTools
 * protocol (Electron has no page-error event).
 */
export class ElectronPrinter implements PdfPrinter {
  readonly description = 'Electron’s own Chromium (a hidden window)';
  readonly #windows = new Set<BrowserWindow>();
  #session: Session | null = null;
  /** The only origin print windows may load: the preview origin of the page being printed. */
  #allowedOrigin = '';

  async print(request: PrintRequest): Promise<Buffer> {
    this.#allowedOrigin = new URL(request.url).origin;
    const window = new BrowserWindow({
      show: false,
      webPreferences: {
        sandbox: true,
        contextIsolation: true,
        nodeIntegration: false,
        webSecurity: true,
        session: this.#printSession(),
        spellcheck: false,
        // The page's own scripts run (documents build themselves); nothing of ours is injected.
        javascript: true,
        // No middle-click new windows from a hidden page.
        disableBlinkFeatures: 'Auxclick',
      },
    });
    this.#windows.add(window);
    const contents = window.webContents;
    const deadline = Date.now() + request.timeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    // Set by events while the print runs.
    const seen: { pageError: string | null; gone: string | null } = { pageError: null, gone: null };
    contents.on('render-process-gone', (_event, details) => (seen.gone = details.reason));
    contents.on('will-navigate', (event, url) => {
      if (new URL(url).origin !== this.#allowedOrigin) event.preventDefault();
    });
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    try {
      contents.debugger.attach('1.3');
      contents.debugger.on(
        'message',
        (_event, method, params: { exceptionDetails?: { text?: string; exception?: { description?: string } } }) => {
          if (method === 'Runtime.exceptionThrown')
            seen.pageError ??=
              params.exceptionDetails?.exception?.description?.split('\n')[0] ??
              params.exceptionDetails?.text ??
              'an uncaught error';
        },
      );
      await contents.debugger.sendCommand('Runtime.enable');
      const status = await withinPrintTimeout(loadStatus(contents, request.url), left(), request.timeoutMs);
      if (status >= 400) throw new PrintFailure('render_page_error', `The page answered HTTP ${status}.`);
      await withinPrintTimeout(contents.executeJavaScript(readyScript(request.title), true), left(), request.timeoutMs);
      if (seen.pageError) throw new PrintFailure('render_page_error', `The page threw: ${seen.pageError}`);
      return await withinPrintTimeout(
        contents.printToPDF({ preferCSSPageSize: true, printBackground: true }),
        left(),
        request.timeoutMs,
      );
    } catch (error) {
      if (error instanceof PrintFailure) throw error;
      if (seen.gone !== null || window.isDestroyed())
        throw new PrintFailure('render_crashed', `The page's renderer went away (${seen.gone ?? 'closed'}).`);
      throw new PrintFailure(
        'render_page_error',
        error instanceof Error ? error.message.split('\n')[0]! : String(error),
      );
    } finally {
      this.#windows.delete(window);
      if (!window.isDestroyed()) window.destroy();
    }
  }

  async close(): Promise<void> {
    for (const window of this.#windows) if (!window.isDestroyed()) window.destroy();
    this.#windows.clear();
  }

  /** The print session: every request outside the page's origin cancelled, every permission denied. */
  #printSession(): Session {
    if (this.#session) return this.#session;
    const printSession = session.fromPartition(PRINT_PARTITION);
    printSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    printSession.setPermissionCheckHandler(() => false);
    printSession.webRequest.onBeforeRequest((details, callback) => {
      const origin = URL.canParse(details.url) ? new URL(details.url).origin : '';
      callback({
        cancel: origin !== this.#allowedOrigin && !details.url.startsWith('data:') && !details.url.startsWith('blob:'),
      });
    });
    return (this.#session = printSession);
  }
}

/** Loads `url`; resolves with the main document's HTTP status. */
function loadStatus(contents: WebContents, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let status = 0;
    contents.once('did-navigate', (_event, _url, httpResponseCode) => (status = httpResponseCode));
    contents.loadURL(url).then(
      () => resolve(status),
      (error: unknown) =>
        reject(
          new PrintFailure(
            'render_page_error',
            `The page did not load: ${error instanceof Error ? error.message : String(error)}`,
          ),
        ),
    );
  });
}
