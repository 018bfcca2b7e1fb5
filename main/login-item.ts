/**
 * "Start at login", per platform. macOS and Windows have Electron's app.setLoginItemSettings; on
 * Linux (where that API does nothing) the XDG autostart way is used: a .desktop file in
 * $XDG_CONFIG_HOME/autostart (default ~/.config/autostart). Either way the app starts with
 * `--hidden`: to the tray, without a window. Pure: it says what to do, main.ts does it.
 */
import path from 'node:path';

export const startHiddenFlag = '--hidden';

export type LoginItemPlan =
  | { kind: 'electron'; settings: { openAtLogin: boolean; args: string[] } }
  | { kind: 'xdg-autostart'; file: string; contents: string | null };

export interface LoginFacts {
  platform: NodeJS.Platform;
  /** The program to start: $APPIMAGE when running as an AppImage, else process.execPath. */
  executable: string;
  homedir: string;
  env: Record<string, string | undefined>;
}

/** A desktop-entry Exec argument: quoted, with ", `, $ and \ escaped (Desktop Entry Specification, "The Exec key"). */
export function quoteExecArg(arg: string): string {
  return /^[A-Za-z0-9_/.:=+-]+$/.test(arg) ? arg : `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function loginItemPlan(openAtLogin: boolean, facts: LoginFacts): LoginItemPlan {
  if (facts.platform !== 'linux') return { kind: 'electron', settings: { openAtLogin, args: [startHiddenFlag] } };
  const configHome = facts.env['XDG_CONFIG_HOME'] || path.join(facts.homedir, '.config');
  const file = path.join(configHome, 'autostart', 'capture-station.desktop');
  if (!openAtLogin) return { kind: 'xdg-autostart', file, contents: null };
  const contents = [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Capture Station',
    'Comment=Hot-folder QC and barcode linking for the imaging rig',
    `Exec=${[facts.executable, startHiddenFlag].map(quoteExecArg).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
  return { kind: 'xdg-autostart', file, contents };
}
