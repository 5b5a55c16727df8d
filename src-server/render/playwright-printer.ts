import type { Browser } from 'playwright-core';
import {
  HEADLESS_CHROMIUM_ARGS,
  PrintFailure,
  printTimedOut,
  readyScript,
  withinPrintTimeout,
  type PdfPrinter,
  type PrintRequest,
} from './pdf-printer.ts';

/**
 * `pressdrop serve`'s printer: one headless Chromium, launched through
 * playwright-core on the first print and kept warm. Each print gets a
 * fresh context (no cookies or storage shared between documents) whose
 * page loads the preview, waits until it is ready, and prints with the page
 * size and margins of its CSS `@page`.
 */
export class PlaywrightPrinter implements PdfPrinter {
  readonly #executablePath: string;
  #browser: Promise<Browser> | null = null;
  #closed = false;

  constructor(executablePath: string) {
    this.#executablePath = executablePath;
  }

  get description(): string {
    return `headless Chromium at ${this.#executablePath}`;
  }

  async print(request: PrintRequest): Promise<Buffer> {
    if (this.#closed) throw new PrintFailure('render_crashed', 'The printer was closed.');
    const browser = await this.#launch();
    const deadline = Date.now() + request.timeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    let context;
    try {
      context = await browser.newContext({ acceptDownloads: false, serviceWorkers: 'block' });
    } catch (error) {
      throw this.#crashed(error);
    }
    let pageError: Error | null = null;
    try {
      const page = await context.newPage();
      page.on('pageerror', (error) => (pageError ??= error));
      const response = await page.goto(request.url, { waitUntil: 'load', timeout: left() });
      if (response && !response.ok())
        throw new PrintFailure('render_page_error', `The page answered HTTP ${response.status()}.`);
      await withinPrintTimeout(page.evaluate(readyScript(request.title)), left(), request.timeoutMs);
      // An uncaught error while the page built itself: what it prints would be half a document.
      if (pageError) throw new PrintFailure('render_page_error', `The page threw: ${(pageError as Error).message}`);
      return await withinPrintTimeout(
        page.pdf({ preferCSSPageSize: true, printBackground: true }),
        left(),
        request.timeoutMs,
      );
    } catch (error) {
      throw this.#failure(error, request.timeoutMs);
    } finally {
      await context.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const browser = this.#browser;
    this.#browser = null;
    await (await browser?.catch(() => null))?.close().catch(() => undefined);
  }

  /** The warm browser, launched now if there is none (or the last one died). */
  #launch(): Promise<Browser> {
    this.#browser ??= (async () => {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: this.#executablePath,
        args: HEADLESS_CHROMIUM_ARGS,
        // Chromium's own sandbox keeps a hostile page away from this machine; it cannot start as root.
        chromiumSandbox: process.getuid?.() !== 0,
      });
      browser.once('disconnected', () => {
        if (this.#browser === launched) this.#browser = null;
      });
      return browser;
    })();
    const launched = this.#browser;
    launched.catch(() => {
      if (this.#browser === launched) this.#browser = null;
    });
    return launched.catch((error: unknown) => {
      throw new PrintFailure(
        'render_crashed',
        `Chromium (${this.#executablePath}) did not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      );
    });
  }

  #crashed(error: unknown): PrintFailure {
    return new PrintFailure(
      'render_crashed',
      `The browser went away while printing: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }

  #failure(error: unknown, timeoutMs: number): PrintFailure {
    if (error instanceof PrintFailure) return error;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof Error && error.name === 'TimeoutError') return printTimedOut(timeoutMs);
    if (
      /Target page, context or browser has been closed|Browser has been closed|browser has disconnected|Target crashed/i.test(
        message,
      )
    )
      return this.#crashed(error);
    return new PrintFailure('render_page_error', message.split('\n')[0]!);
  }
}
