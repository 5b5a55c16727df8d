import { app, BrowserWindow, dialog, net, Notification, powerMonitor, powerSaveBlocker, shell } from 'electron';
import Store from 'electron-store';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import hashWorkerPath from '../src-core/hash-worker.ts?modulePath';
import { DeployEngine } from '../src-core/deploy-engine.ts';
import { startServer, type RunningServer } from '../src-server/server.ts';
import { ipcEventChannels } from '../src-shared/ipc-contract.ts';
import { AppController } from './app-controller.ts';
import { installAppMenu } from './app-menu.ts';
import { ElectronPrinter } from './electron-printer.ts';
import { keyStorageKind, MemorySecrets, SafeStorageSecrets } from './electron-ports.ts';
import { registerIpcHandlers } from './ipc-handlers.ts';
import { registerRendererScheme, serveRenderer } from './renderer-protocol.ts';
import { APP_ORIGIN, applySecurityPolicy, devRendererUrl, isSafeExternalUrl } from './security.ts';
import { rememberBounds, savedBounds } from './window-state.ts';

// Tests and portable setups may keep the profile elsewhere; set before anything reads it.
if (process.env.PRESSDROP_USER_DATA) app.setPath('userData', process.env.PRESSDROP_USER_DATA);

// One PressDrop at a time: a second launch focuses the first window instead.
if (!app.requestSingleInstanceLock()) app.quit();

registerRendererScheme();

let mainWindow: BrowserWindow | null = null;
let localServer: RunningServer | null = null;
let controller: AppController | null = null;
let engine: DeployEngine | null = null;

