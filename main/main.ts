/**
 * The Electron shell, kept thin: one instance, a locked-down window on the bundled UI, the core
 * started with Electron's own folders injected as config, and the contract over IPC. Every rule
 * worth testing lives in plain modules next to this one (security.ts, ipc.ts, station-options.ts).
 */
import { app, BrowserWindow, dialog, ipcMain, session } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ipcChannels } from '../src/contract/bridge.js';
import { loadConfig } from '../src/config/load.js';
import { createHandlers } from '../src/station/handlers.js';
import { Station } from '../src/station/station.js';
import { answerInvoke } from './ipc.js';
import { allowNavigation, allowPermission, securityHeaders, uiEntryUrl } from './security.js';
import { stationLoadOptions } from './station-options.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The UI as Vite built it (npm run build:ui → dist/renderer); here is dist/main. */
const uiDir = path.join(here, '../renderer');

if (!app.requestSingleInstanceLock()) app.quit();

let station: Station | null = null;
let win: BrowserWindow | null = null;

app.on('second-instance', () => {
  if (win?.isMinimized()) win.restore();
  win?.focus();
});

app.whenReady().then(async () => {
  try {
    station = new Station(loadConfig(stationLoadOptions({ userData: app.getPath('userData'), env: process.env, argv: process.argv })));
    await station.start();
  } catch (err) {
    // A bad config or another station on the same database: say so, and do not open a window.
    dialog.showErrorBox('Capture Station cannot start', err instanceof Error ? err.message : String(err));
    app.quit();
    return;
  }
  const handlers = createHandlers(station);

  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) => callback(allowPermission(permission)));
  session.defaultSession.setPermissionCheckHandler((_wc, permission) => allowPermission(permission));
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: { ...details.responseHeaders, ...securityHeaders() } }));
  ipcMain.handle(ipcChannels.invoke, (event, command: unknown, args: unknown) => answerInvoke(handlers, uiDir, event.senderFrame?.url, command, args));

  win = new BrowserWindow({
    width: 1280,
    height: 800,
    backgroundColor: '#111318',
    webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, preload: path.join(here, 'preload.cjs') },
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event, url) => {
    if (!allowNavigation(url, uiDir)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  const contents = win.webContents;
  station.onAny((name, payload) => {
    if (!contents.isDestroyed()) contents.send(ipcChannels.event, name, payload);
  });
  await win.loadURL(uiEntryUrl(uiDir));
});

app.on('window-all-closed', () => {
  void (station?.stop() ?? Promise.resolve()).finally(() => app.quit());
});
