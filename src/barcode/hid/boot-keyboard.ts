/**
 * Decodes HID keyboard boot-protocol input reports (Device Class Definition for HID 1.11,
 * Appendix B.1) into keys, for scanners read directly over USB in keyboard mode.
 *
 * A boot report is 8 bytes: modifier bits, a reserved byte, and up to six usages of the keys held
 * down (Keyboard/Keypad page 0x07). A report says which keys are down *now*, so a key is typed when
 * its usage appears that was absent from the previous report: a scanner sends key-down then an
 * all-zero release report per character, and two identical characters in a row therefore need the
 * release between them — the same usage in consecutive reports is one held key, not two presses
 * (auto-repeat is the host's business and never part of a scan).
 *
 * Modifiers: Shift (either) selects the shifted character; AltGr is Right Alt, or Ctrl+Alt as
 * Windows treats it; Ctrl with a letter (or @ [ \ ] ^ _) types the ASCII control character, which
 * is how scanners send e.g. GS (FNC1) in keyboard mode — validation later refuses control characters
 * in object codes with a clear message. Keys with GUI (Windows/Command) or a lone Alt type nothing.
 * Caps Lock is tracked from its key presses (the station cannot see the host's LED state).
 * Reports in the ErrorRollOver state (every slot 0x01: too many keys) are ignored.
 */
import { keyboardLayouts, type KeyboardLayoutId } from './keyboard-layouts.js';

export interface HidKey {
  /** A character, or a KeyboardEvent.key name: "Enter", "Tab", "Backspace", "Escape", "Delete". */
  key: string;
}

export const modifierBits = {
  leftCtrl: 0x01,
  leftShift: 0x02,
  leftAlt: 0x04,
  leftGui: 0x08,
  rightCtrl: 0x10,
  rightShift: 0x20,
  rightAlt: 0x40,
  rightGui: 0x80,
} as const;

const capsLockUsage = 0x39;
const errorRollOver = 0x01;

export interface BootKeyboardDecoderOptions {
  layout: KeyboardLayoutId;
  /**
   * True when reports arrive with a leading report-ID byte (a composite device that uses report
   * IDs, read in report protocol); that byte is dropped. Boot-protocol reports have none.
   */
  includesReportId?: boolean;
}

/** Combining marks for the German dead keys: dead key + letter → one precomposed character where Unicode has it. */
const combiningFor: Readonly<Record<string, string>> = { '^': '\u0302', '´': '\u0301', '`': '\u0300' };

export class BootKeyboardDecoder {
  private readonly layout;
  private readonly includesReportId: boolean;
  private down = new Set<number>();
  private capsLock = false;
  private pendingDead: string | null = null;
  /** Reports too short to be keyboard reports, for the adapter's diagnostics. */
  malformedReports = 0;

  constructor(options: BootKeyboardDecoderOptions) {
    this.layout = keyboardLayouts[options.layout];
    this.includesReportId = options.includesReportId ?? false;
  }

  /** The keys newly typed by this report, in slot order. */
  push(report: Uint8Array): HidKey[] {
    const body = this.includesReportId ? report.subarray(1) : report;
    if (body.length < 8) {
      this.malformedReports++;
      return [];
    }
    const modifiers = body[0] ?? 0;
    const usages = Array.from(body.subarray(2, 8)).filter((u) => u !== 0);
    if (usages.length > 0 && usages.every((u) => u === errorRollOver)) return [];
    const out: HidKey[] = [];
    for (const usage of usages) {
      if (this.down.has(usage)) continue;
      this.type(usage, modifiers, out);
    }
    this.down = new Set(usages);
    return out;
  }

  /** Forgets held keys and a pending dead key (e.g. after the device was re-attached). */
  reset(): void {
    this.down.clear();
    this.pendingDead = null;
  }

  private type(usage: number, modifiers: number, out: HidKey[]): void {
    if (usage === capsLockUsage) {
      this.capsLock = !this.capsLock;
      return;
    }
    const levels = this.layout.keys.get(usage);
    if (!levels) return;
    const shift = (modifiers & (modifierBits.leftShift | modifierBits.rightShift)) !== 0;
    const ctrl = (modifiers & (modifierBits.leftCtrl | modifierBits.rightCtrl)) !== 0;
    const alt = (modifiers & modifierBits.leftAlt) !== 0;
    const altGr = (modifiers & modifierBits.rightAlt) !== 0 || (ctrl && alt);
    const gui = (modifiers & (modifierBits.leftGui | modifierBits.rightGui)) !== 0;
    if (gui || (alt && !altGr)) return;

    const plain = levels[0];
    if (plain.length > 1) {
      // A named key (Enter, Tab, …) ends any pending dead key as its own character first.
      this.flushDead(out);
      out.push({ key: plain });
      return;
    }
    if (ctrl && !altGr) {
      const control = controlCharacter(plain);
      if (control !== null) {
        this.flushDead(out);
        out.push({ key: control });
      }
      return;
    }
    let ch: string;
    if (altGr) {
      ch = (shift ? levels[3] : levels[2]) ?? '';
    } else {
      // Caps Lock inverts Shift for letters only (and not for ß, whose capital is two letters).
      const isLetter = plain.toUpperCase() !== plain && plain.toUpperCase().length === 1;
      ch = shift !== (this.capsLock && isLetter) ? levels[1] : plain;
    }
    if (ch === '') return;
    this.compose(ch, out);
  }

  private compose(ch: string, out: HidKey[]): void {
    const dead = this.pendingDead;
    if (dead === null) {
      if (this.layout.deadKeys.has(ch)) this.pendingDead = ch;
      else out.push({ key: ch });
      return;
    }
    this.pendingDead = null;
    // Dead key + space types the accent itself: that is how a scanner set to German sends "^".
    if (ch === ' ') {
      out.push({ key: dead });
      return;
    }
    const composed = (ch + (combiningFor[dead] ?? '')).normalize('NFC');
    if (composed.length === 1) {
      out.push({ key: composed });
      return;
    }
    // No precomposed form: the host types the accent, then handles the key on its own.
    out.push({ key: dead });
    this.compose(ch, out);
  }

  private flushDead(out: HidKey[]): void {
    if (this.pendingDead !== null) out.push({ key: this.pendingDead });
    this.pendingDead = null;
  }
}

/** Ctrl+letter → U+0001–U+001A; Ctrl+@ [ \ ] ^ _ → U+0000, U+001B–U+001F; null for other keys. */
function controlCharacter(plain: string): string | null {
  const upper = plain.toUpperCase();
  const code = upper.charCodeAt(0);
  if (upper.length === 1 && code >= 0x40 && code <= 0x5f) return String.fromCharCode(code & 0x1f);
  return null;
}