function createMainWindow(settings: Store<Record<string, unknown>>): BrowserWindow {
  const window = new BrowserWindow({
    ...savedBounds(settings),
    minWidth: 640,
    minHeight: 480,
    title: 'PressDrop',
    show: false,
    webPreferences: {
      // Written out in full, as Electron's security checklist asks.
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // Reviewed: the preload exposes one function per IPC channel through contextBridge, nothing of Electron or Node.
      preload: join(import.meta.dirname, '../preload/index.cjs') /* eng-disable PRELOAD_JS_CHECK */,
      // Middle-click must not open links in new windows.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  rememberBounds(window, settings);
  window.once('ready-to-show', () => window.show());
  void window.loadURL(devRendererUrl() ?? `${APP_ORIGIN}/index.html`);
  return window;
}

/** Taskbar/dock progress, a notification when a deploy ends, and the system kept awake while one runs. */
function reflectRunActivity(): (activity: {
  active: number;
  fraction: number | null;
  ended?: { ok: boolean; message: string };
}) => void {
  let blocker: number | null = null;
  return ({ active, fraction, ended }) => {
    if (active > 0 && blocker === null) blocker = powerSaveBlocker.start('prevent-app-suspension');
    if (active === 0 && blocker !== null) {
      powerSaveBlocker.stop(blocker);
      blocker = null;
    }
    mainWindow?.setProgressBar(active === 0 ? -1 : (fraction ?? 2), {
      mode: fraction === null ? 'indeterminate' : 'normal',
    });
    if (ended && Notification.isSupported())
      new Notification({ title: ended.ok ? 'Deployed' : 'Deploy stopped', body: ended.message }).show();
  };
}

/**
 * The embedded Press Cloud, on the port it had last time when that is free:
 * interrupted deploys are journaled by server URL, so a stable address is
 * what lets them resume after a relaunch. A taken port falls back to a free one.
 */
async function startLocalServer(dataDir: string, preferredPort: unknown): Promise<RunningServer> {
  // It prints PDFs with Electron's own Chromium: the app needs no second browser.
  const printer = new ElectronPrinter();
  if (typeof preferredPort === 'number' && preferredPort > 0) {
    try {
      return await startServer({ dataDir, port: preferredPort, printer });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  return startServer({ dataDir, port: 0, printer });
}

app.on('second-instance', () => {
  if (!mainWindow) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.focus();
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', (event) => {
  if (!localServer) return;
  // Leave deploys resumable and let the embedded server close its database before exiting.
  event.preventDefault();
  const server = localServer;
  localServer = null;
  void (async () => {
    await controller?.close();
    await engine?.close();
    await server.close();
  })().finally(() => app.quit());
});

void app.whenReady().then(async () => {
  applySecurityPolicy();
  serveRenderer(join(import.meta.dirname, '../renderer'));
  const userData = app.getPath('userData');
  const settings = new Store<Record<string, unknown>>({ name: 'settings' });
  const keyStorage = await keyStorageKind();
  const secrets =
    keyStorage === 'unavailable'
      ? new MemorySecrets()
      : new SafeStorageSecrets(new Store<Record<string, string>>({ name: 'secrets' }));

  const localDataDir = join(userData, 'local-press-cloud');
  localServer = await startLocalServer(localDataDir, settings.get('localServerPort'));
  settings.set('localServerPort', localServer.port);
  engine = new DeployEngine({
    stateDir: join(userData, 'engine'),
    secrets,
    hashWorkerUrl: pathToFileURL(hashWorkerPath),
  });
  const chooseFolder = async () => {
    const choice = mainWindow
      ? await dialog.showOpenDialog(mainWindow, { properties: ['openDirectory'], title: 'Deploy a folder' })
      : null;
    return choice && !choice.canceled ? (choice.filePaths[0] ?? null) : null;
  };
  // PDFs opened with the system viewer last time are not needed any more: the viewer has them open, or is closed.
  const pdfDir = join(userData, 'opened-pdfs');
  rmSync(pdfDir, { recursive: true, force: true });
  controller = new AppController({
    appVersion: app.getVersion(),
    engine,
    localServer: { url: localServer.url, apiKey: localServer.generatedApiKey!.key, dataDir: localDataDir },
    settings,
    keys: {
      storage: () => keyStorage,
      get: (targetId) => secrets.get(`api-key:${targetId}`),
      set: (targetId, apiKey) => secrets.set(`api-key:${targetId}`, apiKey),
      delete: (targetId) => secrets.delete(`api-key:${targetId}`),
    },
    openExternal: async (url) => {
      if (isSafeExternalUrl(url))
        await shell.openExternal(url); /* eng-disable OPEN_EXTERNAL_JS_CHECK (reviewed: http(s) URLs only) */
    },
    chooseFolder,
    openPath: async (path) => {
      // Only PDFs main downloaded itself into pdfDir reach here; the OS's answer is '' on success, else why not.
      const problem = await shell.openPath(path);
      if (problem) throw new Error(problem);
    },
    choosePdfPath: async (suggestedName) => {
      const options = {
        title: 'Save PDF',
        defaultPath: join(app.getPath('downloads'), suggestedName),
        filters: [{ name: 'PDF', extensions: ['pdf'] }],
        properties: ['createDirectory' as const, 'showOverwriteConfirmation' as const],
      };
      const choice = mainWindow
        ? await dialog.showSaveDialog(mainWindow, options)
        : await dialog.showSaveDialog(options);
      return choice.canceled || !choice.filePath ? null : choice.filePath;
    },
    pdfDir,
    emit: (name, payload) => mainWindow?.webContents.send(ipcEventChannels[name], payload),
    onRunActivity: reflectRunActivity(),
  });
  registerIpcHandlers(controller.handlers);
  installAppMenu({
    chooseFolder: () => mainWindow?.webContents.send(ipcEventChannels['menu.command'], { command: 'chooseFolder' }),
  });

  // Uploads pause while the machine sleeps or is offline, and continue when it is back.
  // A run the user paused stays paused: the system lifts only its own hold.
  powerMonitor.on('suspend', () => controller?.holdAll('sleep'));
  powerMonitor.on('resume', () => controller?.releaseAll('sleep'));
  let online = net.isOnline();
  if (!online) controller.holdAll('offline');
  setInterval(() => {
    if (net.isOnline() === online) return;
    online = !online;
    if (online) controller?.releaseAll('offline');
    else controller?.holdAll('offline');
  }, 2_000).unref();

  mainWindow = createMainWindow(settings);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createMainWindow(settings);
  });
});
