/**
 * The station's views and the keys that open them (F1–F4 and F8, or Alt+1…5 where F-keys are taken).
 * Settings is on F8 because F5 reloads the page and F6/F7 are the browser's too. Pure.
 */

export type ViewId = 'capture' | 'queue' | 'history' | 'dashboard' | 'settings';

export interface ViewInfo {
  id: ViewId;
  label: string;
  /** Function key that opens it. */
  fkey: string;
  /** Digit that opens it with Alt. */
  digit: string;
}

export const views: readonly ViewInfo[] = [
  { id: 'capture', label: 'Capture', fkey: 'F1', digit: '1' },
  { id: 'queue', label: 'Queue', fkey: 'F2', digit: '2' },
  { id: 'history', label: 'History', fkey: 'F3', digit: '3' },
  { id: 'dashboard', label: 'Dashboard', fkey: 'F4', digit: '4' },
  { id: 'settings', label: 'Settings', fkey: 'F8', digit: '5' },
];

export interface KeyLike {
  key: string;
  code?: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
}

/** The view a key press asks for, or null. Alt+digit is matched on the physical key too (layouts where Alt+1 gives another character). */
export function viewForKey(e: KeyLike): ViewId | null {
  if (e.ctrlKey || e.metaKey) return null;
  if (!e.altKey && !e.shiftKey) {
    const byF = views.find((v) => v.fkey === e.key);
    if (byF) return byF.id;
  }
  if (e.altKey && !e.shiftKey) {
    const byDigit = views.find((v) => v.digit === e.key || e.code === `Digit${v.digit}`);
    if (byDigit) return byDigit.id;
  }
  return null;
}

/** The view named in the address (#queue), so a reload or a bookmark keeps it. */
export function viewFromHash(hash: string): ViewId {
  const id = hash.replace(/^#\/?/, '');
  return views.find((v) => v.id === id)?.id ?? 'capture';
}
