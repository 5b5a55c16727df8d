/**
 * The printer port of the local Press Cloud: what turns a version's page
 * into a PDF. `pressdrop serve` prints with a headless Chromium driven by
 * playwright-core (playwright-printer.ts); the app's embedded server prints
 * with Electron's own Chromium (src-main/electron-printer.ts), so the app
 * needs no second browser. Both honour the same request.
 */
import type { RenderJobErrorCode } from '../../src-shared/api-errors.ts';

/** One page to print: the preview URL of the version's render route, and how. */
export interface PrintRequest {
  /** The page, on the server's own preview origin. */
  url: string;
  /** The PDF's Title; null keeps the page's own `<title>`. */
  title: string | null;
  /** The whole print (load, fonts, `window.pressReady`, the PDF) must end within this. */
  timeoutMs: number;
}

/** Why a print failed, as the render job's `error.code` says it (the table is src-shared's, beside the API's). */
export type PrintFailureCode = RenderJobErrorCode;

/** A failed print: the job is retried, then fails with this code and message. */
export class PrintFailure extends Error {
  readonly code: PrintFailureCode;
  constructor(code: PrintFailureCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Prints pages to PDF. Started once and kept warm: the browser is launched
 * on the first print and reused; one that died is started again on the next.
 */
export interface PdfPrinter {
  /** What prints, in words, for the server's start-up lines (e.g. "headless Chromium at /usr/bin/chromium"). */
  readonly description: string;
  /** The PDF's bytes; rejects with a PrintFailure. */
  print(request: PrintRequest): Promise<Buffer>;
  /** Closes the browser; prints in flight fail with `render_crashed`. */
  close(): Promise<void>;
}

/**
 * What every printer does in the page before it prints: wait for web fonts,
 * then for `window.pressReady` when the page defines that promise (the
 * contract's signal that a page which builds itself is done), then set the
 * Title. A string, so each printer evaluates it in the page as it can
 * (Playwright's evaluate, Electron's executeJavaScript). A rejected
 * pressReady is the page's error, reported with its reason.
 */
export function readyScript(title: string | null): string {
  return `(async () => {
    await document.fonts.ready;
    const ready = window.pressReady;
    if (ready && typeof ready.then === 'function') {
      try { await ready; } catch (error) { throw new Error('window.pressReady rejected: ' + (error && error.message ? error.message : String(error))); }
    }
    ${title === null ? '' : `document.title = ${JSON.stringify(title)};`}
    return true;
  })()`;
}

/** Chromium's flags for printing on a server: no GPU, no first-run, no phoning home. */
export const HEADLESS_CHROMIUM_ARGS = [
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/** The `render_timeout` failure of a print that was given `timeoutMs` in all. */
export function printTimedOut(timeoutMs: number): PrintFailure {
  return new PrintFailure('render_timeout', `The page was not ready to print within ${timeoutMs} ms.`);
}

/** `work`, or a `render_timeout` PrintFailure once `ms` have passed (`timeoutMs`, the whole print's, is what the message says). */
export async function withinPrintTimeout<T>(work: Promise<T>, ms: number, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(printTimedOut(timeoutMs)), ms);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
