/**
 * The tray icon's menu, as data: bring the window back (or hide it), open the hot folder, start at
 * login, quit. The core has no pause, so the tray offers none.
 */
import type { MenuItemConstructorOptions } from 'electron';

export interface TrayActions {
  toggleWindow(): void;
  openHotFolder(): void;
  setOpenAtLogin(on: boolean): void;
  quit(): void;
}

export interface TrayState {
  windowVisible: boolean;
  openAtLogin: boolean;
}

export function trayMenuTemplate(actions: TrayActions, state: TrayState): MenuItemConstructorOptions[] {
  return [
    { label: state.windowVisible ? 'Hide Window' : 'Show Capture Station', click: () => actions.toggleWindow() },
    { label: 'Open Hot Folder', click: () => actions.openHotFolder() },
    { type: 'separator' },
    { label: 'Start at Login', type: 'checkbox', checked: state.openAtLogin, click: (item) => actions.setOpenAtLogin(item.checked) },
    { type: 'separator' },
    { label: 'Quit Capture Station', click: () => actions.quit() },
  ];
}
