import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import type { Browser, Page } from '@playwright/test';
import { DeployEngine } from '../../src-core/deploy-engine.ts';
import { FileSecretStore } from '../../src-core/file-secret-store.ts';
import { AppController } from '../../src-main/app-controller.ts';
import { CONTENT_SECURITY_POLICY } from '../../src-main/content-security-policy.ts';
import { dispatchRequest } from '../../src-main/ipc-dispatch.ts';
import { startTestServer, type TestServer } from '../../src-server/testing/test-server.ts';
import { ipcChannels, ipcEventChannels, type IpcRequests, type KeyStorage } from '../../src-shared/ipc-contract.ts';
import type { ServerOptions } from '../../src-server/server.ts';

/** Where the global setup puts the built renderer and the bundled harness preload. */
export const RENDERER_DIR = join(import.meta.dirname, '../../out/renderer');
export const HARNESS_PRELOAD = join(import.meta.dirname, '../../node_modules/.cache/pressdrop-e2e/harness-preload.js');

/** The app as a test drives it: the renderer in Chromium, the real main-side handlers, a real local Press Cloud. */
export interface AppHarness {
  page: Page;
  server: TestServer;
  controller: AppController;
  /** The engine the controller deploys with (a spec may run a deploy of its own, as the CLI would). */
  engine: DeployEngine;
  /** A scratch folder for the test's sites; removed at close. */
  scratch: string;
  /** Requests the renderer made, by name, in order. */
  requests: string[];
  /** Files main handed to the system viewer (openPath), in order. */
  openedFiles: string[];
  /** Addresses main handed to the browser (openExternal), in order. */
  openedUrls: string[];
  /** Main's PDF save dialog: the names it was offered, and how it answers (a path in the scratch folder unless a test says otherwise; null is Cancel). */
  saveDialog: { offered: string[]; answer: (suggestedName: string) => string | null };
  /**
   * Stops the app as a crash would, keeping the data: the page goes, runs stop mid-flight and stay
   * resumable. An engine in this process cannot be killed like a process, so its runs are cancelled
   * first: left running, they would write to the closed journal (an uncaught error) or, retrying,
   * reach the relaunched server and commit behind the test's back.
   */
  crash(): Promise<void>;
  close(): Promise<void>;
}

/** What a relaunch keeps: the server's data and key, the engine's state, and main's settings (electron-store in the app). */
export interface AppState {
  serverDataDir: string;
  apiKey: string;
  stateDir: string;
  settings: Map<string, unknown>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves the built renderer with the app's CSP, as the app:// protocol does in Electron. */
async function serveRenderer(): Promise<{ server: Server; url: string }> {
  const root = normalize(RENDERER_DIR + sep);
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CONTENT_SECURITY_POLICY,
    });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html` };
}

/** How the app is opened: whose data, which server options, which look, and how well the system keeps secrets. */
export interface OpenAppOptions {
  state?: AppState;
  server?: Partial<ServerOptions>;
  colorScheme?: 'light' | 'dark';
  /** What the KeyVault reports, as safeStorage would on this system ('keychain' unless told). */
  keyStorage?: KeyStorage;
}

/**
 * Opens the app: a real local Press Cloud (fresh, or the one of `state`),
 * the real engine and AppController with plain ports (a Map for settings
 * and keys), and the renderer in a new Chromium page whose window.pressdrop
 * is built by the preload's own createPressdropApi over Playwright bindings.
 */
export async function openApp(
  browser: Browser,
  options: OpenAppOptions = {},
): Promise<AppHarness & { state: AppState }> {
  const scratch = mkdtempSync(join(tmpdir(), 'pressdrop-e2e-'));
  const state: AppState = options.state ?? {
    serverDataDir: join(scratch, 'server'),
    apiKey: '',
    stateDir: join(scratch, 'engine'),
    settings: new Map(),
  };
  // As src-main does: the embedded server keeps its port across launches, so journaled jobs find it again.
  const port =
    typeof state.settings.get('localServerPort') === 'number' ? (state.settings.get('localServerPort') as number) : 0;
  const server = await startTestServer({
    port,
    ...options.server,
    dataDir: state.serverDataDir,
    ...(state.apiKey && { apiKey: state.apiKey }),
  });
  state.settings.set('localServerPort', server.server.port);
  state.apiKey = server.apiKey;
  const engine = new DeployEngine({
    stateDir: state.stateDir,
    secrets: new FileSecretStore(join(state.stateDir, 'secrets.json')),
  });
  const renderer = await serveRenderer();
  const context = await browser.newContext({
    viewport: { width: 1100, height: 760 },
    colorScheme: options.colorScheme ?? 'light',
  });
  const page = await context.newPage();
  const { settings } = state;
  const keys = new Map<string, string>();
  const keyStorage = options.keyStorage ?? 'keychain';
  const requests: string[] = [];
  const openedFiles: string[] = [];
  const openedUrls: string[] = [];
  const saveDialog: AppHarness['saveDialog'] = { offered: [], answer: (name) => join(scratch, name) };
  const controller = new AppController({
    appVersion: '0.1.0',
    engine,
    localServer: { url: server.url, apiKey: server.apiKey, dataDir: state.serverDataDir },
    settings: { get: (key) => settings.get(key), set: (key, value) => void settings.set(key, value) },
    keys: {
      storage: () => keyStorage,
      get: async (id) => keys.get(id) ?? null,
      set: async (id, key) => void keys.set(id, key),
      delete: async (id) => void keys.delete(id),
    },
    openExternal: async (url) => void openedUrls.push(url),
    chooseFolder: async () => null,
    openPath: async (path) => void openedFiles.push(path),
    choosePdfPath: async (name) => {
      saveDialog.offered.push(name);
      return saveDialog.answer(name);
    },
    pdfDir: join(scratch, 'opened-pdfs'),
    emit: (name, payload) => {
      void page
        .evaluate(
          ([channel, body]) =>
            (window as unknown as { __pressdropEmit?: (c: string, p: unknown) => void }).__pressdropEmit?.(
              channel,
              body,
            ),
          [ipcEventChannels[name], payload] as const,
        )
        .catch(() => undefined);
    },
  });
  const names = new Map<string, keyof IpcRequests>(
    Object.entries(ipcChannels).map(([name, channel]) => [channel, name as keyof IpcRequests]),
  );
  await page.exposeBinding('__pressdropInvoke', async (_source, channel: string, payload: unknown) => {
    const name = names.get(channel);
    // As ipcMain does for a channel with no handler: the invoke rejects (there is no IpcResult to answer with).
    if (!name) throw new Error(`No handler registered for '${channel}'`);
    requests.push(name);
    return dispatchRequest(controller.handlers, name, payload);
  });
  await page.addInitScript({ path: HARNESS_PRELOAD });
  await page.goto(renderer.url);

  let closed = false;
  const shutDown = async () => {
    if (closed) return;
    closed = true;
    await context.close();
    await controller.close();
    await engine.close().catch(() => undefined);
    await server.close({ keepData: true });
    await new Promise((resolve) => renderer.server.close(resolve));
  };
  return {
    page,
    server,
    controller,
    engine,
    scratch,
    requests,
    openedFiles,
    openedUrls,
    saveDialog,
    state,
    crash: () => shutDown(),
    close: async () => {
      await shutDown();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
