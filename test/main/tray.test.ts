/** The tray menu, the desktop settings file and "start at login", as data and real files in Node. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KeyboardEvent, MenuItem, MenuItemConstructorOptions } from 'electron';
import { afterEach, describe, expect, it } from 'vitest';
import { readDesktopSettings, writeDesktopSettings } from '../../main/desktop-settings.js';
import { loginItemPlan, quoteExecArg, startHiddenFlag } from '../../main/login-item.js';
import { trayMenuTemplate, type TrayActions } from '../../main/tray-menu.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-desktop-'));
  dirs.push(d);
  return d;
};

function recorder() {
  const calls: string[] = [];
  const actions: TrayActions = {
    toggleWindow: () => calls.push('toggle'),
    openHotFolder: () => calls.push('hot folder'),
    setOpenAtLogin: (on) => calls.push(`login ${on}`),
    quit: () => calls.push('quit'),
  };
  return { calls, actions };
}

const click = (item: MenuItemConstructorOptions, checked = false) => item.click?.({ checked } as MenuItem, undefined, {} as KeyboardEvent);

describe('tray menu', () => {
  it('shows or hides the window, opens the hot folder, toggles start at login and quits', () => {
    const { calls, actions } = recorder();
    const hidden = trayMenuTemplate(actions, { windowVisible: false, openAtLogin: false });
    expect(hidden.map((i) => i.label ?? i.type)).toEqual(['Show Capture Station', 'Open Hot Folder', 'separator', 'Start at Login', 'separator', 'Quit Capture Station']);
    const login = hidden.find((i) => i.label === 'Start at Login')!;
    expect(login).toMatchObject({ type: 'checkbox', checked: false });
    for (const item of hidden) click(item, true);
    expect(calls).toEqual(['toggle', 'hot folder', 'login true', 'quit']);
    const shown = trayMenuTemplate(actions, { windowVisible: true, openAtLogin: true });
    expect(shown[0]?.label).toBe('Hide Window');
    expect(shown.find((i) => i.label === 'Start at Login')?.checked).toBe(true);
    click(shown.find((i) => i.label === 'Start at Login')!, false);
    expect(calls.at(-1)).toBe('login false');
    // The core cannot pause: the tray does not pretend it can.
    expect(JSON.stringify(shown)).not.toMatch(/pause/i);
  });
});

describe('desktop settings', () => {
  it('defaults without a file, and keeps what was written', () => {
    const file = path.join(tempDir(), 'sub', 'desktop-settings.json');
    expect(readDesktopSettings(file)).toEqual({ settings: { openAtLogin: false }, problem: null });
    writeDesktopSettings(file, { openAtLogin: true });
    expect(readDesktopSettings(file)).toEqual({ settings: { openAtLogin: true }, problem: null });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['desktop-settings.json']);
  });

  it('sets a corrupt file aside (never deleted) and says so', () => {
    const dir = tempDir();
    const file = path.join(dir, 'desktop-settings.json');
    for (const bad of ['{"openAtLogin": tru', '{"openAtLogin": "yes"}', '[]']) {
      fs.writeFileSync(file, bad);
      const read = readDesktopSettings(file, new Date('2026-11-25T17:00:00.000Z'));
      expect(read.settings).toEqual({ openAtLogin: false });
      expect(read.problem).toContain('desktop-settings.json.corrupt-2026-11-25T17-00-00-000Z');
      expect(fs.readFileSync(`${file}.corrupt-2026-11-25T17-00-00-000Z`, 'utf8')).toBe(bad);
      expect(fs.existsSync(file)).toBe(false);
    }
  });
});

describe('start at login', () => {
  const facts = { executable: '/opt/Capture Station/capture-station', homedir: '/home/tech', env: {} };

  it('uses Electron login items on macOS and Windows, starting to the tray', () => {
    for (const platform of ['darwin', 'win32'] as const) {
      expect(loginItemPlan(true, { ...facts, platform })).toEqual({ kind: 'electron', settings: { openAtLogin: true, args: [startHiddenFlag] } });
      expect(loginItemPlan(false, { ...facts, platform })).toEqual({ kind: 'electron', settings: { openAtLogin: false, args: [startHiddenFlag] } });
    }
  });

  it('writes (or removes) an XDG autostart entry on Linux, with the program path quoted', () => {
    const on = loginItemPlan(true, { ...facts, platform: 'linux' });
    expect(on.kind === 'xdg-autostart' && on.file).toBe('/home/tech/.config/autostart/capture-station.desktop');
    expect(on.kind === 'xdg-autostart' && on.contents).toContain('Exec="/opt/Capture Station/capture-station" --hidden\n');
    expect(loginItemPlan(false, { ...facts, platform: 'linux', env: { XDG_CONFIG_HOME: '/cfg' } })).toEqual({ kind: 'xdg-autostart', file: '/cfg/autostart/capture-station.desktop', contents: null });
    expect(quoteExecArg('/usr/bin/capture-station')).toBe('/usr/bin/capture-station');
    expect(quoteExecArg('/a "b" $HOME `x` \\')).toBe('"/a \\"b\\" \\$HOME \\`x\\` \\\\"');
  });
});
