import { describe, expect, it } from 'vitest';
import { appMenuTemplate } from '../../main/app-menu.js';

describe('app menu', () => {
  it('opens the station folders and offers zoom; no developer tools in a packaged app', () => {
    const opened: string[] = [];
    const menu = appMenuTemplate({ openFolder: (w) => opened.push(w) }, { platform: 'linux', packaged: true });
    const file = menu.find((m) => m.label === 'File')!.submenu as { label?: string; click?: () => void; role?: string }[];
    for (const item of file) item.click?.();
    expect(opened).toEqual(['inbox', 'library', 'logs', 'data']);
    expect(file.at(-1)?.role).toBe('quit');
    const view = (menu.find((m) => m.label === 'View')!.submenu as { role?: string }[]).map((i) => i.role);
    expect(view).toEqual(expect.arrayContaining(['zoomIn', 'zoomOut', 'resetZoom']));
    expect(view).not.toContain('toggleDevTools');
    expect(JSON.stringify(appMenuTemplate({ openFolder: () => undefined }, { platform: 'linux', packaged: false }))).toContain('toggleDevTools');
    expect(appMenuTemplate({ openFolder: () => undefined }, { platform: 'darwin', packaged: true })[0]).toEqual({ role: 'appMenu' });
  });
});
