/**
 * Keys of the capture view. With Alt, because a plain letter starts a barcode scan (scan-keys.ts);
 * matched on the physical key too, where Alt+letter types another character (macOS). Pure.
 */
export type CaptureKeyAction = 'overlay' | 'mute';

export const captureKeys: Record<CaptureKeyAction, { letter: string; label: string }> = {
  overlay: { letter: 'O', label: 'Alt+O' },
  mute: { letter: 'M', label: 'Alt+M' },
};

export function captureKeyAction(e: { key: string; code?: string; altKey: boolean; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }): CaptureKeyAction | null {
  if (!e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return null;
  for (const action of Object.keys(captureKeys) as CaptureKeyAction[]) {
    const { letter } = captureKeys[action];
    if (e.key.toUpperCase() === letter || e.code === `Key${letter}`) return action;
  }
  return null;
}
