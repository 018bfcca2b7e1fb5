/**
 * Keyboard-wedge input without a click: a printable key pressed while no field has focus starts a
 * scan in the scan field. Keys for a focused field, or with Ctrl/Alt/Meta, are left alone. Pure.
 *
 * A human typing a code into the focused scan field and pressing Enter is a legitimate entry, so
 * this slice treats every Enter-terminated entry there as a scan; telling a scanner's burst from
 * typing elsewhere needs the core's wedge detector in the UI (see the report/README).
 */

export interface FocusLike {
  tagName: string;
  isContentEditable?: boolean;
  type?: string;
}

const nonTextInputs = new Set(['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file', 'image']);

/** True when the focused element takes typed text itself (fields, selects and editable areas). */
export function takesText(el: FocusLike | null): boolean {
  if (!el) return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName.toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !nonTextInputs.has((el.type ?? 'text').toLowerCase());
  return false;
}

/** True when this key, pressed with `active` focused, should start an entry in the scan field. */
export function startsScan(e: { key: string; altKey: boolean; ctrlKey: boolean; metaKey: boolean; isComposing?: boolean }, active: FocusLike | null): boolean {
  if (e.altKey || e.ctrlKey || e.metaKey || e.isComposing) return false;
  // One printable character; a space may press a focused button, so it never starts a scan.
  if ([...e.key].length !== 1 || e.key === ' ') return false;
  return !takesText(active);
}
