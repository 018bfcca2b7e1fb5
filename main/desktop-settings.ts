/**
 * The desktop app's own settings (not the station's): kept in desktop-settings.json in Electron's
 * userData folder. A file that cannot be read as settings is set aside as
 * `desktop-settings.json.corrupt-<time>` (never deleted) and the defaults are used. Writes are
 * atomic (temp + rename).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface DesktopSettings {
  /** Start Capture Station (to the tray) when the user logs in. */
  openAtLogin: boolean;
}

export const defaultDesktopSettings: DesktopSettings = { openAtLogin: false };

export const desktopSettingsFile = (userData: string) => path.join(userData, 'desktop-settings.json');

export interface ReadSettings {
  settings: DesktopSettings;
  /** Why the file was set aside, if it was. */
  problem: string | null;
}

function parse(value: unknown): DesktopSettings | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { openAtLogin = defaultDesktopSettings.openAtLogin } = value as Record<string, unknown>;
  return typeof openAtLogin === 'boolean' ? { openAtLogin } : null;
}

export function readDesktopSettings(file: string, now: Date = new Date()): ReadSettings {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { settings: { ...defaultDesktopSettings }, problem: null };
    throw err;
  }
  let settings: DesktopSettings | null = null;
  try {
    settings = parse(JSON.parse(text));
  } catch {
    settings = null;
  }
  if (settings) return { settings, problem: null };
  const aside = `${file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
  fs.renameSync(file, aside);
  return { settings: { ...defaultDesktopSettings }, problem: `${file} could not be read as desktop settings; it was kept as ${aside} and the defaults are in use.` };
}

export function writeDesktopSettings(file: string, settings: DesktopSettings): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w', 0o600);
  try {
    fs.writeFileSync(fd, `${JSON.stringify(settings, null, 2)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}
