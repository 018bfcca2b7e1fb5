/**
 * The desktop app's menu, as data: the folders a technician or IT person looks into, and zoom for
 * reading the screen from a few metres away. No navigation, no developer tools in a packaged app.
 */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  openFolder(which: 'inbox' | 'library' | 'logs' | 'data'): void;
}

export function appMenuTemplate(actions: MenuActions, opts: { platform: NodeJS.Platform; packaged: boolean }): MenuItemConstructorOptions[] {
  const folder = (label: string, which: Parameters<MenuActions['openFolder']>[0]): MenuItemConstructorOptions => ({ label, click: () => actions.openFolder(which) });
  return [
    ...(opts.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [folder('Open Hot Folder', 'inbox'), folder('Open Library', 'library'), folder('Open Logs', 'logs'), folder('Open Station Data', 'data'), { type: 'separator' }, { role: opts.platform === 'darwin' ? 'close' : 'quit' }],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'zoomIn', accelerator: 'CommandOrControl+=' },
        { role: 'zoomOut' },
        { role: 'resetZoom' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(opts.packaged ? [] : [{ type: 'separator' as const }, { role: 'reload' as const }, { role: 'toggleDevTools' as const }]),
      ],
    },
  ];
}
