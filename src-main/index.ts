import { app, BrowserWindow } from 'electron';
import { join } from 'node:path';
import { z } from 'zod';
import { startServer, type RunningServer } from '../src-server/server.ts';
import { handleRequest } from './ipc-handlers.ts';
import { registerRendererScheme, serveRenderer } from './renderer-protocol.ts';
import { APP_ORIGIN, applySecurityPolicy, devRendererUrl } from './security.ts';

// One PressDrop at a time: a second launch focuses the first window instead.
if (!app.requestSingleInstanceLock()) app.quit();

registerRendererScheme();

let mainWindow: BrowserWindow | null = null;
let localServer: RunningServer | null = null;

function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1100,
    height: 760,
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
      preload: join(import.meta.dirname, '../preload/index.cjs'),
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(devRendererUrl() ?? `${APP_ORIGIN}/index.html`);
  return window;
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
  // Let the embedded server finish what is in flight and close its database first.
  event.preventDefault();
  const server = localServer;
  localServer = null;
  void server.close().finally(() => app.quit());
});

void app.whenReady().then(async () => {
  applySecurityPolicy();
  serveRenderer(join(import.meta.dirname, '../renderer'));
  const localDataDir = join(app.getPath('userData'), 'local-press-cloud');
  localServer = await startServer({ dataDir: localDataDir, port: 0 });
  const serverUrl = localServer.url;

  handleRequest('app.info', z.null(), async () => ({ appVersion: app.getVersion(), localServerUrl: serverUrl, localDataDir }));

  mainWindow = createMainWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createMainWindow();
  });
});
