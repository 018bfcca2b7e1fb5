/**
 * The Electron shell, kept thin: one instance, a locked-down window on the bundled UI, and the
 * station core in its own process (core-host.ts) with Electron's folders injected as config; the
 * contract reaches it over IPC. Every rule worth testing lives in plain modules next to this one
 * (security.ts, ipc.ts, core-rpc.ts, restart-policy.ts, station-options.ts).
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ipcChannels } from '../src/contract/bridge.js';
import { loadConfig } from '../src/config/load.js';
import { appMenuTemplate } from './app-menu.js';
import { CoreHost } from './core-host.js';
import { answerInvoke } from './ipc.js';
import { allowNavigation, allowPermission, securityHeaders, uiEntryUrl } from './security.js';
import { stationLoadOptions } from './station-options.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The UI as Vite built it (npm run build:ui → dist/renderer); here is dist/main. */
const uiDir = path.join(here, '../renderer');

if (!app.requestSingleInstanceLock()) app.quit();

let win: BrowserWindow | null = null;

app.on('second-instance', () => {
  if (win?.isMinimized()) win.restore();
  win?.focus();
});

const loadOptions = stationLoadOptions({ userData: app.getPath('userData'), env: process.env, argv: process.argv });
const core = new CoreHost(loadOptions, {
  onEvent: (name, payload) => {
    if (win && !win.webContents.isDestroyed()) win.webContents.send(ipcChannels.event, name, payload);
  },
  onFatal: (message) => dialog.showErrorBox('Capture Station cannot start', message),
});

app.whenReady().then(async () => {
  try {
    await core.start();
  } catch {
    // onFatal has told the technician why (a bad config, another station on the same database).
    app.quit();
    return;
  }

  // The core process loaded this config successfully; the shell reads it only for the folder paths.
  const config = loadConfig(loadOptions);
  const { locations } = config;
  const folders = { inbox: config.sources[0]?.path ?? locations.inbox, library: locations.library, logs: locations.logs, data: locations.dataDir };
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate({ openFolder: (which) => void shell.openPath(folders[which]) }, { platform: process.platform, packaged: app.isPackaged })));

  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) => callback(allowPermission(permission)));
  session.defaultSession.setPermissionCheckHandler((_wc, permission) => allowPermission(permission));
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: { ...details.responseHeaders, ...securityHeaders() } }));
  ipcMain.handle(ipcChannels.invoke, (event, command: unknown, args: unknown) => answerInvoke((c, a) => core.call(c, a), uiDir, event.senderFrame?.url, command, args));

  win = new BrowserWindow({
    width: 1280,
    height: 800,
    backgroundColor: '#111318',
    webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, disableBlinkFeatures: 'Auxclick', preload: path.join(here, 'preload.cjs') },
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event, url) => {
    if (!allowNavigation(url, uiDir)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  await win.loadURL(uiEntryUrl(uiDir));
});

app.on('window-all-closed', () => {
  void core.stop().finally(() => app.quit());
});
