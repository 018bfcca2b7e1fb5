/**
 * The Electron shell, kept thin: one instance, a locked-down window on the bundled UI, and the
 * station core in its own process (core-host.ts) with Electron's folders injected as config; the
 * contract reaches it over IPC. Every rule worth testing lives in plain modules next to this one
 * (security.ts, ipc.ts, core-rpc.ts, restart-policy.ts, station-options.ts).
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, session, shell, Tray } from 'electron';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ipcChannels } from '../src/contract/bridge.js';
import { loadConfig } from '../src/config/load.js';
import { appMenuTemplate } from './app-menu.js';
import { CoreHost } from './core-host.js';
import { desktopSettingsFile, readDesktopSettings, writeDesktopSettings, type DesktopSettings } from './desktop-settings.js';
import { IpcCalls, whenPageGoes } from './ipc.js';
import { loginItemPlan, startHiddenFlag } from './login-item.js';
import { allowNavigation, allowPermission, securityHeaders, uiEntryUrl } from './security.js';
import { stationLoadOptions } from './station-options.js';
import { trayMenuTemplate } from './tray-menu.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The UI as Vite built it (npm run build:ui → dist/renderer); here is dist/main. */
const uiDir = path.join(here, '../renderer');

let win: BrowserWindow | null = null;
let tray: Tray | null = null;

// Without the lock another instance runs this station: it is shown (second-instance there) and this one
// quits before it starts a second core on the same database.
if (!app.requestSingleInstanceLock()) app.quit();
else startShell();

/** Everything the instance holding the lock does: the core, the window, the tray. */
function startShell(): void {
  app.on('second-instance', () => {
    if (win?.isMinimized()) win.restore();
    win?.show();
    win?.focus();
  });

  const loadOptions = stationLoadOptions({ userData: app.getPath('userData'), version: app.getVersion(), env: process.env, argv: process.argv });
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
    const settingsFile = desktopSettingsFile(app.getPath('userData'));
    const read = readDesktopSettings(settingsFile);
    if (read.problem) dialog.showErrorBox('Capture Station: desktop settings reset', read.problem);
    let desktop: DesktopSettings = read.settings;
    // Re-applied at every start so the login item follows the program if it moved (an AppImage does).
    if (desktop.openAtLogin) applyOpenAtLogin(true);

    session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) => callback(allowPermission(permission)));
    session.defaultSession.setPermissionCheckHandler((_wc, permission) => allowPermission(permission));
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: { ...details.responseHeaders, ...securityHeaders() } }));
    const calls = new IpcCalls((c, a, signal) => core.call(c, a, signal), uiDir);
    ipcMain.handle(ipcChannels.invoke, (event, command: unknown, args: unknown, requestId: unknown) => calls.invoke({ id: event.sender.id, url: event.senderFrame?.url }, command, args, requestId));
    ipcMain.handle(ipcChannels.withdraw, (event, requestId: unknown) => calls.withdraw({ id: event.sender.id, url: event.senderFrame?.url }, requestId));

    win = new BrowserWindow({
      width: 1280,
      height: 800,
      // Started at login: to the tray, the window waits for "Show".
      show: !process.argv.includes(startHiddenFlag),
      backgroundColor: '#111318',
      webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, disableBlinkFeatures: 'Auxclick', preload: path.join(here, 'preload.cjs') },
    });
    win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    win.webContents.on('will-navigate', (event, url) => {
      if (!allowNavigation(url, uiDir)) event.preventDefault();
    });
    win.webContents.on('will-attach-webview', (event) => event.preventDefault());
    // Calls of a page that went away are withdrawn in the core (previews, exports stop).
    const windowId = win.webContents.id;
    whenPageGoes(win.webContents, uiDir, () => calls.pageGone(windowId));

    const refreshTray = () =>
      tray?.setContextMenu(
        Menu.buildFromTemplate(
          trayMenuTemplate(
            {
              toggleWindow: () => (win?.isVisible() ? win.hide() : win?.show()),
              openHotFolder: () => void shell.openPath(folders.inbox),
              setOpenAtLogin: (on) => {
                applyOpenAtLogin(on);
                desktop = { ...desktop, openAtLogin: on };
                writeDesktopSettings(settingsFile, desktop);
                refreshTray();
              },
              quit: () => app.quit(),
            },
            { windowVisible: win?.isVisible() ?? false, openAtLogin: desktop.openAtLogin },
          ),
        ),
      );
    tray = new Tray(nativeImage.createFromPath(path.join(uiDir, 'tray-icon.png')));
    tray.setToolTip('Capture Station');
    win.on('show', refreshTray);
    win.on('hide', refreshTray);
    refreshTray();
    await win.loadURL(uiEntryUrl(uiDir));
  });

  app.on('window-all-closed', () => {
    void core.stop().finally(() => app.quit());
  });
}

function applyOpenAtLogin(on: boolean): void {
  const plan = loginItemPlan(on, { platform: process.platform, executable: process.env['APPIMAGE'] ?? process.execPath, homedir: os.homedir(), env: process.env });
  if (plan.kind === 'electron') app.setLoginItemSettings(plan.settings);
  else if (plan.contents === null) fs.rmSync(plan.file, { force: true });
  else {
    fs.mkdirSync(path.dirname(plan.file), { recursive: true });
    fs.writeFileSync(plan.file, plan.contents);
  }
}
