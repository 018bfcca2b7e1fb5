/**
 * The desktop window's security rules as plain functions, so they are tested in Node without
 * Electron: which pages may talk to the core, what the page may load, which permissions it gets.
 * The window shows only the bundled UI; everything else is refused.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Content Security Policy of the bundled UI: its own files only, no inline script, no eval, no
 * remote connections (the core is reached over IPC, not the network).
 */
export const desktopCsp = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"].join('; ');

/** The UI's entry page as a file: URL; the only page the window may show. */
export function uiEntryUrl(uiDir: string): string {
  return pathToFileURL(path.join(uiDir, 'index.html')).href;
}

/**
 * True when `frameUrl` is a page of the bundled UI (a file inside `uiDir`). IPC from any other
 * frame — a navigation that slipped through, an injected iframe — is refused.
 */
export function isTrustedSender(frameUrl: string | undefined, uiDir: string): boolean {
  if (!frameUrl) return false;
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  if (url.protocol !== 'file:') return false;
  const file = path.resolve(fileURLToPath(url));
  const root = path.resolve(uiDir);
  return file === path.join(root, 'index.html') || file.startsWith(root + path.sep);
}

/** Navigation away from the UI is never allowed (links open nothing; the app has no browsing). */
export function allowNavigation(targetUrl: string, uiDir: string): boolean {
  return isTrustedSender(targetUrl, uiDir) && new URL(targetUrl).pathname.endsWith('/index.html');
}

/**
 * Permission requests (camera, microphone, geolocation, notifications, HID, serial, USB…) are all
 * denied: the station reads scanners in the core, never through the page.
 */
export function allowPermission(_permission: string): boolean {
  return false;
}

/** Headers added to every response the window loads. */
export function securityHeaders(): Record<string, string[]> {
  return { 'Content-Security-Policy': [desktopCsp], 'X-Content-Type-Options': ['nosniff'] };
}
