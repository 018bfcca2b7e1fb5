/**
 * Keyboard-wedge input without a click. Keys pressed while no text field has focus go through the
 * core's wedge detector (src/shared): a scanner's burst becomes a scan at once (its keys never
 * reach the page, so its Enter cannot press a focused button), and a person's typing is never
 * taken as a scan — it lands in the scan field, which takes the focus, so the rest of their typing
 * goes there and their own Enter in the field sends it as a typed entry. An Enter that was held
 * with the keys before it (a burst too uneven for a scan) comes out as `submit`: typed into the
 * scan field and ended with Enter means "scan this", so the field is sent, never left standing.
 *
 * A field meant for barcodes (`takesScans`: the History barcode search, a relink box, the operator
 * badge) gets a scan as its input, as a person typing there would. While any other field that takes
 * typing has focus (a drop-down, a date, a settings field), its keys are not held back — a person's typing there must never lag — but the detector still watches them: a
 * burst that turns out to be a scan is sent as one, its terminator does not reach the field, and
 * the caller puts the field back as it was before the burst (`burstStart`, `fromField`). A scan is
 * so never lost to whatever field kept the focus after a mouse click. Keys with Ctrl/Alt/Meta, or
 * while an input method composes, are left alone. Pure: time comes in with each call.
 */
import { WedgeDetector, wedgeTerminators, type WedgeDetectorOptions, type WedgeOutput } from '../../src/shared/wedge-detector.js';

export interface FocusLike {
  tagName: string;
  isContentEditable?: boolean;
  type?: string;
  /** A field meant for barcodes (a barcode search, a relink box: `data-takes-scans`): a scan goes into it as typing. */
  takesScans?: boolean;
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

/**
 * A scan to send (`fromField`: its keys went into a focused field, which the caller restores), or
 * a person's characters for the scan field.
 */
export type PageWedgeAction = { kind: 'scan'; code: string; fromField: boolean } | { kind: 'type'; text: string } | { kind: 'submit' };

export class PageWedge {
  private readonly detector: WedgeDetector;
  private lastScanMs = -Infinity;
  /** The keys the detector holds reached a focused field already: released as typing, they are dropped. */
  private heldFromField = false;

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
   * `burstStart`: `active` takes typing and this key may begin a scan in it — its state now is
   * what a scan found from this key on (`fromField`) must restore.
   */
  key(e: PageKey, active: FocusLike | null, nowMs: number): { consumed: boolean; actions: PageWedgeAction[]; burstStart: boolean } {
    const holding = this.detector.holding;
    if (e.altKey || e.ctrlKey || e.metaKey || e.isComposing) return { consumed: false, actions: this.tick(nowMs), burstStart: false };
    const character = [...e.key].length === 1;
    const terminator = (wedgeTerminators as readonly string[]).includes(e.key);
    if (takesText(active) && active?.takesScans) return { consumed: false, actions: this.tick(nowMs), burstStart: false };
    // A secret typed fast (or auto-typed by a password manager) into a password field is never a
    // scan: it would be sent, and logged, as a barcode.
    if (active?.tagName.toUpperCase() === 'INPUT' && active.type?.toLowerCase() === 'password') return { consumed: false, actions: this.tick(nowMs), burstStart: false };
    if (takesText(active)) {
      if (!holding) this.heldFromField = true;
      const actions = this.actions(this.detector.push({ key: e.key, timeMs: nowMs }));
      return { consumed: terminator && actions.some((a) => a.kind === 'scan'), actions, burstStart: !holding && character };
    }
    if (!holding) this.heldFromField = false;
    // A space or a terminator on its own belongs to the page (it presses the focused button): only
    // inside a burst, or as the suffix of a scan just made, is it the scanner's.
    const inBurst = holding || (terminator && nowMs - this.lastScanMs <= this.detector.options.maxGapMs);
    if ((character && (e.key !== ' ' || holding)) || (terminator && inBurst)) return { consumed: true, actions: this.actions(this.detector.push({ key: e.key, timeMs: nowMs })), burstStart: false };
    // Any other key (arrows, Backspace, F-keys…) ends a held burst as typing but stays the page's.
    if (holding) return { consumed: false, actions: this.actions(this.detector.push({ key: e.key, timeMs: nowMs })), burstStart: false };
    return { consumed: false, actions: this.tick(nowMs), burstStart: false };
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
        actions.push({ kind: 'scan', code: o.code, fromField: this.heldFromField });
        continue;
      }
      // What a focused field got already is not typed again (nor sent). Only characters are typed
      // into the scan field, and an Enter sends it; a Tab or other named key does nothing there.
      if (this.heldFromField) continue;
      if (o.key === 'Enter') {
        actions.push({ kind: 'submit' });
        continue;
      }
      if ([...o.key].length !== 1) continue;
      const last = actions[actions.length - 1];
      if (last?.kind === 'type') last.text += o.key;
      else actions.push({ kind: 'type', text: o.key });
    }
    return actions;
  }
}
