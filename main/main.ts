/**
 * The Electron shell (kept thin; the desktop-app issue grows it): one instance, a locked-down
 * window, and the core started with Electron's own folders injected as config.
 */
import { app, BrowserWindow } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import { Station } from '../src/station/station.js';
import { stationLoadOptions } from './station-options.js';

const here = path.dirname(fileURLToPath(import.meta.url));

if (!app.requestSingleInstanceLock()) app.quit();

let station: Station | null = null;

app.whenReady().then(async () => {
  station = new Station(loadConfig(stationLoadOptions({ userData: app.getPath('userData'), env: process.env, argv: process.argv })));
  await station.start();
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true },
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  // The UI as Vite built it (npm run build:ui → dist/renderer); here is dist/main.
  await win.loadFile(path.join(here, '../renderer/index.html'));
});

app.on('window-all-closed', () => {
  void (station?.stop() ?? Promise.resolve()).finally(() => app.quit());
});
