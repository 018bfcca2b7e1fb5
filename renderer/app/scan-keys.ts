/**
 * Keyboard-wedge input without a click. Keys pressed while no text field has focus go through the
 * core's wedge detector (src/shared): a scanner's burst becomes a scan at once (its keys never
 * reach the page, so its Enter cannot press a focused button), and a person's typing is never
 * taken as a scan — it lands in the scan field, which takes the focus, so the rest of their typing
 * goes there and only their own Enter in the field sends it as a typed entry. Keys for a focused
 * text field, or with Ctrl/Alt/Meta, are left alone. Pure: time comes in with each call.
 */
import { WedgeDetector, wedgeTerminators, type WedgeDetectorOptions, type WedgeOutput } from '../../src/shared/wedge-detector.js';

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

export interface PageKey {
  key: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  isComposing?: boolean;
}

/** A scan to send, or a person's characters for the scan field. */
export type PageWedgeAction = { kind: 'scan'; code: string } | { kind: 'type'; text: string };

export class PageWedge {
  private readonly detector: WedgeDetector;
  private lastScanMs = -Infinity;

  constructor(options: Partial<WedgeDetectorOptions> = {}) {
    this.detector = new WedgeDetector(options);
  }

  /** When `tick` must be called if no key comes first (held keys are released then); null when nothing waits. */
  get deadlineMs(): number | null {
    return this.detector.deadlineMs;
  }

  /**
   * A keydown outside the scan field, with `active` focused. `consumed`: the key is the wedge's
   * (held, part of a scan, or typed into the scan field), so the page must not act on it too.
   */
  key(e: PageKey, active: FocusLike | null, nowMs: number): { consumed: boolean; actions: PageWedgeAction[] } {
    const holding = this.detector.holding;
    if (e.altKey || e.ctrlKey || e.metaKey || e.isComposing || takesText(active)) return { consumed: false, actions: this.tick(nowMs) };
    const character = [...e.key].length === 1;
    const terminator = (wedgeTerminators as readonly string[]).includes(e.key);
    // A space or a terminator on its own belongs to the page (it presses the focused button): only
    // inside a burst, or as the suffix of a scan just made, is it the scanner's.
    const inBurst = holding || (terminator && nowMs - this.lastScanMs <= this.detector.options.maxGapMs);
    if ((character && (e.key !== ' ' || holding)) || (terminator && inBurst)) return { consumed: true, actions: this.actions(this.detector.push({ key: e.key, timeMs: nowMs })) };
    // Any other key (arrows, Backspace, F-keys…) ends a held burst as typing but stays the page's.
    if (holding) return { consumed: false, actions: this.actions(this.detector.push({ key: e.key, timeMs: nowMs })) };
    return { consumed: false, actions: this.tick(nowMs) };
  }

  tick(nowMs: number): PageWedgeAction[] {
    return this.actions(this.detector.tick(nowMs));
  }

  /** Releases held keys as typing (the window lost focus). */
  flush(): PageWedgeAction[] {
    return this.actions(this.detector.flush());
  }

  private actions(out: WedgeOutput[]): PageWedgeAction[] {
    const actions: PageWedgeAction[] = [];
    for (const o of out) {
      if (o.kind === 'scan') {
        this.lastScanMs = o.endMs;
        actions.push({ kind: 'scan', code: o.code });
        continue;
      }
      // Only characters are typed into the field; a person's Enter or Tab here sends nothing.
      if ([...o.key].length !== 1) continue;
      const last = actions[actions.length - 1];
      if (last?.kind === 'type') last.text += o.key;
      else actions.push({ kind: 'type', text: o.key });
    }
    return actions;
  }
}
